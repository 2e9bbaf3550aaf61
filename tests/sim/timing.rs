//! The simulated controller is as slow as External Secrets Operator where a user would notice:
//! failures back off from 1 s doubling (ESO's `BuildRateLimiter`), and a fix at the store is
//! seen at the next retry, refresh or Sync now, never at once (ESO does not watch stores).

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{Cluster, eventually, external_secret, ready};

/// How many times the controller has failed `name` so far (its Warning event's count).
async fn failures(c: &Cluster, name: &str) -> i32 {
    let events: Api<Event> = Api::namespaced(c.client.clone(), "team");
    events
        .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some("UpdateFailed"))
        .map(|e| e.count.unwrap_or(1))
        .sum()
}

#[tokio::test]
async fn failures_back_off_and_a_fix_at_the_store_waits_for_a_retry_or_sync_now() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "other", "value": "x"}]))
        .await;
    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret("db", "fake", &[("password", "db/password", None)]),
    )
    .await
    .unwrap();
    eventually(5, "the first failure", || async {
        (failures(&c, "db").await >= 1).then_some(())
    })
    .await;

    // The first attempt adds ESO's finalizer, and that update wakes it again at once (a
    // second failure); then 2 and 4 s later: the fourth attempt comes about 6 s after the
    // first (a fixed short retry would have made dozens by then), the fifth 8 s after that.
    let first = tokio::time::Instant::now();
    eventually(12, "the fourth attempt", || async {
        (failures(&c, "db").await >= 4).then_some(())
    })
    .await;
    let waited = first.elapsed();
    assert!(
        waited >= Duration::from_secs(5),
        "four attempts within {waited:?}; ESO's back-off spaces them over about 7 s"
    );

    // The key appears at the provider. Nothing watches the store for it: the ExternalSecret
    // stays failed until its next retry, about 8 s away.
    c.stores()
        .patch(
            "fake",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"provider": {"fake": {"data": [
                {"key": "db/password", "value": "s3cr3t"}
            ]}}}})),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let object = es.get("db").await.unwrap();
    assert_eq!(
        ready(&object).map(|r| r.1).as_deref(),
        Some("SecretSyncedError"),
        "a fix at the store is not seen at once"
    );
    assert_eq!(
        failures(&c, "db").await,
        4,
        "no attempt before the back-off ends"
    );

    // Sync now (the force-sync annotation, as the console writes it) fetches at once.
    es.patch(
        "db",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"force-sync": "1"}}})),
    )
    .await
    .unwrap();
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    eventually(3, "synced after Sync now", || async {
        let object = es.get("db").await.ok()?;
        (ready(&object)?.1 == "SecretSynced").then_some(())
    })
    .await;
    assert!(secrets.get("db").await.is_ok(), "the target Secret exists");
}
