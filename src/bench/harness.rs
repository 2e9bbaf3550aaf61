//! What every figure of the bench uses: the table's lines, the scale, seeded data, the app as
//! a child process, a bare HTTP/1.1 client, and wrk.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::server::config::DatabaseUrl;
use crate::server::db::Db;
use crate::server::projects::{Connection, create_project, ensure_cluster};

/// One line of the table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figure {
    /// What is measured.
    pub name: String,
    /// The measured value, in `unit`.
    pub value: f64,
    /// The same thing measured for the baseline, if there is one.
    pub baseline: Option<f64>,
    /// Unit of `value` and `baseline`.
    pub unit: &'static str,
    /// The goal, in words (`≤ 100 MB`).
    pub goal: String,
    /// Whether the goal is met.
    pub met: bool,
    /// How it was measured, and against what.
    pub note: String,
}

/// How much data and load.
pub(crate) struct Scale {
    pub(crate) big_secrets: i64,
    pub(crate) big_per_secret: i64,
    pub(crate) page_secrets: i64,
    pub(crate) page_projects: i64,
    pub(crate) page_assignments_per_secret: i64,
    pub(crate) load_seconds: u64,
    /// Projects (namespaces) of the cluster figures: the fan-out's width.
    pub(crate) projects: usize,
    /// Status changes timed in the browser.
    pub(crate) badge_changes: usize,
    /// Changes queued during the outage (a multiple of `projects`).
    pub(crate) recovery_changes: usize,
    /// How long the cluster is unreachable.
    pub(crate) outage: Duration,
}

impl Scale {
    pub(crate) const FULL: Scale = Scale {
        big_secrets: 10_000,
        big_per_secret: 5,
        page_secrets: 1_000,
        page_projects: 200,
        page_assignments_per_secret: 5,
        load_seconds: 10,
        projects: 500,
        badge_changes: 100,
        recovery_changes: 1_000,
        outage: Duration::from_secs(60),
    };
    pub(crate) const SMOKE: Scale = Scale {
        big_secrets: 500,
        big_per_secret: 5,
        page_secrets: 200,
        page_projects: 40,
        page_assignments_per_secret: 5,
        load_seconds: 2,
        projects: 20,
        badge_changes: 6,
        recovery_changes: 40,
        outage: Duration::from_secs(3),
    };
}

