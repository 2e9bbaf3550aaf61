//! `secrets-console bench`: measures what users feel, each figure beside a baseline measured in
//! the same run on the same machine, and prints one table (figure, value, baseline, ratio,
//! goal, met?). `scripts/bench.sh` runs it on the release build; `--smoke` is the short run the
//! test command makes (smaller data, shorter load, goals not enforced). `docs/benchmarks.md`
//! explains each figure and records a run.
//!
//! Figures 5 (start and memory), 4 (first load) and 2 (the Secrets page under load) are
//! measured here; 1 (live badge latency), 3 (fan-out) and 6 (recovery), which need a cluster,
//! in [`cluster`].

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::server::config::DatabaseUrl;
use crate::server::db::Db;
use crate::server::projects::{Connection, create_project, ensure_cluster};

mod cluster;

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
}

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

/// Runs the figures asked for (all by default) and prints the table.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let scale = if args.smoke {
        Scale::SMOKE
    } else {
        Scale::FULL
    };
    let wanted = |figure: u8| args.only.is_empty() || args.only.contains(&figure);
    let mut figures = Vec::new();
    if wanted(5) {
        figures.extend(start_and_memory(&scale, &args.site_root).await?);
    }
    if wanted(4) || wanted(2) {
        figures.extend(first_load_and_page(&scale, &args.site_root).await?);
    }
    if wanted(1) || wanted(3) || wanted(6) {
        let platform = cluster::Platform::start(scale.projects, &args.site_root).await?;
        if wanted(1) {
            figures.push(cluster::badge_latency(&platform, &scale, &args.end2end).await?);
        }
        if wanted(3) {
            figures.push(cluster::fan_out(&platform).await?);
        }
        if wanted(6) {
            figures.push(cluster::recovery(&platform, &scale).await?);
        }
    }
    figures.sort_by(|a, b| a.name.cmp(&b.name));
    print_table(&figures, args.smoke);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&figures)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let missed: Vec<&str> = figures
        .iter()
        .filter(|f| !f.met)
        .map(|f| f.name.as_str())
        .collect();
    if !args.smoke && !missed.is_empty() {
        println!("goals missed: {}", missed.join(", "));
    }
    Ok(())
}

/// How much data and load.
struct Scale {
    big_secrets: i64,
    big_per_secret: i64,
    page_secrets: i64,
    page_projects: i64,
    page_assignments_per_secret: i64,
    load_seconds: u64,
    /// Projects (namespaces) of the cluster figures: the fan-out's width.
    projects: usize,
    /// Status changes timed in the browser.
    badge_changes: usize,
    /// Changes queued during the outage (a multiple of `projects`).
    recovery_changes: usize,
    /// How long the cluster is unreachable.
    outage: Duration,
}

