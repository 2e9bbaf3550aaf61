//! What kube-apiserver itself does to a workload before storing it (apps/v1 Deployment,
//! StatefulSet, DaemonSet; batch/v1 Job, CronJob; core/v1 Pod): its defaulting, the part of its
//! validation a manifest most often trips on, and what the registry strategies set on create.
//! Nothing here runs a pod: no controller acts on these kinds, so their status stays as the
//! strategy left it (empty; a Pod `Pending`).
//!
//! Sources (kubernetes v1.33):
//! - defaults: `SetDefaults_Deployment`, `SetDefaults_StatefulSet`, `SetDefaults_DaemonSet`
//!   (`pkg/apis/apps/v1/defaults.go`), `SetDefaults_Job`, `SetDefaults_CronJob`
//!   (`pkg/apis/batch/v1/defaults.go`), `SetDefaults_PodSpec`, `SetDefaults_Container`,
//!   `SetDefaults_ContainerPort`, `SetDefaults_SecretVolumeSource` and the ConfigMap and
//!   projected ones, `SetDefaults_Pod` (`pkg/apis/core/v1/defaults.go`).
//! - validation: `ValidateDeploymentSpec`, `ValidateStatefulSetSpec`, `ValidateDaemonSetSpec`
//!   and `ValidatePodTemplateSpecForReplicaSet` (`pkg/apis/apps/validation/validation.go`): a
//!   missing selector is `spec.selector: Required value`, and then (a nil selector selects
//!   nothing) also `spec.template.metadata.labels: Invalid value: {…}: `selector` does not match
//!   template `labels``; the template's `restartPolicy` must be `Always`; the selector is
//!   immutable (`ValidateDeploymentUpdate`, …). `validateJobPodTemplateSpec`
//!   (`pkg/apis/batch/validation/validation.go`): `restartPolicy` `OnFailure` or `Never`; a
//!   CronJob needs a `schedule`. `validateContainers` (`pkg/apis/core/validation/validation.go`):
//!   at least one container, each named; a Pod's containers need an image
//!   (`validateContainersOnlyForPod`), templates' need not.
//! - create: the strategies' `PrepareForCreate` clear `status` (`pkg/registry/apps/deployment/
//!   strategy.go` and the others); a Pod's becomes `phase: Pending` with its QoS class
//!   (`pkg/registry/core/pod/strategy.go`); a Job without `manualSelector` gets the generated
//!   selector and template labels of its uid and name (`generateSelector`,
//!   `pkg/registry/batch/job/strategy.go`).
//!
//! Not done: the admission plugins (ServiceAccount, Priority, DefaultTolerationSeconds), the
//! rest of `ValidatePodSpec`, and the immutability of a Job's template.

use serde_json::{Map, Value, json};

use super::schema::FieldError;

fn required(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueRequired",
        message: "Required value".to_owned(),
    }
}

fn invalid(field: &str, value: &Value, detail: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueInvalid",
        message: format!("Invalid value: {value}: {detail}"),
    }
}

fn not_supported(field: &str, value: &str, supported: &[&str]) -> FieldError {
    let listed: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
    FieldError {
        field: field.to_owned(),
        reason: "FieldValueNotSupported",
        message: format!(
            "Unsupported value: \"{value}\": supported values: {}",
            listed.join(", ")
        ),
    }
}

/// Sets `object[key]` to `value` when it is absent or null.
fn default(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut()
        && map.get(key).is_none_or(Value::is_null)
    {
        map.insert(key.to_owned(), value);
    }
}

/// The map at `object[key]`, made an empty one when absent.
fn entry<'a>(object: &'a mut Value, key: &str) -> &'a mut Value {
    default(object, key, json!({}));
    &mut object[key]
}

