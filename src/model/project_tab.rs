//! What a project's Secrets tab shows and offers: each secret with that project's assignment
//! (its failure too), and the organization secrets an admin may assign there.

use serde::{Deserialize, Serialize};

use crate::domain::status::FailureClass;
use crate::model::listing::SecretRow;
use crate::model::secret::{SecretKind, SecretSpec};

/// One row of a project's Secrets tab: the secret as the Secrets list has it (with what the
/// viewer may do), and what the badge detail and the failure sentence of this project's
/// assignment need, as the secret's own page has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectTabRow {
    /// The secret, its `assigned_to` holding this project's assignment.
    pub secret: SecretRow,
    /// Which failure a refused apply in this project was (`assignments.failure`).
    pub failure: Option<FailureClass>,
    /// The controller's latest warning in this project (names keys and objects, never values).
    pub warning: Option<String>,
    /// Its spec (no values), which says whether an entry pins a version: how ESO's warning is
    /// told apart (`domain::reason_words::shown_failure`).
    pub spec: SecretSpec,
}

/// An organization secret not assigned to the project, for its "Assign existing secret"
/// picker (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignableSecret {
    /// The secret (`secrets.id`).
    pub id: i64,
    /// Its name, also its object's name in the project's namespace.
    pub name: String,
    /// External or Kubernetes.
    pub kind: SecretKind,
    /// Why it cannot be assigned here now, in words (a same-named project secret, or its
    /// removal from this project still under way); `None`: it can.
    pub blocked: Option<String>,
}
