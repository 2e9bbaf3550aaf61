//! Typed configuration from flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

mod oidc_args;
mod sim_args;
pub use oidc_args::{OIDC_CLIENT_SECRET_ENV, OidcArgs, OidcSettings};
pub use sim_args::SimArgs;

/// Command line of the `secrets-console` binary. Every flag can also be set through the
/// environment variable named in `--help`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "secrets-console",
    version,
    about = "Manage the secrets Kubernetes workloads need, with live status.",
    long_about = "Serves the secrets-console web app. With no database configured it uses a \
                  SQLite file in the data directory; a DATABASE_URL starting with postgres:// \
                  selects PostgreSQL."
)]
pub struct Cli {
    /// What to do; without a command, serve the app.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address and port to listen on. cargo-leptos sets LEPTOS_SITE_ADDR.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory for the embedded database, keys and the simulated cluster's files.
    #[arg(
        long,
        global = true,
        env = "SECRETS_CONSOLE_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,

    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
    /// Default: a SQLite file `secrets-console.db` in the data directory.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log filter, as in RUST_LOG: a level (`info`) or directives (`secrets_console=debug,info`).
    #[arg(
        long,
        global = true,
        env = "SECRETS_CONSOLE_LOG",
        default_value = "info"
    )]
    pub log_level: String,

    /// Log line format.
    #[arg(long, global = true, env = "SECRETS_CONSOLE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Directory holding the built site (the `pkg/` JS, WASM and CSS). cargo-leptos sets it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Sub-directory of the site root that holds the JS, WASM and CSS bundle.
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,

    /// File holding the master key that wraps every secret's data key (base64, 32 bytes).
    /// Created with mode 0600 on first run. Ignored when SECRETS_CONSOLE_MASTER_KEY is set.
    /// Default: `master.key` in the data directory.
    #[arg(long, global = true, env = "SECRETS_CONSOLE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// Demo mode: seed the demo organization (users admin@example.com and dev@example.com,
    /// projects, secrets) into an empty database and run its simulated clusters. Default: on
    /// only for the embedded default (no --database-url) listening on a loopback address; off
    /// otherwise. On a non-loopback address it needs a --demo-password other than the published
    /// one.
    #[arg(long, env = "SECRETS_CONSOLE_DEMO")]
    pub demo: Option<bool>,

    /// Run the built-in simulated clusters (state and kubeconfig under `<data dir>/sim/`) even
    /// without demo mode. Default: with demo mode only.
    #[arg(long, env = "SECRETS_CONSOLE_SIMULATED_CLUSTERS")]
    pub simulated_clusters: Option<bool>,

    /// Password of the demo users. The published default is refused on a non-loopback
    /// address.
    #[arg(
        long,
        env = "DEMO_PASSWORD",
        default_value = PUBLISHED_DEMO_PASSWORD,
        hide_env_values = true
    )]
    pub demo_password: String,

    /// Mark cookies Secure and use the `__Host-` prefix. Turn on whenever the app is served over
    /// HTTPS (directly or behind a TLS-terminating proxy).
    #[arg(long, env = "SECRETS_CONSOLE_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Sign a user out after this long without a request (Go duration syntax: 30m, 1h30m). The
    /// session is written back at most once a minute (a tenth of this, if shorter), so it may
    /// end up to that much sooner.
    #[arg(long, env = "SECRETS_CONSOLE_SESSION_IDLE", default_value = "30m", value_parser = crate::domain::duration::parse_positive)]
    pub session_idle: Duration,

    /// Sign a user out this long after sign-in, however active (Go duration syntax).
    #[arg(long, env = "SECRETS_CONSOLE_SESSION_LIFETIME", default_value = "12h", value_parser = crate::domain::duration::parse_positive)]
    pub session_lifetime: Duration,

    /// Seconds to let in-flight requests finish after SIGTERM or SIGINT before exiting anyway.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 4
    )]
    pub shutdown_grace_seconds: u32,

    /// How long an unassign or delete may wait for the object to leave the cluster (a
    /// finalizer nobody removes, say) before it shows DeleteFailed (Go duration syntax).
    #[arg(long, env = "SECRETS_CONSOLE_DELETE_DEADLINE", default_value = "2m", value_parser = crate::domain::duration::parse_positive)]
    pub delete_deadline: Duration,

    /// Secret names nobody may create (comma-separated; `*` matches any run of characters):
    /// objects that belong to Kubernetes or another tool by convention.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_PROTECTED_NAMES",
        default_value = crate::server::secrets::protected::DEFAULT,
        value_parser = crate::server::secrets::protected::ProtectedNames::parse
    )]
    pub protected_names: crate::server::secrets::protected::ProtectedNames,

    /// A kubeconfig whose every context is a cluster to manage, named after the context
    /// (besides the built-in simulated clusters of the embedded default).
    #[arg(
        long = "kubeconfig",
        env = "SECRETS_CONSOLE_KUBECONFIG",
        value_name = "PATH"
    )]
    pub kubeconfig: Option<PathBuf>,

    /// Client addresses (CIDRs, comma-separated) of reverse proxies whose `X-Forwarded-For` is
    /// believed: the client address used for sign-in throttling and the audit is the last one
    /// in that header not in these ranges. Default: none (the TCP peer is the client).
    #[arg(
        long,
        env = "SECRETS_CONSOLE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = crate::server::net::Cidr::parse
    )]
    pub trusted_proxies: Vec<crate::server::net::Cidr>,

    /// Host names (comma-separated, without port) the app answers to; any other `Host` is
    /// refused with 421 (DNS rebinding). Default: the --listen address, `localhost` and the
    /// loopback addresses. Behind an ingress, name its host here.
    #[arg(long, env = "SECRETS_CONSOLE_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// A second address serving only `/metrics` (and the health endpoints), for Prometheus.
    /// Without it, `/metrics` on the main address needs a signed-in admin.
    #[arg(long, env = "SECRETS_CONSOLE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// How many password checks may run at once (argon2 takes about 19 MiB each); further
    /// sign-ins wait, and after 5 s get 503 with Retry-After.
    #[arg(long, env = "SECRETS_CONSOLE_PASSWORD_CHECKS", default_value_t = 2)]
    pub password_checks: u32,

    /// How often each cluster's API server is probed for the reachability shown on the
    /// Projects page (Go duration syntax).
    #[arg(long, env = "SECRETS_CONSOLE_CLUSTER_PROBE_INTERVAL", default_value = "10s", value_parser = crate::domain::duration::parse_positive)]
    pub cluster_probe_interval: Duration,

    /// Shortest refresh interval an External secret may have (Go duration syntax): ESO
    /// re-reads the shared store on every refresh. 0s (no periodic refresh) stays allowed.
    #[arg(long, env = "SECRETS_CONSOLE_MIN_REFRESH_INTERVAL", default_value = "1m", value_parser = crate::domain::duration::parse_positive)]
    pub min_refresh_interval: Duration,

    /// How long after one user's Sync now of a secret the next one of the same secret by the
    /// same user is refused (Go duration syntax): each is a read of the shared store.
    #[arg(long, env = "SECRETS_CONSOLE_SYNC_NOW_COOLDOWN", default_value = "10s", value_parser = crate::domain::duration::parse_positive)]
    pub sync_now_cooldown: Duration,

    /// Single sign-on through an OpenID Connect provider, and local accounts beside it.
    #[command(flatten)]
    pub oidc: OidcArgs,
}

