//! Working one change: load what the database wants, read what the cluster has, then do what
//! [`plan`] says, feeding each answer back to it until it says the change is done, refused or
//! to be retried. The requests live here; the decisions live in `plan.rs`.

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::json;
use sqlx::Row;

use super::context::{Context, external_secret_resource_at, secret_resource};
use super::error::Error;
use super::plan::{Action, Desired, Kind, Observed, plan};
use crate::domain::status::{FailureClass, Observation};
use crate::model::secret::{Scope, SecretSpec, UseCase};
use crate::server::audit::{self, Actor};
use crate::server::clock::now_ms;
use crate::server::cluster::manifest::{self, Manifest, Placement};
use crate::server::cluster::registry::ClusterHandle;
use crate::server::errors::ServiceError;
use crate::server::secrets;
use crate::server::work_queue::{Item, Op};

/// What working a change came to.
pub(super) enum Outcome {
    /// Finished (whatever the cluster said is recorded as an observation).
    Done,
    /// The API server accepted the apply (or had it already): the object is at `generation`.
    /// Recorded with the row's end, in the finisher's batch; then the watcher judges `object`
    /// (namespace, name) again.
    Applied {
        /// `metadata.generation` after the apply.
        generation: i64,
        /// Which object.
        object: (String, String),
    },
    /// Try again after the back-off, for this reason (nothing recorded, or a refusal recorded
    /// that may heal by itself).
    Retry(String),
}

/// The assignment a work row is about, as the cluster needs to see it.
struct Target {
    placement: Placement,
    spec: SecretSpec,
    use_case: UseCase,
    cluster: String,
    adopt: bool,
    /// Take over the existing object without changing its data ("Manage with the console").
    take_over: bool,
}

