//! What a create form does once the server says yes: a message in a live region that takes
//! the focus (where the eye and a screen reader are), and the form emptied, so a second press
//! does not answer "already exists".

use leptos::html::{Form, Input, P};
use leptos::prelude::*;

use crate::error::AppError;

/// The form, the field that names what was created, and the message.
#[derive(Clone, Copy)]
pub struct Created {
    /// Put on the `ActionForm` (`node_ref`): emptied after a success.
    pub form: NodeRef<Form>,
    /// Put on the field whose value names what was created.
    pub name: NodeRef<Input>,
    message: RwSignal<Option<String>>,
    node: NodeRef<P>,
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
            message: RwSignal::new(None),
            node: NodeRef::new(),
        };
        Effect::new(move |_| match value() {
            Some(Ok(_)) => {
                let name = created
                    .name
                    .get_untracked()
                    .map(|input| input.value())
                    .unwrap_or_default();
                created.message.set(Some(words(&name)));
                if let Some(form) = created.form.get_untracked() {
                    form.reset();
                }
            }
            Some(Err(_)) => created.message.set(None),
            None => {}
        });
        Effect::new(move |_| {
            if created.message.get().is_some()
                && let Some(message) = created.node.get()
            {
                let _ = message.focus();
            }
        });
        created
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
