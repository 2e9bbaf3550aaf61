//! A simulated Kubernetes cluster: an API server on loopback that speaks the real Kubernetes
//! HTTP API for the kinds the console uses (namespaces, Secrets, ConfigMaps, Events, Leases,
//! External Secrets Operator's ExternalSecret and ClusterSecretStore, and the workload kinds
//! that reference Secrets, stored but never run: `workloads.rs`), with a controller that
//! behaves like External Secrets Operator and its `fake` provider, and fault switches for tests.
//!
//! Clients reach it with the same code they use for a real cluster (`kube::Client`, kubectl),
//! through the kubeconfig it writes. This module tree depends on nothing else in the crate.

pub mod api;
mod auth;
pub mod config_maps;
pub mod controller;
mod deletion;
pub mod demo;
pub mod discovery;
pub mod es_schemas;
pub mod eso;
pub mod faults;
pub mod kinds;
pub mod legacy_eso;
pub mod managed;
pub mod openapi;
mod openapi_proto;
mod openapi_schemas;
mod openapi_workloads;
pub mod protobuf;
mod protobuf_kinds;
pub mod rbac;
pub mod request;
pub mod resources;
mod reviews;
pub mod schema;
pub mod selectors;
mod served_kinds;
pub mod status;
pub mod store;
pub mod strict;
pub mod table;
pub mod time;
pub mod tls;
mod unmodelled;
pub mod v1beta1_pruning;
mod versions;
mod watches;
mod workloads;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use faults::Faults;
use store::{Key, Store, WriteContext};

/// How to start the simulated clusters.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Cluster names; each gets its own API server.
    pub clusters: Vec<String>,
    /// Address of the first cluster's API server; the others take the following ports
    /// (all random when the port is 0).
    pub listen: SocketAddr,
    /// Where state and the kubeconfig are kept (`None`: in memory only).
    pub state_dir: Option<PathBuf>,
    /// How many events watches can resume from before they get 410 Gone.
    pub history: usize,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: Duration,
    /// How long after an owner is removed the garbage collector deletes its dependents
    /// (`Store::set_gc_delay`).
    pub gc_delay: Duration,
    /// How long an Event lives after its last write: kube-apiserver's `--event-ttl`, 1 h by
    /// default (each write gives the event a fresh etcd lease of that length).
    pub event_ttl: Duration,
    /// How the External Secrets controller behaves.
    pub controller: controller::ControllerOptions,
    /// Roles to hold the kubeconfig's user to (`None`: the user may do anything).
    pub rbac: Option<Arc<rbac::Policy>>,
    /// The cluster admin's bearer token, required on every request (`None`: the one kept in
    /// `<state_dir>/token`, or a new random one).
    pub token: Option<String>,
    /// Seals the saved state (its Secrets hold values); `None` saves it in the clear.
    pub state_cipher: Option<Arc<dyn StateCipher>>,
}

/// How long the simulated garbage collector takes by default: a real one acts on its
/// informers' events through a work queue, typically within a second, seconds under load.
pub const DEFAULT_GC_DELAY: Duration = Duration::from_secs(1);

/// The cluster's garbage collector: collects the dependents of removed owners once due.
async fn garbage_collector(store: Arc<Store>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        store.collect_garbage();
    }
}

