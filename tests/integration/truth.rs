//! The fault matrix and the status truth checker: a seeded random sequence of user changes and
//! cluster and process faults (latency, 500/503/429 bursts, 409 conflicts, a full outage, the
//! controller paused, the reconciler killed mid-work, on PostgreSQL every database connection
//! killed as a restart would), then quiet. Afterwards every assignment's status must agree
//! with the objects in the cluster, and the cluster must hold exactly the last change of each
//! (nothing lost, nothing left behind). Prints the agreement when quiet begins and the time to
//! full agreement.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use base64::Engine;
use secrets_console::model::secret::{
    ExternalDataEntry, ExternalSpec, KubernetesSpec, Scope, SecretSpec, SecretValues, UseCase,
};
use secrets_console::server::cluster::manifest::{LABEL_MANAGED_BY, LABEL_SECRET_ID};
use secrets_console::server::projects::create_project;
use secrets_console::server::secrets::{self, NewSecret, SecretChanges};
use secrets_console::sim::resources::by_kind;
use serde_json::Value;

use crate::on_both_backends;
use crate::reconcile_faults::Rig;
use crate::support::Backend;

on_both_backends!(after_random_changes_and_faults_every_status_agrees_with_the_cluster);

const PRESENT_KEY: &str = "shared/postgres/password";

/// A small seeded generator: the same seed replays the same run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What the test did, so what the cluster should hold.
#[derive(Debug, Clone)]
enum Want {
    /// An ExternalSecret reading this remote key (present in the store or not).
    External { remote_key: String },
    /// A Secret with these values.
    Kubernetes { values: BTreeMap<String, String> },
}

#[derive(Debug)]
struct Model {
    name: String,
    want: Want,
    projects: BTreeSet<i64>,
    version: i64,
}

struct Project {
    id: i64,
    cluster: usize,
    namespace: String,
}

