//! Server functions of a project's "Not managed by the console" section (admins only): the
//! Secrets and ExternalSecrets in its namespace that no assignment owns, and "Manage with the
//! console", which brings one under management without changing its data.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::unmanaged::UnmanagedAnswer;

/// The objects in project `project_id`'s namespace that no assignment owns: names, kind,
/// type, key names and age, never values (who may take over objects: admins).
#[server(prefix = "/api", endpoint = "unmanaged_objects")]
pub async fn unmanaged_objects(project_id: i64) -> Result<UnmanagedAnswer, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let target = Target::Project(project_id);
            check(&state, &principal, Action::AdoptObject, &target, None).await?;
            Ok(crate::server::secrets::list_unmanaged(
                &state.db,
                &state.clusters,
                &state.protected_names,
                project_id,
            )
            .await?)
        }
        .await,
    )
}

/// "Manage with the console": makes the `kind` (`Secret` or `ExternalSecret`) object `name` in
/// project `project_id`'s namespace a project secret of that name, taken over without changing
/// its data (admins only). Returns the new secret's id.
#[server(prefix = "/api", endpoint = "manage_existing")]
pub async fn manage_existing(
    #[server(default)] csrf: String,
    project_id: i64,
    kind: String,
    name: String,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::model::unmanaged::ObjectKind;
    use crate::server::api_support::{actor, check, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let target = Target::Project(project_id);
            check(&state, &principal, Action::AdoptObject, &target, None).await?;
            let kind = ObjectKind::parse(&kind).ok_or_else(|| AppError::Validation {
                field: "kind".to_owned(),
                message: "must be Secret or ExternalSecret".to_owned(),
            })?;
            let id = crate::server::secrets::manage(
                &state.db,
                &state.keys,
                &state.clusters,
                &state.protected_names,
                &actor(&principal),
                (project_id, kind, &name),
            )
            .await?;
            crate::server::form_posts::notice(&format!(
                "{} `{name}` is now managed by the console; its data was not changed.",
                kind.as_str()
            ));
            Ok(id)
        }
        .await,
    )
}
