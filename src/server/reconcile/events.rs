//! What the controller said about an ExternalSecret: its Warning events, as the cluster keeps
//! them (an hour by default) and as client-go's recorder words them.

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ListParams};

use crate::server::cluster::registry::ClusterHandle;

/// The controller's latest Warning about an ExternalSecret (it carries the detail: the missing
/// key, the store that is not ready).
pub(super) async fn latest_warning(
    cluster: &ClusterHandle,
    namespace: &str,
    name: &str,
) -> Option<String> {
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default().fields(&format!(
        "involvedObject.kind=ExternalSecret,involvedObject.name={name},type=Warning"
    ));
    let list = events.list(&params).await.ok()?;
    list.items
        .into_iter()
        .max_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0))
        .and_then(|e| e.message)
        .map(|message| uncombined(&message).to_owned())
}

/// A warning's own words: client-go's recorder prefixes the message of an event standing for
/// many similar ones with "(combined from similar events): ".
fn uncombined(message: &str) -> &str {
    message
        .strip_prefix("(combined from similar events): ")
        .unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::uncombined;

    #[test]
    fn a_combined_warning_reads_as_its_own_words() {
        assert_eq!(
            uncombined("(combined from similar events): could not get secret data: key missing"),
            "could not get secret data: key missing"
        );
        assert_eq!(uncombined("store not ready"), "store not ready");
    }
}