async fn after_random_changes_and_faults_every_status_agrees_with_the_cluster(backend: Backend) {
    let seed: u64 = std::env::var("TRUTH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5ec2_e75c_0a50_1e01);
    let postgres = matches!(backend, Backend::Postgres(_));
    let mut rig = Rig::new(&backend).await;
    let mut dice = Dice(seed);
    let mut projects = vec![
        Project {
            id: rig.payments,
            cluster: 0,
            namespace: "payments".into(),
        },
        Project {
            id: rig.search,
            cluster: 1,
            namespace: "search".into(),
        },
    ];
    for (i, cluster) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
        let name = ["aws-dev", "gcp-dev"][cluster];
        let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE name = $1")
            .bind(name)
            .fetch_one(rig.db.pool())
            .await
            .unwrap();
        let namespace = format!("team-{i}");
        rig.sim.clusters()[cluster].ensure_namespace(&namespace);
        let id = create_project(&rig.db, &namespace, cluster_id, &namespace)
            .await
            .unwrap();
        projects.push(Project {
            id,
            cluster,
            namespace,
        });
    }

    let mut models: BTreeMap<i64, Model> = BTreeMap::new();
    let mut faults_used = BTreeSet::new();
    let mut unclear_reasons = Vec::new();
    for step in 0..70 {
        let roll = dice.below(100);
        if roll < 30 || models.is_empty() {
            // A new secret, External (its key present or missing) or Kubernetes.
            let name = format!("s{step}");
            let (spec, values, want) = if dice.chance(60) {
                external_change(&mut dice, 75, step)
            } else {
                kubernetes_change(format!("canary-{step}"))
            };
            let id = secrets::create(
                &rig.db,
                &rig.keys,
                &rig.admin,
                NewSecret {
                    name: name.clone(),
                    scope: Scope::Organization,
                    project_id: None,
                    use_case: UseCase::Generic,
                    description: String::new(),
                    spec,
                    values,
                    assign_to: Vec::new(),
                    selectors: String::new(),
                },
            )
            .await
            .unwrap();
            let chosen = pick(&mut dice, &projects);
            secrets::set_assignments(&rig.db, &rig.admin, id, &chosen)
                .await
                .unwrap();
            models.insert(
                id,
                Model {
                    name,
                    want,
                    projects: chosen.into_iter().collect(),
                    version: 1,
                },
            );
        } else if roll < 45 {
            let id = *nth_key(&models, dice.below(models.len() as u64));
            let chosen = pick(&mut dice, &projects);
            match secrets::set_assignments(&rig.db, &rig.admin, id, &chosen).await {
                Ok(_) => models.get_mut(&id).unwrap().projects = chosen.into_iter().collect(),
                // Assigning back where a removal is still under way is refused, as the user
                // is told; nothing changes.
                Err(secrets::ServiceError::Conflict(_)) => {}
                Err(error) => panic!("{error}"),
            }
        } else if roll < 60 {
            // An edit: another remote key, or new values.
            let id = *nth_key(&models, dice.below(models.len() as u64));
            let model = models.get_mut(&id).unwrap();
            let (spec, replace, want) = match &model.want {
                Want::External { .. } => external_change(&mut dice, 60, step),
                Want::Kubernetes { .. } => kubernetes_change(format!("canary-edit-{step}")),
            };
            model.version = secrets::update(
                &rig.db,
                &rig.keys,
                &rig.admin,
                id,
                model.version,
                SecretChanges {
                    use_case: UseCase::Generic,
                    description: format!("edit {step}"),
                    spec,
                    replace_values: replace,
                },
            )
            .await
            .unwrap();
            model.want = want;
        } else if roll < 68 {
            let id = *nth_key(&models, dice.below(models.len() as u64));
            secrets::delete(&rig.db, &rig.admin, id).await.unwrap();
            models.remove(&id);
        } else {
            let fault = inject(&mut rig, &mut dice, postgres).await;
            faults_used.insert(fault);
        }
        tokio::time::sleep(Duration::from_millis(dice.below(120))).await;
        unclear_reasons.extend(unclear(&rig).await);
    }

    // Quiet: every switch off, the controller running.
    for cluster in rig.sim.clusters() {
        cluster.faults.clear();
    }
    let quiet = Instant::now();
    let first = agreement(&rig, &models, &projects).await;
    let deadline = quiet + Duration::from_secs(90);
    let mut last = first.clone();
    let mut retried = 0;
    while last.agreeing < last.total || !last.problems.is_empty() {
        // A removal that outlived the delete deadline during the faults is DeleteFailed, and
        // the user retries it (the Retry button); then it must finish.
        let failed: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT secret_id, project_id FROM assignments WHERE status = 'DeleteFailed'",
        )
        .fetch_all(rig.db.pool())
        .await
        .unwrap();
        for (secret, project) in failed {
            // The removal may finish on its own between the read and the retry (a person's
            // Retry on a row already gone is a 404): either way it is over.
            match secrets::unassign(&rig.db, &rig.admin, secret, project).await {
                Ok(_) => retried += 1,
                Err(secrets_console::server::errors::ServiceError::NotFound) => {}
                Err(error) => panic!("retrying the removal of {secret} from {project}: {error:?}"),
            }
        }
        assert!(
            Instant::now() < deadline,
            "statuses did not agree with the cluster within 90 s of quiet (seed {seed}): {} of {} agree; {:#?}",
            last.agreeing,
            last.total,
            last.problems
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = agreement(&rig, &models, &projects).await;
    }
    let took = quiet.elapsed();
    println!(
        "truth checker ({}, seed {seed}): {} assignments of {} secrets; faults {:?}; \
         agreement at quiet {:.1}% ({}/{}); 100% after {} ms; removals retried by the user: {retried}",
        if postgres { "PostgreSQL" } else { "SQLite" },
        last.total,
        models.len(),
        faults_used,
        100.0 * first.agreeing as f64 / first.total.max(1) as f64,
        first.agreeing,
        first.total,
        took.as_millis()
    );
    assert!(
        unclear_reasons.is_empty(),
        "a reason shown during the faults is not in words a user can act on: {unclear_reasons:#?}"
    );
    assert!(
        faults_used.len() >= 5,
        "the seed exercised too few kinds of fault: {faults_used:?}"
    );
}

/// An External secret's spec and what the cluster should then hold: its remote key present in
/// the store `present_percent` of the time, else missing.
fn external_change(
    dice: &mut Dice,
    present_percent: u64,
    step: usize,
) -> (SecretSpec, SecretValues, Want) {
    let remote_key = if dice.chance(present_percent) {
        PRESENT_KEY.to_owned()
    } else {
        format!("missing/{step}")
    };
    (
        external(&remote_key),
        SecretValues::default(),
        Want::External { remote_key },
    )
}

