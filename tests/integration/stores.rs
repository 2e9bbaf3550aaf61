//! The Stores page reads each cluster's ClusterSecretStores from a watch-fed cache: it follows
//! the cluster without a restart, a page view does not LIST the cluster, and while the API
//! server is unreachable the page says so, until it answers again.

use std::time::Duration;

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};

use crate::auth::Client;
use crate::kubeconfig::{SimProcess, start_app, until};
use crate::support::Backend;

fn cluster_secret_stores(client: &kube::Client) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ClusterSecretStore"),
        "clustersecretstores",
    );
    Api::all_with(client.clone(), &resource)
}

/// The `prod` section of the Stores page.
async fn prod_stores(admin: &Client) -> Value {
    let (status, lists) = admin.call("list_stores", json!({})).await;
    assert_eq!(status, 200, "{lists}");
    lists
        .as_array()
        .and_then(|clusters| clusters.iter().find(|c| c["cluster"] == "prod"))
        .cloned()
        .unwrap_or_else(|| panic!("prod is not on the Stores page: {lists}"))
}

fn store<'a>(section: &'a Value, name: &str) -> Option<&'a Value> {
    section["stores"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
}

#[tokio::test]
async fn the_stores_page_follows_the_cluster_without_listing_it_per_view() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;

    let prod = prod_stores(&admin).await;
    assert_eq!(prod["error"], Value::Null, "{prod}");
    assert!(
        store(&prod, "vault").is_some(),
        "the Stores page lists the cluster's stores: {prod}"
    );

    // Created on the cluster after start-up: it shows without a restart, once the watch has
    // brought it (a user would refresh), Ready when the cluster's controller has validated it.
    let stores = cluster_secret_stores(&sim.client);
    let late: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "late-arrival"},
        "spec": {"provider": {"fake": {"data": []}}},
    }))
    .unwrap();
    stores.create(&PostParams::default(), &late).await.unwrap();
    until(
        "the new store is Ready on the Stores page",
        Duration::from_secs(15),
        || async {
            let prod = prod_stores(&admin).await;
            store(&prod, "late-arrival")
                .is_some_and(|s| s["provider"] == "fake" && s["ready"] == true)
                .then_some(())
                .ok_or_else(|| prod.to_string())
        },
    )
    .await;

    // Every LIST on the cluster fails from now on: page views still answer, from the cache,
    // and a deletion reaches the page through the watch alone.
    sim.faults(json!({"errors": {"list": {"code": 500, "rate": 1.0}}}))
        .await;
    for _ in 0..5 {
        let prod = prod_stores(&admin).await;
        assert_eq!(prod["error"], Value::Null, "{prod}");
        assert!(
            store(&prod, "vault").is_some() && store(&prod, "late-arrival").is_some(),
            "{prod}"
        );
    }
    stores
        .delete("late-arrival", &DeleteParams::default())
        .await
        .unwrap();
    until(
        "the deleted store leaves the Stores page",
        Duration::from_secs(15),
        || async {
            let prod = prod_stores(&admin).await;
            (store(&prod, "late-arrival").is_none() && store(&prod, "vault").is_some())
                .then_some(())
                .ok_or_else(|| prod.to_string())
        },
    )
    .await;
    sim.faults(json!({})).await;
}

#[tokio::test]
async fn an_unreachable_cluster_shows_why_on_the_stores_page_until_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let prod = prod_stores(&admin).await;
    assert!(store(&prod, "vault").is_some(), "{prod}");

    sim.faults(json!({"outage": true})).await;
    until(
        "the Stores page says why prod's stores are missing",
        Duration::from_secs(15),
        || async {
            let prod = prod_stores(&admin).await;
            (prod["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("cannot ") && e.contains("ClusterSecretStores"))
                && prod["stores"] == json!([]))
            .then_some(())
            .ok_or_else(|| prod.to_string())
        },
    )
    .await;

    sim.faults(json!({"outage": false})).await;
    until(
        "prod's stores are back on the Stores page",
        Duration::from_secs(40),
        || async {
            let prod = prod_stores(&admin).await;
            (prod["error"].is_null() && store(&prod, "vault").is_some())
                .then_some(())
                .ok_or_else(|| prod.to_string())
        },
    )
    .await;
}
