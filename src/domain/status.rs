//! The status engine: what each assignment's badge says, and how it rolls up to the secret.
//!
//! Pure functions over observations that the reconciler and the status watcher report. The
//! table they implement is in DESIGN.md ("Status"); the rules that matter most:
//! - generation-aware: a success reported for an older generation of the object is Pending;
//! - reason-aware: ESO's `Ready=True` with reason `SecretDeleted` or `SecretMissing` is an
//!   error, not a success;
//! - target-aware: a synced ExternalSecret whose target Secret is missing is an error;
//! - deletion is one-way: once Deleting, no report moves an assignment back to Synced.

use serde::{Deserialize, Serialize};

pub mod failure;

pub use failure::FailureClass;

/// The status of one secret × project assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssignmentStatus {
    /// Desired, not yet applied; or applied and not yet reported on for this generation.
    Pending,
    /// In the cluster and confirmed.
    Synced,
    /// Applied, but the controller or the cluster reports a problem (or drift).
    SyncedError,
    /// The API server refused our write.
    Failed,
    /// Unassign or delete requested; the object is still there.
    Deleting,
    /// The delete was refused, or the object outlived the deadline.
    DeleteFailed,
}

/// The status of a secret, rolled up from its assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecretStatus {
    /// No assignments; shown as `---`.
    Unassigned,
    /// Every assignment Pending.
    Pending,
    /// Every assignment Synced.
    Synced,
    /// Some Synced, the rest Pending.
    PartiallySynced,
    /// At least one assignment has a sync error.
    SyncedError,
    /// At least one write was refused.
    Failed,
    /// The secret is being deleted (removed from all its projects); a removal from one
    /// project shows Deleting on that assignment only.
    Deleting,
    /// At least one delete failed.
    DeleteFailed,
}

impl AssignmentStatus {
    /// Every status, for exhaustive tests and filters.
    pub const ALL: [AssignmentStatus; 6] = [
        AssignmentStatus::Pending,
        AssignmentStatus::Synced,
        AssignmentStatus::SyncedError,
        AssignmentStatus::Failed,
        AssignmentStatus::Deleting,
        AssignmentStatus::DeleteFailed,
    ];

    /// The stable name used in the database, URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Pending => "Pending",
            AssignmentStatus::Synced => "Synced",
            AssignmentStatus::SyncedError => "SyncedError",
            AssignmentStatus::Failed => "Failed",
            AssignmentStatus::Deleting => "Deleting",
            AssignmentStatus::DeleteFailed => "DeleteFailed",
        }
    }

    /// Parses [`AssignmentStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// True while an unassign or delete is under way or stuck.
    pub fn is_deleting(self) -> bool {
        matches!(
            self,
            AssignmentStatus::Deleting | AssignmentStatus::DeleteFailed
        )
    }
}

impl SecretStatus {
    /// Every status, for exhaustive tests and filters.
    pub const ALL: [SecretStatus; 8] = [
        SecretStatus::Unassigned,
        SecretStatus::Pending,
        SecretStatus::Synced,
        SecretStatus::PartiallySynced,
        SecretStatus::SyncedError,
        SecretStatus::Failed,
        SecretStatus::Deleting,
        SecretStatus::DeleteFailed,
    ];

    /// The stable name used in the database, URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretStatus::Unassigned => "Unassigned",
            SecretStatus::Pending => "Pending",
            SecretStatus::Synced => "Synced",
            SecretStatus::PartiallySynced => "PartiallySynced",
            SecretStatus::SyncedError => "SyncedError",
            SecretStatus::Failed => "Failed",
            SecretStatus::Deleting => "Deleting",
            SecretStatus::DeleteFailed => "DeleteFailed",
        }
    }

    /// Parses [`SecretStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// What a badge shows, in words (the seeds' wording: "Partially synced", "Sync error",
    /// "Delete failed"; `---` for Unassigned, as the design draws it). The value a program
    /// reads stays [`SecretStatus::as_str`].
    pub fn label(self) -> &'static str {
        match self {
            SecretStatus::Unassigned => "---",
            SecretStatus::Pending => "Pending",
            SecretStatus::Synced => "Synced",
            SecretStatus::PartiallySynced => "Partially synced",
            SecretStatus::SyncedError => "Sync error",
            SecretStatus::Failed => "Failed",
            SecretStatus::Deleting => "Deleting",
            SecretStatus::DeleteFailed => "Delete failed",
        }
    }
}

