//! Who uses a secret, per project it is assigned to: for each assignment the reader may see,
//! the workloads of the project's namespace that reference the secret's object (named as the
//! secret), listed from its cluster by `server::cluster::workloads::used_by`.
//!
//! A cluster that cannot be asked (unreachable, too slow, not registered) makes that project's
//! answer "could not check" with a plain reason; the other projects are still answered. The
//! client's error is logged, never shown: it names the cluster's address.

use crate::domain::permissions::Visibility;
use crate::model::workloads::{ProjectUsedBy, UsedByAnswer};
use crate::server::cluster::registry::ClusterHandle;
use crate::server::cluster::workloads::{self, UsedByError};
use crate::server::db::Db;
use crate::server::errors::ServiceError;

use super::read::detail;

/// The workloads using secret `id` in each of its assignments that `visibility` allows, by
/// project name. NotFound for a secret the reader may not see, as for the detail.
pub async fn used_by(
    db: &Db,
    clusters: &[ClusterHandle],
    id: i64,
    visibility: &Visibility,
) -> Result<Vec<ProjectUsedBy>, ServiceError> {
    let detail = detail(db, id, visibility).await?;
    let name = detail.secret.name;
    let asks = detail.assignments.into_iter().map(|assignment| {
        let name = name.clone();
        async move {
            let answer = match clusters.iter().find(|c| c.name == assignment.cluster) {
                None => UsedByAnswer::CouldNotCheck(
                    "its cluster is not registered on this console".to_owned(),
                ),
                Some(handle) => {
                    match workloads::used_by(&handle.client, &assignment.namespace, &name).await {
                        Ok(used) => UsedByAnswer::Checked(used),
                        Err(error) => {
                            tracing::warn!(
                                cluster = %assignment.cluster,
                                namespace = %assignment.namespace,
                                %error,
                                "who uses a secret: cannot list the workloads"
                            );
                            UsedByAnswer::CouldNotCheck(reason(&error).to_owned())
                        }
                    }
                }
            };
            ProjectUsedBy {
                project: assignment.project,
                namespace: assignment.namespace,
                answer,
            }
        }
    });
    Ok(futures::future::join_all(asks).await)
}

/// The plain sentence a user gets for a failed listing (the details are in the log).
fn reason(error: &UsedByError) -> &'static str {
    match error {
        UsedByError::Timeout(_) => "the cluster did not answer in time",
        UsedByError::Cluster {
            source: kube::Error::Api(_),
            ..
        } => "the cluster refused the request",
        UsedByError::Cluster { .. } => "the cluster could not be reached",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workloads::WorkloadKind;

    #[test]
    fn a_slow_cluster_is_said_plainly() {
        assert_eq!(
            reason(&UsedByError::Timeout(WorkloadKind::Pod)),
            "the cluster did not answer in time"
        );
    }
}
