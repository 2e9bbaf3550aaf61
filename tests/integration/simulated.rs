//! The embedded default starts the simulated clusters: three of them, each with the demo
//! stores and a namespace per demo project, reachable through `<data dir>/sim/kubeconfig` by the
//! same `kube::Client` code a real cluster's kubeconfig would use, and kept across restarts.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Starts the app on its embedded default with this data directory; stops it on drop.
pub(crate) fn start_app(data_dir: &Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("LEPTOS_SITE_ADDR")
        .env_remove("SECRETS_CONSOLE_DEMO")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("app starts")
}

pub(crate) async fn client_for(kubeconfig: &Path, context: &str) -> kube::Client {
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(kubeconfig).expect("kubeconfig parses"),
        &KubeConfigOptions {
            context: Some(context.to_owned()),
            ..KubeConfigOptions::default()
        },
    )
    .await
    .expect("context exists");
    kube::Client::try_from(config).expect("client")
}

/// Waits until the app wrote a kubeconfig whose first cluster answers.
pub(crate) async fn wait_for_clusters(kubeconfig: &Path, previous: Option<&str>) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(kubeconfig)
            && Some(text.as_str()) != previous
            && text.contains("azure-dev")
        {
            let client = client_for(kubeconfig, "aws-dev").await;
            if client.apiserver_version().await.is_ok() {
                return text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the simulated clusters did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stores(client: &kube::Client) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ClusterSecretStore"),
        "clustersecretstores",
    );
    Api::all_with(client.clone(), &resource)
}

#[tokio::test]
async fn embedded_default_serves_three_simulated_clusters_through_a_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let kubeconfig = data_dir.join("sim").join("kubeconfig");
    let mut app = start_app(&data_dir);
    let first = wait_for_clusters(&kubeconfig, None).await;
    let mode = std::fs::metadata(&kubeconfig).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the kubeconfig is private");

    let expected_namespaces = [
        ("aws-dev", vec!["payments"]),
        ("gcp-dev", vec!["search", "ml-training"]),
        ("azure-dev", vec!["analytics"]),
    ];
    for (cluster, namespaces) in &expected_namespaces {
        let client = client_for(&kubeconfig, cluster).await;
        let found: Vec<String> = Api::<Namespace>::all(client.clone())
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|ns| ns.metadata.name)
            .collect();
        for ns in namespaces {
            assert!(
                found.contains(&(*ns).to_owned()),
                "{cluster} lacks namespace {ns}: {found:?}"
            );
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let listed = stores(&client).list(&ListParams::default()).await.unwrap();
            let mut ready: Vec<String> = listed
                .items
                .iter()
                .filter(|s| {
                    s.data["status"]["conditions"].as_array().is_some_and(|c| {
                        c.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                })
                .filter_map(|s| s.metadata.name.clone())
                .collect();
            ready.sort();
            if ready
                == [
                    "aws-secrets-manager",
                    "azure-key-vault",
                    "gcp-secret-manager",
                    "vault",
                ]
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{cluster}: stores not Ready: {ready:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // What is written to a simulated cluster survives a restart of the app.
    let gcp = client_for(&kubeconfig, "gcp-dev").await;
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "kept"}})).unwrap();
    Api::<Namespace>::all(gcp)
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = app.id().expect("running");
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), app.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "clean stop: {status:?}");

    let _app = start_app(&data_dir);
    wait_for_clusters(&kubeconfig, Some(&first)).await;
    let gcp = client_for(&kubeconfig, "gcp-dev").await;
    assert!(
        Api::<Namespace>::all(gcp).get("kept").await.is_ok(),
        "state kept across restarts"
    );
}