/// Rolls assignment statuses up to the secret's status. `deleting`: the secret itself is being
/// deleted (removed from all its projects). First match wins: Deleting (the secret is being
/// deleted and an assignment's delete is under way) → DeleteFailed (any) → Failed (any) →
/// SyncedError (any) → Synced (all) → PartiallySynced (some Synced, rest Pending) → Pending
/// (all) → Unassigned (none). A removal from one project (an unassign) shows Deleting on that
/// assignment only: unless the secret is being deleted, assignments being deleted are left out
/// and the rest rolls up.
pub fn rollup<I>(deleting: bool, statuses: I) -> SecretStatus
where
    I: IntoIterator<Item = AssignmentStatus>,
{
    let mut count = [0usize; 6];
    let mut total = 0usize;
    for status in statuses {
        if status == AssignmentStatus::Deleting && !deleting {
            continue;
        }
        count[status as usize] += 1;
        total += 1;
    }
    let n = |s: AssignmentStatus| count[s as usize];
    if total == 0 {
        SecretStatus::Unassigned
    } else if n(AssignmentStatus::Deleting) > 0 {
        SecretStatus::Deleting
    } else if n(AssignmentStatus::DeleteFailed) > 0 {
        SecretStatus::DeleteFailed
    } else if n(AssignmentStatus::Failed) > 0 {
        SecretStatus::Failed
    } else if n(AssignmentStatus::SyncedError) > 0 {
        SecretStatus::SyncedError
    } else if n(AssignmentStatus::Synced) == total {
        SecretStatus::Synced
    } else if n(AssignmentStatus::Synced) > 0 {
        SecretStatus::PartiallySynced
    } else {
        SecretStatus::Pending
    }
}

/// The `Ready` condition of an ExternalSecret, as ESO reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyCondition {
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// ESO's reason: `SecretSynced`, `SecretSyncedError`, `SecretDeleted`, `SecretMissing`, …
    pub reason: Option<String>,
    /// ESO's human message.
    pub message: Option<String>,
}

/// A Kubernetes condition's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
    /// `Unknown`.
    Unknown,
}

/// Something the reconciler or the status watcher learned about one assignment's object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Observation {
    /// The desired state changed (spec edited, sync requested, re-assigned): work is queued.
    DesiredChanged,
    /// The API server accepted our apply; the object is now at `generation`.
    Applied {
        /// `metadata.generation` of the object after the apply.
        generation: i64,
    },
    /// The API server refused our apply (validation, forbidden, namespace or CRD missing, an
    /// object we do not own). `reason` is already in words a user can act on.
    ApplyRefused {
        /// Why.
        reason: String,
        /// Which failure a user can act on it is, when the refusal is one (told from the
        /// API server's `Status`, never its words).
        #[serde(default)]
        failure: Option<FailureClass>,
    },
    /// A same-named object the console does not own stands where ours would go: Failed like
    /// a refusal (nothing was written), and an admin may adopt that object.
    ForeignObject {
        /// Why, naming the object.
        reason: String,
    },
    /// The watcher saw our ExternalSecret.
    ExternalSecret {
        /// `metadata.generation` of the object seen.
        generation: i64,
        /// The generation ESO last synced (from `status.syncedResourceVersion`), if any.
        synced_generation: Option<i64>,
        /// The `Ready` condition, if ESO has set one.
        ready: Option<ReadyCondition>,
        /// Whether the target Secret exists.
        target_present: bool,
        /// When ESO last fetched the values (`status.refreshTime`, Unix milliseconds).
        #[serde(default)]
        refreshed_at: Option<i64>,
    },
    /// The watcher saw our Kubernetes Secret (or found it missing).
    KubernetesSecret {
        /// Whether it exists.
        present: bool,
        /// Whether its data fingerprint is the one we wrote.
        fingerprint_matches: bool,
    },
    /// Our object is gone from the cluster.
    ObjectGone,
    /// The user asked to unassign or delete.
    DeleteRequested,
    /// The API server refused the delete.
    DeleteRefused {
        /// Why, in words a user can act on.
        reason: String,
    },
    /// The object is still present after the delete deadline.
    DeleteDeadlinePassed,
}

