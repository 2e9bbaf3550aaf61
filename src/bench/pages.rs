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

/// Figure 4: the bytes a first visit to the Secrets page fetches (the page as served to the
/// signed-in admin, with its hydration data, then the JS, WASM and CSS it loads), as the app
/// serves them to a browser accepting gzip, then brotli; the baseline is the same without
/// compression. A file the server does not compress counts in full.
pub(crate) async fn first_load(
    base: &str,
    cookie: &str,
    page: &str,
) -> anyhow::Result<Vec<Figure>> {
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