/// Applies the defaults and checks of a workload kind (`kind`); `old` on update.
pub(crate) fn admit(
    kind: &str,
    object: &mut Value,
    old: Option<&Value>,
    errors: &mut Vec<FieldError>,
) {
    if old.is_none() {
        prepare_for_create(kind, object);
    }
    let spec = entry(object, "spec");
    match kind {
        "Deployment" => {
            default(spec, "replicas", json!(1));
            let strategy = entry(spec, "strategy");
            default(strategy, "type", json!("RollingUpdate"));
            if strategy["type"] == "RollingUpdate" {
                let rolling = entry(strategy, "rollingUpdate");
                default(rolling, "maxUnavailable", json!("25%"));
                default(rolling, "maxSurge", json!("25%"));
            }
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
        }
        "StatefulSet" => {
            default(spec, "replicas", json!(1));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            let strategy = entry(spec, "updateStrategy");
            default(strategy, "type", json!("RollingUpdate"));
            if strategy["type"] == "RollingUpdate" {
                default(entry(strategy, "rollingUpdate"), "partition", json!(0));
            }
            let retention = entry(spec, "persistentVolumeClaimRetentionPolicy");
            default(retention, "whenDeleted", json!("Retain"));
            default(retention, "whenScaled", json!("Retain"));
            default(spec, "revisionHistoryLimit", json!(10));
        }
        "DaemonSet" => {
            let strategy = entry(spec, "updateStrategy");
            default(strategy, "type", json!("RollingUpdate"));
            if strategy["type"] == "RollingUpdate" {
                let rolling = entry(strategy, "rollingUpdate");
                default(rolling, "maxUnavailable", json!(1));
                default(rolling, "maxSurge", json!(0));
            }
            default(spec, "revisionHistoryLimit", json!(10));
        }
        "Job" => job_defaults(spec),
        "CronJob" => {
            default(spec, "concurrencyPolicy", json!("Allow"));
            default(spec, "suspend", json!(false));
            default(spec, "successfulJobsHistoryLimit", json!(3));
            default(spec, "failedJobsHistoryLimit", json!(1));
        }
        _ => {}
    }
    let (template_at, pod_spec_at) = match kind {
        "Pod" => ("", "spec"),
        "CronJob" => (
            "spec.jobTemplate.spec.template",
            "spec.jobTemplate.spec.template.spec",
        ),
        _ => ("spec.template", "spec.template.spec"),
    };
    if let Some(pod) = object.pointer_mut(&pointer(pod_spec_at)) {
        pod_spec_defaults(pod);
    }
    if kind == "Pod" {
        pod_defaults(object);
    }
    validate(kind, object, old, template_at, pod_spec_at, errors);
}

/// `/spec/template/spec` for `spec.template.spec`.
fn pointer(dotted: &str) -> String {
    dotted.split('.').map(|s| format!("/{s}")).collect()
}

/// The strategies' `PrepareForCreate`.
fn prepare_for_create(kind: &str, object: &mut Value) {
    object["status"] = json!({});
    if kind == "Job"
        && object.pointer("/spec/manualSelector") != Some(&json!(true))
        && object
            .pointer("/spec/template")
            .is_some_and(Value::is_object)
    {
        let text = |at: &str| object.pointer(at).cloned().unwrap_or(json!(""));
        let (name, uid) = (text("/metadata/name"), text("/metadata/uid"));
        let labels = entry(entry(&mut object["spec"]["template"], "metadata"), "labels");
        for (label, value) in [
            ("batch.kubernetes.io/job-name", &name),
            ("job-name", &name),
            ("batch.kubernetes.io/controller-uid", &uid),
            ("controller-uid", &uid),
        ] {
            default(labels, label, value.clone());
        }
        let selector = entry(&mut object["spec"], "selector");
        default(
            entry(selector, "matchLabels"),
            "batch.kubernetes.io/controller-uid",
            uid,
        );
    }
}

fn job_defaults(spec: &mut Value) {
    let indexed = spec["completionMode"] == "Indexed";
    if spec.get("completions").is_none_or(Value::is_null)
        && spec.get("parallelism").is_none_or(Value::is_null)
        && !indexed
    {
        spec["completions"] = json!(1);
        spec["parallelism"] = json!(1);
    }
    default(spec, "parallelism", json!(1));
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    if spec.get("podFailurePolicy").is_none_or(Value::is_null) {
        default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    }
}

fn pod_spec_defaults(pod: &mut Value) {
    default(pod, "dnsPolicy", json!("ClusterFirst"));
    default(pod, "restartPolicy", json!("Always"));
    default(pod, "terminationGracePeriodSeconds", json!(30));
    default(pod, "securityContext", json!({}));
    default(pod, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = pod.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers {
            default(
                container,
                "terminationMessagePath",
                json!("/dev/termination-log"),
            );
            default(container, "terminationMessagePolicy", json!("File"));
            let image = container["image"].as_str().unwrap_or_default();
            // No tag (a registry port is no tag) or `latest`, and no digest: `Always`.
            let tag = image.rsplit_once(':').map(|(_, tag)| tag);
            let latest =
                !image.contains('@') && tag.is_none_or(|t| t == "latest" || t.contains('/'));
            if list != "ephemeralContainers" || container.get("image").is_some() {
                default(
                    container,
                    "imagePullPolicy",
                    json!(if latest { "Always" } else { "IfNotPresent" }),
                );
            }
            default(container, "resources", json!({}));
            if let Some(ports) = container.get_mut("ports").and_then(Value::as_array_mut) {
                ports
                    .iter_mut()
                    .for_each(|p| default(p, "protocol", json!("TCP")));
            }
        }
    }
    if let Some(volumes) = pod.get_mut("volumes").and_then(Value::as_array_mut) {
        for volume in volumes {
            for source in ["secret", "configMap", "projected"] {
                if let Some(v) = volume.get_mut(source).filter(|v| v.is_object()) {
                    default(v, "defaultMode", json!(420));
                }
            }
        }
    }
}

