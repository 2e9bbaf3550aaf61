//! Live status: one `EventSource` on `/live/events` per signed-in page. Badges read the latest
//! status from here and fall back to what the page was rendered with; the indicator says
//! whether the stream is live or reconnecting. `EventSource` reconnects by itself; if the
//! server refuses (signed out), the page tries again every few seconds.

use leptos::prelude::*;

use crate::components::contexts::use_live;
#[cfg(feature = "hydrate")]
use crate::components::contexts::{LiveContext, LiveState};
use crate::components::status_badge::{AssignmentBadge, StatusBadge};
use crate::domain::reason_words::{
    KeyNames, ShownReason, in_person_names, shown_failure, shown_once,
};
use crate::domain::status::{AssignmentStatus, FailureClass, SecretStatus};
use crate::model::listing::AssignmentBrief;
use crate::model::secret::SecretSpec;

/// Opens the stream (in the browser, once per page) and shows its state. An island: on the
/// Secrets page, which hydrates only its islands, it is what keeps the badges live.
#[island]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_live();
    Effect::new(move |started: Option<bool>| {
        if started != Some(true) {
            #[cfg(feature = "hydrate")]
            connect_once(live);
        }
        true
    });
    view! {
        <span class="live-indicator" data-live=move || live.state.get().as_str() role="status">
            <span class="live-dot" aria-hidden="true"></span>
            {move || live.state.get().label()}
        </span>
    }
}

/// An assignment's reason and the controller's latest warning as a person reads them: said
/// once, in the secret's key `names` (`domain::reason_words::shown_once`), following live
/// events (`initial` until one arrives). A warning from before the latest sync is history.
pub fn live_reason(
    secret_id: i64,
    project_id: i64,
    initial: AssignmentBrief,
    names: KeyNames,
) -> impl Fn() -> ShownReason + Send + Sync + 'static {
    let live = use_live();
    move || {
        let (status, reason, warning) = match live.assignment(secret_id, project_id) {
            Some(a) => (a.status, a.reason, a.warning),
            None => (
                initial.status,
                initial.reason.clone(),
                initial.last_warning.clone(),
            ),
        };
        let warning = warning.filter(|_| status != AssignmentStatus::Synced);
        shown_once(reason.as_deref(), warning.as_deref(), &names)
    }
}

/// An assignment's last successful sync, in words, following live events.
pub fn live_last_sync(
    secret_id: i64,
    project_id: i64,
    initial: Option<i64>,
) -> impl Fn() -> String + Send + Sync + 'static {
    let live = use_live();
    move || {
        live.assignment(secret_id, project_id)
            .map_or(initial, |a| a.last_sync_at)
            .map(crate::components::format::utc_time)
            .unwrap_or_else(|| "never".into())
    }
}

