//! The deployment manifests (`deploy/`) as `kubectl kustomize` renders them, and the tool
//! versions of the `Dockerfile`. No cluster, database or server: what is checked is what an
//! operator would apply.
//!
//! Every rendered object goes through its typed `k8s_openapi` struct and back; a field the
//! struct does not know (a misspelling, a wrong level of indentation) is dropped on the way,
//! and the difference names it. Then the rules a reviewer would otherwise check by eye: the
//! probes, the locked-down pod, secrets only by reference, and RBAC that grants exactly what
//! the console calls.
//!
//! Needs `kubectl` (1.27 or later, which carries kustomize) on `PATH`; without it the tests
//! fail rather than skip, since `make test` would otherwise pass with the manifests unchecked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Namespace, PodSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The namespace the console runs in (the base's `namespace:`).
const NAMESPACE: &str = "secrets-console";
/// The ServiceAccount every binding must name.
const SERVICE_ACCOUNT: &str = "secrets-console";
/// The project namespaces the example overlays bind.
const PROJECT_NAMESPACES: [&str; 2] = ["checkout", "payments"];
/// What the console does in a project namespace (a RoleBinding there): (group, resource, verbs).
const PROJECT_GRANTS: &[(&str, &str, &[&str])] = &[
    (
        "",
        "secrets",
        &["get", "list", "watch", "create", "patch", "delete"],
    ),
    (
        "external-secrets.io",
        "externalsecrets",
        &["get", "create", "patch", "delete"],
    ),
    ("", "events", &["list"]),
    // Who uses a Secret (`server::cluster::workloads::used_by`): one LIST per kind.
    ("apps", "deployments", &["list"]),
    ("apps", "statefulsets", &["list"]),
    ("apps", "daemonsets", &["list"]),
    ("batch", "jobs", &["list"]),
    ("batch", "cronjobs", &["list"]),
    ("", "pods", &["list"]),
];
/// What the console does across the cluster (a ClusterRoleBinding).
const CLUSTER_GRANTS: &[(&str, &str, &[&str])] = &[
    (
        "external-secrets.io",
        "externalsecrets",
        &["get", "list", "watch"],
    ),
    (
        "external-secrets.io",
        "clustersecretstores",
        &["get", "list", "watch"],
    ),
    ("", "namespaces", &["get"]),
];
/// The app's default `--shutdown-grace-seconds`.
const DEFAULT_SHUTDOWN_GRACE_SECONDS: i64 = 4;
/// Where the kubelet mounts the pod's ServiceAccount token and the cluster's CA.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What `kubectl kustomize DIR` prints: the manifests `kubectl apply -k` would apply.
pub(crate) fn render_yaml(dir: &Path) -> String {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `kubectl` ({e}): install kubectl (1.27 or later carries kustomize) \
                 so that the deployment manifests are checked"
            )
        });
    assert!(
        output.status.success(),
        "`kubectl kustomize {}` failed, so `kubectl apply -k` would too:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("kustomize prints UTF-8")
}

/// The objects `kubectl kustomize DIR` renders, as JSON values.
fn render(dir: &Path) -> Vec<Value> {
    let yaml = render_yaml(dir);
    let objects: Vec<Value> = serde_saphyr::from_multiple(&yaml)
        .unwrap_or_else(|e| panic!("the output of kustomize is not YAML: {e}\n{yaml}"));
    assert!(!objects.is_empty(), "{} renders no objects", dir.display());
    objects
}

/// The first place where `understood` (after a typed round trip) differs from `written`, as a
/// JSON path and what happened there.
fn first_difference(written: &Value, understood: &Value, path: &str) -> Option<String> {
    match (written, understood) {
        (Value::Object(written), Value::Object(understood)) => {
            for (key, value) in written {
                let here = format!("{path}.{key}");
                match understood.get(key) {
                    None => return Some(format!("{here} is not a field of this kind")),
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, &here) {
                            return Some(found);
                        }
                    }
                }
            }
            understood
                .keys()
                .find(|key| !written.contains_key(*key))
                .map(|key| format!("{path}.{key} appears only after the round trip"))
        }
        (Value::Array(written), Value::Array(understood)) if written.len() == understood.len() => {
            written
                .iter()
                .zip(understood)
                .enumerate()
                .find_map(|(i, (a, b))| first_difference(a, b, &format!("{path}[{i}]")))
        }
        _ if written == understood => None,
        _ => Some(format!(
            "{path} was written as {written} but reads as {understood}"
        )),
    }
}

/// `object` as the typed struct `T`, if it survives the round trip unchanged.
fn strict<T: DeserializeOwned + Serialize>(object: &Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).expect("a typed object serializes");
    match first_difference(object, &back, "") {
        Some(difference) => Err(difference),
        None => Ok(typed),
    }
}