/// `SetDefaults_Pod`: service links on, a container's requests default to its limits; and
/// the QoS class the strategy computes (`GetPodQOS`, simplified to cpu and memory).
fn pod_defaults(pod: &mut Value) {
    default(&mut pod["spec"], "enableServiceLinks", json!(true));
    let mut any = false;
    let mut guaranteed = true;
    if let Some(containers) = pod
        .pointer_mut("/spec/containers")
        .and_then(Value::as_array_mut)
    {
        for container in containers {
            let resources = entry(container, "resources");
            if let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() {
                let requests = entry(resources, "requests");
                for (name, limit) in limits {
                    default(requests, &name, limit);
                }
            }
            for resource in ["cpu", "memory"] {
                let limit = resources.pointer(&format!("/limits/{resource}"));
                let request = resources.pointer(&format!("/requests/{resource}"));
                any |= limit.is_some() || request.is_some();
                guaranteed &= limit.is_some() && limit == request;
            }
        }
    }
    let class = match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    };
    if pod["status"].get("phase").is_none() {
        pod["status"] = json!({"phase": "Pending", "qosClass": class});
    }
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`
/// (`LabelSelectorAsSelector` and `Matches`); `None` for a malformed one.
fn selects(selector: &Value, labels: &Map<String, Value>) -> Option<bool> {
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    for (key, value) in selector["matchLabels"].as_object().into_iter().flatten() {
        if label(key) != value.as_str() {
            return Some(false);
        }
    }
    for requirement in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = requirement["key"].as_str()?;
        let values: Vec<&str> = (requirement["values"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let matched = match requirement["operator"].as_str()? {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => return None,
        };
        if !matched {
            return Some(false);
        }
    }
    Some(true)
}

fn validate(
    kind: &str,
    object: &Value,
    old: Option<&Value>,
    template_at: &str,
    pod_spec_at: &str,
    errors: &mut Vec<FieldError>,
) {
    let at = |dotted: &str| object.pointer(&pointer(dotted));
    if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
        let selector = at("spec.selector").filter(|s| !s.is_null());
        match selector {
            None => errors.push(required("spec.selector")),
            Some(s) => {
                let empty = |field: &str| {
                    s[field].as_object().is_none_or(Map::is_empty)
                        && s[field].as_array().is_none_or(Vec::is_empty)
                };
                if empty("matchLabels") && empty("matchExpressions") {
                    let detail = format!("empty selector is invalid for {}", kind.to_lowercase());
                    errors.push(invalid("spec.selector", s, &detail));
                }
            }
        }
        let labels = at("spec.template.metadata.labels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // A nil selector selects nothing (`labels.Nothing()`), an empty one everything.
        let matches = selector.map_or(Some(false), |s| selects(s, &labels));
        match matches {
            None => errors.push(invalid(
                "spec.selector",
                selector.unwrap_or(&Value::Null),
                "invalid label selector",
            )),
            Some(false) => errors.push(invalid(
                "spec.template.metadata.labels",
                &Value::Object(labels),
                "`selector` does not match template `labels`",
            )),
            Some(true) => {}
        }
        if let Some(old) = old
            && old.pointer("/spec/selector") != selector
        {
            errors.push(invalid(
                "spec.selector",
                selector.unwrap_or(&Value::Null),
                "field is immutable",
            ));
        }
    }
    if kind != "Pod" && at(template_at).is_none_or(Value::is_null) {
        errors.push(required(template_at));
        return;
    }
    let restart = at(&format!("{pod_spec_at}.restartPolicy"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let restart_field = format!("{pod_spec_at}.restartPolicy");
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" if restart != "Always" => {
            errors.push(not_supported(&restart_field, restart, &["Always"]));
        }
        "Job" | "CronJob" if !matches!(restart, "OnFailure" | "Never") => {
            errors.push(not_supported(
                &restart_field,
                restart,
                &["OnFailure", "Never"],
            ));
        }
        _ => {}
    }
    if kind == "CronJob"
        && at("spec.schedule")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        errors.push(required("spec.schedule"));
    }
    let containers = at(&format!("{pod_spec_at}.containers")).and_then(Value::as_array);
    match containers {
        None => errors.push(required(&format!("{pod_spec_at}.containers"))),
        Some(list) if list.is_empty() => {
            errors.push(required(&format!("{pod_spec_at}.containers")));
        }
        Some(list) => {
            for (i, container) in list.iter().enumerate() {
                let field = |name: &str| format!("{pod_spec_at}.containers[{i}].{name}");
                if container["name"].as_str().is_none_or(str::is_empty) {
                    errors.push(required(&field("name")));
                }
                if kind == "Pod" && container["image"].as_str().is_none_or(str::is_empty) {
                    errors.push(required(&field("image")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(selector: Value, labels: Value) -> Value {
        json!({
            "metadata": {"name": "api"},
            "spec": {
                "selector": selector,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.2"}]},
                },
            },
        })
    }

    fn messages(errors: &[FieldError]) -> Vec<String> {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn a_deployment_without_a_selector_is_refused_as_kube_apiserver_refuses_it() {
        let mut object = deployment(Value::Null, json!({"app": "broken"}));
        if let Some(spec) = object["spec"].as_object_mut() {
            spec.remove("selector");
        }
        let mut errors = Vec::new();
        admit("Deployment", &mut object, None, &mut errors);
        assert_eq!(
            messages(&errors),
            [
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: {\"app\":\"broken\"}: `selector` \
                 does not match template `labels`"
            ]
        );
    }

    #[test]
    fn a_selector_that_misses_the_template_labels_is_refused() {
        let mut object = deployment(
            json!({"matchLabels": {"app": "api"}}),
            json!({"app": "web"}),
        );
        let mut errors = Vec::new();
        admit("Deployment", &mut object, None, &mut errors);
        assert_eq!(errors.len(), 1, "{:?}", messages(&errors));
        assert_eq!(errors[0].field, "spec.template.metadata.labels");
    }

    #[test]
    fn a_valid_deployment_gets_kube_apiserver_defaults() {
        let mut object = deployment(
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}),
            json!({"app": "api"}),
        );
        let mut errors = Vec::new();
        admit("Deployment", &mut object, None, &mut errors);
        assert!(errors.is_empty(), "{:?}", messages(&errors));
        assert_eq!(object["spec"]["replicas"], 1);
        assert_eq!(
            object["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
            "25%"
        );
        let pod = &object["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["containers"][0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(object["status"], json!({}));
    }

    #[test]
    fn the_selector_of_a_deployment_is_immutable() {
        let old = deployment(
            json!({"matchLabels": {"app": "api"}}),
            json!({"app": "api"}),
        );
        let mut new = deployment(
            json!({"matchLabels": {"app": "api", "tier": "x"}}),
            json!({"app": "api", "tier": "x"}),
        );
        let mut errors = Vec::new();
        admit("Deployment", &mut new, Some(&old), &mut errors);
        assert!(
            messages(&errors)
                .iter()
                .any(|m| m.starts_with("spec.selector: Invalid value:")
                    && m.ends_with("field is immutable")),
            "{:?}",
            messages(&errors)
        );
    }

    #[test]
    fn a_job_needs_a_restart_policy_other_than_always_and_gets_its_selector() {
        let mut job = json!({
            "metadata": {"name": "migrate", "uid": "u-1"},
            "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "m"}]}}},
        });
        let mut errors = Vec::new();
        admit("Job", &mut job, None, &mut errors);
        assert_eq!(
            messages(&errors),
            [
                "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported \
              values: \"OnFailure\", \"Never\""
            ]
        );
        assert_eq!(
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            "migrate"
        );
        assert_eq!(job["spec"]["backoffLimit"], 6);
    }

    #[test]
    fn a_cron_job_needs_a_schedule_and_a_bare_pod_an_image() {
        let mut cron = json!({"metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "n"}]}}}}}});
        let mut errors = Vec::new();
        admit("CronJob", &mut cron, None, &mut errors);
        assert_eq!(messages(&errors), ["spec.schedule: Required value"]);
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}});
        let mut errors = Vec::new();
        admit("Pod", &mut pod, None, &mut errors);
        assert_eq!(
            messages(&errors),
            ["spec.containers[0].image: Required value"]
        );
        assert_eq!(pod["status"]["phase"], "Pending");
    }
}