/// Commands other than serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Re-wrap every stored data key with a new master key. With a key file, generates the new
    /// key, keeps the old one as `<file>.previous` (so running replicas and rows they write
    /// meanwhile stay readable) and installs the new one. With SECRETS_CONSOLE_MASTER_KEY, re-wraps
    /// under that key, unwrapping with SECRETS_CONSOLE_MASTER_KEY_PREVIOUS. Safe to run again.
    RotateMasterKey,
    /// Run only the simulated Kubernetes cluster(s) (API server plus the External Secrets
    /// controller with its fake provider), and write a kubeconfig any client can use.
    Sim(SimArgs),
    /// Measure what users feel, each figure beside a baseline from the same run, and print a
    /// table (needs the release site, wrk, and node with Playwright and Chromium for the live
    /// badge figure; scripts/bench.sh runs it).
    Bench(BenchArgs),
    /// Create an administrator account (the first one, on a database without the demo). The
    /// password is read from SECRETS_CONSOLE_ADMIN_PASSWORD, or else from the first line of
    /// standard input; never from a flag (command lines are visible to every local user).
    CreateAdmin {
        /// The administrator's email address (the sign-in name).
        #[arg(long)]
        email: String,
    },
}

/// Options of `secrets-console bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// A short run for CI: less data, seconds instead of tens of seconds; goals are shown but
    /// a miss does not fail.
    #[arg(long)]
    pub smoke: bool,
    /// The built site (JS, WASM, CSS) the first-load figure weighs.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Also write the table as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Only these figures (numbers, comma-separated: `--only 3,6`); all by default.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<u8>,
    /// The Playwright directory (with its node_modules) whose `bench/badge-latency.mjs` drives
    /// Chromium for the live badge figure.
    #[arg(long, default_value = "end2end")]
    pub end2end: PathBuf,
    /// Keep each app's log (at `info`) in this directory, one file per app the run starts
    /// (`cluster.log`, `page.log`, …); by default the apps log only warnings, and nowhere.
    #[arg(long)]
    pub app_logs: Option<PathBuf>,
}

