//! Test harness: fresh databases per test, the server binary as a child process, a TCP proxy
//! that can cut a connection to simulate an outage.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// Runs each named async test function once per database backend, as `sqlite::NAME` and
/// `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(backend) = $crate::support::Backend::postgres() {
                        super::$name(backend).await;
                    }
                }
            )*
        }
    };
}

/// A database engine under test.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A PostgreSQL server; the admin URL.
    Postgres(String),
}

impl Backend {
    /// The PostgreSQL backend, if configured. Panics when it is required but absent.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("SECRETS_CONSOLE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                if std::env::var("SECRETS_CONSOLE_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!(
                        "SECRETS_CONSOLE_TEST_POSTGRES_URL is not set but PostgreSQL is required"
                    );
                }
                eprintln!("skipped: SECRETS_CONSOLE_TEST_POSTGRES_URL is not set");
                None
            }
        }
    }

    /// A new, empty database of this kind.
    pub async fn fresh_database(&self) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = match self {
            Backend::Sqlite => {
                format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display())
            }
            Backend::Postgres(admin_url) => {
                let name = format!("sc_test_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin(admin_url).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                replace_database(admin_url, &name)
            }
        };
        TestDb { url, _dir: dir }
    }
}

async fn postgres_admin(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to the test PostgreSQL server")
}

/// `url` with its database name replaced by `name`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let slash = base.rfind('/').expect("database URL has a path");
    let mut out = format!("{}/{}", &base[..slash], name);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A database created for one test, and a scratch directory that lives as long as it.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Holds the SQLite file; removed with the test.
    _dir: TempDir,
}

