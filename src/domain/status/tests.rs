//! Tests of `domain::status`.

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
        refreshed_at: None,
    }
}

#[test]
fn rollup_follows_the_table_first_match_wins() {
    assert_eq!(rollup(false, []), SecretStatus::Unassigned);
    assert_eq!(
        rollup(true, [A::Deleting, A::DeleteFailed, A::Deleting]),
        SecretStatus::Deleting
    );
    assert_eq!(
        rollup(false, [A::Synced, A::DeleteFailed, A::Failed]),
        SecretStatus::DeleteFailed
    );
    assert_eq!(
        rollup(false, [A::SyncedError, A::Failed]),
        SecretStatus::Failed
    );
    assert_eq!(
        rollup(false, [A::Synced, A::SyncedError, A::Pending]),
        SecretStatus::SyncedError
    );
    assert_eq!(rollup(false, [A::Synced, A::Synced]), SecretStatus::Synced);
    assert_eq!(
        rollup(false, [A::Synced, A::Pending]),
        SecretStatus::PartiallySynced
    );
    assert_eq!(
        rollup(false, [A::Pending, A::Pending]),
        SecretStatus::Pending
    );
}

#[test]
fn a_secret_is_deleting_only_while_it_is_being_deleted() {
    // Its deletion: every assignment is being removed.
    assert_eq!(
        rollup(true, [A::Deleting, A::Deleting]),
        SecretStatus::Deleting
    );
    // A delete that failed in one project while another's goes on is still a deletion.
    assert_eq!(
        rollup(true, [A::DeleteFailed, A::Deleting]),
        SecretStatus::Deleting
    );
    // Nothing left under way: the failed delete shows.
    assert_eq!(rollup(true, [A::DeleteFailed]), SecretStatus::DeleteFailed);
}

#[test]
fn removing_a_secret_from_one_project_rolls_up_the_rest() {
    // Unassigned from search (Deleting there), Synced in payments: the secret is Synced.
    assert_eq!(
        rollup(false, [A::Synced, A::Deleting]),
        SecretStatus::Synced
    );
    assert_eq!(
        rollup(false, [A::Synced, A::Pending, A::Deleting]),
        SecretStatus::PartiallySynced
    );
    assert_eq!(
        rollup(false, [A::SyncedError, A::Deleting]),
        SecretStatus::SyncedError
    );
    // Removed from its only project: nothing else is assigned.
    assert_eq!(rollup(false, [A::Deleting]), SecretStatus::Unassigned);
    // A removal that failed is something to act on: it still shows.
    assert_eq!(
        rollup(false, [A::Synced, A::DeleteFailed]),
        SecretStatus::DeleteFailed
    );
}

#[test]
fn badges_read_as_words_while_the_value_stays_the_enum() {
    assert_eq!(SecretStatus::PartiallySynced.label(), "Partially synced");
    assert_eq!(SecretStatus::SyncedError.label(), "Sync error");
    assert_eq!(SecretStatus::DeleteFailed.label(), "Delete failed");
    assert_eq!(SecretStatus::Unassigned.label(), "---");
    assert_eq!(SecretStatus::SyncedError.as_str(), "SyncedError");
    for status in SecretStatus::ALL {
        assert_eq!(SecretStatus::parse(status.as_str()), Some(status));
    }
}

#[test]
fn a_refusal_keeps_its_failure_class_until_the_state_moves_on() {
    let failed = after(
        &applied(1),
        Observation::ApplyRefused {
            reason: "Namespace `payments` does not exist".into(),
            failure: Some(FailureClass::NamespaceMissing),
        },
    );
    assert_eq!(failed.failure, Some(FailureClass::NamespaceMissing));
    let foreign = after(
        &AssignmentState::new(),
        Observation::ForeignObject {
            reason: "A Secret named db already exists".into(),
        },
    );
    assert_eq!(foreign.failure, Some(FailureClass::ForeignObject));
    let applied_again = after(&failed, Observation::Applied { generation: 2 });
    assert_eq!(applied_again.failure, None);
}

#[test]
fn unassigned_is_shown_as_three_dashes() {
    assert_eq!(SecretStatus::Unassigned.label(), "---");
    assert_eq!(SecretStatus::PartiallySynced.label(), "Partially synced");
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
                failure: None,
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
        ".{0,10}".prop_map(|reason| Observation::ApplyRefused {
            reason,
            failure: None
        }),
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
                    refreshed_at: None,
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
    fn rollup_matches_the_table(
        all in prop::collection::vec(any_status(), 0..12),
        deleting in any::<bool>(),
    ) {
        // Unless the secret is being deleted, a removal from one project is left out.
        let statuses: Vec<_> = all.iter().copied().filter(|s| deleting || *s != A::Deleting).collect();
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
        prop_assert_eq!(rollup(deleting, all.iter().copied()), expected);
    }

    #[test]
    fn rollup_ignores_order(
        mut statuses in prop::collection::vec(any_status(), 0..12),
        deleting in any::<bool>(),
    ) {
        let before = rollup(deleting, statuses.iter().copied());
        statuses.reverse();
        prop_assert_eq!(rollup(deleting, statuses.iter().copied()), before);
    }

    #[test]
    fn no_sequence_of_reports_moves_a_deleting_assignment_back(
        start in prop::sample::select(vec![A::Deleting, A::DeleteFailed]),
        applied_generation in prop::option::of(0i64..5),
        observations in prop::collection::vec(any_observation(), 0..40),
    ) {
        let mut state = AssignmentState { status: start, reason: None, applied_generation, failure: None };
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

#[test]
fn a_foreign_object_in_the_way_is_failed_like_a_refusal_naming_it() {
    let next = transition(
        &AssignmentState::new(),
        &Observation::ForeignObject {
            reason: "A Secret named `db` already exists in namespace `payments`".to_owned(),
        },
    );
    let Transition::Update(next) = next else {
        panic!("{next:?}")
    };
    assert_eq!(next.status, AssignmentStatus::Failed);
    assert!(next.reason.unwrap().contains("`db`"));
}
