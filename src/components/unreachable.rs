//! When the server is away: an action that got no answer leaves the page as it was (the
//! person's input too), says so beside itself, and offers to send the same request again. The
//! live indicator recovers on its own; this is only about the action that was pressed.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// How many times `action` got an answer from the server. A page keys what it loads on this,
/// not on the action's version: an action the server never received changed nothing, and
/// reloading the page then (the server being away) would replace it with an error.
pub fn answered<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| {
        let version = action.version().get();
        let unanswered = action
            .value()
            .with(|value| matches!(value, Some(Err(error)) if error.is_unreachable()));
        match previous {
            Some(previous) if unanswered => *previous,
            _ => version,
        }
    })
}

/// What an action last sent, kept after it finished (the action itself forgets its input), so
/// the same request can be sent again. Create it where the action is created, so it outlives
/// a view that is built again.
pub struct Sent<S: 'static>(StoredValue<Option<S>>);

impl<S> Clone for Sent<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Sent<S> {}

impl<S> Sent<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    /// Keeps each input `action` is given (in the browser; the server renders no retries).
    pub fn follow(action: ServerAction<S>) -> Self {
        let kept = StoredValue::new(None);
        Effect::new(move |_| {
            if let Some(input) = action.input().get() {
                kept.set_value(Some(input));
            }
        });
        Sent(kept)
    }

    /// What was last sent, if anything.
    pub fn last(self) -> Option<S> {
        self.0.get_value()
    }

    /// Sends the kept input again through `action`; false when nothing was kept.
    fn resend(self, action: ServerAction<S>) -> bool {
        match self.0.get_value() {
            Some(input) => {
                action.dispatch(input);
                true
            }
            None => false,
        }
    }

    /// Whether there is an input to send again.
    fn is_kept(self) -> bool {
        self.0.with_value(Option::is_some)
    }
}

/// Beside an action: while its latest answer is "the server could not be reached", says so
/// and offers Retry, which sends the same request again. `sent` is what the action last sent
/// (see [`Sent`]); without it, this keeps its own.
#[component]
pub fn UnreachableNotice<S>(
    action: ServerAction<S>,
    #[prop(optional)] sent: Option<Sent<S>>,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let sent = sent.unwrap_or_else(|| Sent::follow(action));
    let unreached = move || {
        action
            .value()
            .with(|value| matches!(value, Some(Err(error)) if error.is_unreachable()))
    };
    let pending = action.pending();
    move || {
        unreached().then(|| {
            view! {
                <p class="error unreachable" role="alert">
                    "Could not reach the server. Your changes are kept."
                    {sent.is_kept().then(|| view! {
                        " "
                        <button
                            type="button"
                            class="button small"
                            disabled=move || pending.get()
                            on:click=move |_| {
                                sent.resend(action);
                            }
                        >
                            {move || if pending.get() { "Retrying…" } else { "Retry" }}
                        </button>
                    })}
                </p>
            }
        })
    }
}