impl TestDb {
    /// A sqlx pool on this database, for setting up or inspecting state.
    pub async fn any_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

/// A running `secrets-console` process, reached through the leak scan (`leak.rs`).
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT` of the leak-scanning proxy in front of the server.
    pub base: String,
    /// The server's own address, for what must bypass the proxy (raw connections).
    pub direct: String,
    /// Everything the process printed, line by line.
    pub output: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
    proxy: crate::leak::LeakProxy,
    /// How many output lines the leak scan has read.
    scanned: Mutex<usize>,
    /// The leak scan's own test plants leaks on purpose.
    planted: std::sync::atomic::AtomicBool,
    _data_dir: TempDir,
}

/// How to start a test server.
#[derive(Default)]
pub struct ServerOptions<'a> {
    /// The database URL; empty for the embedded default (a SQLite file in the data directory).
    pub database_url: &'a str,
    /// The listen address (default `127.0.0.1:0`).
    pub listen: Option<&'a str>,
    /// More command-line arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(&'a str, String)>,
    /// A data directory that outlives the server (a restart keeps its master key); by default
    /// a fresh one, removed with the server.
    pub data_dir: Option<&'a std::path::Path>,
}

impl TestServer {
    /// Starts the binary on an ephemeral port and waits until it listens.
    pub async fn start(database_url: &str) -> TestServer {
        Self::start_with(ServerOptions {
            database_url,
            ..ServerOptions::default()
        })
        .await
        .unwrap_or_else(|output| panic!("server did not start:\n{output}"))
    }

    /// Starts the binary; on failure returns everything it printed.
    pub async fn start_with(options: ServerOptions<'_>) -> Result<TestServer, String> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut child = spawn(&options, options.data_dir.unwrap_or(data_dir.path()));
        let output = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, mut addr_rx) = tokio::sync::mpsc::unbounded_channel();
        let readers = vec![
            collect_lines(child.stdout.take().unwrap(), output.clone(), Some(addr_tx)),
            collect_lines(child.stderr.take().unwrap(), output.clone(), None),
        ];

        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            tokio::select! {
                addr = addr_rx.recv() => {
                    if let Some(addr) = addr {
                        let direct = format!("http://{addr}");
                        let proxy = crate::leak::LeakProxy::start(&direct).await;
                        return Ok(TestServer {
                            child,
                            base: proxy.base.clone(),
                            direct,
                            output,
                            readers,
                            proxy,
                            scanned: Mutex::new(0),
                            planted: std::sync::atomic::AtomicBool::new(false),
                            _data_dir: data_dir,
                        });
                    }
                }
                status = child.wait() => {
                    // Let the readers drain what the process printed before it exited.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let printed = output.lock().unwrap().join("\n");
                    let code = status.ok().and_then(|s| s.code());
                    return Err(format!("exited with code {code:?}\n{printed}"));
                }
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let printed = output.lock().unwrap().join("\n");
                    return Err(format!("no 'listening' line within 30 s\n{printed}"));
                }
            }
        }
    }

    /// The process id, for sending signals.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("server is running")
    }

    /// Waits for the process to exit, at most `limit`, and for everything it printed to be
    /// collected.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("wait for server"))?;
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
        }
        Some(status)
    }

    /// A client with a cookie jar, as a browser would have.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl TestServer {
    /// What the leak scan found since it was last asked: in responses through the proxy, and
    /// in log lines printed meanwhile.
    pub fn leaks(&self) -> Vec<String> {
        let mut found = std::mem::take(&mut *self.proxy.hits.lock().unwrap());
        let lines = self.output.lock().unwrap();
        let mut scanned = self.scanned.lock().unwrap();
        let log_hits: crate::leak::Hits = Arc::default();
        for line in &lines[*scanned..] {
            crate::leak::scan_text(&log_hits, &format!("the log line {line}"), line);
        }
        *scanned = lines.len();
        found.extend(std::mem::take(&mut *log_hits.lock().unwrap()));
        found
    }

    /// For the leak scan's self-test only: the leaks were planted, do not fail on them.
    pub fn planted_leaks(&self) {
        self.planted
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // A leak fails the test that caused it (unless it failed already).
        if !std::thread::panicking() && !self.planted.load(std::sync::atomic::Ordering::SeqCst) {
            let leaks = self.leaks();
            assert!(
                leaks.is_empty(),
                "the leak scan found secret material:\n{}",
                leaks.join("\n")
            );
        }
    }
}

fn spawn(options: &ServerOptions<'_>, data_dir: &std::path::Path) -> Child {
    // SECRETS_CONSOLE_TEST_BIN runs another build (the release binary, for the load figures).
    let binary = std::env::var_os("SECRETS_CONSOLE_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_secrets-console").into());
    let mut command = Command::new(binary);
    command
        .arg("--listen")
        .arg(options.listen.unwrap_or("127.0.0.1:0"))
        .arg("--log-format")
        .arg("json")
        .arg("--data-dir")
        .arg(data_dir)
        .args(&options.args);
    if !options.database_url.is_empty() {
        command.arg("--database-url").arg(options.database_url);
    }
    command
        .env_remove("LEPTOS_SITE_ADDR")
        .env_remove("DATABASE_URL")
        .env("SECRETS_CONSOLE_LOG", "info,tower_http=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in &options.env {
        command.env(key, value);
    }
    command.spawn().expect("spawn secrets-console")
}

fn collect_lines(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<Vec<String>>>,
    addr_tx: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(tx) = &addr_tx
                && let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
                && json["message"] == "listening"
                && let Some(addr) = json["addr"].as_str()
            {
                let _ = tx.send(addr.to_owned());
            }
            output.lock().unwrap().push(line);
        }
    })
}

/// Polls `url` until it answers `status`, at most `limit`. Returns whether it did.
pub async fn wait_for_status(
    client: &reqwest::Client,
    url: &str,
    status: u16,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(response) = client.get(url).send().await
            && response.status().as_u16() == status
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A TCP proxy in front of a database server, which a test can cut and restore.
pub struct CuttableProxy {
    /// The address clients connect to.
    pub addr: std::net::SocketAddr,
    state: Arc<Mutex<ProxyState>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    cut: bool,
    connections: Vec<JoinHandle<()>>,
}

impl CuttableProxy {
    /// Starts a proxy to `upstream`.
    pub async fn start(upstream: std::net::SocketAddr) -> CuttableProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let accept = tokio::spawn({
            let state = state.clone();
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if state.lock().unwrap().cut {
                        drop(inbound);
                        continue;
                    }
                    let task = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    state.lock().unwrap().connections.push(task);
                }
            }
        });
        CuttableProxy {
            addr,
            state,
            accept,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.cut = true;
        for task in state.connections.drain(..) {
            task.abort();
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.state.lock().unwrap().cut = false;
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// The host:port of a PostgreSQL URL.
pub fn postgres_addr(url: &str) -> std::net::SocketAddr {
    let after_at = url.split('@').next_back().unwrap();
    let host_port = after_at.split('/').next().unwrap();
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    host_port
        .replace("localhost", "127.0.0.1")
        .parse()
        .expect("host:port")
}

/// `url` with its host:port replaced by `addr`.
pub fn replace_host(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, after) = match rest.rsplit_once('@') {
        Some((userinfo, after)) => (Some(userinfo), after),
        None => (None, rest),
    };
    let path = after.find('/').map(|i| &after[i..]).unwrap_or("");
    match userinfo {
        Some(userinfo) => format!("{scheme}://{userinfo}@{addr}{path}"),
        None => format!("{scheme}://{addr}{path}"),
    }
}
