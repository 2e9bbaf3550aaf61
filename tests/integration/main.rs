//! Integration tests: the real binary, over real HTTP, on a real SQLite file and a real
//! PostgreSQL server.
//!
//! PostgreSQL tests need `SECRETS_CONSOLE_TEST_POSTGRES_URL` (an admin URL; each test creates
//! its own database). `make test` starts a private server and sets it, together with
//! `SECRETS_CONSOLE_TEST_REQUIRE_POSTGRES=1` so that a missing server fails instead of skipping.

mod support;

mod audit_log;
mod auth;
mod create_assign;
mod deploy;
mod eso_served;
mod eso_yaml;
mod failure_classes;
mod form_flash;
mod forms;
mod health;
mod history;
mod hostile;
mod keys;
mod kubeconfig;
mod leader;
mod leak;
mod leak_scan;
mod limits;
mod live;
mod load;
mod metrics;
mod oidc;
mod pages;
mod people;
mod project_tab;
mod projects;
mod reconcile;
mod reconcile_faults;
mod remote_keys;
mod safety;
mod secrets;
mod selectors;
mod sessions;
mod simulated;
mod startup;
mod stores;
mod sync_all;
mod tokens;
mod truth;
mod unmanaged;
mod used_by;
mod used_by_api;
mod watches;