/// Seeds `secrets` organization secrets over `projects` projects, `per_secret` assignments
/// each (all Synced), in a few multi-row statements; returns the project ids. Also used by the
/// query-budget test.
pub async fn seed(
    db: &Db,
    secrets: i64,
    projects: i64,
    per_secret: i64,
) -> anyhow::Result<Vec<i64>> {
    let cluster = ensure_cluster(db, "aws-dev", Connection::Simulated, None).await?;
    let mut ids = Vec::new();
    for p in 0..projects {
        ids.push(
            create_project(
                db,
                &format!("project-{p:03}"),
                cluster,
                &format!("ns-{p:03}"),
            )
            .await?,
        );
    }
    let spec = r#"{"kind":"External","store":"vault","refresh_interval":"1h0m0s","data":[{"secret_key":"token","remote_key":"k","property":null,"version":null}]}"#;
    let statuses = ["Synced", "Pending", "SyncedError", "PartiallySynced"];
    let mut tx = db.pool().begin().await?;
    for chunk in (0..secrets).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('secret-{i:05}', 'External', 'Organization', NULL, 'Generic', 'seeded', '{spec}', 1, '{}', FALSE, 'seed', {i}, 'seed', {i})",
                    statuses[(*i % 4) as usize]
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO secrets (name, kind, scope, project_id, use_case, description, spec, version, status, deleting, \
             created_by, created_at, updated_by, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(&mut *tx)
        .await?;
    }
    let secret_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM secrets ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    let pairs: Vec<(i64, i64)> = secret_ids
        .iter()
        .enumerate()
        .flat_map(|(n, id)| {
            let ids = &ids;
            (0..per_secret).map(move |k| {
                let n = i64::try_from(n).unwrap_or(0);
                (
                    *id,
                    ids[usize::try_from((n * 7 + k * 31) % projects).unwrap_or(0)],
                )
            })
        })
        .collect();
    for chunk in pairs.chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|(secret, project)| format!("({secret}, {project}, 'Synced', NULL, 1, 1)"))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO assignments (secret_id, project_id, status, reason, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// How much data a server starts with: secrets, projects, assignments per secret.
pub(crate) type Data = (i64, i64, i64);

pub(crate) const ADMIN: &str = "bench@example.com";
pub(crate) const PASSWORD: &str = "bench-password-not-secret";

/// The app as a child process on a free port (no demo, no simulated clusters), on a fresh
/// SQLite database of its own with an admin to sign in as; the directory goes with it.
pub(crate) struct Server {
    pub(crate) child: tokio::process::Child,
    pub(crate) base: String,
    pub(crate) started: Duration,
    pub(crate) dir: PathBuf,
    pub(crate) database_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Seeds `data` (none: an empty database), then starts the app on it.
    pub(crate) async fn start(
        name: &str,
        data: Option<Data>,
        site_root: &Path,
    ) -> anyhow::Result<Server> {
        Server::start_with(name, site_root, async |db: &Db, _dir: &Path| {
            if let Some((secrets, projects, per_secret)) = data {
                seed(db, secrets, projects, per_secret).await?;
            }
            Ok(Vec::new())
        })
        .await
    }

    /// Makes a fresh database with the bench admin, lets `prepare` add to it (and to the
    /// directory), then starts the app on it with the extra arguments `prepare` returns.
    pub(crate) async fn start_with(
        name: &str,
        site_root: &Path,
        prepare: impl AsyncFnOnce(&Db, &Path) -> anyhow::Result<Vec<std::ffi::OsString>>,
    ) -> anyhow::Result<Server> {
        let dir = tempfile_dir(name)?;
        let database_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
        let db = Db::connect(&DatabaseUrl::new(database_url.clone())).await?;
        db.migrate().await?;
        crate::server::auth::users::create_user(&db, None, ADMIN, PASSWORD, true).await?;
        let extra = prepare(&db, &dir).await?;
        db.close().await;
        let port = free_port()?;
        // The app logs to standard output; both streams go to the log file when kept.
        let (log_level, out, err) = match APP_LOGS.get() {
            Some(dir) => {
                let path = dir.join(format!("{name}.log"));
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let copy = file.try_clone()?;
                ("info", Stdio::from(file), Stdio::from(copy))
            }
            None => ("warn", Stdio::null(), Stdio::null()),
        };
        let began = Instant::now();
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &database_url,
            ])
            .arg("--data-dir")
            .arg(&dir)
            .arg("--site-root")
            .arg(site_root)
            // The seeded clusters are simulated ones: run them, as the demo would.
            .args([
                "--demo",
                "false",
                "--simulated-clusters",
                "true",
                "--log-level",
                log_level,
            ])
            .args(extra)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the app")?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = began + Duration::from_secs(60);
        loop {
            if http_get(&format!("{base}/readyz"), None)
                .await
                .is_ok_and(|a| a.status == 200)
            {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!(
                    "the app ({name}) exited before it was ready ({status}); `--app-logs DIR` keeps its log"
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the app ({name}) did not answer /readyz within 60 s; `--app-logs DIR` keeps its log"
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Server {
            child,
            base,
            started: began.elapsed(),
            dir,
            database_url,
        })
    }

    /// Resident memory now, in MB.
    pub(crate) fn rss_mb(&self) -> anyhow::Result<f64> {
        let pid = self.child.id().context("the app exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")?;
        Ok(kb / 1024.0)
    }
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// An answer to [`http_get`].
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: Vec<u8>,
}

/// GET `url` (`http://host:port/path`) with an optional Cookie header; the whole answer. (A
/// bare HTTP/1.1 client: the server's build has no client library.)
pub(crate) async fn http_get(url: &str, cookie: Option<&str>) -> anyhow::Result<Answer> {
    request_with("GET", url, cookie, None, "identity").await
}

/// A request with an optional Cookie header and body (its content type, its text).
pub(crate) async fn request(
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<(&str, &str)>,
) -> anyhow::Result<Answer> {
    request_with(method, url, cookie, body, "identity").await
}

/// [`request`] accepting the given content encodings (`identity`, `gzip`, `br`); the body is
/// left as it came over the wire.
pub(crate) async fn request_with(
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<(&str, &str)>,
    encoding: &str,
) -> anyhow::Result<Answer> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").context("http:// only")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    // A page is asked for as a browser does; a server function as the app's own code calls it
    // (with any other Accept it answers a form post with a redirect).
    let accept = if method == "GET" {
        "text/html"
    } else {
        "application/json"
    };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: {accept}\r\n\
         Accept-Encoding: {encoding}\r\n"
    );
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some((content_type, body)) = body {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if let Some((_, body)) = body {
        stream.write_all(body.as_bytes()).await?;
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no header end")?;
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

pub(crate) fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(raw.len());
        out.extend_from_slice(&raw[start..end]);
        raw = raw.get(end + 2..).unwrap_or_default();
    }
    out
}

/// The content type of a server function's form arguments.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// Signs in as the bench admin; the session cookie.
pub(crate) async fn sign_in(base: &str) -> anyhow::Result<String> {
    let form = format!("email={}&password={}", ADMIN.replace('@', "%40"), PASSWORD);
    let answer = request(
        "POST",
        &format!("{base}/api/login"),
        None,
        Some((FORM, &form)),
    )
    .await?;
    answer
        .headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| {
            value
                .trim()
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .next()
        .context("sign-in gave no session cookie")
}

/// Where `--app-logs` asked the apps' logs to go; set once, before any app starts.
static APP_LOGS: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Keeps the log of every app started from now on in `dir`.
pub(crate) fn keep_app_logs_in(dir: PathBuf) {
    let _ = APP_LOGS.set(dir);
}

pub(crate) fn tempfile_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "secrets-console-bench-{}-{name}",
        std::process::id()
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) struct WrkResult {
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

pub(crate) async fn wrk(
    url: &str,
    cookie: Option<&str>,
    seconds: u64,
) -> anyhow::Result<WrkResult> {
    let mut command = tokio::process::Command::new("wrk");
    command.args(["-t2", "-c16", &format!("-d{seconds}s"), "--latency"]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    command.args(["-H", "Accept: text/html"]).arg(url);
    let output = command
        .output()
        .await
        .context("wrk is not installed (scripts/setup.sh bench)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("wrk saw non-2xx answers from {url}:\n{text}");
    }
    let number = |line_start: &str| -> Option<f64> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.split_whitespace().last())
            .and_then(parse_duration_ms_or_number)
    };
    Ok(WrkResult {
        rps: number("Requests/sec:").context("wrk printed no Requests/sec")?,
        p50_ms: number("50%").context("wrk printed no 50%")?,
        p99_ms: number("99%").context("wrk printed no 99%")?,
    })
}

/// wrk's `1.23ms`, `456.00us`, `1.20s`, or a plain number.
pub(crate) fn parse_duration_ms_or_number(text: &str) -> Option<f64> {
    for (suffix, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] {
        if let Some(n) = text.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse().ok()
}