/// The schema check of one object, by kind.
fn check_schema(object: &Value) -> Result<(), String> {
    match object["kind"].as_str().unwrap_or_default() {
        "Deployment" => strict::<Deployment>(object).map(drop),
        "Service" => strict::<Service>(object).map(drop),
        "ServiceAccount" => strict::<ServiceAccount>(object).map(drop),
        "ConfigMap" => strict::<ConfigMap>(object).map(drop),
        "ClusterRole" => strict::<ClusterRole>(object).map(drop),
        "ClusterRoleBinding" => strict::<ClusterRoleBinding>(object).map(drop),
        "Role" => strict::<Role>(object).map(drop),
        "RoleBinding" => strict::<RoleBinding>(object).map(drop),
        "PodDisruptionBudget" => strict::<PodDisruptionBudget>(object).map(drop),
        "Namespace" => strict::<Namespace>(object).map(drop),
        "Secret" => strict::<Secret>(object).map(drop),
        other => Err(format!(
            "kind `{other}` has no typed check in tests/integration/deploy.rs: add it there"
        )),
    }
}

fn describe(object: &Value) -> String {
    format!(
        "{} {}/{}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["namespace"].as_str().unwrap_or("-"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// One rendered overlay.
struct Rendered {
    what: String,
    objects: Vec<Value>,
}

impl Rendered {
    fn of(dir: &Path, what: &str) -> Rendered {
        Rendered {
            what: what.to_owned(),
            objects: render(dir),
        }
    }

    fn overlay(name: &str) -> Rendered {
        Rendered::of(
            &repo().join("deploy/overlays").join(name),
            &format!("deploy/overlays/{name}"),
        )
    }

    fn all<T: DeserializeOwned + Serialize>(&self, kind: &str) -> Vec<T> {
        self.objects
            .iter()
            .filter(|o| o["kind"] == kind)
            .map(|o| strict(o).unwrap_or_else(|e| panic!("{}: {}: {e}", self.what, describe(o))))
            .collect()
    }

    fn one<T: DeserializeOwned + Serialize>(&self, kind: &str) -> T {
        let mut all = self.all::<T>(kind);
        assert_eq!(
            all.len(),
            1,
            "{} renders {} {kind}s, not one",
            self.what,
            all.len()
        );
        all.remove(0)
    }

    /// Every object reads as its kind, with no field lost on the way.
    fn assert_schema(&self) {
        let failures: Vec<String> = self
            .objects
            .iter()
            .filter_map(|o| {
                check_schema(o)
                    .err()
                    .map(|e| format!("{}: {e}", describe(o)))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{}: the API server would reject or silently drop these fields:\n{}",
            self.what,
            failures.join("\n")
        );
    }

    /// Namespaced objects say where they go: without a namespace an object lands in whatever
    /// namespace the operator's kubectl context has.
    fn assert_namespaces(&self) {
        for object in &self.objects {
            let kind = object["kind"].as_str().unwrap_or_default();
            if matches!(kind, "ClusterRole" | "ClusterRoleBinding" | "Namespace") {
                continue;
            }
            let namespace = object["metadata"]["namespace"].as_str();
            assert!(
                namespace.is_some(),
                "{}: {} has no namespace, so it would land in the kubectl context's namespace",
                self.what,
                describe(object)
            );
            if kind != "RoleBinding" {
                assert_eq!(
                    namespace,
                    Some(NAMESPACE),
                    "{}: {} is outside the console's namespace",
                    self.what,
                    describe(object)
                );
            }
        }
        // A ServiceAccount token request carries no value: the control plane fills it in.
        for secret in self.all::<Secret>("Secret") {
            assert!(
                secret.type_.as_deref() == Some("kubernetes.io/service-account-token")
                    && secret.data.is_none()
                    && secret.string_data.is_none(),
                "{}: Secret {} is rendered: its values would be committed to git; the \
                 operator creates Secrets with kubectl (docs/deploy.md)",
                self.what,
                secret.metadata.name.unwrap_or_default()
            );
        }
    }
}

fn pod_spec(deployment: &Deployment) -> &PodSpec {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("the Deployment has a pod spec")
}

fn console_container(deployment: &Deployment) -> &Container {
    pod_spec(deployment)
        .containers
        .iter()
        .find(|c| c.name == "secrets-console")
        .expect("a container named secrets-console")
}

fn env_value<'a>(container: &'a Container, name: &str) -> Option<&'a str> {
    container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .and_then(|e| e.value.as_deref())
}

fn template_labels(deployment: &Deployment) -> BTreeMap<String, String> {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn label_selector_selects(
    selector: Option<&LabelSelector>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector.is_some_and(|s| {
        s.match_expressions.as_ref().is_none_or(Vec::is_empty)
            && selects(&s.match_labels.clone().unwrap_or_default(), labels)
    })
}

/// Whether a probe's or Service's port names the container's `http` port.
fn is_container_port(port: &IntOrString, container: &Container) -> bool {
    let mut ports = container.ports.iter().flatten();
    match port {
        IntOrString::Int(number) => ports.any(|p| p.container_port == *number),
        IntOrString::String(name) => ports.any(|p| p.name.as_deref() == Some(name)),
    }
}

/// The volume mounted at the directory holding `file`, if any.
fn volume_holding<'a>(
    deployment: &'a Deployment,
    file: &str,
) -> Option<(&'a k8s_openapi::api::core::v1::Volume, String)> {
    let container = console_container(deployment);
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| Path::new(file).starts_with(&m.mount_path))
        .max_by_key(|m| m.mount_path.len())?;
    let key = Path::new(file)
        .strip_prefix(&mount.mount_path)
        .ok()?
        .display()
        .to_string();
    pod_spec(deployment)
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)
        .map(|v| (v, key))
}

