//! Server functions, grouped by domain. Each is a public HTTP endpoint under `/api/`: it
//! authorizes, calls one `server::` service and maps the error. Nothing else.

pub mod admin;
pub mod auth;
pub mod secrets;
pub mod system;
pub mod used_by;