/// Events go `ttl` after their last write, as their etcd lease runs out on a real cluster:
/// whoever reads a warning an hour later finds none.
async fn expire_events(store: Arc<Store>, ttl: Duration) {
    let Some(events) = resources::by_kind("", "Event") else {
        return;
    };
    let mut tick =
        tokio::time::interval((ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(60)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(cutoff) = std::time::SystemTime::now().checked_sub(ttl) else {
            continue;
        };
        let expired = |event: &serde_json::Value| {
            [
                "/lastTimestamp",
                "/eventTime",
                "/metadata/creationTimestamp",
            ]
            .iter()
            .find_map(|at| event.pointer(at).and_then(serde_json::Value::as_str))
            .and_then(time::parse_rfc3339)
            .is_some_and(|written| written < cutoff)
        };
        let Ok(page) = store.list(events, None, &expired, None, None) else {
            continue;
        };
        for event in page.items {
            let name = |field: &str| {
                event
                    .pointer(&format!("/metadata/{field}"))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let key = store::Key::new(events, &name("namespace"), &name("name"));
            let _ = store.delete(&key, &store::DeleteOptions::default());
        }
    }
}

/// Seals and opens the saved state of a cluster.
pub trait StateCipher: Send + Sync + std::fmt::Debug {
    /// The sealed form of `plain`.
    fn seal(&self, plain: &[u8]) -> Vec<u8>;
    /// The plain form of what [`StateCipher::seal`] wrote, or why it cannot be had.
    fn open(&self, stored: &[u8]) -> Result<Vec<u8>, String>;
}

/// The credentials a simulated cluster accepts: the cluster admin's token, and (when roles
/// are enforced) the service account's.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Anything goes with this one.
    pub admin: String,
    /// Held to the enforced roles.
    pub service_account: Option<String>,
}

/// A random token, as a cluster would issue.
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The admin token kept in `dir/token` (0600), created on first use.
async fn token_in(dir: &Path) -> std::io::Result<String> {
    let path = dir.join("token");
    match tokio::fs::read_to_string(&path).await {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        _ => {
            let token = new_token();
            write_private(&path, token.as_bytes()).await?;
            Ok(token)
        }
    }
}

/// Writes a file only its owner can read (mode 0600 from its creation), whole or not at all:
/// it is written beside and renamed into place, so a reader waiting for it to appear (a test,
/// kubectl) never reads half of it.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .await?;
    file.write_all(bytes).await?;
    file.flush().await?;
    drop(file);
    tokio::fs::rename(&partial, path).await
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            clusters: vec!["sim".to_owned()],
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: None,
            history: 10_000,
            // kube-apiserver: about once a minute (`defaultBookmarkFrequency`).
            bookmark_interval: Duration::from_secs(60),
            gc_delay: DEFAULT_GC_DELAY,
            event_ttl: Duration::from_secs(3600),
            controller: controller::ControllerOptions::default(),
            rbac: None,
            token: None,
            state_cipher: None,
        }
    }
}

/// One running simulated cluster.
#[derive(Debug)]
pub struct SimCluster {
    /// Its name (the kubeconfig context's name too).
    pub name: String,
    /// Where its API server listens.
    pub addr: SocketAddr,
    /// Its objects, for direct inspection by tests.
    pub store: Arc<Store>,
    /// Its fault switches.
    pub faults: Arc<Faults>,
    /// The cluster admin's bearer token (the kubeconfig carries it).
    pub token: String,
    /// The CA its certificate is signed by (PEM), for clients that do not read the kubeconfig.
    pub ca_pem: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    state_file: Option<PathBuf>,
    cipher: Option<Arc<dyn StateCipher>>,
}

impl SimCluster {
    /// The API server's base URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A namespace, created if missing (what a platform team does before onboarding).
    pub fn ensure_namespace(&self, name: &str) {
        ensure_namespace(&self.store, name);
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        if let Some(path) = &self.state_file {
            save(&self.store, path, self.cipher.as_deref()).await;
        }
    }
}

/// The running simulated clusters.
#[derive(Debug)]
pub struct Sim {
    clusters: Vec<SimCluster>,
    /// Who may call the clusters' API servers.
    credentials: Credentials,
    /// The CA the API servers' certificate is signed by (PEM).
    ca_pem: String,
}

fn ensure_namespace(store: &Store, name: &str) {
    if let Some(ns) = resources::by_kind("", "Namespace")
        && store.get(&Key::new(ns, "", name)).is_err()
    {
        let _ = store.create(
            ns,
            "",
            json!({"metadata": {"name": name}}),
            &WriteContext::new("secrets-console-sim"),
        );
    }
}