/// The pod is what the restricted Pod Security Standard asks for, and the app can still write
/// where it has to.
fn assert_locked_down(what: &str, deployment: &Deployment) {
    let pod = pod_spec(deployment);
    let container = console_container(deployment);
    let pod_security = pod.security_context.clone().unwrap_or_default();
    let security = container.security_context.clone().unwrap_or_default();

    let non_root = security.run_as_non_root.or(pod_security.run_as_non_root);
    assert_eq!(
        non_root,
        Some(true),
        "{what}: the container may run as root"
    );
    let user = security.run_as_user.or(pod_security.run_as_user);
    assert!(
        user.is_some_and(|u| u != 0),
        "{what}: no non-zero runAsUser, so runAsNonRoot depends on the image's USER"
    );
    assert_eq!(
        security.read_only_root_filesystem,
        Some(true),
        "{what}: the root filesystem is writable"
    );
    assert_eq!(
        security.allow_privilege_escalation,
        Some(false),
        "{what}: privilege escalation (setuid binaries) is allowed"
    );
    assert_ne!(
        security.privileged,
        Some(true),
        "{what}: the container is privileged"
    );
    let dropped = security
        .capabilities
        .as_ref()
        .and_then(|c| c.drop.clone())
        .unwrap_or_default();
    assert!(
        dropped.iter().any(|c| c == "ALL"),
        "{what}: capabilities are not all dropped"
    );
    let added = security
        .capabilities
        .as_ref()
        .and_then(|c| c.add.clone())
        .unwrap_or_default();
    assert!(added.is_empty(), "{what}: capabilities added: {added:?}");
    let seccomp = security
        .seccomp_profile
        .or(pod_security.seccomp_profile)
        .map(|p| p.type_);
    assert_eq!(
        seccomp.as_deref(),
        Some("RuntimeDefault"),
        "{what}: no RuntimeDefault seccomp profile"
    );
    assert_ne!(
        pod.host_network,
        Some(true),
        "{what}: the pod uses the host network"
    );

    let resources = container.resources.clone().unwrap_or_default();
    for (name, quantities) in [
        ("requests", &resources.requests),
        ("limits", &resources.limits),
    ] {
        let quantities = quantities.clone().unwrap_or_default();
        for resource in ["cpu", "memory"] {
            assert!(
                quantities.contains_key(resource),
                "{what}: no {resource} in resources.{name}: the scheduler cannot place it \
                 well, or one pod can starve its node"
            );
        }
    }

    // With a read-only root filesystem, the app's data directory (created at start) and
    // /tmp must be writable volumes, or it stops at start with "cannot create the data
    // directory".
    let data_dir = env_value(container, "SECRETS_CONSOLE_DATA_DIR")
        .expect("SECRETS_CONSOLE_DATA_DIR is set (its default ./data is on the read-only root)");
    for dir in [data_dir, "/tmp"] {
        let volume = volume_holding(deployment, &format!("{dir}/x")).map(|(v, _)| v);
        assert!(
            volume.is_some_and(|v| v.empty_dir.is_some()),
            "{what}: {dir} is not an emptyDir volume, so the app cannot write there"
        );
    }

    let grace = env_value(container, "SECRETS_CONSOLE_SHUTDOWN_GRACE_SECONDS")
        .map(|s| s.parse::<i64>().expect("a number of seconds"))
        .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECONDS);
    let termination = pod.termination_grace_period_seconds.unwrap_or(30);
    assert!(
        termination > grace,
        "{what}: terminationGracePeriodSeconds {termination} is not above the app's {grace} s \
         shutdown grace: the kubelet would kill open requests before they finish"
    );
}

/// Probes reach the app's health endpoints on its port, and the app listens on that port.
fn assert_probes(what: &str, deployment: &Deployment) {
    let container = console_container(deployment);
    let port = container
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some("http"))
        .unwrap_or_else(|| panic!("{what}: no container port named http"));
    let listen = env_value(container, "LEPTOS_SITE_ADDR").unwrap_or_else(|| {
        panic!("{what}: LEPTOS_SITE_ADDR is not set: the app would listen on 127.0.0.1 only")
    });
    assert_eq!(
        listen,
        format!("0.0.0.0:{}", port.container_port),
        "{what}: the app listens on {listen}, not on all addresses at the container port"
    );
    for (kind, probe, path) in [
        ("liveness", &container.liveness_probe, "/healthz"),
        ("readiness", &container.readiness_probe, "/readyz"),
    ] {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .unwrap_or_else(|| panic!("{what}: no HTTP {kind} probe"));
        assert_eq!(
            get.path.as_deref(),
            Some(path),
            "{what}: the {kind} probe asks the wrong path"
        );
        assert!(
            is_container_port(&get.port, container),
            "{what}: the {kind} probe asks port {:?}, where nothing listens",
            get.port
        );
    }
    if let Some(startup) = &container.startup_probe {
        let get = startup.http_get.as_ref().expect("an HTTP startup probe");
        assert_eq!(
            get.path.as_deref(),
            Some("/healthz"),
            "{what}: the startup probe path"
        );
        assert!(
            is_container_port(&get.port, container),
            "{what}: the startup probe port"
        );
    }
    // /readyz waits up to 2 s for the database before it answers 503.
    let timeout = container
        .readiness_probe
        .as_ref()
        .and_then(|p| p.timeout_seconds)
        .unwrap_or(1);
    assert!(
        timeout > 2,
        "{what}: readiness timeout {timeout} s: a database answering in 2 s takes the pod \
         out of the Service"
    );
}

