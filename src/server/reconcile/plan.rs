//! What the reconciler does next for one change, decided from what it wants and what the
//! cluster has shown so far: [`plan`] is a pure function (no I/O, no clock, no database), so
//! each case has a unit test; `apply.rs` does the requests it asks for and calls it again with
//! their answers, as kube-rs' controller-rs keeps its decisions apart from its client calls.

use kube::api::DynamicObject;
use serde_json::Value;

use super::error::{Error, Policy, error_policy};
use crate::server::cluster::manifest::{
    FIELD_MANAGER, LABEL_ASSIGNMENT_ID, LABEL_MANAGED_BY, LABEL_SECRET_ID, MANAGED_BY,
};
use crate::server::cluster::unmanaged::canonical_spec;
use crate::server::work_queue::Op;

/// The kind of object an assignment becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An External Secrets Operator `ExternalSecret`.
    ExternalSecret,
    /// A native `Secret`.
    Secret,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ExternalSecret => "ExternalSecret",
            Self::Secret => "Secret",
        }
    }
}

/// What the console wants for one assignment.
#[derive(Debug)]
pub(crate) struct Desired<'a> {
    pub(crate) op: Op,
    pub(crate) kind: Kind,
    pub(crate) secret_id: i64,
    pub(crate) assignment_id: i64,
    /// The object to apply (none for a delete).
    pub(crate) body: Option<&'a Value>,
    /// An admin asked to take over a same-named object we do not own.
    pub(crate) adopt: bool,
    /// An admin brought the existing object under management ("Manage with the console"):
    /// take it while its content is what we would write, never changing its data.
    pub(crate) take_over: bool,
    /// The console may create a missing namespace (the built-in simulated clusters only).
    pub(crate) creates_namespaces: bool,
    /// The type the Secret ESO writes must have (`target.template.type`), if any.
    pub(crate) target_type: Option<&'a str>,
}

/// What the cluster has shown so far while working this change.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// Our object's name read (`Ok(None)`: absent). `None`: not read (an adoption).
    pub(crate) object: Option<Result<Option<DynamicObject>, Error>>,
    /// For an ExternalSecret, the Secret ESO would write into, read the same way.
    pub(crate) target: Option<Result<Option<DynamicObject>, Error>>,
    /// The last write's refusal, if it was refused.
    pub(crate) refused: Option<Error>,
    /// The missing namespace was created during this change.
    pub(crate) namespace_created: bool,
    /// Whether the namespace exists, once asked after a 403 (`None`: not asked, or the
    /// role may not read namespaces, so it cannot be told).
    pub(crate) namespace_exists: Option<bool>,
    /// Our target Secret was deleted during this change, to be written again with its type.
    pub(crate) target_replaced: bool,
    /// Another tool changed fields of ours (our apply's 409 said which): the next apply is
    /// forced, taking them back.
    pub(crate) taking_back: bool,
}

impl Observed {
    /// The target Secret was deleted during this change, to be written again with its type.
    /// The namespace is known not to exist (a 404 from admission, or a 403 where asking for
    /// the namespace said it is not there).
    pub(crate) fn namespace_missing(&self) -> bool {
        matches!(self.refused, Some(Error::MissingNamespace(_)))
            || self.namespace_exists == Some(false)
    }
}

