//! Who uses a Secret: the workloads of one namespace that reference it, as the secret's page
//! ("Used by") and the unassign, remove and delete confirmations show them. Names and key
//! names only, never a value.

use serde::{Deserialize, Serialize};

/// A kind of workload that can reference a Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `batch/v1` CronJob.
    CronJob,
    /// `batch/v1` Job.
    Job,
    /// `v1` Pod (a bare one, or one whose owner the console cannot see).
    Pod,
}

impl WorkloadKind {
    /// Every kind, in the order they are checked and listed.
    pub const ALL: [WorkloadKind; 6] = [
        Self::Deployment,
        Self::StatefulSet,
        Self::DaemonSet,
        Self::CronJob,
        Self::Job,
        Self::Pod,
    ];

    /// The kind as Kubernetes spells it (`Deployment`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::CronJob => "CronJob",
            Self::Job => "Job",
            Self::Pod => "Pod",
        }
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a workload reaches the Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReferenceVia {
    /// A container's `env[].valueFrom.secretKeyRef` (one key).
    EnvKey,
    /// A container's `envFrom[].secretRef` (every key).
    EnvFrom,
    /// A `secret` volume (every key, or its `items`).
    Volume,
    /// A `projected` volume's `sources[].secret` (every key, or its `items`).
    ProjectedVolume,
    /// The pod's `imagePullSecrets`.
    ImagePullSecret,
}

impl ReferenceVia {
    /// How the page words it.
    pub fn words(self) -> &'static str {
        match self {
            Self::EnvKey => "environment variable",
            Self::EnvFrom => "environment (all keys)",
            Self::Volume => "volume",
            Self::ProjectedVolume => "projected volume",
            Self::ImagePullSecret => "image pull secret",
        }
    }
}

/// The Secret's keys a workload uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeysUsed {
    /// Every key (`envFrom`, a volume without `items`, an image pull secret).
    All,
    /// These keys, sorted, each once.
    Keys(Vec<String>),
}

impl KeysUsed {
    /// Whether removing `key` from the Secret would break this use.
    pub fn uses(&self, key: &str) -> bool {
        match self {
            Self::All => false,
            Self::Keys(keys) => keys.iter().any(|k| k == key),
        }
    }
}

/// One workload that uses the Secret: the top owner the console can see (a Deployment, not its
/// pods; a CronJob, not its jobs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadUse {
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its name in the namespace.
    pub name: String,
    /// The keys it uses.
    pub keys: KeysUsed,
    /// The ways it references the Secret, sorted, each once.
    pub via: Vec<ReferenceVia>,
}

/// Why a kind could not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UncheckedReason {
    /// The console may not list that kind in the namespace (403).
    Forbidden,
    /// The cluster does not serve that kind (404).
    NotServed,
}

/// A kind that could not be checked, so the answer may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncheckedKind {
    /// The kind.
    pub kind: WorkloadKind,
    /// Why.
    pub reason: UncheckedReason,
}

/// The workloads of one namespace that use one Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedBy {
    /// The namespace looked in.
    pub namespace: String,
    /// The Secret's name.
    pub secret: String,
    /// The workloads using it, by kind (in [`WorkloadKind::ALL`] order) then name.
    pub workloads: Vec<WorkloadUse>,
    /// The kinds that could not be checked.
    pub unchecked: Vec<UncheckedKind>,
}