/// The database URL and the master key reach the app only by reference to a Secret.
fn assert_secrets_by_reference(what: &str, rendered: &Rendered, deployment: &Deployment) {
    let container = console_container(deployment);
    let all_containers = pod_spec(deployment)
        .containers
        .iter()
        .chain(pod_spec(deployment).init_containers.iter().flatten());
    for env in all_containers.flat_map(|c| c.env.iter().flatten()) {
        if env.name == "DATABASE_URL" || env.name.starts_with("SECRETS_CONSOLE_MASTER_KEY") {
            assert!(
                env.value.is_none() || env.name == "SECRETS_CONSOLE_MASTER_KEY_FILE",
                "{what}: {} has a literal value in the manifest, readable by anyone who can \
                 read the Deployment or the git repository",
                env.name
            );
        }
        if let Some(value) = &env.value {
            assert!(
                !value.starts_with("postgres://"),
                "{what}: {} holds a database URL in plain text",
                env.name
            );
        }
    }
    for object in rendered.objects.iter().filter(|o| o["kind"] == "ConfigMap") {
        assert!(
            !object["data"].to_string().contains("postgres://"),
            "{what}: {} holds a database URL in plain text",
            describe(object)
        );
    }

    let from_secret = |name: &str| {
        container
            .env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value_from.as_ref())
            .and_then(|v| v.secret_key_ref.as_ref())
            .is_some_and(|s| !s.name.is_empty() && !s.key.is_empty() && s.optional != Some(true))
    };
    assert!(
        from_secret("DATABASE_URL"),
        "{what}: DATABASE_URL does not come from a Secret: the console would start on a SQLite \
         file in an emptyDir and lose everything at the next restart"
    );
    match env_value(container, "SECRETS_CONSOLE_MASTER_KEY_FILE") {
        None => assert!(
            from_secret("SECRETS_CONSOLE_MASTER_KEY"),
            "{what}: SECRETS_CONSOLE_MASTER_KEY does not come from a Secret: the app would \
             generate a new master key in its emptyDir at every start, and stored values \
             would no longer open"
        ),
        Some(file) => {
            assert!(
                !container
                    .env
                    .iter()
                    .flatten()
                    .any(|e| e.name == "SECRETS_CONSOLE_MASTER_KEY"),
                "{what}: SECRETS_CONSOLE_MASTER_KEY is set and overrides the key file {file}"
            );
            let (volume, key) = volume_holding(deployment, file).unwrap_or_else(|| {
                panic!("{what}: nothing is mounted where the key file {file} is")
            });
            let secret = volume.secret.as_ref().unwrap_or_else(|| {
                panic!("{what}: the key file {file} is not from a Secret volume")
            });
            assert_ne!(
                secret.optional,
                Some(true),
                "{what}: the master key Secret is optional"
            );
            assert!(
                secret
                    .items
                    .iter()
                    .flatten()
                    .all(|item| item.path != key || item.key == key),
                "{what}: the key file {file} is mapped from another key"
            );
        }
    }
}

/// `SECRETS_CONSOLE_KUBECONFIG` names a kubeconfig the render ships (ConfigMap) or a Secret
/// the operator creates; for the ConfigMap, returns it parsed.
fn shipped_kubeconfig(
    what: &str,
    rendered: &Rendered,
    deployment: &Deployment,
) -> Option<kube::config::Kubeconfig> {
    let container = console_container(deployment);
    let path = env_value(container, "SECRETS_CONSOLE_KUBECONFIG").unwrap_or_else(|| {
        panic!("{what}: SECRETS_CONSOLE_KUBECONFIG is not set: no cluster to manage")
    });
    let (volume, key) = volume_holding(deployment, path)
        .unwrap_or_else(|| panic!("{what}: nothing is mounted where the kubeconfig {path} is"));
    if let Some(secret) = &volume.secret {
        assert!(
            secret.secret_name.is_some(),
            "{what}: the kubeconfig Secret has no name"
        );
        return None;
    }
    let source = volume
        .config_map
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: the kubeconfig is neither a ConfigMap nor a Secret"));
    let config_maps: Vec<ConfigMap> = rendered.all("ConfigMap");
    let config_map = config_maps
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(source.name.as_str()))
        .unwrap_or_else(|| {
            panic!(
                "{what}: the pod mounts ConfigMap {} which is not rendered",
                source.name
            )
        });
    let text = config_map
        .data
        .as_ref()
        .and_then(|d| d.get(&key))
        .unwrap_or_else(|| panic!("{what}: ConfigMap {} has no key {key}", source.name));
    Some(
        kube::config::Kubeconfig::from_yaml(text).unwrap_or_else(|e| {
            panic!(
                "{what}: the kubeconfig in ConfigMap {} does not parse: {e}",
                source.name
            )
        }),
    )
}