async fn save(store: &Store, path: &Path, cipher: Option<&dyn StateCipher>) {
    let snapshot = store.snapshot().to_string().into_bytes();
    let bytes = match cipher {
        Some(cipher) => cipher.seal(&snapshot),
        None => snapshot,
    };
    let tmp = path.with_extension("json.tmp");
    let written = async {
        write_private(&tmp, &bytes).await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if let Err(error) = written {
        tracing::warn!(%error, path = %path.display(), "could not save the simulated cluster's state");
    }
}

async fn keep_saved(store: Arc<Store>, path: PathBuf, cipher: Option<Arc<dyn StateCipher>>) {
    loop {
        store.changed().await;
        // Coalesce bursts of writes into one save.
        tokio::time::sleep(Duration::from_millis(200)).await;
        save(&store, &path, cipher.as_deref()).await;
    }
}

/// Resolves once a switch is on (or its sender is gone).
pub async fn until_true(switch: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; drop it before the future ends.
    let _ = switch.wait_for(|on| *on).await.map(|_| ());
}

/// Serves one cluster's API. During an outage every connection is dropped without an answer
/// (except `/sim/` control paths), as an unreachable API server would.
async fn serve(
    listener: TcpListener,
    router: Router,
    faults: Arc<Faults>,
    tls: tls::Tls,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "simulated cluster: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = until_true(&mut stop) => return,
        };
        // As kube-apiserver (Go sets it on every TCP connection): watch events go out at once
        // instead of waiting for the client's delayed ACK.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "simulated cluster: cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let faults = faults.clone();
        let mut stop = stop.clone();
        let acceptor = tls.acceptor.clone();
        tokio::spawn(async move {
            let stream = tokio::select! {
                accepted = acceptor.accept(stream) => match accepted {
                    Ok(stream) => stream,
                    // A client that does not trust us, or speaks plain HTTP: nothing to serve.
                    Err(error) => {
                        tracing::debug!(%error, "simulated cluster: TLS handshake failed");
                        return;
                    }
                },
                () = until_true(&mut stop) => return,
            };
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    let down = faults.outage() && !request.uri().path().starts_with("/sim/");
                    async move {
                        if down {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionRefused,
                                "simulated outage",
                            ));
                        }
                        router
                            .oneshot(request.map(Body::new))
                            .await
                            .map_err(|never| match never {})
                    }
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = until_true(&mut stop) => {}
            }
        });
    }
}

