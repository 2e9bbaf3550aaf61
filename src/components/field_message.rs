//! A form field's error message, tied to its field for assistive technology: while there is a
//! message, the field says it is invalid (`aria-invalid="true"`) and lists the message among
//! its descriptions (`aria-describedby`), and the message element carries that id. Every form
//! shows its field errors through [`FieldMessage`], so they are tied the same way everywhere.

use leptos::prelude::*;

use crate::error::AppError;

/// One field's error message: the message element and the attributes its field takes.
#[derive(Clone)]
pub struct FieldMessage {
    id: String,
    help: Option<&'static str>,
    message: Signal<Option<String>>,
    alert: Signal<bool>,
}

impl FieldMessage {
    /// The error of the field whose id is `field_id` (its message: `message`, None while there
    /// is no problem), shown in an element of id `{field_id}-error`.
    pub fn new(field_id: &str, message: impl Into<Signal<Option<String>>>) -> Self {
        FieldMessage {
            id: error_id(field_id),
            help: None,
            message: message.into(),
            alert: Signal::stored(false),
        }
    }

    /// The error of `field` that a server function answered (`result`), for the field whose
    /// id is `field_id`; announced at once (`role="alert"`), since it answers a submit.
    pub fn answered<T: 'static>(
        field_id: &str,
        field: &'static str,
        result: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
    ) -> Self {
        let message = Signal::derive(move || result().and_then(|r| about(r.err()?, field)));
        FieldMessage::new(field_id, message).alert_when(true)
    }

    /// The field is described by its help text too (the element of id `help`), always.
    pub fn with_help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }

    /// The message is announced when shown (`role="alert"`) while `alert` holds: for what the
    /// server answered to a submit, not for what is found as the user types.
    pub fn alert_when(mut self, alert: impl Into<Signal<bool>>) -> Self {
        self.alert = alert.into();
        self
    }

    /// The message element's id.
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// Whether there is a message (tracked).
    pub fn is_shown(&self) -> bool {
        self.message.with(Option::is_some)
    }

    /// The field's `aria-invalid`: `true` while there is a message, absent otherwise.
    pub fn invalid(
        &self,
    ) -> impl Fn() -> Option<&'static str> + Send + Sync + Clone + 'static + use<> {
        let message = self.message;
        move || message.with(Option::is_some).then_some("true")
    }

    /// The field's `aria-describedby`: its help text (if any), then the message while shown.
    pub fn described_by(
        &self,
    ) -> impl Fn() -> Option<String> + Send + Sync + Clone + 'static + use<> {
        let (id, help, message) = (self.id.clone(), self.help, self.message);
        move || described_by(help, message.with(Option::is_some).then_some(id.as_str()))
    }

    /// The message element; nothing while there is no message.
    pub fn view(&self) -> impl IntoView + use<> {
        let (id, message, alert) = (self.id.clone(), self.message, self.alert);
        move || {
            message.get().map(|text| {
                view! {
                    <p class="field-error" id=id.clone() role=move || alert.get().then_some("alert")>
                        {text}
                    </p>
                }
            })
        }
    }
}

/// The id of the error message of the field whose id is `field_id`.
pub fn error_id(field_id: &str) -> String {
    format!("{field_id}-error")
}

/// The message of `error` when it is about `field` (a refused value of that form field).
pub fn about(error: AppError, field: &str) -> Option<String> {
    error
        .field_errors()
        .into_iter()
        .find(|e| e.field == field)
        .map(|e| e.message)
}

/// Whether `error` is about one of `fields` (and so is shown at its field, not on its own):
/// every problem it names is.
pub fn is_about_any(error: &AppError, fields: &[&str]) -> bool {
    let errors = error.field_errors();
    !errors.is_empty() && errors.iter().all(|e| fields.contains(&e.field.as_str()))
}

/// An `aria-describedby` value: the ids given, in order; None when there is none.
fn described_by(help: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<&str> = help.into_iter().chain(error).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_described_by_its_help_then_its_error() {
        assert_eq!(described_by(None, None), None);
        assert_eq!(
            described_by(Some("name-help"), None).as_deref(),
            Some("name-help")
        );
        assert_eq!(
            described_by(Some("name-help"), Some("secret-name-error")).as_deref(),
            Some("name-help secret-name-error")
        );
        assert_eq!(error_id("delete-confirm"), "delete-confirm-error");
    }

    #[test]
    fn only_a_validation_error_of_that_field_is_shown_at_it() {
        let refused = AppError::validation("confirm", "type the name");
        assert_eq!(
            about(refused.clone(), "confirm").as_deref(),
            Some("type the name")
        );
        assert_eq!(about(refused.clone(), "name"), None);
        assert_eq!(about(AppError::Forbidden, "confirm"), None);
        assert!(is_about_any(&refused, &["name", "confirm"]));
        assert!(!is_about_any(&AppError::NotFound, &["confirm"]));
    }
}