/// The shipped kubeconfig reaches the cluster the pod runs in with the pod's own token.
fn assert_in_cluster_kubeconfig(what: &str, kubeconfig: &kube::config::Kubeconfig, pod: &PodSpec) {
    assert_eq!(
        kubeconfig.contexts.len(),
        1,
        "{what}: the in-cluster kubeconfig should hold one context (one cluster)"
    );
    let context = &kubeconfig.contexts[0];
    let inner = context
        .context
        .as_ref()
        .expect("the context names a cluster");
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == inner.cluster)
        .and_then(|c| c.cluster.as_ref())
        .unwrap_or_else(|| panic!("{what}: context {} names no known cluster", context.name));
    assert_eq!(
        cluster.server.as_deref(),
        Some("https://kubernetes.default.svc"),
        "{what}: the in-cluster context does not reach the cluster's own API server"
    );
    assert_eq!(
        cluster.certificate_authority,
        Some(format!("{SERVICE_ACCOUNT_DIR}/ca.crt")),
        "{what}: the API server's certificate would not be trusted"
    );
    let user = inner.user.as_deref().expect("the context names a user");
    let auth = kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_ref())
        .unwrap_or_else(|| panic!("{what}: context {} names no known user", context.name));
    assert_eq!(
        auth.token_file,
        Some(format!("{SERVICE_ACCOUNT_DIR}/token")),
        "{what}: the console would not authenticate as its ServiceAccount (tokenFile)"
    );
    assert!(
        auth.token.is_none(),
        "{what}: a literal token in a ConfigMap"
    );
    assert_ne!(
        pod.automount_service_account_token,
        Some(false),
        "{what}: the ServiceAccount token the kubeconfig reads is not mounted"
    );
}

