//! What a project's tab shows admins about the objects in its namespace that the console does
//! not manage: names, kind, type, key names and age. Never a value.

use serde::{Deserialize, Serialize};

/// The kind of an object in a namespace the console may bring under management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectKind {
    /// An External Secrets Operator `ExternalSecret`.
    ExternalSecret,
    /// A native `Secret`.
    Secret,
}

impl ObjectKind {
    /// The Kubernetes kind, as `kubectl` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExternalSecret => "ExternalSecret",
            Self::Secret => "Secret",
        }
    }

    /// Parses [`as_str`](Self::as_str)'s words.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ExternalSecret" => Some(Self::ExternalSecret),
            "Secret" => Some(Self::Secret),
            _ => None,
        }
    }
}

/// One object in a project's namespace that no assignment owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedObject {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its name in the namespace.
    pub name: String,
    /// A Secret's `type`; an ExternalSecret's `target.template.type`, if it sets one.
    pub secret_type: Option<String>,
    /// A Secret's key names; the target keys an ExternalSecret's `data` names.
    pub keys: Vec<String>,
    /// When it was created (`metadata.creationTimestamp`), in Unix milliseconds.
    pub created_at_ms: Option<i64>,
    /// Why "Manage with the console" cannot take it as it is, in words (`None`: it can).
    pub blocked: Option<String>,
}

/// The answer for a project's namespace: its unmanaged objects, or why its cluster could not
/// be asked (in words; the details are in the server's log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnmanagedAnswer {
    /// Listed.
    Listed(Vec<UnmanagedObject>),
    /// Not listed, and why.
    CouldNotList(String),
}
