//! Why a single sign-on was refused, in words a person can act on. The server sends the
//! reason's code to the sign-in page (`/login?sso=<code>`), which shows the sentence: the
//! URL never carries a token, a claim or the provider's own error text.

/// A refused single sign-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The answer names a sign-in this browser did not start, or one already finished (a
    /// replayed or forged `state`), or one started too long ago.
    UnknownAttempt,
    /// The provider said no (the person cancelled, or has no access).
    ProviderDenied,
    /// The ID token was issued for another application (audience).
    WrongAudience,
    /// The ID token came from another issuer than the configured one.
    WrongIssuer,
    /// The ID token had expired.
    Expired,
    /// The ID token belongs to another sign-in attempt (nonce).
    WrongNonce,
    /// The ID token's signature does not match any of the provider's keys.
    BadSignature,
    /// The provider could not be reached or answered nonsense.
    ProviderUnavailable,
    /// The ID token has neither an email nor a user name.
    NoIdentity,
    /// A local account already has this email.
    LocalAccountExists,
    /// The account is disabled here.
    Disabled,
    /// Single sign-on is not configured.
    NotConfigured,
}

impl SsoRefusal {
    /// Every refusal, for the code table's tests.
    pub const ALL: [SsoRefusal; 12] = [
        SsoRefusal::UnknownAttempt,
        SsoRefusal::ProviderDenied,
        SsoRefusal::WrongAudience,
        SsoRefusal::WrongIssuer,
        SsoRefusal::Expired,
        SsoRefusal::WrongNonce,
        SsoRefusal::BadSignature,
        SsoRefusal::ProviderUnavailable,
        SsoRefusal::NoIdentity,
        SsoRefusal::LocalAccountExists,
        SsoRefusal::Disabled,
        SsoRefusal::NotConfigured,
    ];

    /// The short code the sign-in page's URL carries.
    pub fn code(self) -> &'static str {
        match self {
            SsoRefusal::UnknownAttempt => "unknown-attempt",
            SsoRefusal::ProviderDenied => "denied",
            SsoRefusal::WrongAudience => "audience",
            SsoRefusal::WrongIssuer => "issuer",
            SsoRefusal::Expired => "expired",
            SsoRefusal::WrongNonce => "nonce",
            SsoRefusal::BadSignature => "signature",
            SsoRefusal::ProviderUnavailable => "unavailable",
            SsoRefusal::NoIdentity => "no-identity",
            SsoRefusal::LocalAccountExists => "local-account",
            SsoRefusal::Disabled => "disabled",
            SsoRefusal::NotConfigured => "not-configured",
        }
    }

    /// The refusal a code names, if any.
    pub fn from_code(code: &str) -> Option<SsoRefusal> {
        SsoRefusal::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What happened and what to do, for the person signing in.
    pub fn message(self) -> &'static str {
        match self {
            SsoRefusal::UnknownAttempt => {
                "This sign-in was already completed, was started in another browser, or took \
                 too long. Please sign in again."
            }
            SsoRefusal::ProviderDenied => {
                "The identity provider did not sign you in: you cancelled, or it refused. Try \
                 again, or ask your administrator for access."
            }
            SsoRefusal::WrongAudience => {
                "Sign-in refused: the identity provider's answer was meant for a different \
                 application. Ask an administrator to check the console's client id."
            }
            SsoRefusal::WrongIssuer => {
                "Sign-in refused: the answer did not come from the identity provider this \
                 console trusts. Ask an administrator to check the issuer URL."
            }
            SsoRefusal::Expired => {
                "Sign-in refused: the identity provider's answer had already expired. Please \
                 sign in again; if it keeps happening, the server's clock may be wrong."
            }
            SsoRefusal::WrongNonce => {
                "Sign-in refused: the identity provider's answer belongs to a different sign-in \
                 attempt. Please sign in again."
            }
            SsoRefusal::BadSignature => {
                "Sign-in refused: the identity provider's answer could not be verified with its \
                 signing keys, so it may have been tampered with. Please sign in again; if it \
                 keeps happening, tell an administrator."
            }
            SsoRefusal::ProviderUnavailable => {
                "The identity provider could not be reached or gave an answer the console could \
                 not use. Try again in a minute; if it keeps happening, tell an administrator."
            }
            SsoRefusal::NoIdentity => {
                "Sign-in refused: the identity provider did not say who you are (no email or \
                 user name). Ask an administrator to let the console read your email."
            }
            SsoRefusal::LocalAccountExists => {
                "Sign-in refused: a local account with your email already exists here. Sign in \
                 with its password, or ask an administrator to remove it."
            }
            SsoRefusal::Disabled => {
                "Your account is disabled here. Ask an administrator to enable it."
            }
            SsoRefusal::NotConfigured => "Single sign-on is not set up on this console.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_own_code_that_reads_back() {
        for refusal in SsoRefusal::ALL {
            assert_eq!(SsoRefusal::from_code(refusal.code()), Some(refusal));
        }
        assert_eq!(SsoRefusal::from_code("<script>"), None);
    }

    #[test]
    fn messages_are_sentences_without_jargon_tokens() {
        for refusal in SsoRefusal::ALL {
            let message = refusal.message();
            assert!(message.ends_with('.'), "{message}");
            assert!(
                !message.contains("nonce") && !message.contains("JWT"),
                "{message}"
            );
        }
    }
}