/// (API group, resource, verb) triples a set of rules grants.
fn grants(rules: &[k8s_openapi::api::rbac::v1::PolicyRule]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for rule in rules {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for verb in &rule.verbs {
                    out.insert((group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
    }
    out
}

/// `granted` is exactly `table`: anything more is privilege the console never uses, anything
/// less breaks `breaks`.
fn assert_grants(
    what: &str,
    granted: &BTreeSet<(String, String, String)>,
    table: &[(&str, &str, &[&str])],
    breaks: &str,
) {
    let expected: BTreeSet<(String, String, String)> = table
        .iter()
        .flat_map(|(group, resource, verbs)| {
            verbs.iter().map(|verb| {
                (
                    (*group).to_owned(),
                    (*resource).to_owned(),
                    (*verb).to_owned(),
                )
            })
        })
        .collect();
    let show = |set: Vec<&(String, String, String)>| {
        set.iter()
            .map(|(group, resource, verb)| match group.as_str() {
                "" => format!("{verb} {resource}"),
                group => format!("{verb} {resource}.{group}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let extra: Vec<_> = granted.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "{what}: grants the console never uses: {}",
        show(extra)
    );
    let missing: Vec<_> = expected.difference(granted).collect();
    assert!(
        missing.is_empty(),
        "{what}: lacks what the console calls, which breaks {breaks}: {}",
        show(missing)
    );
}

/// RBAC grants exactly what the console calls, Secrets only per project namespace, no
/// wildcards and no Leases.
fn assert_rbac(what: &str, rendered: &Rendered) {
    let cluster_roles: BTreeMap<String, ClusterRole> = rendered
        .all::<ClusterRole>("ClusterRole")
        .into_iter()
        .map(|r| (r.metadata.name.clone().unwrap_or_default(), r))
        .collect();
    assert!(
        rendered.all::<Role>("Role").is_empty(),
        "{what}: a Role: the grants live in the two ClusterRoles"
    );
    for (name, role) in &cluster_roles {
        assert!(
            role.aggregation_rule.is_none(),
            "{what}: ClusterRole {name} aggregates others"
        );
        for rule in role.rules.iter().flatten() {
            let everything = rule
                .verbs
                .iter()
                .chain(rule.resources.iter().flatten())
                .chain(rule.api_groups.iter().flatten())
                .any(|s| s.contains('*'));
            assert!(
                !everything,
                "{what}: ClusterRole {name} grants a wildcard: {rule:?}"
            );
            assert!(
                rule.non_resource_urls.is_none() && rule.resource_names.is_none(),
                "{what}: ClusterRole {name} has a rule the console does not need: {rule:?}"
            );
            assert!(
                !rule
                    .resources
                    .iter()
                    .flatten()
                    .any(|r| r.starts_with("leases")),
                "{what}: ClusterRole {name} grants Leases; leader election is a PostgreSQL \
                 advisory lock, not a Lease"
            );
        }
    }
    let subject_is_console = |subjects: &Option<Vec<k8s_openapi::api::rbac::v1::Subject>>| {
        subjects.as_deref().is_some_and(|s| {
            s.len() == 1
                && s[0].kind == "ServiceAccount"
                && s[0].name == SERVICE_ACCOUNT
                && s[0].namespace.as_deref() == Some(NAMESPACE)
        })
    };

    let mut cluster_wide = BTreeSet::new();
    for binding in rendered.all::<ClusterRoleBinding>("ClusterRoleBinding") {
        let name = binding.metadata.name.clone().unwrap_or_default();
        assert!(
            subject_is_console(&binding.subjects),
            "{what}: ClusterRoleBinding {name} is not (only) for the console's ServiceAccount"
        );
        let role = cluster_roles
            .get(&binding.role_ref.name)
            .unwrap_or_else(|| {
                panic!("{what}: ClusterRoleBinding {name} binds a role that is not rendered")
            });
        let granted = grants(role.rules.as_deref().unwrap_or_default());
        assert!(
            !granted.iter().any(|(_, resource, _)| resource == "secrets"),
            "{what}: ClusterRoleBinding {name} grants Secrets in every namespace (kube-system's \
             included) through {}",
            binding.role_ref.name
        );
        cluster_wide.extend(granted);
    }
    assert_grants(
        &format!("{what}: cluster-wide"),
        &cluster_wide,
        CLUSTER_GRANTS,
        "the status badges (one ExternalSecret watch) or the Stores page",
    );

    let mut bound = BTreeSet::new();
    for binding in rendered.all::<RoleBinding>("RoleBinding") {
        let namespace = binding.metadata.namespace.clone().unwrap_or_default();
        assert!(
            subject_is_console(&binding.subjects),
            "{what}: RoleBinding in {namespace} is not (only) for the console's ServiceAccount \
             in {NAMESPACE}; it grants the console nothing"
        );
        assert_eq!(
            binding.role_ref.kind, "ClusterRole",
            "{what}: RoleBinding in {namespace}"
        );
        let role = cluster_roles
            .get(&binding.role_ref.name)
            .unwrap_or_else(|| {
                panic!("{what}: RoleBinding in {namespace} binds a role that is not rendered")
            });
        assert_grants(
            &format!("{what}: in project namespace {namespace}"),
            &grants(role.rules.as_deref().unwrap_or_default()),
            PROJECT_GRANTS,
            "applies, removals or failure reasons (Forbidden)",
        );
        assert!(
            !rendered
                .all::<ClusterRoleBinding>("ClusterRoleBinding")
                .iter()
                .any(|b| b.role_ref.name == binding.role_ref.name),
            "{what}: ClusterRole {} is bound cluster-wide too: Secrets of every namespace",
            binding.role_ref.name
        );
        bound.insert(namespace);
    }
    for namespace in PROJECT_NAMESPACES {
        assert!(
            bound.contains(namespace),
            "{what}: no RoleBinding in project namespace {namespace}: its secrets would fail \
             with Forbidden"
        );
    }
    assert!(
        !bound.contains(NAMESPACE),
        "{what}: the console may write Secrets in its own namespace (its database URL and \
         master key live there)"
    );
}

/// The Service sends port 80 to the pods' http port.
fn assert_service(what: &str, rendered: &Rendered, deployment: &Deployment) {
    let service: Service = rendered.one("Service");
    let spec = service.spec.expect("the Service has a spec");
    assert_eq!(
        spec.type_.as_deref().unwrap_or("ClusterIP"),
        "ClusterIP",
        "{what}: Service type"
    );
    let labels = template_labels(deployment);
    assert!(
        selects(&spec.selector.clone().unwrap_or_default(), &labels),
        "{what}: the Service selects no console pod, so it has no endpoints"
    );
    let ports = spec.ports.unwrap_or_default();
    let http = ports
        .iter()
        .find(|p| p.port == 80)
        .unwrap_or_else(|| panic!("{what}: the Service has no port 80"));
    let target = http.target_port.clone().unwrap_or(IntOrString::Int(80));
    assert!(
        is_container_port(&target, console_container(deployment)),
        "{what}: the Service sends port 80 to {target:?}, where the app does not listen"
    );
    let selector = deployment
        .spec
        .as_ref()
        .map(|s| &s.selector)
        .expect("a Deployment selector");
    assert!(
        label_selector_selects(Some(selector), &labels),
        "{what}: the Deployment's selector does not match its own pods"
    );
}

fn assert_image_pinned(what: &str, deployment: &Deployment) {
    let image = console_container(deployment)
        .image
        .clone()
        .unwrap_or_default();
    let name = image.rsplit('/').next().unwrap_or_default();
    let pinned = image.contains("@sha256:")
        || name
            .split_once(':')
            .is_some_and(|(_, tag)| !tag.is_empty() && tag != "latest");
    assert!(
        pinned,
        "{what}: image {image:?} is not pinned to a release tag or a digest: every restart \
         may pull another version"
    );
}

/// Everything both overlays must satisfy; returns the Deployment for further checks.
fn assert_common(rendered: &Rendered, replicas: i32) -> Deployment {
    let what = rendered.what.as_str();
    rendered.assert_schema();
    rendered.assert_namespaces();

    let deployment: Deployment = rendered.one("Deployment");
    assert_eq!(
        deployment.spec.as_ref().and_then(|s| s.replicas),
        Some(replicas),
        "{what}: replica count"
    );
    assert_locked_down(what, &deployment);
    assert_probes(what, &deployment);
    assert_secrets_by_reference(what, rendered, &deployment);
    assert_service(what, rendered, &deployment);
    assert_image_pinned(what, &deployment);
    assert_rbac(what, rendered);

    let container = console_container(&deployment);
    assert_eq!(
        env_value(container, "SECRETS_CONSOLE_DEMO"),
        Some("false"),
        "{what}: demo mode is not off: an empty database would be seeded with demo users \
         whose password is public"
    );
    assert_eq!(
        env_value(container, "SECRETS_CONSOLE_SECURE_COOKIES"),
        Some("true"),
        "{what}: session cookies would not be Secure"
    );
    assert_eq!(
        env_value(container, "SECRETS_CONSOLE_LOG_FORMAT"),
        Some("json"),
        "{what}: logs are not JSON lines, which log collectors parse"
    );

    let accounts: Vec<ServiceAccount> = rendered.all("ServiceAccount");
    assert!(
        accounts
            .iter()
            .any(|a| a.metadata.name.as_deref() == Some(SERVICE_ACCOUNT)
                && a.automount_service_account_token != Some(false)),
        "{what}: no ServiceAccount {SERVICE_ACCOUNT} whose token is mounted"
    );
    assert_eq!(
        pod_spec(&deployment).service_account_name.as_deref(),
        Some(SERVICE_ACCOUNT),
        "{what}: the pod runs as another ServiceAccount than the one the RBAC binds"
    );
    deployment
}

#[test]
fn staging_renders_a_locked_down_console_with_two_replicas() {
    let rendered = Rendered::overlay("staging");
    let deployment = assert_common(&rendered, 2);
    let kubeconfig = shipped_kubeconfig(&rendered.what, &rendered, &deployment)
        .expect("staging ships the in-cluster kubeconfig");
    assert_in_cluster_kubeconfig(&rendered.what, &kubeconfig, pod_spec(&deployment));
}

#[test]
fn production_renders_three_spread_replicas_that_a_drain_cannot_all_take() {
    let rendered = Rendered::overlay("production");
    let what = rendered.what.clone();
    let deployment = assert_common(&rendered, 3);
    let kubeconfig = shipped_kubeconfig(&what, &rendered, &deployment)
        .expect("production ships the in-cluster kubeconfig");
    assert_in_cluster_kubeconfig(&what, &kubeconfig, pod_spec(&deployment));

    let labels = template_labels(&deployment);
    let budget: PodDisruptionBudget = rendered.one("PodDisruptionBudget");
    let spec = budget.spec.expect("the PodDisruptionBudget has a spec");
    assert_eq!(
        spec.min_available,
        Some(IntOrString::Int(2)),
        "{what}: minAvailable"
    );
    assert!(
        label_selector_selects(spec.selector.as_ref(), &labels),
        "{what}: the PodDisruptionBudget selects no console pod, so it protects nothing"
    );

    let pod = pod_spec(&deployment);
    let spread = pod.topology_spread_constraints.iter().flatten().any(|t| {
        t.topology_key == "kubernetes.io/hostname"
            && label_selector_selects(t.label_selector.as_ref(), &labels)
    });
    let anti_affinity = pod
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .is_some();
    assert!(
        spread || anti_affinity,
        "{what}: nothing spreads the replicas over nodes: one node failure could take all three"
    );
}

/// What is applied in another managed cluster: the same roles for a ServiceAccount there, and
/// a token for the console's kubeconfig; nothing that runs.
#[test]
fn managed_cluster_gets_the_same_roles_and_a_token_and_nothing_else() {
    let rendered = Rendered::overlay("managed-cluster-example");
    let what = rendered.what.clone();
    rendered.assert_schema();
    rendered.assert_namespaces();
    assert_rbac(&what, &rendered);

    let kinds: BTreeSet<&str> = rendered
        .objects
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "ClusterRole",
            "ClusterRoleBinding",
            "Namespace",
            "RoleBinding",
            "Secret",
            "ServiceAccount"
        ]),
        "{what}: renders kinds beyond a ServiceAccount, its token and its roles"
    );
    let account: ServiceAccount = rendered.one("ServiceAccount");
    assert_eq!(
        (
            account.metadata.namespace.as_deref(),
            account.metadata.name.as_deref()
        ),
        (Some(NAMESPACE), Some(SERVICE_ACCOUNT)),
        "{what}: the ServiceAccount is not the one the roles bind"
    );
    let token: Secret = rendered.one("Secret");
    let names = token
        .metadata
        .annotations
        .unwrap_or_default()
        .get("kubernetes.io/service-account.name")
        .cloned();
    assert_eq!(
        names.as_deref(),
        Some(SERVICE_ACCOUNT),
        "{what}: the token Secret is for no ServiceAccount, so the control plane never fills it"
    );
}

/// The two components, on top of production: the master key from a file mount, the clusters
/// from a kubeconfig Secret. Rendered from a kustomization written under the target dir.
#[test]
fn components_switch_to_a_master_key_file_and_a_kubeconfig_secret() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deploy-components");
    std::fs::create_dir_all(&dir).expect("create the scratch kustomization dir");
    let dir = dir.canonicalize().expect("canonical scratch dir");
    let deploy = repo()
        .join("deploy")
        .canonicalize()
        .expect("deploy/ exists");
    let to = |p: &str| relative(&dir, &deploy.join(p)).display().to_string();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [to("overlays/production")],
        "components": [to("components/master-key-file"), to("components/kubeconfig-secret")],
    });
    std::fs::write(dir.join("kustomization.yaml"), kustomization.to_string())
        .expect("write the scratch kustomization");

    let rendered = Rendered::of(&dir, "production with both components");
    let what = rendered.what.clone();
    let deployment = assert_common(&rendered, 3);
    let container = console_container(&deployment);
    assert!(
        env_value(container, "SECRETS_CONSOLE_MASTER_KEY_FILE").is_some(),
        "{what}: the master-key-file component did not set SECRETS_CONSOLE_MASTER_KEY_FILE"
    );
    assert!(
        shipped_kubeconfig(&what, &rendered, &deployment).is_none(),
        "{what}: the kubeconfig still comes from the ConfigMap"
    );
    assert!(
        rendered.all::<ConfigMap>("ConfigMap").is_empty(),
        "{what}: the unused in-cluster kubeconfig ConfigMap is still rendered"
    );
}