/// Environment variable holding the password of `create-admin`.
pub const ADMIN_PASSWORD_ENV: &str = "SECRETS_CONSOLE_ADMIN_PASSWORD";

/// Where the master key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// A file (created on first run).
    File(PathBuf),
    /// The SECRETS_CONSOLE_MASTER_KEY environment variable (and optionally
    /// SECRETS_CONSOLE_MASTER_KEY_PREVIOUS for rotation).
    Environment,
}

/// Parses a positive Go-syntax duration for a flag.
/// How log lines are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Environment variable holding the master key itself (base64). Never a flag: command lines
/// are visible to every user of the machine.
pub const MASTER_KEY_ENV: &str = "SECRETS_CONSOLE_MASTER_KEY";
/// Environment variable holding the previous master key during a rotation.
pub const PREVIOUS_MASTER_KEY_ENV: &str = "SECRETS_CONSOLE_MASTER_KEY_PREVIOUS";

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The data directory (created if missing).
    pub data_dir: PathBuf,
    /// The database URL, defaulted to the SQLite file in the data directory.
    pub database_url: DatabaseUrl,
    /// Log filter directives.
    pub log_level: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Built site root.
    pub site_root: PathBuf,
    /// Bundle directory under the site root.
    pub site_pkg_dir: String,
    /// Secure, `__Host-` cookies.
    pub secure_cookies: bool,
    /// Idle session timeout.
    pub session_idle: Duration,
    /// Absolute session timeout.
    pub session_lifetime: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// How long a delete may take in the cluster before it is DeleteFailed.
    pub delete_deadline: Duration,
    /// Secret names nobody may create.
    pub protected_names: crate::server::secrets::protected::ProtectedNames,
    /// Clusters to manage besides the simulated ones: every context of this kubeconfig.
    pub kubeconfig: Option<PathBuf>,
    /// How often cluster API servers are probed.
    pub cluster_probe_interval: Duration,
    /// Shortest refresh interval of an External secret (0s aside).
    pub min_refresh_interval: Duration,
    /// Time between two Sync nows of one secret by one user.
    pub sync_now_cooldown: Duration,
    /// Where the master key comes from.
    pub master_key: MasterKeySource,
    /// Demo mode: seed the demo organization into an empty database.
    pub demo: bool,
    /// Run the built-in simulated clusters.
    pub simulated_clusters: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<crate::server::net::Cidr>,
    /// Host names the app answers to (lowercase, without port).
    pub allowed_hosts: Vec<String>,
    /// The separate metrics address, if any.
    pub metrics_listen: Option<SocketAddr>,
    /// Password checks at once.
    pub password_checks: u32,
    /// The demo users' password.
    pub demo_password: String,
    /// Single sign-on options, checked at start-up (`OidcArgs::settings`).
    pub oidc: OidcArgs,
}

impl Config {
    /// Resolves defaults that depend on other options.
    pub fn from_cli(cli: Cli) -> Self {
        // Must not move `data_dir` before the master key path is derived from it.
        let data_dir = cli.data_dir.clone();
        let embedded_default = cli
            .database_url
            .as_deref()
            .is_none_or(|url| url.trim().is_empty());
        // The demo's password is published: only where nobody else can reach it, unless asked.
        let demo = cli
            .demo
            .unwrap_or(embedded_default && cli.listen.ip().is_loopback());
        let database_url = match cli.database_url.filter(|url| !url.trim().is_empty()) {
            Some(url) => DatabaseUrl::new(url),
            None => DatabaseUrl::sqlite_file(&cli.data_dir.join("secrets-console.db")),
        };
        Config {
            listen: cli.listen,
            data_dir,
            database_url,
            log_level: cli.log_level,
            log_format: cli.log_format,
            site_root: cli.site_root,
            site_pkg_dir: cli.site_pkg_dir,
            secure_cookies: cli.secure_cookies,
            session_idle: cli.session_idle,
            session_lifetime: cli.session_lifetime,
            delete_deadline: cli.delete_deadline,
            protected_names: cli.protected_names,
            kubeconfig: cli.kubeconfig,
            cluster_probe_interval: cli.cluster_probe_interval,
            min_refresh_interval: cli.min_refresh_interval,
            sync_now_cooldown: cli.sync_now_cooldown,
            shutdown_grace: Duration::from_secs(u64::from(cli.shutdown_grace_seconds)),
            demo,
            simulated_clusters: cli.simulated_clusters.unwrap_or(demo),
            demo_password: cli.demo_password,
            oidc: cli.oidc,
            trusted_proxies: cli.trusted_proxies,
            allowed_hosts: allowed_hosts(&cli.allowed_hosts, cli.listen),
            metrics_listen: cli.metrics_listen,
            password_checks: cli.password_checks.max(1),
            master_key: if std::env::var_os(MASTER_KEY_ENV).is_some_and(|v| !v.is_empty()) {
                MasterKeySource::Environment
            } else {
                MasterKeySource::File(
                    cli.master_key_file
                        .unwrap_or_else(|| cli.data_dir.join("master.key")),
                )
            },
        }
    }
}