impl UsedBy {
    /// The confirmation's sentence: "2 workloads in payments use this Secret: Deployment api,
    /// CronJob nightly", `None` when none does; "could not check" notes follow.
    pub fn sentence(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.workloads.is_empty() {
            let names: Vec<String> = (self.workloads.iter())
                .map(|w| format!("{} {}", w.kind, w.name))
                .collect();
            let (count, verb) = match names.len() {
                1 => ("1 workload".to_owned(), "uses"),
                n => (format!("{n} workloads"), "use"),
            };
            parts.push(format!(
                "{count} in {} {verb} this Secret: {}",
                self.namespace,
                names.join(", ")
            ));
        }
        for unchecked in &self.unchecked {
            parts.push(format!("could not check {}s", unchecked.kind));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The workloads that use `key` by name (a warning before removing it from the Secret).
    pub fn using_key(&self, key: &str) -> Vec<&WorkloadUse> {
        self.workloads.iter().filter(|w| w.keys.uses(key)).collect()
    }
}

impl WorkloadUse {
    /// How the "Used by" section lists it: "Deployment api — all keys", "CronJob nightly —
    /// keys password".
    pub fn words(&self) -> String {
        let keys = match &self.keys {
            KeysUsed::All => "all keys".to_owned(),
            KeysUsed::Keys(keys) => format!("keys {}", keys.join(", ")),
        };
        format!("{} {} — {keys}", self.kind, self.name)
    }
}

/// What the console found out about the workloads of one project's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsedByAnswer {
    /// The namespace was listed (some kinds may still be unchecked, see [`UsedBy::unchecked`]).
    Checked(UsedBy),
    /// The cluster could not be asked; the plain reason ("the cluster did not answer in time").
    CouldNotCheck(String),
}

/// Who uses the Secret in one project it is assigned to, as the `used_by` server function
/// answers for each assignment the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUsedBy {
    /// The project.
    pub project: crate::model::listing::ProjectRef,
    /// Its namespace, where the workloads were looked for.
    pub namespace: String,
    /// What was found.
    pub answer: UsedByAnswer,
}

impl ProjectUsedBy {
    /// What a confirmation says before the Secret leaves this project: [`UsedBy::sentence`],
    /// or that it could not be checked; `None` when no workload uses it.
    pub fn confirmation(&self) -> Option<String> {
        match &self.answer {
            UsedByAnswer::Checked(used) => used.sentence(),
            UsedByAnswer::CouldNotCheck(reason) => Some(format!(
                "Could not check which workloads in {} use this Secret: {reason}",
                self.namespace
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(kind: WorkloadKind, name: &str, keys: KeysUsed) -> WorkloadUse {
        WorkloadUse {
            kind,
            name: name.to_owned(),
            keys,
            via: vec![ReferenceVia::EnvFrom],
        }
    }

    #[test]
    fn the_confirmation_names_each_workload_and_what_was_not_checked() {
        let mut answer = UsedBy {
            namespace: "payments".to_owned(),
            secret: "postgres-credentials".to_owned(),
            workloads: vec![
                used(WorkloadKind::Deployment, "api", KeysUsed::All),
                used(
                    WorkloadKind::CronJob,
                    "nightly",
                    KeysUsed::Keys(vec!["password".to_owned()]),
                ),
            ],
            unchecked: Vec::new(),
        };
        assert_eq!(
            answer.sentence().as_deref(),
            Some("2 workloads in payments use this Secret: Deployment api, CronJob nightly")
        );
        assert_eq!(answer.using_key("password").len(), 1);
        assert!(answer.using_key("username").is_empty());
        answer.workloads.truncate(1);
        answer.unchecked.push(UncheckedKind {
            kind: WorkloadKind::DaemonSet,
            reason: UncheckedReason::Forbidden,
        });
        assert_eq!(
            answer.sentence().as_deref(),
            Some(
                "1 workload in payments uses this Secret: Deployment api; could not check \
                 DaemonSets"
            )
        );
        answer.workloads.clear();
        answer.unchecked.clear();
        assert_eq!(answer.sentence(), None);
    }

    #[test]
    fn each_workload_is_listed_with_the_keys_it_uses() {
        let all = used(WorkloadKind::Deployment, "api", KeysUsed::All);
        assert_eq!(all.words(), "Deployment api — all keys");
        let one = used(
            WorkloadKind::CronJob,
            "nightly",
            KeysUsed::Keys(vec!["password".to_owned()]),
        );
        assert_eq!(one.words(), "CronJob nightly — keys password");
        let away = ProjectUsedBy {
            project: crate::model::listing::ProjectRef {
                id: 1,
                name: "payments".to_owned(),
            },
            namespace: "payments".to_owned(),
            answer: UsedByAnswer::CouldNotCheck("the cluster did not answer in time".to_owned()),
        };
        assert_eq!(
            away.confirmation().as_deref(),
            Some(
                "Could not check which workloads in payments use this Secret: the cluster did \
                 not answer in time"
            )
        );
    }
}