/// The path from directory `from` to `to` (both absolute), as `../..`-style steps.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for component in &to[common..] {
        path.push(component);
    }
    path
}

/// A misspelled field is caught, and the message says where: the round trip is what every
/// other check here stands on.
#[test]
fn a_misspelled_field_is_reported_with_its_path() {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{
                    "name": "x",
                    "readinessProbe": {"httpGet": {"paht": "/readyz", "port": 3000}},
                }]},
            },
        },
    });
    let error = check_schema(&deployment).expect_err("a misspelled field is an error");
    assert_eq!(
        error,
        ".spec.template.spec.containers[0].readinessProbe.httpGet.paht is not a field of this kind"
    );
    let mut fixed = deployment;
    fixed["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"] =
        json!({"path": "/readyz", "port": 3000});
    assert_eq!(check_schema(&fixed), Ok(()));
    let wrong_version =
        json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {}});
    assert!(
        check_schema(&wrong_version).is_err(),
        "an API version the cluster no longer serves"
    );
}

/// The value of `ARG NAME=VALUE` in the Dockerfile.
fn dockerfile_arg(dockerfile: &str, name: &str) -> String {
    let prefix = format!("ARG {name}=");
    dockerfile
        .lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the Dockerfile has no `{prefix}...`"))
        .trim_matches('"')
        .to_owned()
}

