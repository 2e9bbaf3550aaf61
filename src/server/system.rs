//! Facts about the running server.

use super::state::AppState;
use crate::model::ServerInfo;

/// The version and database backend, as shown in the footer.
pub fn get_server_info(state: &AppState) -> ServerInfo {
    ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: state.db.backend().display_name().to_owned(),
    }
}
