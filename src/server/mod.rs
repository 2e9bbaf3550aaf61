//! Everything that runs only on the server: configuration, database, HTTP wiring. This file
//! is the module list only: `commands` runs what the command line names, `startup` serves.

pub mod api_support;
pub mod audit;
pub mod audit_export;
pub mod auth;
pub mod clock;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod errors;
pub mod eso;
pub mod files;
pub mod form_posts;
pub mod http;
pub mod key_rotation;
pub mod limits;
pub mod live;
pub mod live_stream;
pub mod manifest_download;
pub mod metrics;
pub mod net;
pub mod projects;
pub mod reconcile;
pub mod secrets;
pub mod session_touch;
pub mod sim_state;
pub mod sql;
pub mod startup;
pub mod state;
pub mod system;
pub mod telemetry;
pub mod work_queue;