/// The image is built with the tools `make run` uses: a different cargo-leptos or
/// wasm-bindgen-cli produces a bundle that does not match the server (the page never hydrates),
/// a different wasm-opt one that does not instantiate.
#[test]
fn dockerfile_builds_with_the_tool_versions_the_repository_pins() {
    let dockerfile = read("Dockerfile");

    let setup = read("scripts/setup.sh");
    let leptos = setup
        .lines()
        .find_map(|line| line.strip_prefix("CARGO_LEPTOS_VERSION="))
        .expect("scripts/setup.sh sets CARGO_LEPTOS_VERSION");
    assert_eq!(
        dockerfile_arg(&dockerfile, "CARGO_LEPTOS_VERSION"),
        leptos,
        "the Dockerfile's cargo-leptos differs from scripts/setup.sh's"
    );

    let lock = read("Cargo.lock");
    let mut lines = lock.lines();
    lines
        .find(|line| *line == "name = \"wasm-bindgen\"")
        .expect("Cargo.lock has wasm-bindgen");
    let locked = lines
        .next()
        .and_then(|line| line.strip_prefix("version = "))
        .expect("a version line after the name")
        .trim_matches('"');
    assert_eq!(
        dockerfile_arg(&dockerfile, "WASM_BINDGEN_VERSION"),
        locked,
        "the Dockerfile's wasm-bindgen-cli differs from the wasm-bindgen crate in Cargo.lock: \
         cargo leptos build would fail on the schema version"
    );

    let package: Value = serde_json::from_str(&read("end2end/package.json")).expect("JSON");
    assert_eq!(
        Some(dockerfile_arg(&dockerfile, "BINARYEN_VERSION").as_str()),
        package["devDependencies"]["binaryen"].as_str(),
        "the Dockerfile's binaryen (wasm-opt) differs from end2end/package.json's"
    );

    // The server looks for the bundle where LEPTOS_SITE_ROOT says; the image must put it there.
    let site_root = dockerfile
        .split_whitespace()
        .find_map(|word| word.strip_prefix("LEPTOS_SITE_ROOT="))
        .expect("the Dockerfile sets LEPTOS_SITE_ROOT");
    assert!(
        dockerfile
            .lines()
            .any(|line| line.starts_with("COPY --from=") && line.trim_end().ends_with(site_root)),
        "the Dockerfile copies no site bundle to {site_root}: pages would load without \
         their JS, WASM and CSS"
    );
}
