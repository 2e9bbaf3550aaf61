//! Personal API tokens as the Tokens page shows them. A token's text crosses the wire exactly
//! once, in [`CreatedToken`], to the person who created it; lists never carry it.

use serde::{Deserialize, Serialize};

/// What a token may do with its user's permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenAccess {
    /// Reads only: any server function that changes something answers 403.
    ReadOnly,
    /// Reads and changes, as the user could in the pages.
    ReadWrite,
}

impl TokenAccess {
    /// Parses the create form's choice (`read-only` or `read-write`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read-only" => Some(TokenAccess::ReadOnly),
            "read-write" => Some(TokenAccess::ReadWrite),
            _ => None,
        }
    }

    /// How the pages name it.
    pub fn label(self) -> &'static str {
        match self {
            TokenAccess::ReadOnly => "Read-only",
            TokenAccess::ReadWrite => "Read-write",
        }
    }
}

/// One token in a list: everything but the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Its id (`api_tokens.id`), for revoking.
    pub id: i64,
    /// The name its owner gave it ("CI deploy").
    pub name: String,
    /// Whose it is (their email).
    pub owner: String,
    /// The token's first characters (`scn_1a2b…`), to tell tokens apart; not enough to use it.
    pub hint: String,
    /// What it may do.
    pub access: TokenAccess,
    /// When it was created (Unix ms).
    pub created_at: i64,
    /// When it stops working (Unix ms).
    pub expires_at: i64,
    /// Whether it was past its expiry when listed.
    pub expired: bool,
    /// When a request last used it (Unix ms), if ever.
    pub last_used_at: Option<i64>,
    /// When it was revoked (Unix ms), if it was.
    pub revoked_at: Option<i64>,
    /// Who revoked it (their email), if someone did.
    pub revoked_by: Option<String>,
}

/// A token just created: the only answer that ever carries its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The token (`scn_…`): shown once, never stored or listed.
    pub token: String,
    /// When it stops working (Unix ms).
    pub expires_at: i64,
    /// What it may do.
    pub access: TokenAccess,
}

/// The lifetimes the create form offers, in days; a token lives at most a year.
pub const EXPIRY_DAYS: [i64; 5] = [7, 30, 90, 180, 365];
