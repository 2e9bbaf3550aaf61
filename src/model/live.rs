//! Live status updates, as Server-Sent Events carry them to the browser (`/live/events`).
//! Ids and statuses only, never a value.

use serde::{Deserialize, Serialize};

use crate::domain::status::{AssignmentStatus, FailureClass, SecretStatus};

/// One assignment's status now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAssignment {
    /// The project.
    pub project_id: i64,
    /// Its status.
    pub status: AssignmentStatus,
    /// Why, for every status but Synced.
    pub reason: Option<String>,
    /// Last successful sync, Unix milliseconds.
    pub last_sync_at: Option<i64>,
    /// When the console tries again after failed attempts.
    pub next_retry_at: Option<i64>,
    /// When External Secrets Operator last fetched the values, Unix milliseconds.
    #[serde(default)]
    pub refreshed_at: Option<i64>,
    /// Which failure a user can act on a refused apply was.
    #[serde(default)]
    pub failure: Option<FailureClass>,
    /// The controller's latest warning, kept for the current failure (its words name objects
    /// and keys, never values).
    #[serde(default)]
    pub warning: Option<String>,
}

/// A secret's status now, with the assignments the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSecret {
    /// The secret.
    pub id: i64,
    /// Its rolled-up status (over the viewer's projects, for team members).
    pub status: SecretStatus,
    /// Its assignments the viewer may see.
    pub assignments: Vec<LiveAssignment>,
}

/// What an event's data holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LiveMessage {
    /// Event `status`: a secret's status changed.
    Status(LiveSecret),
    /// Event `gone`: a secret the stream showed is gone (deleted, or no longer visible).
    Gone {
        /// The secret.
        id: i64,
    },
}