async fn load_target(ctx: &Context, item: &Item) -> Result<Option<Target>, Error> {
    let row = sqlx::query(
        "SELECT a.id AS assignment_id, s.name AS name, s.scope AS scope, s.spec AS spec, \
         s.use_case AS use_case, \
         p.namespace AS namespace, c.name AS cluster, \
         CASE WHEN a.adopt THEN 1 ELSE 0 END AS adopt, \
         CASE WHEN a.take_over THEN 1 ELSE 0 END AS take_over FROM assignments a \
         JOIN secrets s ON s.id = a.secret_id JOIN projects p ON p.id = a.project_id \
         JOIN clusters c ON c.id = p.cluster_id WHERE a.secret_id = $1 AND a.project_id = $2",
    )
    .bind(item.secret_id)
    .bind(item.project_id)
    .fetch_optional(ctx.db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let spec: String = row.try_get("spec")?;
    let spec: SecretSpec = serde_json::from_str(&spec)
        .map_err(|e| ServiceError::Conflict(format!("stored spec unreadable: {e}")))?;
    let scope: String = row.try_get("scope")?;
    Ok(Some(Target {
        placement: Placement {
            secret_id: item.secret_id,
            assignment_id: row.try_get("assignment_id")?,
            scope: if scope == "Project" {
                Scope::Project
            } else {
                Scope::Organization
            },
            name: row.try_get("name")?,
            namespace: row.try_get("namespace")?,
        },
        spec,
        use_case: UseCase::parse(&row.try_get::<String, _>("use_case")?)
            .unwrap_or(UseCase::Generic),
        cluster: row.try_get("cluster")?,
        adopt: row.try_get::<i64, _>("adopt")? == 1,
        take_over: row.try_get::<i64, _>("take_over")? == 1,
    }))
}

/// A refusal in words a user can act on, chosen by the kind of error (and, for a 403, by
/// whether the namespace turned out not to exist).
fn refusal(target: &Target, kind: Kind, error: &Error, namespace_missing: bool) -> String {
    let kind = kind.name();
    let name = &target.placement.name;
    let namespace = &target.placement.namespace;
    let cluster = &target.cluster;
    let said = error.message();
    let missing = || {
        format!(
            "Namespace `{namespace}` does not exist on cluster {cluster}; ask a platform admin to create it."
        )
    };
    match error {
        Error::MissingNamespace(_) => missing(),
        Error::Forbidden(_) if namespace_missing => missing(),
        Error::NamespaceTerminating(_) => format!(
            "Namespace `{namespace}` on cluster {cluster} is being deleted; nothing can be created in it until it is gone and created again."
        ),
        Error::Unauthorized(_) => format!(
            "Cluster {cluster} no longer accepts the console's credentials; ask a platform admin to renew them: {said}"
        ),
        Error::NotServed(_) => format!(
            "Cluster {cluster} does not serve {kind} objects (is External Secrets Operator installed?): {said}"
        ),
        Error::Forbidden(_) => format!(
            "secrets-console may not write {kind} `{name}` in namespace `{namespace}` on cluster {cluster}; \
             ask a platform admin to bind its role in that namespace (docs/deploy.md). The cluster said: {said}"
        ),
        Error::Conflict(_) => format!(
            "{kind} `{name}` in namespace `{namespace}` on cluster {cluster} has fields another tool manages; it was left untouched: {said}"
        ),
        Error::Refused(_) => format!("Cluster {cluster} refused {kind} `{name}`: {said}"),
        Error::Unreachable(_) => format!("Cluster {cluster} could not be reached: {said}"),
        Error::Database(_) => format!("The console could not read its own records: {said}"),
    }
}

/// Which failure a user can act on a refusal is, from the kind of error alone (and, for a
/// 403, whether the namespace turned out not to exist); `None` for the others.
fn failure_of(kind: Kind, error: &Error, namespace_missing: bool) -> Option<FailureClass> {
    match error {
        Error::MissingNamespace(_) => Some(FailureClass::NamespaceMissing),
        Error::Forbidden(_) if namespace_missing => Some(FailureClass::NamespaceMissing),
        Error::Forbidden(_) => Some(FailureClass::Forbidden),
        // A 404 for the resource itself: the API server does not serve ExternalSecret, so the
        // External Secrets Operator's CRDs are not installed.
        Error::NotServed(_) if kind == Kind::ExternalSecret => Some(FailureClass::OperatorMissing),
        _ => None,
    }
}

/// Why an object being taken over was left alone: its content is no longer what was read.
fn diverged_reason(target: &Target, kind: Kind) -> String {
    let kind = kind.name();
    format!(
        "The {kind} `{}` in namespace `{}` on cluster {} changed after it was brought under management, so the console did not take it over and left it untouched. Adopt it to write the console's copy over it, or delete this secret to leave the object as it is.",
        target.placement.name, target.placement.namespace, target.cluster
    )
}

fn foreign_reason(target: &Target, kind: Kind) -> String {
    let kind = kind.name();
    format!(
        "A {kind} named `{}` already exists in namespace `{}` on cluster {} and is not managed by this assignment; it was left untouched. Rename the secret or remove that {kind}.",
        target.placement.name, target.placement.namespace, target.cluster
    )
}

/// The controller owning an object, if any: (kind, name) of its `controller: true` owner.
fn controller_of(object: &DynamicObject) -> Option<(String, String)> {
    object
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
        .map(|owner| (owner.kind.clone(), owner.name.clone()))
}

/// Why a same-named Secret another controller owns stays in the way. External Secrets
/// Operator makes itself the Secret's controller (`controllerutil.SetControllerReference` in
/// its ExternalSecret controller's `applyOwnership`), which fails when another controller
/// already is one; it then reports "failed to take ownership of target secret" and does not
/// try again. So adopting cannot work: the owner must let go first.
fn controlled_reason(target: &Target, owner_kind: &str, owner: &str) -> String {
    format!(
        "A Secret named `{}` already exists in namespace `{}` on cluster {} and is controlled by {owner_kind} `{owner}`; it was left untouched. External Secrets Operator will not take over a Secret another controller owns, so it cannot be adopted: rename the secret, or remove that Secret or its owner first.",
        target.placement.name, target.placement.namespace, target.cluster
    )
}

async fn observe(ctx: &Context, item: &Item, observation: Observation) -> Result<(), Error> {
    match secrets::observe(&ctx.db, item.secret_id, item.project_id, &observation).await {
        Ok(_) | Err(ServiceError::NotFound) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Reads an object by name: `Ok(None)` when there is none.
async fn read(api: &Api<DynamicObject>, name: &str) -> Result<Option<DynamicObject>, Error> {
    Ok(api.get_opt(name).await?)
}

/// Works one change to the end (or to its retry).
pub(super) async fn process(
    ctx: &Context,
    cluster: &ClusterHandle,
    item: &Item,
) -> Result<Outcome, Error> {
    let Some(target) = load_target(ctx, item).await? else {
        // The assignment is gone (its delete finished): nothing left to do.
        return Ok(Outcome::Done);
    };
    let (kind, resource) = match target.spec {
        SecretSpec::External(_) => (
            Kind::ExternalSecret,
            external_secret_resource_at(cluster.eso.api_version()),
        ),
        SecretSpec::Kubernetes(_) => (Kind::Secret, secret_resource()),
    };
    let namespace = &target.placement.namespace;
    let name = &target.placement.name;
    let api: Api<DynamicObject> =
        Api::namespaced_with(cluster.client.clone(), namespace, &resource);
    let op = item.op;
    let manifest = match (op, &target.spec) {
        (Op::Delete, _) => None,
        (_, SecretSpec::External(spec)) => {
            let mut manifest = manifest::external_secret(&target.placement, spec, target.use_case);
            // Written at the version the cluster serves (`v1beta1` on older installs), unless
            // the secret uses a field that version does not have: nothing is written then.
            if let Err(reason) = crate::server::cluster::eso_served::serve_as(
                &mut manifest,
                cluster.eso.api_version(),
            ) {
                observe(
                    ctx,
                    item,
                    Observation::ApplyRefused {
                        reason,
                        failure: None,
                    },
                )
                .await?;
                return Ok(Outcome::Done);
            }
            Some(manifest)
        }
        (_, SecretSpec::Kubernetes(spec)) => {
            let values = secrets::decrypt_values(&ctx.db, &ctx.keys, item.secret_id).await?;
            let fingerprint = ctx.keys.fingerprint(&values);
            Some(manifest::kubernetes_secret(
                &target.placement,
                spec,
                &values,
                &fingerprint,
            ))
        }
    };
    let body = manifest.as_ref().map(|Manifest(body)| body);
    let desired = Desired {
        op,
        kind,
        secret_id: target.placement.secret_id,
        assignment_id: target.placement.assignment_id,
        body,
        adopt: target.adopt && op != Op::Delete,
        take_over: target.take_over && op != Op::Delete,
        creates_namespaces: cluster.creates_namespaces,
        target_type: match &target.spec {
            SecretSpec::External(_) => manifest::target_type(target.use_case),
            SecretSpec::Kubernetes(_) => None,
        },
    };
    // Never overwrite what is not ours: the object itself and, before applying an
    // ExternalSecret, the Secret ESO would write into (unless an admin adopts them).
    // The Secret an ExternalSecret's controller writes into, of the same name.
    let targets: Api<DynamicObject> =
        Api::namespaced_with(cluster.client.clone(), namespace, &secret_resource());
    let mut observed = Observed::default();
    if !desired.adopt {
        observed.object = Some(read(&api, name).await);
        if op == Op::Apply && kind == Kind::ExternalSecret {
            observed.target = Some(read(&targets, name).await);
        }
    }
    // Each step answers one request (taking fields back makes none); a change takes at most
    // five (replace the target, apply, ask for the namespace, create it, apply again; or apply,
    // take back, apply forced), so the bound is never reached by a cluster that answers as
    // Kubernetes does.
    for _ in 0..6 {
        let action = plan(&desired, &observed);
        match action {
            Action::Apply { force } => {
                let mut params = PatchParams::apply(manifest::FIELD_MANAGER);
                if force {
                    params = params.force();
                }
                let body = body.expect("an apply has a manifest");
                let started = std::time::Instant::now();
                let result = api.patch(name, &params, &Patch::Apply(body)).await;
                crate::server::metrics::record_apply(
                    &target.cluster,
                    started.elapsed().as_secs_f64(),
                    result.is_err(),
                );
                match result {
                    Ok(object) => {
                        let generation = object.metadata.generation.unwrap_or(0);
                        return applied(ctx, &target, generation).await;
                    }
                    Err(error) => observed.refused = Some(error.into()),
                }
            }
            Action::TakeOver { resource_version } => {
                // Forced, so the console's manager owns the fields it wrote identically; at the
                // resourceVersion compared, so a change since is not overwritten (409: read again).
                let mut body = body.expect("a take-over has a manifest").clone();
                body["metadata"]["resourceVersion"] = json!(resource_version);
                let params = PatchParams::apply(manifest::FIELD_MANAGER).force();
                match api.patch(name, &params, &Patch::Apply(&body)).await {
                    Ok(object) => {
                        tracing::info!(cluster = %target.cluster, %namespace, %name, "took over an existing object without changing its data");
                        let generation = object.metadata.generation.unwrap_or(0);
                        return applied(ctx, &target, generation).await;
                    }
                    Err(kube::Error::Api(status)) if status.code == 409 => {
                        observed.object = Some(read(&api, name).await);
                    }
                    Err(error) => observed.refused = Some(error.into()),
                }
            }
            Action::Diverged { kind } => {
                let reason = diverged_reason(&target, kind);
                observe(ctx, item, Observation::ForeignObject { reason }).await?;
                return Ok(Outcome::Done);
            }
            Action::Unchanged { generation } => {
                return applied(ctx, &target, generation).await;
            }
            Action::ForceSync => {
                let patch =
                    json!({"metadata": {"annotations": {"force-sync": now_ms().to_string()}}});
                let params = PatchParams {
                    field_manager: Some(format!("{}-sync", manifest::FIELD_MANAGER)),
                    ..PatchParams::default()
                };
                match api.patch(name, &params, &Patch::Merge(patch)).await {
                    Ok(_) => return Ok(Outcome::Done),
                    // Gone since it was read: applying it syncs it.
                    Err(kube::Error::Api(status)) if status.code == 404 => {
                        observed.object = Some(Ok(None));
                    }
                    Err(error) => observed.refused = Some(error.into()),
                }
            }
            Action::CreateNamespace => {
                let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
                    Api::all(cluster.client.clone());
                let object = serde_json::from_value(json!({
                    "metadata": {"name": namespace, "labels": {manifest::LABEL_MANAGED_BY: manifest::MANAGED_BY}}
                }))
                .expect("a namespace object");
                match namespaces.create(&PostParams::default(), &object).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if status.code == 409 => {}
                    Err(error) => return Ok(Outcome::Retry(Error::from(error).to_string())),
                }
                observed.namespace_created = true;
                observed.refused = None;
            }
            Action::ReplaceTarget => {
                match targets.delete(name, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if status.code == 404 => {}
                    Err(error) => return Ok(Outcome::Retry(Error::from(error).to_string())),
                }
                tracing::info!(cluster = %target.cluster, %namespace, %name, "replaced a target Secret whose type must change");
                observed.target = Some(Ok(None));
                observed.target_replaced = true;
            }
            Action::CheckNamespace => {
                let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
                    Api::all(cluster.client.clone());
                observed.namespace_exists = Some(match namespaces.get_opt(namespace).await {
                    Ok(found) => found.is_some(),
                    // The role may not read namespaces: it cannot be told; the 403 stands.
                    Err(kube::Error::Api(status)) if status.code == 403 => true,
                    Err(error) => return Ok(Outcome::Retry(Error::from(error).to_string())),
                });
            }
            Action::Delete => match api.delete(name, &DeleteParams::background()).await {
                Ok(either) => {
                    if either.is_right() {
                        observe(ctx, item, Observation::ObjectGone).await?;
                    }
                    // Otherwise a finalizer holds it: the watcher sees it go; the deadline
                    // catches a finalizer nobody removes.
                    return Ok(Outcome::Done);
                }
                Err(error) => observed.refused = Some(error.into()),
            },
            Action::Gone => {
                observe(ctx, item, Observation::ObjectGone).await?;
                return Ok(Outcome::Done);
            }
            Action::TakeBack(error) => {
                let taken = super::error::taken_fields(error);
                take_back_recorded(ctx, item, &target, kind, &taken).await?;
                tracing::info!(cluster = %target.cluster, %namespace, %name, ?taken, "taking back fields changed outside secrets-console");
                observed.refused = None;
                observed.taking_back = true;
            }
            Action::Foreign { kind } => {
                let controller = match (kind, &observed.target) {
                    (Kind::Secret, Some(Ok(Some(secret)))) => controller_of(secret),
                    _ => None,
                };
                let observation = match controller {
                    // Adopting would not help: ESO refuses it too. Failed, with no Adopt.
                    Some((owner_kind, owner)) => Observation::ApplyRefused {
                        reason: controlled_reason(&target, &owner_kind, &owner),
                        failure: Some(FailureClass::ForeignObject),
                    },
                    None => Observation::ForeignObject {
                        reason: foreign_reason(&target, kind),
                    },
                };
                observe(ctx, item, observation).await?;
                return Ok(Outcome::Done);
            }
            Action::Retry(error) => return Ok(Outcome::Retry(error.to_string())),
            Action::Wait(why) => return Ok(Outcome::Retry(why.to_owned())),
            Action::Refuse { error, heals } => {
                let reason = refusal(&target, kind, error, observed.namespace_missing());
                let failure = failure_of(kind, error, observed.namespace_missing());
                return refuse(ctx, item, &target, op, (reason, failure), heals).await;
            }
        }
    }
    Ok(Outcome::Retry(
        "the cluster kept changing its answer".to_owned(),
    ))
}

/// Audits fields of ours that another field manager changed, as they are taken back: one entry
/// per out-of-band change, naming who changed what (never values).
async fn take_back_recorded(
    ctx: &Context,
    item: &Item,
    target: &Target,
    kind: Kind,
    taken: &[(String, String)],
) -> Result<(), Error> {
    let changes = if taken.is_empty() {
        "fields it owns".to_owned()
    } else {
        taken
            .iter()
            .map(|(manager, field)| format!("{field} (by {manager})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let detail = format!(
        "{} `{}` in namespace `{}` on cluster {}: {changes} changed outside secrets-console; taken back",
        kind.name(),
        target.placement.name,
        target.placement.namespace,
        target.cluster
    );
    let mut tx = ctx.db.begin_write().await?;
    audit::record(
        &mut tx,
        &Actor::new("system"),
        audit::Entry {
            action: "take back",
            secret_id: Some(item.secret_id),
            secret_name: Some(&target.placement.name),
            project_id: Some(item.project_id),
            detail: Some(detail),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An accepted (or already satisfied) apply: ends an adoption or a take-over now; the status
/// is recorded by the finisher, which then has the watcher judge the object again.
async fn applied(ctx: &Context, target: &Target, generation: i64) -> Result<Outcome, Error> {
    if target.adopt {
        secrets::end_adoption(&ctx.db, target.placement.assignment_id).await?;
        tracing::info!(cluster = %target.cluster, namespace = %target.placement.namespace, name = %target.placement.name, "adopted an existing object");
    }
    if target.take_over {
        secrets::end_take_over(&ctx.db, target.placement.assignment_id).await?;
    }
    Ok(Outcome::Applied {
        generation,
        object: (
            target.placement.namespace.clone(),
            target.placement.name.clone(),
        ),
    })
}

/// Records a refusal as Failed (DeleteRefused for a delete) with its reason; one that may heal
/// is tried again with back-off. An adoption is one try: a refused one is not kept.
async fn refuse(
    ctx: &Context,
    item: &Item,
    target: &Target,
    op: Op,
    (reason, failure): (String, Option<FailureClass>),
    heals: bool,
) -> Result<Outcome, Error> {
    if target.adopt {
        secrets::end_adoption(&ctx.db, target.placement.assignment_id).await?;
    }
    let observation = if op == Op::Delete {
        Observation::DeleteRefused {
            reason: reason.clone(),
        }
    } else {
        Observation::ApplyRefused {
            reason: reason.clone(),
            failure,
        }
    };
    observe(ctx, item, observation).await?;
    Ok(if heals && op != Op::Delete {
        Outcome::Retry(reason)
    } else {
        Outcome::Done
    })
}

#[cfg(test)]
mod tests {
    use super::super::error::tests::{api_error, forbidden_error, missing_namespace_error};
    use super::{Error, FailureClass, Kind, failure_of};

    #[test]
    fn refusals_are_classed_by_their_status_not_their_words() {
        let missing = Error::from(missing_namespace_error());
        assert_eq!(
            failure_of(Kind::Secret, &missing, false),
            Some(FailureClass::NamespaceMissing)
        );
        let forbidden = Error::from(forbidden_error());
        assert_eq!(
            failure_of(Kind::ExternalSecret, &forbidden, false),
            Some(FailureClass::Forbidden)
        );
        // A 403 where the namespace turned out not to exist is the namespace's failure.
        assert_eq!(
            failure_of(Kind::ExternalSecret, &forbidden, true),
            Some(FailureClass::NamespaceMissing)
        );
        // The API server does not serve ExternalSecret: no CRD, so no operator.
        let unserved = Error::from(api_error(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "the server could not find the requested resource",
            "reason": "NotFound", "details": {}, "code": 404
        })));
        assert_eq!(
            failure_of(Kind::ExternalSecret, &unserved, false),
            Some(FailureClass::OperatorMissing)
        );
        assert_eq!(failure_of(Kind::Secret, &unserved, false), None);
        let invalid = Error::from(api_error(serde_json::json!({
            "kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
            "message": "ExternalSecret.external-secrets.io \"db\" is invalid"
        })));
        assert_eq!(failure_of(Kind::ExternalSecret, &invalid, false), None);
    }
}