/// The published password of the demo users.
pub const PUBLISHED_DEMO_PASSWORD: &str = "demo-password";

impl Config {
    /// Refuses a configuration that would hand the console to whoever reaches it: demo mode
    /// with the published password on an address other than loopback.
    pub fn check_safe(&self) -> Result<(), String> {
        if self.demo
            && !self.listen.ip().is_loopback()
            && self.demo_password == PUBLISHED_DEMO_PASSWORD
        {
            return Err(format!(
                "refusing to start: demo mode on {} (not loopback) with the published demo \
                 password; set --demo-password (DEMO_PASSWORD) to a password of your own, or \
                 turn demo mode off with --demo false",
                self.listen
            ));
        }
        Ok(())
    }
}

/// The hosts the app answers to: those given, or the listen address, `localhost` and the
/// loopback addresses.
fn allowed_hosts(given: &[String], listen: SocketAddr) -> Vec<String> {
    let given: Vec<String> = given
        .iter()
        // As the Host header is read (`net::host_name`), so the two compare.
        .map(|h| crate::server::net::host_name(h))
        .filter(|h| !h.is_empty())
        .collect();
    if !given.is_empty() {
        return given;
    }
    let mut hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "[::1]".to_owned(),
    ];
    if !listen.ip().is_unspecified() && !listen.ip().is_loopback() {
        hosts.push(match listen.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        });
    }
    hosts
}

