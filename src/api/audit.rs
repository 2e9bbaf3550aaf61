//! The audit log for admins: one page at a time, filtered, newest first.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::audit::{AuditFilter, AuditPage};

/// One page of the audit log matching `filter`, newest first (admins only). The export of the
/// same entries is `GET /audit/export` with the same query string.
#[server(prefix = "/api", endpoint = "list_audit")]
pub async fn list_audit(#[server(default)] filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::domain::permissions::Action;
    use crate::model::audit::AUDIT_PAGE_SIZE;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ManageUsers).await?;
            crate::server::audit::page(&state.db, &filter, AUDIT_PAGE_SIZE)
                .await
                .map_err(|e| crate::server::errors::internal(&e))
        }
        .await,
    )
}