/// One assignment's observed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentState {
    /// The badge.
    pub status: AssignmentStatus,
    /// Why, for every status but Synced.
    pub reason: Option<String>,
    /// The object generation our last accepted apply produced.
    pub applied_generation: Option<i64>,
    /// Which failure a user can act on a refused apply was (External Secrets Operator's
    /// failures are told from its warning instead: [`failure::from_eso_error`]).
    #[serde(default)]
    pub failure: Option<FailureClass>,
}

impl AssignmentState {
    /// A new assignment: desired, not yet applied.
    pub fn new() -> Self {
        AssignmentState {
            status: AssignmentStatus::Pending,
            reason: Some(REASON_WAITING_TO_APPLY.to_owned()),
            applied_generation: None,
            failure: None,
        }
    }

    fn with(&self, status: AssignmentStatus, reason: Option<String>) -> Self {
        AssignmentState {
            status,
            reason,
            applied_generation: self.applied_generation,
            failure: None,
        }
    }
}

impl Default for AssignmentState {
    fn default() -> Self {
        Self::new()
    }
}

/// What to do with an assignment after an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Store this state.
    Update(AssignmentState),
    /// The delete finished: remove the assignment.
    Remove,
}

const REASON_WAITING_TO_APPLY: &str = "Waiting to be applied to the cluster.";
const REASON_WAITING_FOR_CONTROLLER: &str =
    "Applied; waiting for External Secrets Operator to sync this version.";
const REASON_WAITING_FOR_SECRET: &str = "Applied; waiting to see the Secret in the cluster.";
const REASON_DELETING: &str = "Deleting from the cluster.";
const REASON_DELETE_DEADLINE: &str = "The object is still in the cluster after the delete deadline; a finalizer may be stuck. Check the External Secrets Operator, then retry the delete.";

/// Applies one observation to an assignment's state.
pub fn transition(state: &AssignmentState, observation: &Observation) -> Transition {
    use AssignmentStatus as S;
    use Observation as O;

    if state.status.is_deleting() {
        // One-way: only the delete's own outcomes move a deleting assignment.
        return match observation {
            O::ObjectGone => Transition::Remove,
            O::DeleteRequested => {
                Transition::Update(state.with(S::Deleting, Some(REASON_DELETING.to_owned())))
            }
            O::DeleteRefused { reason } => Transition::Update(state.with(
                S::DeleteFailed,
                Some(format!(
                    "The delete was refused: {}",
                    or_unexplained(reason)
                )),
            )),
            O::DeleteDeadlinePassed if state.status == S::Deleting => Transition::Update(
                state.with(S::DeleteFailed, Some(REASON_DELETE_DEADLINE.to_owned())),
            ),
            _ => Transition::Update(state.clone()),
        };
    }

    let next = match observation {
        O::DesiredChanged => state.with(S::Pending, Some(REASON_WAITING_TO_APPLY.to_owned())),
        O::Applied { generation } => {
            let unchanged = state.applied_generation == Some(*generation)
                && matches!(state.status, S::Synced | S::SyncedError);
            if unchanged {
                // An idempotent re-apply did not change the object: what we knew still holds.
                state.clone()
            } else {
                AssignmentState {
                    status: S::Pending,
                    reason: Some(REASON_WAITING_FOR_CONTROLLER.to_owned()),
                    applied_generation: Some(*generation),
                    failure: None,
                }
            }
        }
        O::ApplyRefused { reason, failure } => AssignmentState {
            failure: *failure,
            ..state.with(S::Failed, Some(or_unexplained(reason)))
        },
        O::ForeignObject { reason } => AssignmentState {
            failure: Some(FailureClass::ForeignObject),
            ..state.with(S::Failed, Some(or_unexplained(reason)))
        },
        O::ExternalSecret {
            generation,
            synced_generation,
            ready,
            target_present,
            ..
        } => {
            if state
                .applied_generation
                .is_some_and(|applied| *generation < applied)
            {
                // A watch event from before our latest apply.
                return Transition::Update(state.clone());
            }
            external_secret_status(
                state,
                *generation,
                *synced_generation,
                ready.as_ref(),
                *target_present,
            )
        }
        O::KubernetesSecret {
            present,
            fingerprint_matches,
        } => match (present, fingerprint_matches) {
            (true, true) => state.with(S::Synced, None),
            (true, false) => state.with(
                S::SyncedError,
                Some(
                    "The Secret was changed outside secrets-console; it is being restored."
                        .to_owned(),
                ),
            ),
            (false, _) if state.applied_generation.is_none() => {
                state.with(S::Pending, Some(REASON_WAITING_FOR_SECRET.to_owned()))
            }
            (false, _) => state.with(
                S::SyncedError,
                Some("The Secret is missing from the cluster; it is being restored.".to_owned()),
            ),
        },
        O::ObjectGone => {
            if state.applied_generation.is_none() {
                state.clone()
            } else {
                state.with(
                    S::SyncedError,
                    Some(
                        "The object was deleted outside secrets-console; it is being restored."
                            .to_owned(),
                    ),
                )
            }
        }
        O::DeleteRequested => state.with(S::Deleting, Some(REASON_DELETING.to_owned())),
        // Outcomes of a delete nobody asked for (stale reports): nothing to learn.
        O::DeleteRefused { .. } | O::DeleteDeadlinePassed => state.clone(),
    };
    Transition::Update(next)
}