/// The next step.
#[derive(Debug)]
pub(crate) enum Action<'a> {
    /// Server-side apply (forced when adopting or taking fields back): creates, corrects drift,
    /// takes over.
    Apply {
        /// Take fields from other managers (an adoption, or fields taken back).
        force: bool,
    },
    /// Take over an object we do not own whose content is already what we would write: a
    /// forced apply at `resource_version`, which adds our labels and annotations and changes
    /// no data (a 409 means it changed since it was read: read it again).
    TakeOver {
        /// The `metadata.resourceVersion` compared.
        resource_version: Option<&'a str>,
    },
    /// An object being taken over no longer holds what was read when it was brought under
    /// management: record it, touch nothing.
    Diverged {
        /// Its kind.
        kind: Kind,
    },
    /// Ours, and already as wanted: nothing to write. At `generation`.
    Unchanged {
        /// The object's `metadata.generation`.
        generation: i64,
    },
    /// Annotate the ExternalSecret so ESO fetches now.
    ForceSync,
    /// Create the missing namespace, then try again.
    CreateNamespace,
    /// Ask whether the namespace exists: a 403 may mean it does not.
    CheckNamespace,
    /// Delete our target Secret: its type must change, and a Secret's type is immutable
    /// (ESO's update would be refused), so ESO writes it again with the new type.
    ReplaceTarget,
    /// Another field manager changed fields we own (`kubectl edit`, another controller): record
    /// who and which, then apply forced, taking them back. The console is the source of truth
    /// for what it writes, as it is when it puts back a Secret edited or deleted out of band.
    TakeBack(&'a Error),
    /// Delete the object.
    Delete,
    /// Our object is not there (or what is there is not ours): it is gone.
    Gone,
    /// A same-named object of `kind` that we do not own stands there: record it, touch nothing.
    Foreign {
        /// Which of the two objects is foreign.
        kind: Kind,
    },
    /// Nothing to record; try again after the back-off.
    Retry(&'a Error),
    /// An earlier assignment's object of this same secret is still being deleted (its
    /// finalizer, the garbage collector): try again after the back-off, recording nothing.
    Wait(&'static str),
    /// Record the refusal; keep trying with back-off if `heals`.
    Refuse {
        /// What the cluster said.
        error: &'a Error,
        /// Whether it may pass later without a change of ours.
        heals: bool,
    },
}

/// Decides the next step.
pub(crate) fn plan<'a>(desired: &Desired<'_>, observed: &'a Observed) -> Action<'a> {
    if let Some(error) = &observed.refused {
        return match (error, desired.op) {
            (Error::Forbidden(_), _) if observed.namespace_exists.is_none() => {
                Action::CheckNamespace
            }
            (Error::Conflict(_), Op::Apply | Op::Sync) if !observed.taking_back => {
                Action::TakeBack(error)
            }
            // A delete's 404: the object, or its namespace, is not there any more.
            (Error::NotServed(_), Op::Delete) => Action::Gone,
            (_, Op::Delete) if observed.namespace_missing() => Action::Gone,
            (_, Op::Apply | Op::Sync)
                if observed.namespace_missing()
                    && desired.creates_namespaces
                    && !observed.namespace_created =>
            {
                Action::CreateNamespace
            }
            _ => on_error(error),
        };
    }
    let object = match &observed.object {
        None => None,
        Some(Ok(object)) => object.as_ref(),
        Some(Err(error)) => match (error_policy(error), desired.op) {
            (Policy::Retry, _) => return Action::Retry(error),
            // A read refused (say a role that may write but not read): the write decides.
            (Policy::Refuse { .. }, Op::Delete) => return Action::Delete,
            (Policy::Refuse { .. }, _) => None,
        },
    };
    if desired.op == Op::Delete {
        return match object {
            Some(object) if ours(object, desired.assignment_id) => Action::Delete,
            _ if observed.object.is_none() => Action::Delete,
            _ => Action::Gone,
        };
    }
    if desired.adopt {
        return Action::Apply { force: true };
    }
    if desired.take_over
        && let Some(object) = object
        && !ours(object, desired.assignment_id)
    {
        return if desired.body.is_some_and(|body| same_content(body, object)) {
            Action::TakeOver {
                resource_version: object.metadata.resource_version.as_deref(),
            }
        } else {
            Action::Diverged { kind: desired.kind }
        };
    }
    if let Some(object) = object
        && !ours(object, desired.assignment_id)
        && !stripped_of_ours(object)
    {
        // Unassigned and assigned again, or a delete still finishing: the object of an earlier
        // assignment of this same secret is not foreign. While it is being deleted, wait for
        // it; left behind, it is taken over by the apply (our field manager owns its fields).
        if !earlier_of_ours(object, desired.secret_id) {
            return Action::Foreign { kind: desired.kind };
        }
        if object.metadata.deletion_timestamp.is_some() {
            return Action::Wait("an earlier object of this secret is still being deleted");
        }
    }
    match &observed.target {
        Some(Err(error)) if error_policy(error) == Policy::Retry => return Action::Retry(error),
        // An earlier assignment's target, which the garbage collector has not removed yet (it
        // deletes dependents seconds after their owner): ESO writes over it once it is gone.
        Some(Ok(Some(target)))
            if !ours(target, desired.assignment_id)
                && !earlier_of_ours(target, desired.secret_id)
                && !object.is_some_and(|object| controlled_by(target, object)) =>
        {
            return Action::Foreign { kind: Kind::Secret };
        }
        Some(Ok(Some(target)))
            if desired.target_type.is_some_and(|wanted| {
                target
                    .data
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("Opaque")
                    != wanted
            }) && !observed.target_replaced =>
        {
            return Action::ReplaceTarget;
        }
        _ => {}
    }
    match (desired.op, desired.kind, object) {
        (Op::Sync, Kind::ExternalSecret, Some(_)) => Action::ForceSync,
        // Sync now of a Kubernetes Secret: applied again from the stored values, even when
        // what is there looks as wanted (the user asked for a write, not a comparison).
        (Op::Sync, Kind::Secret, _) => Action::Apply {
            force: observed.taking_back,
        },
        (_, _, Some(object)) if desired.body.is_some_and(|body| as_wanted(body, object)) => {
            Action::Unchanged {
                generation: object.metadata.generation.unwrap_or(0),
            }
        }
        _ => Action::Apply {
            force: observed.taking_back,
        },
    }
}

fn on_error(error: &Error) -> Action<'_> {
    match error_policy(error) {
        Policy::Retry => Action::Retry(error),
        Policy::Refuse { heals } => Action::Refuse { error, heals },
    }
}

/// Whether an object carries our labels for this assignment.
fn ours(object: &DynamicObject, assignment_id: i64) -> bool {
    managed_with(object, LABEL_ASSIGNMENT_ID, assignment_id)
}

/// Whether an object we applied had our labels taken off (`kubectl label ... managed-by-`):
/// it carries no managed-by label at all, and our field manager's apply is on record in its
/// managed fields. The apply puts the labels back.
fn stripped_of_ours(object: &DynamicObject) -> bool {
    let labelled = object
        .metadata
        .labels
        .as_ref()
        .is_some_and(|labels| labels.contains_key(LABEL_MANAGED_BY));
    !labelled
        && object
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .any(|entry| {
                entry.manager.as_deref() == Some(FIELD_MANAGER)
                    && entry.operation.as_deref() == Some("Apply")
            })
}

/// Whether an object carries our labels for another assignment of the same secret.
fn earlier_of_ours(object: &DynamicObject, secret_id: i64) -> bool {
    managed_with(object, LABEL_SECRET_ID, secret_id)
}

/// Whether an object is managed by the console and its `label` holds `id`.
fn managed_with(object: &DynamicObject, label: &str, id: i64) -> bool {
    object.metadata.labels.as_ref().is_some_and(|labels| {
        labels.get(label) == Some(&id.to_string())
            && labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(MANAGED_BY)
    })
}

/// Whether the live object already is what we would apply: every label and annotation we set
/// has our value (others may add theirs), and the parts we own whole — an ExternalSecret's
/// `spec` (our manifest pins every default, so the API server adds nothing), a Secret's `type`
/// and `data` — are equal. Anything else is drift, or a change of ours: apply.
fn as_wanted(body: &Value, live: &DynamicObject) -> bool {
    let subset = |field: &str, theirs: Option<&std::collections::BTreeMap<String, String>>| {
        body["metadata"][field].as_object().is_none_or(|ours| {
            ours.iter().all(|(key, value)| {
                theirs.and_then(|t| t.get(key)).map(String::as_str) == value.as_str()
            })
        })
    };
    subset("labels", live.metadata.labels.as_ref())
        && subset("annotations", live.metadata.annotations.as_ref())
        && match body["kind"].as_str() {
            Some("Secret") => same_secret_content(body, live),
            _ => body.get("spec") == live.data.get("spec"),
        }
}

/// A Secret's `type` and `data` are the same in both.
fn same_secret_content(body: &Value, live: &DynamicObject) -> bool {
    let live_type = live.data.get("type").and_then(Value::as_str);
    body["type"].as_str() == Some(live_type.unwrap_or("Opaque"))
        && body.get("data").filter(|d| !is_empty(d))
            == live.data.get("data").filter(|d| !is_empty(d))
}

/// Whether a live object we do not own already holds what we would write, so taking it over
/// changes no data: a Secret's type and data are equal; an ExternalSecret's spec means the
/// same to External Secrets Operator (its canonical form is what we would apply).
fn same_content(body: &Value, live: &DynamicObject) -> bool {
    match body["kind"].as_str() {
        Some("Secret") => same_secret_content(body, live),
        _ => {
            let name = live.metadata.name.as_deref().unwrap_or_default();
            let spec = live.data.get("spec").unwrap_or(&Value::Null);
            body.get("spec").is_some() && body.get("spec") == canonical_spec(name, spec).as_ref()
        }
    }
}

/// Whether `target` is controlled by the live object `owner` (ESO's Secret of our
/// ExternalSecret, before its controller copied our labels onto it).
fn controlled_by(target: &DynamicObject, owner: &DynamicObject) -> bool {
    owner.metadata.uid.as_deref().is_some_and(|uid| {
        (target.metadata.owner_references.iter().flatten())
            .any(|reference| reference.controller == Some(true) && reference.uid == uid)
    })
}

fn is_empty(value: &Value) -> bool {
    value.as_object().is_some_and(serde_json::Map::is_empty) || value.is_null()
}

#[cfg(test)]
mod tests;
