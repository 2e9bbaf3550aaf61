//! The store's own word on a sync error: when External Secrets Operator says a secret's
//! ClusterSecretStore is not Ready, the detail shows the store's Ready condition (its reason and
//! message, e.g. `InvalidProviderConfig: unable to validate store`) from the cluster's store
//! cache, so the user reads why the store is refused, not only that it is.

use crate::domain::reason_words::shown_failure;
use crate::domain::status::FailureClass;
use crate::model::listing::SecretDetail;
use crate::model::secret::SecretSpec;
use crate::server::cluster::registry::{self, ClusterHandle};

/// Fills in `store_condition` of every assignment of `detail` whose failure is a store that is
/// not Ready, from its cluster's store cache. A cluster whose stores cannot be read leaves it
/// empty: the sentence and what to do still stand.
pub async fn add_store_conditions(clusters: &[ClusterHandle], detail: &mut SecretDetail) {
    let SecretSpec::External(external) = &detail.spec else {
        return;
    };
    for assignment in &mut detail.assignments {
        let failure = shown_failure(
            assignment.status,
            assignment.failure,
            assignment.last_warning.as_deref(),
            &detail.spec,
        );
        if failure != Some(FailureClass::StoreNotReady) {
            continue;
        }
        let Some(handle) = clusters.iter().find(|c| c.name == assignment.cluster) else {
            continue;
        };
        let Ok(stores) = registry::stores(handle).await else {
            continue;
        };
        assignment.store_condition = stores
            .into_iter()
            .find(|store| store.name == external.store && store.ready != Some(true))
            .map(|store| {
                match (
                    store.reason.filter(|r| !r.is_empty()),
                    store.message.filter(|m| !m.is_empty()),
                ) {
                    (Some(reason), Some(message)) => format!("{reason}: {message}"),
                    (Some(said), None) | (None, Some(said)) => said,
                    (None, None) => "not Ready, without a reason".to_owned(),
                }
            });
    }
}
