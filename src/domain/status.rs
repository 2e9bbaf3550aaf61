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
    /// A delete is in progress.
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

    /// What a badge shows: `---` for Unassigned, else the name.
    pub fn label(self) -> &'static str {
        match self {
            SecretStatus::Unassigned => "---",
            other => other.as_str(),
        }
    }
}

/// Rolls assignment statuses up to the secret's status. First match wins:
/// Deleting (any assignment being deleted) → DeleteFailed (any) → Failed (any) → SyncedError
/// (any) → Synced (all) → PartiallySynced (some Synced, rest Pending) → Pending (all) →
/// Unassigned (none).
pub fn rollup<I>(statuses: I) -> SecretStatus
where
    I: IntoIterator<Item = AssignmentStatus>,
{
    let mut count = [0usize; 6];
    let mut total = 0usize;
    for status in statuses {
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
}

impl AssignmentState {
    /// A new assignment: desired, not yet applied.
    pub fn new() -> Self {
        AssignmentState {
            status: AssignmentStatus::Pending,
            reason: Some(REASON_WAITING_TO_APPLY.to_owned()),
            applied_generation: None,
        }
    }

    fn with(&self, status: AssignmentStatus, reason: Option<String>) -> Self {
        AssignmentState {
            status,
            reason,
            applied_generation: self.applied_generation,
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
                }
            }
        }
        O::ApplyRefused { reason } => state.with(S::Failed, Some(or_unexplained(reason))),
        O::ExternalSecret {
            generation,
            synced_generation,
            ready,
            target_present,
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
mod tests {
    use super::*;
    use AssignmentStatus as A;
    use proptest::prelude::*;

    fn ready(status: ConditionStatus, reason: &str, message: &str) -> Option<ReadyCondition> {
        Some(ReadyCondition {
            status,
            reason: Some(reason.to_owned()),
            message: Some(message.to_owned()),
        })
    }

    fn applied(generation: i64) -> AssignmentState {
        match transition(
            &AssignmentState::new(),
            &Observation::Applied { generation },
        ) {
            Transition::Update(state) => state,
            Transition::Remove => unreachable!(),
        }
    }

    fn after(state: &AssignmentState, observation: Observation) -> AssignmentState {
        match transition(state, &observation) {
            Transition::Update(state) => state,
            Transition::Remove => panic!("unexpected removal after {observation:?}"),
        }
    }

    fn es(
        generation: i64,
        synced: Option<i64>,
        ready: Option<ReadyCondition>,
        target: bool,
    ) -> Observation {
        Observation::ExternalSecret {
            generation,
            synced_generation: synced,
            ready,
            target_present: target,
        }
    }

    #[test]
    fn rollup_follows_the_table_first_match_wins() {
        assert_eq!(rollup([]), SecretStatus::Unassigned);
        assert_eq!(
            rollup([A::Synced, A::DeleteFailed, A::Deleting]),
            SecretStatus::Deleting
        );
        assert_eq!(
            rollup([A::Synced, A::DeleteFailed, A::Failed]),
            SecretStatus::DeleteFailed
        );
        assert_eq!(rollup([A::SyncedError, A::Failed]), SecretStatus::Failed);
        assert_eq!(
            rollup([A::Synced, A::SyncedError, A::Pending]),
            SecretStatus::SyncedError
        );
        assert_eq!(rollup([A::Synced, A::Synced]), SecretStatus::Synced);
        assert_eq!(
            rollup([A::Synced, A::Pending]),
            SecretStatus::PartiallySynced
        );
        assert_eq!(rollup([A::Pending, A::Pending]), SecretStatus::Pending);
    }

    #[test]
    fn unassigned_is_shown_as_three_dashes() {
        assert_eq!(SecretStatus::Unassigned.label(), "---");
        assert_eq!(SecretStatus::PartiallySynced.label(), "PartiallySynced");
    }

    #[test]
    fn status_names_round_trip() {
        for status in AssignmentStatus::ALL {
            assert_eq!(AssignmentStatus::parse(status.as_str()), Some(status));
        }
        for status in SecretStatus::ALL {
            assert_eq!(SecretStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SecretStatus::parse("synced"), None);
    }

    #[test]
    fn new_assignment_is_pending_with_a_reason() {
        let state = AssignmentState::new();
        assert_eq!(state.status, A::Pending);
        assert!(state.reason.is_some());
    }

    #[test]
    fn synced_only_when_the_controller_reports_this_generation_and_the_target_exists() {
        let state = applied(2);
        let ok = ready(ConditionStatus::True, "SecretSynced", "secret synced");
        assert_eq!(
            after(&state, es(2, Some(1), ok.clone(), true)).status,
            A::Pending
        );
        assert_eq!(
            after(&state, es(2, None, ok.clone(), true)).status,
            A::Pending
        );
        assert_eq!(
            after(&state, es(2, Some(2), ok.clone(), false)).status,
            A::SyncedError
        );
        let synced = after(&state, es(2, Some(2), ok, true));
        assert_eq!(synced.status, A::Synced);
        assert_eq!(synced.reason, None);
    }

    #[test]
    fn ready_true_with_deleted_or_missing_reasons_is_an_error() {
        let state = applied(1);
        for reason in ["SecretDeleted", "SecretMissing"] {
            let next = after(
                &state,
                es(1, Some(1), ready(ConditionStatus::True, reason, "x"), true),
            );
            assert_eq!(next.status, A::SyncedError, "{reason}");
        }
    }

    #[test]
    fn ready_false_carries_the_controllers_message() {
        let state = applied(1);
        let message = "could not get secret data from provider: key \"db/missing\" not found";
        let next = after(
            &state,
            es(
                1,
                None,
                ready(ConditionStatus::False, "SecretSyncedError", message),
                false,
            ),
        );
        assert_eq!(next.status, A::SyncedError);
        assert!(next.reason.unwrap().contains("db/missing"));
    }

    #[test]
    fn ready_unknown_is_an_error_and_no_condition_is_pending() {
        let state = applied(1);
        assert_eq!(
            after(
                &state,
                es(1, None, ready(ConditionStatus::Unknown, "", ""), false)
            )
            .status,
            A::SyncedError
        );
        assert_eq!(after(&state, es(1, None, None, false)).status, A::Pending);
    }

    #[test]
    fn stale_watch_events_from_before_the_latest_apply_are_ignored() {
        let synced = after(
            &applied(1),
            es(
                1,
                Some(1),
                ready(ConditionStatus::True, "SecretSynced", ""),
                true,
            ),
        );
        let reapplied = after(&synced, Observation::Applied { generation: 2 });
        assert_eq!(reapplied.status, A::Pending);
        let stale = after(
            &reapplied,
            es(
                1,
                Some(1),
                ready(ConditionStatus::True, "SecretSynced", ""),
                true,
            ),
        );
        assert_eq!(stale.status, A::Pending);
    }

    #[test]
    fn an_idempotent_reapply_keeps_a_known_status() {
        let synced = after(
            &applied(3),
            es(
                3,
                Some(3),
                ready(ConditionStatus::True, "SecretSynced", ""),
                true,
            ),
        );
        assert_eq!(
            after(&synced, Observation::Applied { generation: 3 }).status,
            A::Synced
        );
    }

    #[test]
    fn refused_writes_are_failed_with_their_reason() {
        let next = after(
            &AssignmentState::new(),
            Observation::ApplyRefused {
                reason: "A Secret named db-creds already exists in namespace payments and is not managed by secrets-console.".into(),
            },
        );
        assert_eq!(next.status, A::Failed);
        assert!(next.reason.unwrap().contains("db-creds"));
    }

    #[test]
    fn kubernetes_secret_drift_and_loss_are_errors() {
        let state = applied(1);
        let ok = Observation::KubernetesSecret {
            present: true,
            fingerprint_matches: true,
        };
        assert_eq!(after(&state, ok).status, A::Synced);
        let changed = Observation::KubernetesSecret {
            present: true,
            fingerprint_matches: false,
        };
        assert_eq!(after(&state, changed).status, A::SyncedError);
        let gone = Observation::KubernetesSecret {
            present: false,
            fingerprint_matches: false,
        };
        assert_eq!(after(&state, gone).status, A::SyncedError);
        assert_eq!(
            after(&state, Observation::ObjectGone).status,
            A::SyncedError
        );
    }

    #[test]
    fn a_late_synced_report_does_not_overwrite_deleting() {
        let deleting = after(&applied(1), Observation::DeleteRequested);
        assert_eq!(deleting.status, A::Deleting);
        let late = after(
            &deleting,
            es(
                1,
                Some(1),
                ready(ConditionStatus::True, "SecretSynced", ""),
                true,
            ),
        );
        assert_eq!(late.status, A::Deleting);
        assert_eq!(
            after(&deleting, Observation::Applied { generation: 2 }).status,
            A::Deleting
        );
    }

    #[test]
    fn a_completed_delete_removes_the_row() {
        let deleting = after(&applied(1), Observation::DeleteRequested);
        assert_eq!(
            transition(&deleting, &Observation::ObjectGone),
            Transition::Remove
        );
    }

    #[test]
    fn deletes_fail_on_refusal_or_deadline_and_can_be_retried() {
        let deleting = after(&applied(1), Observation::DeleteRequested);
        let stuck = after(&deleting, Observation::DeleteDeadlinePassed);
        assert_eq!(stuck.status, A::DeleteFailed);
        assert!(stuck.reason.as_deref().unwrap().contains("finalizer"));
        let retried = after(&stuck, Observation::DeleteRequested);
        assert_eq!(retried.status, A::Deleting);
        let refused = after(
            &retried,
            Observation::DeleteRefused {
                reason: "forbidden".into(),
            },
        );
        assert_eq!(refused.status, A::DeleteFailed);
        assert!(refused.reason.unwrap().contains("forbidden"));
    }

    #[test]
    fn reassigning_is_refused_while_deleting() {
        assert!(can_reassign(None));
        assert!(can_reassign(Some(A::Synced)));
        assert!(!can_reassign(Some(A::Deleting)));
        assert!(!can_reassign(Some(A::DeleteFailed)));
    }

    #[test]
    fn synced_resource_version_yields_the_generation() {
        assert_eq!(synced_generation("3-9a0b1c2d"), Some(3));
        assert_eq!(synced_generation("12-"), Some(12));
        assert_eq!(synced_generation(""), None);
        assert_eq!(synced_generation("abc-1"), None);
    }

    fn any_status() -> impl Strategy<Value = AssignmentStatus> {
        prop::sample::select(AssignmentStatus::ALL.to_vec())
    }

    fn any_condition() -> impl Strategy<Value = Option<ReadyCondition>> {
        let status = prop::sample::select(vec![
            ConditionStatus::True,
            ConditionStatus::False,
            ConditionStatus::Unknown,
        ]);
        let reason = prop::sample::select(vec![
            "SecretSynced",
            "SecretSyncedError",
            "SecretDeleted",
            "SecretMissing",
        ]);
        prop::option::of(
            (status, reason, ".{0,20}").prop_map(|(status, reason, message)| ReadyCondition {
                status,
                reason: Some(reason.to_owned()),
                message: Some(message),
            }),
        )
    }

    fn any_observation() -> impl Strategy<Value = Observation> {
        prop_oneof![
            Just(Observation::DesiredChanged),
            (0i64..5).prop_map(|generation| Observation::Applied { generation }),
            ".{0,10}".prop_map(|reason| Observation::ApplyRefused { reason }),
            (
                0i64..5,
                prop::option::of(0i64..5),
                any_condition(),
                any::<bool>()
            )
                .prop_map(|(generation, synced_generation, ready, target_present)| {
                    Observation::ExternalSecret {
                        generation,
                        synced_generation,
                        ready,
                        target_present,
                    }
                }),
            (any::<bool>(), any::<bool>()).prop_map(|(present, fingerprint_matches)| {
                Observation::KubernetesSecret {
                    present,
                    fingerprint_matches,
                }
            }),
            Just(Observation::ObjectGone),
            Just(Observation::DeleteRequested),
            ".{0,10}".prop_map(|reason| Observation::DeleteRefused { reason }),
            Just(Observation::DeleteDeadlinePassed),
        ]
    }

    proptest! {
        #[test]
        fn rollup_matches_the_table(statuses in prop::collection::vec(any_status(), 0..12)) {
            let has = |s: AssignmentStatus| statuses.contains(&s);
            let expected = if statuses.is_empty() {
                SecretStatus::Unassigned
            } else if has(A::Deleting) {
                SecretStatus::Deleting
            } else if has(A::DeleteFailed) {
                SecretStatus::DeleteFailed
            } else if has(A::Failed) {
                SecretStatus::Failed
            } else if has(A::SyncedError) {
                SecretStatus::SyncedError
            } else if statuses.iter().all(|s| *s == A::Synced) {
                SecretStatus::Synced
            } else if has(A::Synced) {
                // Only Synced and Pending are left.
                SecretStatus::PartiallySynced
            } else {
                SecretStatus::Pending
            };
            prop_assert_eq!(rollup(statuses.iter().copied()), expected);
        }

        #[test]
        fn rollup_ignores_order(mut statuses in prop::collection::vec(any_status(), 0..12)) {
            let before = rollup(statuses.iter().copied());
            statuses.reverse();
            prop_assert_eq!(rollup(statuses.iter().copied()), before);
        }

        #[test]
        fn no_sequence_of_reports_moves_a_deleting_assignment_back(
            start in prop::sample::select(vec![A::Deleting, A::DeleteFailed]),
            applied_generation in prop::option::of(0i64..5),
            observations in prop::collection::vec(any_observation(), 0..40),
        ) {
            let mut state = AssignmentState { status: start, reason: None, applied_generation };
            for observation in &observations {
                match transition(&state, observation) {
                    Transition::Remove => {
                        prop_assert_eq!(observation, &Observation::ObjectGone);
                        return Ok(());
                    }
                    Transition::Update(next) => {
                        prop_assert!(next.status.is_deleting(), "{:?} after {:?}", next.status, observation);
                        state = next;
                    }
                }
            }
        }

        #[test]
        fn every_status_but_synced_carries_a_reason(
            observations in prop::collection::vec(any_observation(), 0..40),
        ) {
            let mut state = AssignmentState::new();
            for observation in &observations {
                match transition(&state, observation) {
                    Transition::Update(next) => state = next,
                    Transition::Remove => break,
                }
                if state.status == A::Synced {
                    prop_assert!(state.reason.is_none());
                } else {
                    prop_assert!(
                        state.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
                        "{:?} without a reason after {:?}", state.status, observation
                    );
                }
            }
        }
    }
}
