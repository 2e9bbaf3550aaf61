//! Watches on a quiet cluster. A real API server sends a watch a bookmark about once a minute
//! and nothing else while nothing changes; a client that takes a minute of silence for a dead
//! connection drops every quiet watch and relists. The console's watches wait longer than the
//! server's own watch timeout, and single requests keep their short deadline.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::runtime::watcher::{self, Event};
use secrets_console::server::cluster::registry::{self, Timeouts};
use secrets_console::sim::{Sim, SimOptions};

#[tokio::test]
async fn a_quiet_watch_stays_open_past_the_request_deadline_and_a_slow_request_does_not() {
    // Scaled down from a real cluster's 30 s request deadline and ~60 s bookmarks.
    let request = Duration::from_secs(1);
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimOptions {
        clusters: vec!["quiet".into()],
        state_dir: Some(dir.path().to_path_buf()),
        bookmark_interval: Duration::from_secs(3),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    sim.clusters()[0].ensure_namespace("payments");
    let kubeconfig = kube::config::Kubeconfig::read_from(dir.path().join("kubeconfig")).unwrap();
    let timeouts = Timeouts {
        request,
        ..Timeouts::default()
    };
    assert!(
        Timeouts::default().watch_idle > Duration::from_secs(60)
            && Timeouts::default().watch_idle
                > Duration::from_secs(u64::from(registry::WATCH_TIMEOUT_SECS)),
        "a watch may be silent for a bookmark period, and until its own timeout"
    );
    let clients = registry::clients_for_context(&kubeconfig, "quiet", "quiet", timeouts)
        .await
        .unwrap();

    let secrets: Api<Secret> = Api::namespaced(clients.watches, "payments");
    let config = watcher::Config::default().timeout(registry::WATCH_TIMEOUT_SECS);
    let mut events = watcher::watcher(secrets, config).boxed();
    let (mut lists, mut errors) = (0, Vec::new());
    let quiet = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(quiet);
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Init)) => lists += 1,
                Some(Ok(_)) => {}
                Some(Err(error)) => errors.push(error.to_string()),
                None => break,
            },
            () = &mut quiet => break,
        }
    }
    assert!(
        errors.is_empty(),
        "a quiet watch failed in its silence: {errors:?}"
    );
    assert_eq!(lists, 1, "the watch relisted during 5 quiet seconds");

    // A single request that gets no answer still fails at its deadline.
    sim.clusters()[0]
        .faults
        .set_latency(request + Duration::from_secs(2));
    let secrets: Api<Secret> = Api::namespaced(clients.requests, "payments");
    let answer = tokio::time::timeout(
        request + Duration::from_secs(1),
        secrets.list(&ListParams::default()),
    )
    .await;
    assert!(
        matches!(answer, Ok(Err(_))),
        "a request past its deadline must fail by itself, not wait for the answer"
    );
}
