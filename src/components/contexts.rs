//! What the app shares with every page through context: who is signed in, and the live status
//! feed. Each has its type, the function that provides it (called once, in `App`) and the
//! accessor views use; nothing else calls `provide_context` or `use_context` for them.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use crate::api::auth::{Login, Logout, whoami};
use crate::components::load::{Load, load};
use crate::domain::status::SecretStatus;
use crate::error::AppError;
use crate::model::account::CurrentUser;
use crate::model::live::{LiveAssignment, LiveSecret};

/// Who is signed in, reloaded after every sign-in and sign-out.
#[derive(Clone, Copy)]
pub struct UserContext {
    /// The current user (None: signed out).
    pub user: Load<Result<Option<CurrentUser>, AppError>>,
    /// The sign-in action.
    pub login: ServerAction<Login>,
    /// The sign-out action.
    pub logout: ServerAction<Logout>,
}

impl UserContext {
    /// The signed-in user once known (None while loading, signed out or failed); tracked, so
    /// a view reading it follows sign-in and sign-out.
    pub fn signed_in(&self) -> Option<CurrentUser> {
        self.user.get().and_then(Result::ok).flatten()
    }
}

/// Creates the [`UserContext`] and provides it.
pub fn provide_user_context() {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let user = load(
        move || (login.version().get(), logout.version().get()),
        |_| whoami(),
    );
    provide_context(UserContext {
        user,
        login,
        logout,
    });
}

/// The [`UserContext`]; panics if [`provide_user_context`] was not called (a wiring bug).
pub fn use_user_context() -> UserContext {
    expect_context::<UserContext>()
}

/// The live stream's state, as the indicator shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not connected yet (also the server-rendered state).
    Connecting,
    /// Events arrive.
    Live,
    /// The connection dropped; the browser is reconnecting.
    Reconnecting,
    /// The server closed this page's stream for a newer one of the same session (too many
    /// tabs); a reload resumes.
    Stopped,
    /// The server ended the stream because this user was signed out (disabled, or signed out
    /// everywhere); the page's next request goes to the sign-in page.
    SignedOut,
}

impl LiveState {
    /// What the indicator says.
    pub fn label(self) -> &'static str {
        match self {
            LiveState::Connecting => "Connecting…",
            LiveState::Live => "Live",
            LiveState::Reconnecting => "Reconnecting…",
            LiveState::Stopped => "Paused: too many tabs (reload to resume)",
            LiveState::SignedOut => "Signed out",
        }
    }

    /// The indicator's `data-live` value (tests and styles read it).
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Connecting => "connecting",
            LiveState::Live => "live",
            LiveState::Reconnecting => "reconnecting",
            LiveState::Stopped => "stopped",
            LiveState::SignedOut => "signed-out",
        }
    }
}

/// What live pages share: the latest status the stream reported, fed by `components::live`.
#[derive(Debug, Clone, Copy)]
pub struct LiveContext {
    /// The latest status of each secret an event reported.
    pub secrets: RwSignal<HashMap<i64, LiveSecret>>,
    /// Secrets reported gone.
    pub gone: RwSignal<HashSet<i64>>,
    /// The stream's state.
    pub state: RwSignal<LiveState>,
    /// Bumped when events may have been missed: pages reload their data.
    pub resync: RwSignal<usize>,
    /// Project names by id, as far as the page knows them: the names an "Assigned to" cell
    /// shows for a project an event added after the page was rendered.
    pub project_names: RwSignal<HashMap<i64, String>>,
}

impl LiveContext {
    /// A secret's latest rolled-up status, if an event reported one.
    pub fn secret_status(&self, id: i64) -> Option<SecretStatus> {
        self.secrets.with(|m| m.get(&id).map(|s| s.status))
    }

    /// An assignment's latest state, if an event reported one.
    pub fn assignment(&self, secret_id: i64, project_id: i64) -> Option<LiveAssignment> {
        self.secrets.with(|m| {
            m.get(&secret_id).and_then(|s| {
                s.assignments
                    .iter()
                    .find(|a| a.project_id == project_id)
                    .cloned()
            })
        })
    }

    /// The projects the events say a secret is assigned to, if an event reported it.
    pub fn assigned_projects(&self, secret_id: i64) -> Option<Vec<i64>> {
        self.secrets.with(|m| {
            m.get(&secret_id)
                .map(|s| s.assignments.iter().map(|a| a.project_id).collect())
        })
    }

    /// Whether an event reported the secret deleted.
    pub fn is_gone(&self, secret_id: i64) -> bool {
        self.gone.with(|gone| gone.contains(&secret_id))
    }

    /// Changes whenever events may have been missed: a resource keyed on it reloads then.
    pub fn resync_version(&self) -> usize {
        self.resync.get()
    }
}

/// Creates the [`LiveContext`] (not connected yet) and provides it. In the browser it is the
/// page's one store ([`use_live`]), which islands share without a context.
pub fn provide_live_context() {
    #[cfg(feature = "hydrate")]
    provide_context(browser_live());
    #[cfg(not(feature = "hydrate"))]
    provide_context(LiveContext::new());
}

impl LiveContext {
    /// An empty store, not connected yet.
    fn new() -> Self {
        LiveContext {
            secrets: RwSignal::new(HashMap::new()),
            gone: RwSignal::new(HashSet::new()),
            state: RwSignal::new(LiveState::Connecting),
            resync: RwSignal::new(0),
            project_names: RwSignal::new(HashMap::new()),
        }
    }
}

/// The [`LiveContext`]: on the server the request's (panics if [`provide_live_context`] was not
/// called: a wiring bug); in the browser the page's one store, which islands (hydrated without
/// the app's contexts) and the whole app alike read.
pub fn use_live() -> LiveContext {
    #[cfg(feature = "hydrate")]
    return browser_live();
    #[cfg(not(feature = "hydrate"))]
    expect_context::<LiveContext>()
}

/// The browser's one store, created on first use under an owner of its own that is never
/// disposed (islands' owners come and go with the page).
#[cfg(feature = "hydrate")]
fn browser_live() -> LiveContext {
    thread_local! {
        static LIVE: LiveContext = {
            // `new_root` makes the new owner the current one: the caller's is put back.
            let caller = Owner::current();
            let owner = Owner::new_root(None);
            let live = owner.with(LiveContext::new);
            std::mem::forget(owner);
            if let Some(caller) = caller {
                caller.set();
            }
            live
        };
    }
    LIVE.with(|live| *live)
}
