//! What an action says once the server says yes: a message in a live region that takes the
//! focus (where the eye and a screen reader are), not a jump to the top of the page. A create
//! form also empties itself, so a second press does not answer "already exists".

use leptos::html::{Form, Input, P};
use leptos::prelude::*;

use crate::error::AppError;

/// A message in a live region (`role=status`) that takes the focus whenever it is said.
#[derive(Clone, Copy)]
pub struct Notice {
    message: RwSignal<Option<String>>,
    node: NodeRef<P>,
}

impl Notice {
    /// No message yet (a message after a redirect is the shell's flash, see
    /// `components::flash`).
    pub fn new() -> Self {
        let notice = Notice {
            message: RwSignal::new(None),
            node: NodeRef::new(),
        };
        Effect::new(move |_| {
            if notice.message.get().is_some()
                && let Some(node) = notice.node.get()
            {
                let _ = node.focus();
            }
        });
        notice
    }

    /// Says `message` (and moves the focus to it).
    pub fn say(self, message: String) {
        self.message.set(Some(message));
    }

    /// Says nothing any more (the next action failed, say).
    pub fn clear(self) {
        self.message.set(None);
    }

    /// The message, while there is one.
    pub fn view(self) -> impl IntoView {
        move || {
            self.message.get().map(|message| {
                view! {
                    <p class="notice success" role="status" tabindex="-1" node_ref=self.node>
                        {message}
                    </p>
                }
            })
        }
    }
}

impl Default for Notice {
    fn default() -> Self {
        Notice::new()
    }
}

/// The form, the field that names what was created, and the message.
#[derive(Clone, Copy)]
pub struct Created {
    /// Put on the `ActionForm` (`node_ref`): emptied after a success.
    pub form: NodeRef<Form>,
    /// Put on the field whose value names what was created.
    pub name: NodeRef<Input>,
    notice: Notice,
}

impl Created {
    /// Follows `value` (the action's latest answer); `words` turns the created thing's name
    /// into the message.
    pub fn follow<T: Clone + Send + Sync + 'static>(
        value: impl Fn() -> Option<Result<T, AppError>> + 'static,
        words: fn(&str) -> String,
    ) -> Self {
        let created = Created {
            form: NodeRef::new(),
            name: NodeRef::new(),
            notice: Notice::new(),
        };
        Effect::new(move |_| match value() {
            Some(Ok(_)) => {
                let name = created
                    .name
                    .get_untracked()
                    .map(|input| input.value())
                    .unwrap_or_default();
                created.notice.say(words(&name));
                if let Some(form) = created.form.get_untracked() {
                    form.reset();
                }
            }
            Some(Err(_)) => created.notice.clear(),
            None => {}
        });
        created
    }

    /// The message, while there is one.
    pub fn view(self) -> impl IntoView {
        self.notice.view()
    }
}