impl Sim {
    /// Starts every cluster: loads saved state, seeds the system namespaces, serves the API,
    /// runs the controller, and writes `<state_dir>/kubeconfig`.
    pub async fn start(options: SimOptions) -> std::io::Result<Self> {
        if let Some(dir) = &options.state_dir {
            tokio::fs::create_dir_all(dir).await?;
        }
        let admin = match (&options.token, &options.state_dir) {
            (Some(token), _) => token.clone(),
            (None, Some(dir)) => token_in(dir).await?,
            (None, None) => new_token(),
        };
        let credentials = Credentials {
            admin,
            service_account: options.rbac.as_ref().map(|_| new_token()),
        };
        let tls = tls::Tls::generate()?;
        let mut clusters = Vec::new();
        for (i, name) in options.clusters.iter().enumerate() {
            let store = Arc::new(Store::new(options.history));
            let state_file = options
                .state_dir
                .as_ref()
                .map(|dir| dir.join(format!("{name}.json")));
            if let Some(path) = &state_file
                && let Ok(stored) = tokio::fs::read(path).await
            {
                let bytes = match &options.state_cipher {
                    Some(cipher) => cipher.open(&stored).map_err(|why| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{} cannot be opened: {why}", path.display()),
                        )
                    })?,
                    None => stored,
                };
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(snapshot) => store.restore(&snapshot),
                    Err(error) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{} is not a saved cluster state: {error}", path.display()),
                        ));
                    }
                }
            }
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                ensure_namespace(&store, ns);
            }
            store.set_gc_delay(options.gc_delay);
            let mut addr = options.listen;
            if addr.port() != 0 {
                let port = u16::try_from(usize::from(addr.port()) + i).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "port out of range")
                })?;
                addr.set_port(port);
            }
            let listener = TcpListener::bind(addr).await?;
            let addr = listener.local_addr()?;
            let faults = Arc::new(Faults::default());
            let (stop, stop_rx) = watch::channel(false);
            let router = api::router(request::ApiState {
                store: store.clone(),
                faults: faults.clone(),
                bookmark_interval: options.bookmark_interval,
                rbac: options.rbac.clone(),
                credentials: credentials.clone(),
            });
            let mut tasks = vec![
                tokio::spawn(serve(
                    listener,
                    router,
                    faults.clone(),
                    tls.clone(),
                    stop_rx,
                )),
                tokio::spawn(controller::run(
                    store.clone(),
                    faults.clone(),
                    options.controller.clone(),
                )),
                tokio::spawn(garbage_collector(store.clone())),
                tokio::spawn(expire_events(store.clone(), options.event_ttl)),
            ];
            if let Some(path) = &state_file {
                tasks.push(tokio::spawn(keep_saved(
                    store.clone(),
                    path.clone(),
                    options.state_cipher.clone(),
                )));
            }
            tracing::info!(cluster = %name, %addr, "simulated cluster listening");
            clusters.push(SimCluster {
                name: name.clone(),
                addr,
                store,
                faults,
                token: credentials.admin.clone(),
                ca_pem: tls.ca_pem.clone(),
                stop,
                tasks,
                state_file,
                cipher: options.state_cipher.clone(),
            });
        }
        let sim = Self {
            clusters,
            credentials,
            ca_pem: tls.ca_pem,
        };
        if let Some(dir) = &options.state_dir {
            sim.write_kubeconfig(&dir.join("kubeconfig")).await?;
        }
        Ok(sim)
    }

    /// Every cluster.
    pub fn clusters(&self) -> &[SimCluster] {
        &self.clusters
    }

    /// A cluster by name.
    pub fn cluster(&self, name: &str) -> Option<&SimCluster> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The cluster admin's bearer token.
    pub fn token(&self) -> &str {
        &self.credentials.admin
    }

    /// The CA the API servers' certificate is signed by (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A client configuration for `cluster` as its admin, read from the kubeconfig as any
    /// client would.
    pub async fn admin_config(&self, cluster: &str) -> Result<kube::Config, kube::Error> {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&self.kubeconfig())
            .map_err(kube::Error::InferKubeconfig)?;
        let options = kube::config::KubeConfigOptions {
            context: Some(cluster.to_owned()),
            cluster: None,
            user: Some("sim-admin".to_owned()),
        };
        kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(kube::Error::InferKubeconfig)
    }

    /// A kubeconfig with one context per cluster (the first is current). Its contexts use the
    /// service account when roles are enforced, else the cluster admin; the admin's user
    /// `sim-admin` is always in it (`kubectl --user sim-admin`).
    pub fn kubeconfig(&self) -> String {
        let user = match &self.credentials.service_account {
            Some(_) => "service-account",
            None => "sim-admin",
        };
        use base64::Engine as _;
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        let mut out = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for c in &self.clusters {
            out.push_str(&format!(
                "- name: {}\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\n",
                c.name,
                c.url()
            ));
        }
        out.push_str("contexts:\n");
        for c in &self.clusters {
            out.push_str(&format!(
                "- name: {0}\n  context:\n    cluster: {0}\n    user: {user}\n    namespace: default\n",
                c.name
            ));
        }
        let current = self.clusters.first().map_or("", |c| c.name.as_str());
        out.push_str(&format!(
            "current-context: {current}\nusers:\n- name: sim-admin\n  user:\n    token: {}\n",
            self.credentials.admin
        ));
        if let Some(token) = &self.credentials.service_account {
            out.push_str(&format!(
                "- name: service-account\n  user:\n    token: {token}\n"
            ));
        }
        out.push_str("preferences: {}\n");
        out
    }

    /// Writes the kubeconfig (mode 0600: it holds the clusters' credentials).
    pub async fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        write_private(path, self.kubeconfig().as_bytes()).await?;
        // An existing file keeps its mode when written: make sure.
        tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).await
    }

    /// Stops every cluster, saving state if it is kept.
    pub async fn shutdown(self) {
        for cluster in self.clusters {
            cluster.stop().await;
        }
    }
}