impl Scale {
    const FULL: Scale = Scale {
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
    const SMOKE: Scale = Scale {
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

fn print_table(figures: &[Figure], smoke: bool) {
    println!(
        "\n{:<44} {:>12} {:>12} {:>7}  {:<18} met",
        "figure", "value", "baseline", "ratio", "goal"
    );
    for f in figures {
        let baseline = f
            .baseline
            .map_or_else(|| "—".to_owned(), |b| format!("{b:.1}"));
        let ratio = f
            .baseline
            .filter(|b| *b != 0.0)
            .map_or_else(|| "—".to_owned(), |b| format!("{:.3}", f.value / b));
        println!(
            "{:<44} {:>12} {:>12} {:>7}  {:<18} {}",
            format!("{} ({})", f.name, f.unit),
            format!("{:.1}", f.value),
            baseline,
            ratio,
            f.goal,
            if f.met { "yes" } else { "NO" }
        );
    }
    for f in figures {
        println!("  {}: {}", f.name, f.note);
    }
    if smoke {
        println!("(smoke run: small data, short load; the figures are not the recorded ones)");
    }
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
type Data = (i64, i64, i64);

const ADMIN: &str = "bench@example.com";
const PASSWORD: &str = "bench-password-not-secret";

/// The app as a child process on a free port (no demo, no simulated clusters), on a fresh
/// SQLite database of its own with an admin to sign in as; the directory goes with it.
struct Server {
    child: tokio::process::Child,
    base: String,
    started: Duration,
    dir: PathBuf,
    database_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Seeds `data` (none: an empty database), then starts the app on it.
    async fn start(name: &str, data: Option<Data>, site_root: &Path) -> anyhow::Result<Server> {
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
    async fn start_with(
        name: &str,
        site_root: &Path,
        prepare: impl AsyncFnOnce(&Db, &Path) -> anyhow::Result<Vec<std::ffi::OsString>>,
    ) -> anyhow::Result<Server> {
        let dir = tempfile_dir(name)?;
        let database_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
        let db = Db::connect(&DatabaseUrl::new(database_url.clone())).await?;
        db.migrate().await?;
        crate::server::auth::users::create_user(&db, ADMIN, PASSWORD, true).await?;
        let extra = prepare(&db, &dir).await?;
        db.close().await;
        let port = free_port()?;
        let began = Instant::now();
        let child = tokio::process::Command::new(std::env::current_exe()?)
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
                "warn",
            ])
            .args(extra)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
            if Instant::now() > deadline {
                bail!("the app did not answer /readyz within 60 s");
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
    fn rss_mb(&self) -> anyhow::Result<f64> {
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

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// An answer to [`http_get`].
struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

/// GET `url` (`http://host:port/path`) with an optional Cookie header; the whole answer. (A
/// bare HTTP/1.1 client: the server's build has no client library.)
async fn http_get(url: &str, cookie: Option<&str>) -> anyhow::Result<Answer> {
    request_with("GET", url, cookie, None, "identity").await
}

/// A request with an optional Cookie header and body (its content type, its text).
async fn request(
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<(&str, &str)>,
) -> anyhow::Result<Answer> {
    request_with(method, url, cookie, body, "identity").await
}

/// [`request`] accepting the given content encodings (`identity`, `gzip`, `br`); the body is
/// left as it came over the wire.
async fn request_with(
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

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
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
const FORM: &str = "application/x-www-form-urlencoded";

/// Signs in as the bench admin; the session cookie.
async fn sign_in(base: &str) -> anyhow::Result<String> {
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

/// Figure 5: resident memory with the big data loaded and idle, and time from start to
/// `/readyz` 200; the baseline is the same binary on an empty database.
async fn start_and_memory(scale: &Scale, site_root: &Path) -> anyhow::Result<Vec<Figure>> {
    let empty = Server::start("empty", None, site_root).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (empty_rss, empty_start) = (empty.rss_mb()?, empty.started);
    drop(empty);

    let data = (scale.big_secrets, 200, scale.big_per_secret);
    let big = Server::start("big", Some(data), site_root).await?;
    // Loaded: the Secrets page once, as the first user would.
    let cookie = sign_in(&big.base).await?;
    http_get(&format!("{}/secrets", big.base), Some(&cookie)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss, started) = (big.rss_mb()?, big.started);
    drop(big);
    let data = format!(
        "{} secrets / {} assignments",
        scale.big_secrets,
        scale.big_secrets * scale.big_per_secret
    );
    Ok(vec![
        Figure {
            name: "5a RSS, loaded and idle".into(),
            value: rss,
            baseline: Some(empty_rss),
            unit: "MB",
            goal: "≤ 100 MB".into(),
            met: rss <= 100.0,
            note: format!("VmRSS 2 s after one Secrets page, {data}; baseline: an empty database"),
        },
        Figure {
            name: "5b start to /readyz 200".into(),
            value: started.as_secs_f64() * 1000.0,
            baseline: Some(empty_start.as_secs_f64() * 1000.0),
            unit: "ms",
            goal: "≤ 1000 ms".into(),
            met: started <= Duration::from_secs(1),
            note: format!(
                "spawn to the first 200, polled every 5 ms, {data}; baseline: an empty database"
            ),
        },
    ])
}

fn tempfile_dir(name: &str) -> anyhow::Result<PathBuf> {
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

/// Figures 4 and 2 on the page data (1,000 secrets, 200 projects, 5,000 assignments).
async fn first_load_and_page(scale: &Scale, site_root: &Path) -> anyhow::Result<Vec<Figure>> {
    let data = (
        scale.page_secrets,
        scale.page_projects,
        scale.page_assignments_per_secret,
    );
    let server = Server::start("page", Some(data), site_root).await?;
    let cookie = sign_in(&server.base).await?;
    let page_url = format!("{}/secrets?per_page=50", server.base);
    let page = http_get(&page_url, Some(&cookie)).await?;
    if page.status != 200 {
        bail!("the Secrets page answered {}", page.status);
    }
    let mut figures = first_load(&server.base, &cookie, "/secrets?per_page=50").await?;
    figures.push(page_under_load(&page_url, &cookie, &page.body, scale).await?);
    drop(server);
    Ok(figures)
}

/// Figure 4: the bytes a first visit to the Secrets page fetches (the page as served to the
/// signed-in admin, with its hydration data, then the JS, WASM and CSS it loads), as the app
/// serves them to a browser accepting gzip, then brotli; the baseline is the same without
/// compression. A file the server does not compress counts in full.
async fn first_load(base: &str, cookie: &str, page: &str) -> anyhow::Result<Vec<Figure>> {
    let parts = [
        ("HTML", page.to_owned()),
        ("JS", "/pkg/secrets-console.js".to_owned()),
        ("WASM", "/pkg/secrets-console.wasm".to_owned()),
        ("CSS", "/pkg/secrets-console.css".to_owned()),
    ];
    let (mut raw, mut gz, mut br, mut wasm) = (0, 0, 0, 0);
    let mut detail = Vec::new();
    for (name, path) in &parts {
        let mut sizes = Vec::new();
        for encoding in ["identity", "gzip", "br"] {
            let answer = request_with(
                "GET",
                &format!("{base}{path}"),
                Some(cookie),
                None,
                encoding,
            )
            .await?;
            if answer.status != 200 {
                bail!("{path} answered {}", answer.status);
            }
            sizes.push(answer.body.len());
        }
        detail.push(format!("{name} {} / {} / {}", sizes[0], sizes[1], sizes[2]));
        raw += sizes[0];
        gz += sizes[1];
        br += sizes[2];
        if *name == "WASM" {
            wasm = sizes[0];
        }
    }
    let kb = |n: usize| n as f64 / 1000.0;
    Ok(vec![
        Figure {
            name: "4a first load, gzip".into(),
            value: kb(gz),
            baseline: Some(kb(raw)),
            unit: "KB",
            goal: "≤ 250 KB".into(),
            met: gz <= 250_000,
            note: format!(
                "bytes served for HTML + JS + WASM + CSS, uncompressed / gzip / brotli: {}; \
                 baseline: uncompressed",
                detail.join(", ")
            ),
        },
        Figure {
            name: "4b first load, brotli".into(),
            value: kb(br),
            baseline: Some(kb(raw)),
            unit: "KB",
            goal: "—".into(),
            met: true,
            note: "the same, to a browser accepting brotli; baseline: uncompressed".into(),
        },
        Figure {
            name: "4c release WASM".into(),
            value: kb(wasm),
            baseline: None,
            unit: "KB",
            goal: "—".into(),
            met: true,
            note: "pkg/secrets-console.wasm after wasm-opt, uncompressed".into(),
        },
    ])
}

/// Figure 2: the Secrets page (page of 50, admin session) under wrk on loopback, against axum
/// serving the identical bytes from memory in this process (the floor).
async fn page_under_load(
    url: &str,
    cookie: &str,
    body: &[u8],
    scale: &Scale,
) -> anyhow::Result<Figure> {
    let app = wrk(url, Some(cookie), scale.load_seconds).await?;
    let floor_body = body.to_vec();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let floor_url = format!("http://{}/secrets", listener.local_addr()?);
    let floor_app = axum::Router::new().route(
        "/secrets",
        axum::routing::get(move || {
            let body = floor_body.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], body) }
        }),
    );
    let floor_task = tokio::spawn(async move { axum::serve(listener, floor_app).await });
    let floor = wrk(&floor_url, None, scale.load_seconds).await;
    floor_task.abort();
    let floor = floor?;
    Ok(Figure {
        name: "2 Secrets page, requests/s".into(),
        value: app.rps,
        baseline: Some(floor.rps),
        unit: "req/s",
        goal: "≥ 1/5 of the floor".into(),
        met: app.rps >= floor.rps / 5.0,
        note: format!(
            "wrk -t2 -c16 {} s, page of 50 of {} secrets / {} projects / {} assignments: p50 {:.1} ms, p99 {:.1} ms; \
             floor (axum, same bytes from memory): p50 {:.2} ms, p99 {:.2} ms",
            scale.load_seconds,
            scale.page_secrets,
            scale.page_projects,
            scale.page_secrets * scale.page_assignments_per_secret,
            app.p50_ms,
            app.p99_ms,
            floor.p50_ms,
            floor.p99_ms
        ),
    })
}

struct WrkResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn wrk(url: &str, cookie: Option<&str>, seconds: u64) -> anyhow::Result<WrkResult> {
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
fn parse_duration_ms_or_number(text: &str) -> Option<f64> {
    for (suffix, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] {
        if let Some(n) = text.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse().ok()
}
