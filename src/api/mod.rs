//! Server functions, grouped by domain. Each is a public HTTP endpoint under `/api/`: it
//! authorizes, calls one `server::` service and maps the error. Nothing else.

pub mod admin;
pub mod applied;
pub mod audit;
pub mod auth;
pub mod eso_yaml;
pub mod live;
pub mod people;
pub mod project_tab;
pub mod secrets;
pub mod selectors;
pub mod sync;
pub mod system;
pub mod tokens;
pub mod unmanaged;
pub mod used_by;