/// When External Secrets Operator last fetched an assignment's values and when it will next
/// (one `interval` later; `None` or zero: only on Sync now), following live events. A change
/// at the provider shows in the cluster only then: ESO does not watch its stores.
#[component]
pub fn LiveEsoRefresh(
    secret_id: i64,
    project_id: i64,
    initial: Option<i64>,
    interval: Option<std::time::Duration>,
) -> impl IntoView {
    use crate::components::format::utc_time;
    let live = use_live();
    let refreshed = move || {
        live.assignment(secret_id, project_id)
            .map_or(initial, |a| a.refreshed_at.or(initial))
    };
    let interval_ms = interval
        .map(|i| i64::try_from(i.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let text = move || {
        let Some(at) = refreshed() else {
            return "ESO has not fetched it yet".to_owned();
        };
        if interval_ms == 0 {
            format!("ESO fetched {} · again only on Sync now", utc_time(at))
        } else {
            format!(
                "ESO fetched {} · next {}",
                utc_time(at),
                utc_time(at.saturating_add(interval_ms))
            )
        }
    };
    view! {
        <p class="eso-refresh muted" data-refreshed-at=move || refreshed().map(|at| at.to_string())>
            {text}
        </p>
    }
}

/// A secret's status badge that follows live events.
#[component]
pub fn LiveStatusBadge(id: i64, initial: SecretStatus) -> impl IntoView {
    let live = use_live();
    view! { <StatusBadge status=Signal::derive(move || live.secret_status(id).unwrap_or(initial)) /> }
}

/// What an assignment badge's detail tells of its failure: the class recorded with a refusal
/// and the controller's warning as the page loaded, and the secret's spec (which says whether
/// an entry pins a version), from which `domain::reason_words::shown_failure` tells the class.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureSource {
    /// The class recorded with a refused apply.
    pub recorded: Option<FailureClass>,
    /// The controller's latest warning.
    pub warning: Option<String>,
    /// The secret's spec.
    pub spec: SecretSpec,
}

/// An assignment's status badge that follows live events; its failure class (sentence and
/// what to do, when `failure` says how to tell it), reason (in the names of `failure`'s spec's
/// keys) and last sync show on hover and focus.
#[component]
pub fn LiveAssignmentBadge(
    secret_id: i64,
    project_id: i64,
    initial: AssignmentStatus,
    #[prop(default = None)] reason: Option<String>,
    #[prop(default = None)] last_sync_at: Option<i64>,
    #[prop(default = None)] failure: Option<FailureSource>,
) -> impl IntoView {
    let live = use_live();
    let detail = Signal::derive(move || {
        let (status, reason, synced, recorded, warning) =
            match live.assignment(secret_id, project_id) {
                Some(a) => (a.status, a.reason, a.last_sync_at, a.failure, a.warning),
                None => (
                    initial,
                    reason.clone(),
                    last_sync_at,
                    failure.as_ref().and_then(|f| f.recorded),
                    failure.as_ref().and_then(|f| f.warning.clone()),
                ),
            };
        let class = failure
            .as_ref()
            .and_then(|f| shown_failure(status, recorded, warning.as_deref(), &f.spec));
        badge_detail(
            class,
            reason.as_deref(),
            synced,
            failure.as_ref().map(|f| &f.spec),
        )
    });
    view! {
        <AssignmentBadge
            status=Signal::derive(move || {
                live.assignment(secret_id, project_id).map(|a| a.status).unwrap_or(initial)
            })
            detail
        />
    }
}

/// What an assignment badge shows on hover and focus: the failure's summary, the reason in
/// the names of `spec`'s keys (as the reason cell says it), the last sync.
fn badge_detail(
    class: Option<FailureClass>,
    reason: Option<&str>,
    synced: Option<i64>,
    spec: Option<&SecretSpec>,
) -> String {
    let reason = reason.map(|reason| match spec {
        Some(spec) => in_person_names(reason, &KeyNames::of(spec)),
        None => reason.to_owned(),
    });
    let synced = synced.map(|at| format!("last sync {}", crate::components::format::utc_time(at)));
    [class.map(FailureClass::summary), reason, synced]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Connects the page's store, unless it already is: the Secrets page's island and the app it
/// becomes on its first navigation share one store and one stream.
#[cfg(feature = "hydrate")]
fn connect_once(live: LiveContext) {
    if !CONNECTED.with(|connected| connected.replace(true)) {
        connect(live);
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// Whether the page's stream was opened.
    static CONNECTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The page's stream, while it is open or reconnecting.
    static SOURCE: std::cell::RefCell<Option<web_sys::EventSource>> = const { std::cell::RefCell::new(None) };
}

/// Ends the page's stream for good (an islands page becoming the whole app, which opens its
/// own).
#[cfg(feature = "hydrate")]
pub fn close_stream() {
    CONNECTED.with(|connected| connected.set(true));
    if let Some(source) = SOURCE.with(|source| source.borrow_mut().take()) {
        source.close();
    }
}

#[cfg(feature = "hydrate")]
fn connect(live: LiveContext) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use crate::model::live::LiveMessage;

    let Ok(source) = web_sys::EventSource::new("/live/events") else {
        live.state.set(LiveState::Reconnecting);
        return;
    };
    SOURCE.with(|current| *current.borrow_mut() = Some(source.clone()));
    let listen = |name: &str, handler: Box<dyn FnMut(web_sys::MessageEvent)>| {
        let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::wrap(handler);
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        closure.forget();
    };
    // Whatever changed between the page's render (or a dropped connection) and this stream
    // starting was not sent: every hello (the server subscribes before it) reloads the data.
    let resync = move || {
        live.secrets.update(|m| m.clear());
        live.gone.update(|g| g.clear());
        live.resync.update(|n| *n += 1);
    };
    listen(
        "hello",
        Box::new(move |_| {
            resync();
            live.state.set(LiveState::Live);
        }),
    );
    listen(
        "status",
        Box::new(move |event| {
            if let Some(LiveMessage::Status(secret)) = message(&event) {
                live.gone.update(|gone| {
                    gone.remove(&secret.id);
                });
                live.secrets.update(|m| {
                    m.insert(secret.id, secret);
                });
            }
        }),
    );
    listen(
        "gone",
        Box::new(move |event| {
            if let Some(LiveMessage::Gone { id }) = message(&event) {
                live.secrets.update(|m| {
                    m.remove(&id);
                });
                live.gone.update(|gone| {
                    gone.insert(id);
                });
            }
        }),
    );
    listen("resync", Box::new(move |_| live.resync.update(|n| *n += 1)));
    // Too many streams in this session, and this page's was the oldest: stop rather than
    // reconnect, which would close another tab's stream in turn. Or the user was signed out
    // (disabled, signed out everywhere): nothing to reconnect to.
    let stopping = source.clone();
    listen(
        "closed",
        Box::new(move |event| {
            stopping.close();
            let signed_out = event
                .data()
                .as_string()
                .is_some_and(|data| data.contains("signed out"));
            live.state.set(if signed_out {
                LiveState::SignedOut
            } else {
                LiveState::Stopped
            });
        }),
    );
    let watched = source.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        live.state.set(LiveState::Reconnecting);
        let current = SOURCE.with(|current| current.borrow().as_ref() == Some(&watched));
        if current && watched.ready_state() == web_sys::EventSource::CLOSED {
            // Refused (signed out, server gone): the browser gave up; try again later.
            set_timeout(move || connect(live), std::time::Duration::from_secs(5));
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();

    fn message(event: &web_sys::MessageEvent) -> Option<LiveMessage> {
        event
            .data()
            .as_string()
            .and_then(|data| serde_json::from_str(&data).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{ExternalDataEntry, ExternalSpec};

    fn entry(secret_key: &str, remote_key: &str) -> ExternalDataEntry {
        ExternalDataEntry {
            secret_key: secret_key.into(),
            remote_key: remote_key.into(),
            property: None,
            version: None,
            ..Default::default()
        }
    }

    #[test]
    fn a_badge_names_the_entry_by_the_key_the_person_gave_it() {
        let spec = SecretSpec::External(ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h".into(),
            data: vec![
                entry("username", "shared/db/username"),
                entry("password", "shared/db/password"),
            ],
            ..Default::default()
        });
        let reason =
            "error processing spec.data[1] (key: shared/db/password), err: Secret does not exist";
        let detail = badge_detail(None, Some(reason), None, Some(&spec));
        assert_eq!(
            detail,
            "key password (remote key shared/db/password): Secret does not exist"
        );
        assert!(!detail.contains("spec.data"));
        // Without the spec (nothing to name it by), the cluster's words.
        assert_eq!(badge_detail(None, Some(reason), None, None), reason);
        assert_eq!(badge_detail(None, None, None, Some(&spec)), "");
    }
}