/// A database URL. Its `Debug` and `Display` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL given on the command line or in the environment.
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    /// The URL of a SQLite file, created on first use.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        DatabaseUrl(format!("sqlite://{}?mode=rwc", path.display()))
    }

    /// The full URL, password included: only for the driver.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for `postgres://` and `postgresql://` URLs.
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// True for `sqlite:` URLs.
    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The path of a SQLite database file, if this is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .0
            .strip_prefix("sqlite://")
            .or_else(|| self.0.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The URL with any password replaced by `***`, safe to log.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        let Some((userinfo, host)) = rest.rsplit_once('@') else {
            return self.0.clone();
        };
        match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => self.0.clone(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_defaults_to_a_sqlite_file_in_the_data_dir() {
        let cli = Cli::try_parse_from(["secrets-console", "--data-dir", "/tmp/x"]).unwrap();
        let config = Config::from_cli(cli);
        assert!(config.database_url.is_sqlite());
        assert_eq!(
            config.database_url.sqlite_path(),
            Some(PathBuf::from("/tmp/x/secrets-console.db"))
        );
    }

    #[test]
    fn demo_data_is_on_for_the_embedded_default_only() {
        let embedded = Config::from_cli(Cli::try_parse_from(["secrets-console"]).unwrap());
        assert!(embedded.demo);
        let production = Config::from_cli(
            Cli::try_parse_from(["secrets-console", "--database-url", "postgres://db/console"])
                .unwrap(),
        );
        assert!(!production.demo);
        let forced = Config::from_cli(
            Cli::try_parse_from([
                "secrets-console",
                "--database-url",
                "postgres://db/c",
                "--demo",
                "true",
            ])
            .unwrap(),
        );
        assert!(forced.demo);
    }

    #[test]
    fn demo_mode_is_off_by_default_when_listening_beyond_loopback() {
        let cli = |args: &[&str]| {
            Config::from_cli(
                Cli::try_parse_from(std::iter::once("secrets-console").chain(args.iter().copied()))
                    .unwrap(),
            )
        };
        let open = cli(&["--listen", "0.0.0.0:3000"]);
        assert!(!open.demo);
        assert!(!open.simulated_clusters);
        assert_eq!(open.check_safe(), Ok(()));
        let asked = cli(&["--listen", "0.0.0.0:3000", "--demo", "true"]);
        assert!(asked.demo);
        let refusal = asked.check_safe().unwrap_err();
        assert!(refusal.contains("--demo-password"), "{refusal}");
        let own_password = cli(&[
            "--listen",
            "0.0.0.0:3000",
            "--demo",
            "true",
            "--demo-password",
            "a-password-of-our-own",
        ]);
        assert_eq!(own_password.check_safe(), Ok(()));
        // On loopback the demo and its simulated clusters are the embedded default.
        let local = cli(&[]);
        assert!(local.demo && local.simulated_clusters);
        assert_eq!(local.check_safe(), Ok(()));
    }

    #[test]
    fn allowed_hosts_default_to_the_listen_address_and_loopback_names() {
        let config = |args: &[&str]| {
            Config::from_cli(
                Cli::try_parse_from(std::iter::once("secrets-console").chain(args.iter().copied()))
                    .unwrap(),
            )
            .allowed_hosts
        };
        assert_eq!(config(&[]), ["localhost", "127.0.0.1", "[::1]"]);
        assert!(config(&["--listen", "192.0.2.4:80"]).contains(&"192.0.2.4".to_owned()));
        assert_eq!(
            config(&["--allowed-hosts", "Console.Example.com,localhost"]),
            ["console.example.com", "localhost"]
        );
        let proxies = Cli::try_parse_from([
            "secrets-console",
            "--trusted-proxies",
            "10.0.0.0/8,192.168.1.1",
        ])
        .unwrap()
        .trusted_proxies;
        assert_eq!(proxies.len(), 2);
        assert!(Cli::try_parse_from(["secrets-console", "--trusted-proxies", "ingress"]).is_err());
    }

    #[test]
    fn postgres_url_selects_postgres() {
        let url = DatabaseUrl("postgres://app:pw@db:5432/console".into());
        assert!(url.is_postgres());
        assert!(!url.is_sqlite());
    }

    #[test]
    fn database_url_never_shows_its_password() {
        let url = DatabaseUrl("postgres://app:hunter2@db:5432/console".into());
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/console");
        assert!(!format!("{url:?} {url}").contains("hunter2"));
    }

    #[test]
    fn session_timeouts_take_go_durations() {
        let config = Config::from_cli(Cli::try_parse_from(["secrets-console"]).unwrap());
        assert_eq!(config.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(config.session_lifetime, Duration::from_secs(12 * 3600));
        let cli = Cli::try_parse_from([
            "secrets-console",
            "--session-idle",
            "1h30m",
            "--session-lifetime",
            "2s",
        ])
        .unwrap();
        assert_eq!(cli.session_idle, Duration::from_secs(90 * 60));
        assert_eq!(cli.session_lifetime, Duration::from_secs(2));
        let error = Cli::try_parse_from(["secrets-console", "--session-idle", "soon"]).unwrap_err();
        assert!(error.to_string().contains("--session-idle"), "{error}");
        assert!(Cli::try_parse_from(["secrets-console", "--session-idle", "0s"]).is_err());
    }

    #[test]
    fn listen_address_defaults_to_loopback_3000() {
        let cli = Cli::try_parse_from(["secrets-console"]).unwrap();
        assert_eq!(cli.listen.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn refresh_and_sync_now_limits_default_to_one_minute_and_ten_seconds() {
        let config = Config::from_cli(Cli::try_parse_from(["secrets-console"]).unwrap());
        assert_eq!(config.min_refresh_interval, Duration::from_secs(60));
        assert_eq!(
            config.min_refresh_interval,
            crate::domain::validation::DEFAULT_MIN_REFRESH_INTERVAL,
            "the browser checks against the default"
        );
        assert_eq!(config.sync_now_cooldown, Duration::from_secs(10));
        let cli = Cli::try_parse_from([
            "secrets-console",
            "--min-refresh-interval",
            "5m",
            "--sync-now-cooldown",
            "500ms",
        ])
        .unwrap();
        assert_eq!(cli.min_refresh_interval, Duration::from_secs(300));
        assert_eq!(cli.sync_now_cooldown, Duration::from_millis(500));
        assert!(
            Cli::try_parse_from(["secrets-console", "--min-refresh-interval", "soon"]).is_err()
        );
    }
}