/// A refusal always says something, even when the cluster gave no reason.
fn or_unexplained(reason: &str) -> String {
    if reason.trim().is_empty() {
        "the cluster refused without giving a reason; check the cluster's API server logs"
            .to_owned()
    } else {
        reason.to_owned()
    }
}

fn external_secret_status(
    state: &AssignmentState,
    generation: i64,
    synced_generation: Option<i64>,
    ready: Option<&ReadyCondition>,
    target_present: bool,
) -> AssignmentState {
    use AssignmentStatus as S;

    let Some(ready) = ready else {
        return state.with(S::Pending, Some(REASON_WAITING_FOR_CONTROLLER.to_owned()));
    };
    let detail = ready
        .message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    match (ready.status, ready.reason.as_deref()) {
        (ConditionStatus::False, _) => state.with(
            S::SyncedError,
            Some(format!("External Secrets Operator could not sync{detail}")),
        ),
        (ConditionStatus::Unknown, _) => state.with(
            S::SyncedError,
            Some(format!(
                "External Secrets Operator reports an unknown state{detail}"
            )),
        ),
        (ConditionStatus::True, Some("SecretDeleted")) => state.with(
            S::SyncedError,
            Some(format!(
                "The target Secret was deleted by its deletion policy{detail}"
            )),
        ),
        (ConditionStatus::True, Some("SecretMissing")) => state.with(
            S::SyncedError,
            Some(format!("The target Secret is missing{detail}")),
        ),
        (ConditionStatus::True, _) => {
            if synced_generation.is_none_or(|synced| synced < generation) {
                state.with(S::Pending, Some(REASON_WAITING_FOR_CONTROLLER.to_owned()))
            } else if !target_present {
                state.with(
                    S::SyncedError,
                    Some("External Secrets Operator reports success but the target Secret is missing; it will be recreated on the next sync.".to_owned()),
                )
            } else {
                state.with(S::Synced, None)
            }
        }
    }
}

/// Parses the generation out of ESO's `status.syncedResourceVersion`, which ESO writes as
/// `<generation>-<hash of labels and annotations>`.
pub fn synced_generation(synced_resource_version: &str) -> Option<i64> {
    synced_resource_version.split('-').next()?.parse().ok()
}

/// Whether an assignment may be (re)assigned now: not while its previous delete runs.
pub fn can_reassign(current: Option<AssignmentStatus>) -> bool {
    !current.is_some_and(AssignmentStatus::is_deleting)
}

#[cfg(test)]
mod tests;
