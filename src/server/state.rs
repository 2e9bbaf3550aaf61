//! Application state shared by handlers and server functions.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use super::auth::throttle::LoginThrottle;
use super::crypto::Keyring;
use super::db::Db;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Leptos's view of the site (bundle paths, output name).
    pub leptos_options: LeptosOptions,
    /// The database.
    pub db: Db,
    /// Master keys for secret values.
    pub keys: Keyring,
    /// Failed sign-in counters.
    pub throttle: Arc<LoginThrottle>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<super::net::Cidr>>,
    /// Password checks (argon2, about 19 MiB each) that may run at once.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// How long a session lives after sign-in, however active.
    pub session_lifetime: std::time::Duration,
    /// Secret names nobody may create.
    pub protected_names: crate::server::secrets::protected::ProtectedNames,
    /// Shortest refresh interval an External secret may have (`--min-refresh-interval`).
    pub min_refresh_interval: std::time::Duration,
    /// Sync now presses, held to one per user and secret per cooldown.
    pub sync_now: Arc<crate::server::limits::SyncNowLimit>,
    /// Live status updates for open pages.
    pub live: crate::server::live::Live,
    /// A client per cluster, with its store cache (for reads such as the Stores page; the
    /// reconciler has its own).
    pub clusters: std::sync::Arc<Vec<crate::server::cluster::registry::ClusterHandle>>,
    /// Single sign-on through the OpenID Connect provider, when configured.
    pub oidc: Option<Arc<super::auth::oidc::OidcProvider>>,
    /// Whether local email-and-password sign-in is allowed (`--local-accounts`).
    pub local_accounts: bool,
    /// API tokens created without JavaScript, waiting to be shown once.
    pub token_reveals: crate::server::auth::token_reveal::Reveals,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
