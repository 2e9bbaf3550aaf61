//! The request-scoped parts of decoding, kept apart from the decoder so that the store's
//! `WriteContext` can carry them without depending on the decoder (which depends on the store).

use std::sync::{Arc, Mutex, MutexGuard};

/// `fieldValidation`: what a write does with unknown and duplicate fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Dropped silently.
    Ignore,
    /// Dropped, each named in a `Warning` header: the default when the parameter is absent.
    #[default]
    Warn,
    /// The write is refused.
    Strict,
}

impl FieldValidation {
    /// The directive of a request's `fieldValidation` parameter.
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("Strict") => Self::Strict,
            Some("Ignore") => Self::Ignore,
            _ => Self::Warn,
        }
    }
}

/// What decoding leaves for a request's answer, shared by every clone of its `WriteContext` as
/// the warning recorder rides in a Go request's context: warnings for `Warning` headers, and
/// the strict errors of a patch's own body, kept until the patched object is decoded (both
/// are reported together, `appliedStrictErrs` in patch.go).
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Recorded>>);

#[derive(Debug, Default)]
pub(super) struct Recorded {
    pub(super) warnings: Vec<String>,
    pub(super) patch_errors: Vec<String>,
}

impl Recorder {
    pub(super) fn lock(&self) -> MutexGuard<'_, Recorded> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a warning, once (the recorder dedupes, apiserver `pkg/endpoints/filters/warning.go`).
    pub fn warn(&self, text: &str) {
        let mut recorded = self.lock();
        if !text.is_empty() && !recorded.warnings.iter().any(|w| w == text) {
            recorded.warnings.push(text.to_owned());
        }
    }

    /// The warnings recorded so far, taken.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().warnings)
    }
}
