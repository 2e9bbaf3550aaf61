//! Data transfer objects that cross the wire between server and browser.
//!
//! Nothing here holds a secret value, a sqlx type or a Kubernetes type.

pub mod account;
pub mod applied;
pub mod audit;
pub mod cluster;
pub mod eso_yaml;
pub mod external;
pub mod flash;
pub mod listing;
pub mod live;
pub mod project_tab;
pub mod secret;
pub mod sync;
pub mod tokens;
pub mod unmanaged;
pub mod workloads;

use serde::{Deserialize, Serialize};

/// What the app shell's footer shows about the running server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The application's version (from Cargo.toml).
    pub version: String,
    /// The database backend in use: `SQLite` or `PostgreSQL`.
    pub database: String,
}
