//! Server functions about the running system itself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ServerInfo;

/// Version and database backend of the server, for the app shell's footer.
#[server(prefix = "/api", endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    use crate::server::state::AppState;

    let state = use_context::<AppState>().ok_or_else(crate::server::errors::missing_state)?;
    Ok(crate::server::system::get_server_info(&state))
}
