//! What the watches do about objects changed or left behind outside the console: an object
//! edited or deleted out of band is re-queued and the drift audited ([`heal`]); an object of
//! ours that no assignment claims is removed ([`remove_orphan`]); a Kubernetes Secret's live
//! data is compared with what was written by its keyed fingerprint ([`fingerprint_matches`]).

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject};

use super::context::Context;
use crate::model::secret::SecretValues;
use crate::server::audit::{self, Actor};
use crate::server::cluster::manifest::{ANNOTATION_FINGERPRINT, LABEL_SECRET_ID};
use crate::server::cluster::registry::ClusterHandle;
use crate::server::errors::ServiceError;
use crate::server::secrets;
use crate::server::work_queue::{self, Op};

/// Puts an object back after an out-of-band change, and says so in the audit log.
pub(super) async fn heal(
    ctx: &Context,
    cluster: &str,
    secret_id: i64,
    project_id: i64,
    what: &str,
) {
    let result: Result<(), ServiceError> = async {
        let mut tx = ctx.db.begin_write().await?;
        secrets::lock_secret(&mut tx, secret_id).await?;
        work_queue::enqueue(&mut tx, secret_id, project_id, Op::Apply).await?;
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM secrets WHERE id = $1")
            .bind(secret_id)
            .fetch_optional(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &Actor::new("system"),
            audit::Entry {
                action: "drift",
                secret_id: Some(secret_id),
                secret_name: name.as_deref(),
                project_id: Some(project_id),
                detail: Some(format!("{what} on cluster {cluster}; re-applied")),
                ..audit::Entry::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, secret_id, project_id, "could not queue a drift repair");
    }
}

/// An object with our labels that no assignment of its secret claims in its namespace: an
/// apply that a process sent just before it died can land after the removal that followed (or
/// the database was restored from an older backup). It is removed — only that very object
/// (uid and resourceVersion preconditions) — and the removal is audited.
pub(super) async fn remove_orphan(
    ctx: &Context,
    cluster: &ClusterHandle,
    meta: &kube::api::ObjectMeta,
    resource: &kube::api::ApiResource,
) {
    let (Some(namespace), Some(name), Some(uid)) = (&meta.namespace, &meta.name, &meta.uid) else {
        return;
    };
    let Some(secret_id) = meta
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_SECRET_ID))
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return;
    };
    if meta.deletion_timestamp.is_some() {
        return;
    }
    // Only in this console's own project namespaces (another installation sharing the
    // cluster keeps its objects elsewhere), and only when no assignment of the secret is there.
    let (projects, claimed): (i64, i64) = match sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM projects p WHERE p.cluster_id = $2 AND p.namespace = $3), \
                (SELECT COUNT(*) FROM assignments a JOIN projects p ON p.id = a.project_id \
                 WHERE a.secret_id = $1 AND p.cluster_id = $2 AND p.namespace = $3)",
    )
    .bind(secret_id)
    .bind(cluster.id)
    .bind(namespace)
    .fetch_one(ctx.db.pool())
    .await
    {
        Ok(counts) => counts,
        Err(_) => return,
    };
    if projects == 0 || claimed > 0 {
        return;
    }
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client.clone(), namespace, resource);
    let params = kube::api::DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: Some(uid.clone()),
            resource_version: meta.resource_version.clone(),
        }),
        ..kube::api::DeleteParams::background()
    };
    if let Err(error) = api.delete(name, &params).await {
        tracing::warn!(cluster = %cluster.name, %namespace, %name, %error, "could not remove an orphan");
        return;
    }
    tracing::info!(cluster = %cluster.name, %namespace, %name, "removed an object no assignment claims");
    let result: Result<(), sqlx::Error> = async {
        let mut tx = ctx.db.begin_write().await?;
        audit::record(
            &mut tx,
            &Actor::new("system"),
            audit::Entry {
                action: "orphan",
                secret_id: Some(secret_id),
                secret_name: Some(name),
                detail: Some(format!(
                    "{} `{name}` in namespace `{namespace}` on cluster {} was left by an interrupted change and no assignment claims it; removed",
                    resource.kind, cluster.name
                )),
                ..audit::Entry::default()
            },
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, secret_id, "could not audit an orphan removal");
    }
}

/// Whether the live data is what we wrote: the keyed fingerprint of the live values equals the
/// one stored with the desired values.
pub(super) async fn fingerprint_matches(ctx: &Context, secret_id: i64, secret: &Secret) -> bool {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT fingerprint FROM secret_values WHERE secret_id = $1")
            .bind(secret_id)
            .fetch_optional(ctx.db.pool())
            .await
            .ok()
            .flatten();
    let live = SecretValues::from_pairs(
        secret
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned())),
    );
    let annotated = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_FINGERPRINT));
    let live_fingerprint = ctx.keys.fingerprint(&live);
    match stored {
        Some(stored) => stored == live_fingerprint,
        None => annotated == Some(&live_fingerprint),
    }
}