/// A Kubernetes secret's spec, its one value, and what the cluster should then hold.
fn kubernetes_change(value: String) -> (SecretSpec, SecretValues, Want) {
    let values = BTreeMap::from([("TOKEN".to_owned(), value)]);
    (
        kubernetes(),
        SecretValues::from_pairs(values.clone()),
        Want::Kubernetes { values },
    )
}

fn external(remote_key: &str) -> SecretSpec {
    SecretSpec::External(ExternalSpec {
        store: "vault".into(),
        refresh_interval: "1h0m0s".into(),
        data: vec![ExternalDataEntry {
            secret_key: "password".into(),
            remote_key: remote_key.into(),
            property: None,
            version: None,
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn kubernetes() -> SecretSpec {
    SecretSpec::Kubernetes(KubernetesSpec {
        secret_type: "Opaque".into(),
        keys: vec!["TOKEN".into()],
    })
}

fn nth_key(models: &BTreeMap<i64, Model>, n: u64) -> &i64 {
    models.keys().nth(n as usize).unwrap()
}

fn pick(dice: &mut Dice, projects: &[Project]) -> Vec<i64> {
    projects
        .iter()
        .filter(|_| dice.chance(45))
        .map(|p| p.id)
        .collect()
}

/// Turns one fault on (some turn themselves off a moment later); returns its name.
async fn inject(rig: &mut Rig, dice: &mut Dice, postgres: bool) -> &'static str {
    let cluster = &rig.sim.clusters()[dice.below(2) as usize];
    match dice.below(if postgres { 9 } else { 8 }) {
        0 => {
            cluster.faults.set_latency(Duration::from_millis(80));
            "latency"
        }
        1 => {
            cluster.faults.set_error_rate("patch", 500, 0.5);
            "500 burst"
        }
        2 => {
            cluster.faults.set_error_rate("patch", 503, 0.5);
            cluster.faults.set_error_rate("get", 503, 0.3);
            "503 burst"
        }
        3 => {
            cluster.faults.set_error_rate("patch", 429, 0.5);
            "429 burst"
        }
        4 => {
            cluster.faults.set_error_rate("patch", 409, 0.3);
            "409 conflicts"
        }
        5 => {
            cluster.faults.set_outage(true);
            tokio::time::sleep(Duration::from_millis(800)).await;
            cluster.faults.set_outage(false);
            "outage"
        }
        6 => {
            cluster.faults.set_controller_paused(true);
            tokio::time::sleep(Duration::from_millis(600)).await;
            cluster.faults.set_controller_paused(false);
            "controller paused"
        }
        7 => {
            rig.crash_and_restart_reconciler().await;
            "reconciler killed"
        }
        _ => {
            // A database restart, as clients see it: every session of this database ends.
            let pool = rig.test_db.any_pool().await;
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .execute(&pool)
            .await
            .unwrap();
            "database restart"
        }
    }
}

/// Reasons that read like a program's insides rather than words a user can act on.
async fn unclear(rig: &Rig) -> Vec<String> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, reason FROM assignments")
            .fetch_all(rig.db.pool())
            .await
            .unwrap_or_default();
    rows.into_iter()
        .filter(|(status, _)| status != "Synced" && status != "Pending")
        .filter_map(|(status, reason)| {
            let reason = reason.unwrap_or_default();
            let bad = reason.trim().is_empty()
                || [
                    "ErrorResponse",
                    "hyper::",
                    "Api(",
                    "{ ",
                    "Some(",
                    "panicked",
                ]
                .iter()
                .any(|junk| reason.contains(junk));
            bad.then(|| format!("{status}: {reason:?}"))
        })
        .collect()
}

#[derive(Clone, Debug)]
struct Agreement {
    total: usize,
    agreeing: usize,
    problems: Vec<String>,
}

/// Compares what the console says with what the clusters hold.
async fn agreement(rig: &Rig, models: &BTreeMap<i64, Model>, projects: &[Project]) -> Agreement {
    let es_type = by_kind("external-secrets.io", "ExternalSecret").unwrap();
    let secret_type = by_kind("", "Secret").unwrap();
    let ours = |o: &Value| o["metadata"]["labels"][LABEL_MANAGED_BY] == "secrets-console";
    let statuses: BTreeMap<(i64, i64), String> = sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT secret_id, project_id, status FROM assignments",
    )
    .fetch_all(rig.db.pool())
    .await
    .unwrap_or_default()
    .into_iter()
    .map(|(s, p, status)| ((s, p), status))
    .collect();
    let mut problems = Vec::new();
    let (mut total, mut agreeing) = (0, 0);
    // An assignment the test removed is still being removed (or failed to be).
    for ((secret, project), status) in &statuses {
        let wanted = models
            .get(secret)
            .is_some_and(|m| m.projects.contains(project));
        if !wanted {
            problems.push(format!(
                "secret {secret} still assigned to project {project} ({status})"
            ));
        }
    }
    for project in projects {
        let store = &rig.sim.clusters()[project.cluster].store;
        let list = |t| {
            store
                .list(t, Some(&project.namespace), &ours, None, None)
                .map(|page| page.items)
                .unwrap_or_default()
        };
        let objects: Vec<Value> = list(es_type).into_iter().chain(list(secret_type)).collect();
        // Nothing left behind: every object of ours is a current assignment.
        for object in &objects {
            let secret_id: i64 = object["metadata"]["labels"][LABEL_SECRET_ID]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1);
            let wanted = models
                .get(&secret_id)
                .is_some_and(|m| m.projects.contains(&project.id));
            if !wanted && object["metadata"]["deletionTimestamp"].is_null() {
                problems.push(format!(
                    "{} {} left in {} (secret {secret_id}, owners {})",
                    object["kind"],
                    object["metadata"]["name"],
                    project.namespace,
                    object["metadata"]["ownerReferences"]
                ));
            }
        }
        for (id, model) in models
            .iter()
            .filter(|(_, m)| m.projects.contains(&project.id))
        {
            total += 1;
            let status = statuses
                .get(&(*id, project.id))
                .cloned()
                .unwrap_or_default();
            let find = |kind: &str| {
                objects
                    .iter()
                    .find(|o| o["kind"] == kind && o["metadata"]["name"] == model.name.as_str())
            };
            let truth = match &model.want {
                Want::External { remote_key } => match find("ExternalSecret") {
                    Some(es)
                        if es["spec"]["data"][0]["remoteRef"]["key"] == remote_key.as_str() =>
                    {
                        let ready = es["status"]["conditions"]
                            .as_array()
                            .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                            .map(|c| c["status"].clone());
                        let generation = es["metadata"]["generation"].as_i64().unwrap_or(0);
                        let synced = es["status"]["syncedResourceVersion"]
                            .as_str()
                            .and_then(|v| v.split('-').next())
                            .and_then(|g| g.parse::<i64>().ok());
                        match ready.as_ref().and_then(Value::as_str) {
                            Some("True") if synced == Some(generation) => "Synced",
                            Some("False") => "SyncedError",
                            _ => "not settled",
                        }
                    }
                    Some(_) => "stale spec",
                    None => "absent",
                },
                Want::Kubernetes { values } => match find("Secret") {
                    Some(secret) => {
                        let engine = base64::engine::general_purpose::STANDARD;
                        let live: BTreeMap<String, String> = secret["data"]
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| {
                                let bytes =
                                    engine.decode(v.as_str().unwrap_or("")).unwrap_or_default();
                                (k.clone(), String::from_utf8_lossy(&bytes).into_owned())
                            })
                            .collect();
                        if &live == values {
                            "Synced"
                        } else {
                            "stale values"
                        }
                    }
                    None => "absent",
                },
            };
            let expected = match &model.want {
                Want::External { remote_key } if remote_key == PRESENT_KEY => "Synced",
                Want::External { .. } => "SyncedError",
                Want::Kubernetes { .. } => "Synced",
            };
            if status == truth && truth == expected {
                agreeing += 1;
            } else {
                problems.push(format!(
                    "{} in {}: console says {status}, cluster shows {truth}, the last change asks for {expected}",
                    model.name, project.namespace
                ));
            }
        }
    }
    Agreement {
        total,
        agreeing,
        problems,
    }
}
