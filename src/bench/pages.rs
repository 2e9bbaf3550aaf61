//! Figures 5 (start and memory), 4 (first load) and 2 (the Secrets page under load): the app
//! on seeded data, no cluster needed.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;

use super::harness::{Figure, Scale, Server, http_get, request_with, sign_in, wrk};

/// Figure 5: resident memory with the big data loaded and idle, and time from start to
/// `/readyz` 200; the baseline is the same binary on an empty database.
pub(crate) async fn start_and_memory(
    scale: &Scale,
    site_root: &Path,
) -> anyhow::Result<Vec<Figure>> {
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

/// Figures 4 and 2 on the page data (1,000 secrets, 200 projects, 5,000 assignments).
pub(crate) async fn first_load_and_page(
    scale: &Scale,
    site_root: &Path,
) -> anyhow::Result<Vec<Figure>> {
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

/// Figure 4: the bytes a first visit fetches before the page is interactive, for the Secrets
/// page (4a–4c), a secret's page (4d) and the new-secret form (4e), as the app serves them to
/// a browser accepting gzip, then brotli; the baseline is the same without compression.
pub(crate) async fn first_load(
    base: &str,
    cookie: &str,
    page: &str,
) -> anyhow::Result<Vec<Figure>> {
    let secrets = page_load(base, cookie, page).await?;
    let Some(id) = first_secret_id(&secrets.html) else {
        bail!("the Secrets page links to no secret");
    };
    let detail = page_load(base, cookie, &format!("/secrets/{id}")).await?;
    let form = page_load(base, cookie, "/secrets/new").await?;
    let kb = |n: usize| n as f64 / 1000.0;
    let note = |load: &PageLoad| {
        format!(
            "bytes served for the page and what it loads, uncompressed / gzip / brotli: {}; \
             baseline: uncompressed",
            load.detail.join(", ")
        )
    };
    Ok(vec![
        Figure {
            name: "4a first load, gzip".into(),
            value: kb(secrets.gz),
            baseline: Some(kb(secrets.raw)),
            unit: "KB",
            goal: "≤ 250 KB".into(),
            met: secrets.gz <= 250_000,
            note: note(&secrets),
        },
        Figure {
            name: "4b first load, brotli".into(),
            value: kb(secrets.br),
            baseline: Some(kb(secrets.raw)),
            unit: "KB",
            goal: "≤ 180 KB".into(),
            met: secrets.br <= 180_000,
            note: "the same, to a browser accepting brotli; baseline: uncompressed".into(),
        },
        Figure {
            name: "4c release WASM".into(),
            value: kb(secrets.main_wasm),
            baseline: None,
            unit: "KB",
            goal: "—".into(),
            met: true,
            note: "pkg/secrets-console.wasm after wasm-opt, uncompressed: the code every page \
                   loads (a lazy route's own code is in chunks beside it)"
                .into(),
        },
        Figure {
            name: "4d first load of a secret's page, gzip".into(),
            value: kb(detail.gz),
            baseline: Some(kb(detail.raw)),
            unit: "KB",
            goal: "—".into(),
            met: true,
            note: note(&detail),
        },
        Figure {
            name: "4e first load of the new-secret form, gzip".into(),
            value: kb(form.gz),
            baseline: Some(kb(form.raw)),
            unit: "KB",
            goal: "—".into(),
            met: true,
            note: note(&form),
        },
    ])
}

/// What a first visit to one page fetched: the sizes summed per encoding, each part's sizes
/// (`name raw / gzip / brotli`), the main WASM's raw size and the page's HTML.
struct PageLoad {
    raw: usize,
    gz: usize,
    br: usize,
    main_wasm: usize,
    detail: Vec<String>,
    html: String,
}

/// The page as served to the signed-in admin (with its hydration data), then every file
/// under /pkg its HTML names: the stylesheet, the JS and WASM it preloads and hydrates with,
/// and, for a lazy route, the WASM chunks its view needs and their loader, which the server
/// lists as preloads and the browser fetches before the page is hydrated. A file the server
/// does not compress counts in full.
async fn page_load(base: &str, cookie: &str, page: &str) -> anyhow::Result<PageLoad> {
    let html = request_with(
        "GET",
        &format!("{base}{page}"),
        Some(cookie),
        None,
        "identity",
    )
    .await?;
    if html.status != 200 {
        bail!("{page} answered {}", html.status);
    }
    let html = String::from_utf8_lossy(&html.body).into_owned();
    let assets = pkg_files(&html);
    // The bundle is named after the package (`secrets-console.js`, `.wasm`, `.css`; a binary
    // built without cargo-leptos names its WASM `secrets-console_bg.wasm`).
    let bundle = |ext: &str| {
        assets
            .iter()
            .find(|a| a.starts_with("/pkg/secrets-console") && a.ends_with(ext))
            .cloned()
    };
    let main_wasm = bundle(".wasm");
    for (ext, found) in [
        (".js", bundle(".js")),
        (".wasm", main_wasm.clone()),
        (".css", bundle(".css")),
    ] {
        if found.is_none() {
            bail!("{page} does not load the bundle's {ext}");
        }
    }
    let mut load = PageLoad {
        raw: 0,
        gz: 0,
        br: 0,
        main_wasm: 0,
        detail: Vec::new(),
        html: String::new(),
    };
    let parts = std::iter::once(("HTML", page)).chain(
        assets
            .iter()
            .map(|path| (path.trim_start_matches("/pkg/"), path.as_str())),
    );
    for (name, path) in parts {
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
        load.detail
            .push(format!("{name} {} / {} / {}", sizes[0], sizes[1], sizes[2]));
        load.raw += sizes[0];
        load.gz += sizes[1];
        load.br += sizes[2];
        if Some(path) == main_wasm.as_deref() {
            load.main_wasm = sizes[0];
        }
    }
    load.html = html;
    Ok(load)
}

/// Every distinct `href="/pkg/…"` in `html`, in order.
fn pkg_files(html: &str) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("href=\"/pkg/") {
        let rest = &html[at + "href=\"".len()..];
        let file = rest.split('"').next().unwrap_or_default().to_owned();
        if !files.contains(&file) {
            files.push(file);
        }
    }
    files
}

/// The id of the first secret the Secrets page links to (`href="/secrets/42"`).
fn first_secret_id(html: &str) -> Option<i64> {
    html.match_indices("href=\"/secrets/").find_map(|(at, _)| {
        let rest = &html[at + "href=\"/secrets/".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (rest[digits.len()..].starts_with('"'))
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// Figure 2: the Secrets page (page of 50, admin session) under wrk on loopback, against axum
/// serving the identical bytes from memory in this process (the floor).
pub(crate) async fn page_under_load(
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

#[cfg(test)]
mod tests {
    use super::{first_secret_id, pkg_files};

    #[test]
    fn pkg_files_lists_each_bundle_file_once_in_order() {
        let html = r#"<link rel="modulepreload" href="/pkg/secrets-console.js">
            <link rel="preload" href="/pkg/secrets-console.wasm" as="fetch">
            <link rel="preload" href="/pkg/split_a.wasm" as="fetch">
            <a href="/secrets">Secrets</a>
            <link rel="modulepreload" href="/pkg/secrets-console.js">"#;
        assert_eq!(
            pkg_files(html),
            [
                "/pkg/secrets-console.js",
                "/pkg/secrets-console.wasm",
                "/pkg/split_a.wasm"
            ]
        );
    }

    #[test]
    fn first_secret_id_skips_links_that_are_not_a_secret() {
        let html = r#"<a href="/secrets/new">New</a><a href="/secrets/17/edit">Edit</a>
            <a href="/secrets/42">db-password</a>"#;
        assert_eq!(first_secret_id(html), Some(42));
        assert_eq!(first_secret_id(r#"<a href="/secrets/new">New</a>"#), None);
    }
}
