//! Serving: start-up (data directory, keys, database, demo, clusters, reconciler, router),
//! then graceful shutdown on SIGTERM or SIGINT.

use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use leptos::prelude::LeptosOptions;

use super::config::{self, Config};
use super::db::Db;
use super::db::session_store::DbSessionStore;
use super::state::AppState;
use super::{
    auth, cluster, crypto, demo, files, http, limits, live, projects, reconcile, sim_state,
};

/// Starts the server and runs until SIGTERM or SIGINT.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // Installed first, so a signal that arrives during start-up is a clean stop too.
    let shutdown = shutdown_signal()?;

    config.check_safe().map_err(anyhow::Error::msg)?;
    // Single sign-on: every part it needs, the client secret from the environment or its file.
    let oidc = config
        .oidc
        .settings(std::env::var(config::OIDC_CLIENT_SECRET_ENV).ok())
        .map_err(anyhow::Error::msg)?
        .map(auth::oidc::OidcProvider::new)
        .transpose()
        .map_err(anyhow::Error::msg)?
        .map(std::sync::Arc::new);
    if let Some(provider) = &oidc {
        tracing::info!(
            ?provider,
            local_accounts = config.oidc.local_accounts,
            "single sign-on configured"
        );
    }
    // Everything this process writes in its data directory is its user's alone.
    files::private_by_default();
    files::create_private_dir(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    tracing::info!(database = %config.database_url, data_dir = %config.data_dir.display(), "starting");

    let keys = crypto::load_keyring(&config.master_key).context("cannot load the master key")?;
    tracing::info!(master_key = keys.current_id(), "master key loaded");
    // Files an earlier version (or a looser umask) left readable by others: the key was
    // refused above if it was one of them; the rest are made private.
    for path in files::tighten(&config.data_dir).with_context(|| {
        format!(
            "cannot make the data directory {} private",
            config.data_dir.display()
        )
    })? {
        tracing::warn!(%path, "was readable by other users; now private to the server's user");
    }
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await.context(
        "the database was left as it was before this start; restore it or point --database-url \
         at a database this version created, then start again",
    )?;

    if config.demo {
        if demo::seed_if_empty(&db, &keys, &config.demo_password).await? {
            tracing::info!("demo organization seeded");
        }
        // The published password may be said; one chosen by the operator never is.
        if config.demo_password == config::PUBLISHED_DEMO_PASSWORD {
            tracing::info!(
                "demo mode: sign in as {} (admin) or {} (team member of payments) with password {:?}",
                demo::ADMIN_EMAIL,
                demo::MEMBER_EMAIL,
                config.demo_password
            );
        } else {
            tracing::info!(
                "demo mode: sign in as {} (admin) or {} (team member of payments) with the \
                 password from --demo-password",
                demo::ADMIN_EMAIL,
                demo::MEMBER_EMAIL,
            );
        }
    } else if !auth::users::any_user(&db).await? {
        tracing::warn!(
            "no accounts yet: create the first administrator with `secrets-console create-admin \
             --email <address>` (password from SECRETS_CONSOLE_ADMIN_PASSWORD or standard input)"
        );
    }

    let sim = if config.simulated_clusters {
        start_simulated_clusters(&db, &config.data_dir, &keys).await?
    } else {
        None
    };
    let mut clusters = Vec::new();
    if sim.is_some() {
        let kubeconfig = config.data_dir.join("sim").join("kubeconfig");
        clusters.extend(
            cluster::registry::simulated(&db, &kubeconfig)
                .await
                .context("cannot reach the simulated clusters")?,
        );
    }
    if let Some(path) = &config.kubeconfig {
        let found = cluster::registry::from_kubeconfig(&db, path)
            .await
            .with_context(|| format!("cannot use the clusters of {}", path.display()))?;
        for handle in &found {
            tracing::info!(cluster = %handle.name, "cluster from the kubeconfig");
        }
        clusters.extend(found);
    }
    // Every replica serves the Stores page and the create form, so each keeps the clusters'
    // ClusterSecretStores by watch (the reconciler below runs on the leader only).
    let store_watches: Vec<_> = clusters
        .iter()
        .filter_map(|handle| {
            handle.stores.start(
                handle.watch_client.clone(),
                &handle.name,
                handle.eso.clone(),
            )
        })
        .collect();
    let (live, live_feed) = live::Live::start(db.clone(), config.database_url.expose().to_owned());
    let cluster_clients = std::sync::Arc::new(clusters.clone());
    let reconciler = if clusters.is_empty() {
        None
    } else {
        let (db, keys) = (db.clone(), keys.clone());
        let options = reconcile::Options {
            delete_deadline: config.delete_deadline,
            health_interval: config.cluster_probe_interval,
            wake: Some(live.changes()),
            ..reconcile::Options::default()
        };
        let lead_db = db.clone();
        Some(tokio::spawn(reconcile::leader::run(
            lead_db,
            move || {
                reconcile::Reconciler::start(
                    db.clone(),
                    keys.clone(),
                    clusters.clone(),
                    options.clone(),
                )
            },
            reconcile::Reconciler::stop,
        )))
    };

    let leptos_options = LeptosOptions::builder()
        .output_name("secrets-console")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir(config.site_pkg_dir.clone())
        .site_addr(config.listen)
        .build();
    let state = AppState {
        leptos_options,
        db: db.clone(),
        keys,
        throttle: std::sync::Arc::new(auth::throttle::LoginThrottle::default()),
        trusted_proxies: std::sync::Arc::new(config.trusted_proxies.clone()),
        password_checks: std::sync::Arc::new(tokio::sync::Semaphore::new(
            usize::try_from(config.password_checks).unwrap_or(1),
        )),
        session_lifetime: config.session_lifetime,
        protected_names: config.protected_names.clone(),
        min_refresh_interval: config.min_refresh_interval,
        sync_now: std::sync::Arc::new(limits::SyncNowLimit::new(
            config.sync_now_cooldown,
            limits::SYNC_NOW_CAPACITY,
        )),
        live,
        clusters: cluster_clients,
        oidc,
        local_accounts: config.oidc.local_accounts,
        token_reveals: auth::token_reveal::Reveals::default(),
    };

    let sessions = DbSessionStore::new(db.clone());
    let cleanup = tokio::spawn(delete_expired_sessions(sessions.clone()));

    let metrics_server = match config.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (--metrics-listen)"))?;
            tracing::info!(addr = %listener.local_addr()?, "metrics listening");
            let router = http::metrics_router(state.clone());
            Some(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::warn!(%error, "the metrics address stopped");
                }
            }))
        }
        None => None,
    };
    let router = http::router(state, sessions, &config);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // A page streams out in several writes; with Nagle's algorithm on, each one after the
    // first waits for the client's delayed ACK (about 40 ms on Linux loopback).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, service).with_graceful_shutdown({
        let mut stop_rx = stop_rx.clone();
        async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }
    });
    let server = tokio::spawn(async move { server.await });

    let signal = shutdown.await;
    tracing::info!(signal, "shutting down");
    let _ = stop_tx.send(true);
    // Long-lived responses (event streams) must not hold the process past the grace period.
    match tokio::time::timeout(config.shutdown_grace, server).await {
        Ok(joined) => joined.context("server task panicked")??,
        Err(_) => tracing::warn!(
            grace = ?config.shutdown_grace,
            "requests still open after the grace period; closing them"
        ),
    }
    cleanup.abort();
    live_feed.abort();
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    if let Some(reconciler) = reconciler {
        reconciler.abort();
    }
    for watch in store_watches {
        watch.abort();
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Starts the built-in simulated clusters, if the database registers any: one API server per
/// cluster, state and kubeconfig under `<data dir>/sim/`, the demo stores, and a namespace for
/// every project on them.
async fn start_simulated_clusters(
    db: &Db,
    data_dir: &std::path::Path,
    keys: &crypto::Keyring,
) -> anyhow::Result<Option<crate::sim::Sim>> {
    let projects = projects::simulated_namespaces(db).await?;
    let clusters = projects::simulated_clusters(db).await?;
    if clusters.is_empty() {
        return Ok(None);
    }
    let dir = data_dir.join("sim");
    let options = crate::sim::SimOptions {
        clusters,
        state_dir: Some(dir.clone()),
        state_cipher: Some(std::sync::Arc::new(sim_state::StateCipher::new(keys))),
        ..Default::default()
    };
    let sim = crate::sim::Sim::start(options).await.with_context(|| {
        format!(
            "cannot start the simulated clusters (state in {})",
            dir.display()
        )
    })?;
    for cluster in sim.clusters() {
        crate::sim::demo::seed_stores(&cluster.store);
        for (cluster_name, namespace) in &projects {
            if *cluster_name == cluster.name {
                cluster.ensure_namespace(namespace);
            }
        }
        tracing::info!(cluster = %cluster.name, url = %cluster.url(), "simulated cluster ready");
    }
    tracing::info!(
        kubeconfig = %dir.join("kubeconfig").display(),
        "kubectl --kubeconfig <this file> shows what the app did"
    );
    Ok(Some(sim))
}

/// Installs SIGTERM and SIGINT handlers; the future resolves to the name of the first signal.
pub(super) fn shutdown_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// Deletes expired sessions every few minutes.
async fn delete_expired_sessions(store: DbSessionStore) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        match store.delete_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "expired sessions deleted"),
            Err(error) => tracing::warn!(%error, "could not delete expired sessions"),
        }
    }
}
