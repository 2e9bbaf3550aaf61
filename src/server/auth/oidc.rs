//! Single sign-on with an OpenID Connect provider, through the `openidconnect` crate: discovery
//! (once, then cached), the authorization code flow with PKCE, and the ID token's checks —
//! issuer, audience, expiry, nonce, and its signature against the provider's JWKS. A token
//! signed with a key the cached JWKS does not know makes us fetch the JWKS again once (the
//! provider rotated its keys) before refusing. When the ID token names no email or carries no
//! groups claim, the provider's userinfo endpoint (if it has one) is asked for them, with the
//! access token of the same exchange and the ID token's subject as the one it must answer for.
//!
//! Every refusal is an [`SsoRefusal`]: a sentence for the person, never the token or the
//! provider's own error text. The technical reason goes to the log, without token material.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenClaims, IssuerUrl, JsonWebKeySet, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, SignatureVerificationError, StandardErrorResponse, StandardTokenResponse,
    SubjectIdentifier, TokenResponse, UserInfoClaims, UserInfoError,
};
use serde::{Deserialize, Serialize};

use crate::domain::sign_in::SsoRefusal;
use crate::server::auth::users::provider_accounts::ProviderIdentity;
use crate::server::config::OidcSettings;

/// Every claim beyond the standard ones, so that the groups claim may have any name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherClaims {
    /// The claims, by name.
    #[serde(flatten)]
    pub claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type IdTokenFields = openidconnect::IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type OidcTokenResponse = StandardTokenResponse<IdTokenFields, CoreTokenType>;
type Claims = IdTokenClaims<OtherClaims, CoreGenderClaim>;
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OidcTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a started sign-in may take at the provider.
pub const SIGN_IN_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How long a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest name (email or user name) taken from a provider, as the longest email address.
const MAX_NAME_CHARS: usize = 254;
/// Scopes asked for beside `openid`, when the provider lists them (or lists none).
const WANTED_SCOPES: [&str; 3] = ["email", "profile", "groups"];

/// A sign-in started in this session: what the answer must match. Kept in the session only.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The `state` sent to the provider, which its answer must carry back.
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier the code exchange proves possession with.
    pub verifier: String,
    /// When it started (Unix ms).
    pub started_at: i64,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// The configured provider: settings, an HTTP client and the cached discovery document.
pub struct OidcProvider {
    settings: OidcSettings,
    /// The issuer's origin (`https://sso.example.com`), which pages allow forms to go to.
    origin: String,
    http: openidconnect::reqwest::Client,
    metadata: tokio::sync::RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// A provider for `settings`; nothing is fetched until the first sign-in, so the console
    /// starts while the provider is away.
    pub fn new(settings: OidcSettings) -> Result<OidcProvider, String> {
        let issuer = IssuerUrl::new(settings.issuer_url.clone())
            .map_err(|e| format!("--oidc-issuer-url is not a URL: {e}"))?;
        let origin = issuer.url().origin().ascii_serialization();
        RedirectUrl::new(format!("{}/auth/callback", settings.public_url))
            .map_err(|e| format!("--public-url is not a URL: {e}"))?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider send us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client for single sign-on: {e}"))?;
        Ok(OidcProvider {
            settings,
            origin,
            http,
            metadata: tokio::sync::RwLock::new(None),
        })
    }

    /// The name on the sign-in button.
    pub fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    /// The issuer's origin, e.g. `https://sso.example.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public URL (without a trailing slash).
    pub fn public_url(&self) -> &str {
        &self.settings.public_url
    }

    /// The discovery document (and JWKS), fetched on first use and kept.
    async fn metadata(&self) -> Result<Arc<ProviderMetadataWithLogout>, SsoRefusal> {
        if let Some(metadata) = self.metadata.read().await.clone() {
            return Ok(metadata);
        }
        let issuer = IssuerUrl::new(self.settings.issuer_url.clone())
            .map_err(|_| SsoRefusal::NotConfigured)?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|error| {
                tracing::warn!(%error, issuer = %self.settings.issuer_url, "single sign-on: discovery failed");
                SsoRefusal::ProviderUnavailable
            })?;
        let metadata = Arc::new(metadata);
        *self.metadata.write().await = Some(metadata.clone());
        Ok(metadata)
    }

    /// Fetches the provider's JWKS again (it rotated its signing keys) and keeps it.
    async fn refresh_keys(&self) -> Result<Arc<ProviderMetadataWithLogout>, SsoRefusal> {
        let current = self.metadata().await?;
        let keys = JsonWebKeySet::fetch_async(current.jwks_uri(), &self.http)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "single sign-on: fetching the provider's keys failed");
                SsoRefusal::ProviderUnavailable
            })?;
        let updated = Arc::new((*current).clone().set_jwks(keys));
        *self.metadata.write().await = Some(updated.clone());
        tracing::info!("single sign-on: fetched the provider's signing keys again");
        Ok(updated)
    }

    fn client(&self, metadata: &ProviderMetadataWithLogout) -> Result<OidcClient, SsoRefusal> {
        let redirect = RedirectUrl::new(format!("{}/auth/callback", self.settings.public_url))
            .map_err(|_| SsoRefusal::NotConfigured)?;
        let client = Client::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|secret| ClientSecret::new(secret.as_str().to_owned())),
        )
        .set_redirect_uri(redirect);
        Ok(client)
    }

    /// Starts a sign-in: the provider's authorization URL to send the browser to, and what its
    /// answer must match (to keep in the session).
    pub async fn start(&self) -> Result<(String, PendingSignIn), SsoRefusal> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let offered: Option<Vec<String>> = metadata
            .scopes_supported()
            .map(|scopes| scopes.iter().map(|s| s.as_str().to_owned()).collect());
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in WANTED_SCOPES {
            if offered
                .as_ref()
                .is_none_or(|offered| offered.iter().any(|s| s == scope))
            {
                request = request.add_scope(Scope::new(scope.to_owned()));
            }
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok((
            url.to_string(),
            PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                started_at: crate::server::clock::now_ms(),
            },
        ))
    }

    /// Finishes a sign-in: exchanges the code (proving the PKCE verifier) and checks the ID
    /// token. The answer's `state` was already checked against `pending`.
    pub async fn finish(
        &self,
        pending: &PendingSignIn,
        code: &str,
    ) -> Result<ProviderIdentity, SsoRefusal> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| {
                tracing::warn!(%error, "single sign-on: the provider has no token endpoint");
                SsoRefusal::ProviderUnavailable
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|error| {
                tracing::warn!(error = %token_error_words(&error), "single sign-on: the code exchange failed");
                SsoRefusal::ProviderUnavailable
            })?;
        let id_token = response.id_token().ok_or_else(|| {
            tracing::warn!("single sign-on: the token response has no ID token");
            SsoRefusal::ProviderUnavailable
        })?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match self.verify(&metadata, id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key we have not seen: the provider may have rotated its keys since.
                let metadata = self.refresh_keys().await?;
                self.verify(&metadata, id_token, &nonce)
            }
            other => other,
        }
        .map_err(|error| {
            let refusal = refusal_for(&error);
            tracing::warn!(%error, reason = refusal.code(), "single sign-on: ID token refused");
            refusal
        })?;
        let mut said = Said::from_id_token(&claims, &self.settings.groups_claim);
        if said.lacks_something()
            && let Some(more) = self
                .user_info(&metadata, response.access_token(), claims.subject())
                .await?
        {
            said = said.or(more);
        }
        identity(
            &self.settings,
            claims.issuer().as_str(),
            claims.subject().as_str(),
            said,
        )
    }

    /// What the provider's userinfo endpoint says about `subject`, or None when it has no such
    /// endpoint. A refusal when it cannot be asked, or answers for someone else.
    async fn user_info(
        &self,
        metadata: &ProviderMetadataWithLogout,
        access_token: &AccessToken,
        subject: &SubjectIdentifier,
    ) -> Result<Option<Said>, SsoRefusal> {
        let client = self.client(metadata)?;
        let Ok(request) = client.user_info(access_token.clone(), Some(subject.clone())) else {
            return Ok(None);
        };
        let answer: Result<UserInfoClaims<OtherClaims, CoreGenderClaim>, _> =
            request.request_async(&self.http).await;
        match answer {
            Ok(info) => Ok(Some(Said::from_user_info(
                &info,
                &self.settings.groups_claim,
            ))),
            Err(UserInfoError::ClaimsVerification(error)) => {
                tracing::warn!(%error, "single sign-on: the userinfo answer was refused");
                Err(SsoRefusal::BadSignature)
            }
            Err(error) => {
                tracing::warn!(%error, "single sign-on: the userinfo endpoint failed");
                Err(SsoRefusal::ProviderUnavailable)
            }
        }
    }

    fn verify(
        &self,
        metadata: &ProviderMetadataWithLogout,
        id_token: &openidconnect::IdToken<
            OtherClaims,
            CoreGenderClaim,
            CoreJweContentEncryptionAlgorithm,
            CoreJwsSigningAlgorithm,
        >,
        nonce: &Nonce,
    ) -> Result<Claims, ClaimsVerificationError> {
        let client = self
            .client(metadata)
            .map_err(|_| ClaimsVerificationError::Other("no client".to_owned()))?;
        let verifier = client.id_token_verifier().set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        id_token.claims(&verifier, nonce).cloned()
    }

    /// Where to send the browser to end the provider's session too (RP-initiated logout), if
    /// the provider offers it: with our client id (never the ID token) and the sign-in page as
    /// the way back.
    pub async fn logout_url(&self) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let back =
            PostLogoutRedirectUrl::new(format!("{}/login", self.settings.public_url)).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_client_id(ClientId::new(self.settings.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .http_get_url()
                .to_string(),
        )
    }
}

/// The refusal a failed ID token check comes to.
fn refusal_for(error: &ClaimsVerificationError) -> SsoRefusal {
    match error {
        ClaimsVerificationError::Expired(_) => SsoRefusal::Expired,
        ClaimsVerificationError::InvalidAudience(_) => SsoRefusal::WrongAudience,
        ClaimsVerificationError::InvalidIssuer(_) => SsoRefusal::WrongIssuer,
        ClaimsVerificationError::InvalidNonce(_) => SsoRefusal::WrongNonce,
        _ => SsoRefusal::BadSignature,
    }
}

/// A failed code exchange in words for the log: the provider's error code, never a body that
/// might echo what we sent.
fn token_error_words<E: std::error::Error>(
    error: &openidconnect::RequestTokenError<E, StandardErrorResponse<CoreErrorResponseType>>,
) -> String {
    match error {
        openidconnect::RequestTokenError::ServerResponse(response) => {
            format!("the provider answered {}", response.error().as_ref())
        }
        openidconnect::RequestTokenError::Request(error) => format!("request failed: {error}"),
        openidconnect::RequestTokenError::Parse(_, _) => {
            "the provider's answer could not be read".to_owned()
        }
        openidconnect::RequestTokenError::Other(words) => words.clone(),
    }
}

/// What the provider said about the person: from the ID token, filled in from the userinfo
/// endpoint where the token is silent.
#[derive(Debug, Clone, Default, PartialEq)]
struct Said {
    /// The email, unless the provider says it is not verified.
    email: Option<String>,
    /// The preferred user name (the fallback when there is no email).
    username: Option<String>,
    /// The groups claim as it came (see [`groups`]), if there was one.
    groups: Option<serde_json::Value>,
}

impl Said {
    fn from_id_token(claims: &Claims, groups_claim: &str) -> Said {
        Said {
            email: claims
                .email()
                .filter(|_| claims.email_verified() != Some(false))
                .map(|email| email.as_str().to_owned()),
            username: claims
                .preferred_username()
                .map(|name| name.as_str().to_owned()),
            groups: claims.additional_claims().claims.get(groups_claim).cloned(),
        }
    }

    fn from_user_info(
        info: &UserInfoClaims<OtherClaims, CoreGenderClaim>,
        groups_claim: &str,
    ) -> Said {
        Said {
            email: info
                .email()
                .filter(|_| info.email_verified() != Some(false))
                .map(|email| email.as_str().to_owned()),
            username: info
                .preferred_username()
                .map(|name| name.as_str().to_owned()),
            groups: info.additional_claims().claims.get(groups_claim).cloned(),
        }
    }

    /// Whether the userinfo endpoint is worth asking: no email, or no groups claim at all (an
    /// empty one is an answer).
    fn lacks_something(&self) -> bool {
        self.email.is_none() || self.groups.is_none()
    }

    /// This, with what it lacks taken from `more`.
    fn or(self, more: Said) -> Said {
        Said {
            email: self.email.or(more.email),
            username: self.username.or(more.username),
            groups: self.groups.or(more.groups),
        }
    }
}

/// Who the provider's answer names (`issuer` and `subject` from the verified ID token), and
/// what their groups make them here.
fn identity(
    settings: &OidcSettings,
    issuer: &str,
    subject: &str,
    said: Said,
) -> Result<ProviderIdentity, SsoRefusal> {
    let name = said
        .email
        .or(said.username)
        .map(|name| name.trim().to_lowercase())
        .filter(|name| {
            !name.is_empty()
                && name.chars().count() <= MAX_NAME_CHARS
                && !name.chars().any(char::is_control)
        })
        .ok_or(SsoRefusal::NoIdentity)?;
    let groups = groups(said.groups.as_ref());
    let (is_admin, projects) = roles(settings, &groups);
    Ok(ProviderIdentity {
        subject: format!("{issuer} {subject}"),
        name,
        is_admin,
        projects,
    })
}

/// The groups a claim lists: an array of strings, or one string.
fn groups(claim: Option<&serde_json::Value>) -> Vec<String> {
    match claim {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Whether `groups` make a platform admin, and the projects they make a member of (sorted,
/// each once).
fn roles(settings: &OidcSettings, groups: &[String]) -> (bool, Vec<String>) {
    let is_admin = groups.contains(&settings.admin_group);
    let mut projects: Vec<String> = groups
        .iter()
        .filter_map(|g| g.strip_prefix(settings.project_group_prefix.as_str()))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    projects.sort();
    projects.dedup();
    (is_admin, projects)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer_url: "https://sso.example.com".to_owned(),
            client_id: "console".to_owned(),
            client_secret: None,
            public_url: "https://console.example.com".to_owned(),
            groups_claim: "groups".to_owned(),
            admin_group: "secrets-console-admins".to_owned(),
            project_group_prefix: "project:".to_owned(),
            display_name: "Acme SSO".to_owned(),
        }
    }

    #[test]
    fn the_admin_group_makes_a_platform_admin_and_project_groups_make_members() {
        let groups: Vec<String> = [
            "secrets-console-admins",
            "project:payments",
            "project:search",
            "project:payments",
            "project:",
            "staff",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            roles(&settings(), &groups),
            (true, vec!["payments".to_owned(), "search".to_owned()])
        );
        assert_eq!(
            roles(&settings(), &["project:payments".to_owned()]),
            (false, vec!["payments".to_owned()])
        );
        assert_eq!(roles(&settings(), &[]), (false, vec![]));
    }

    #[test]
    fn a_groups_claim_may_be_a_list_or_one_string() {
        assert_eq!(
            groups(Some(&serde_json::json!(["a", 1, "b"]))),
            ["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(groups(Some(&serde_json::json!("a"))), ["a".to_owned()]);
        assert!(groups(None).is_empty());
        assert!(groups(Some(&serde_json::json!({"a": 1}))).is_empty());
    }

    #[test]
    fn what_the_id_token_says_wins_and_userinfo_fills_in_what_it_lacks() {
        let token = Said {
            email: None,
            username: Some("ada".to_owned()),
            groups: Some(serde_json::json!([])),
        };
        assert!(token.lacks_something());
        let info = Said {
            email: Some("ada@example.com".to_owned()),
            username: Some("someone-else".to_owned()),
            groups: Some(serde_json::json!(["secrets-console-admins"])),
        };
        let merged = token.or(info);
        assert_eq!(merged.email.as_deref(), Some("ada@example.com"));
        assert_eq!(merged.username.as_deref(), Some("ada"));
        assert_eq!(
            merged.groups,
            Some(serde_json::json!([])),
            "the token's (empty) groups"
        );
        assert!(!merged.lacks_something());
        let identity = identity(&settings(), "https://sso.example.com", "s1", merged).unwrap();
        assert_eq!(identity.name, "ada@example.com");
        assert!(!identity.is_admin);
    }

    #[test]
    fn a_pending_sign_in_never_shows_its_secrets() {
        let pending = PendingSignIn {
            state: "state-canary".to_owned(),
            nonce: "nonce-canary".to_owned(),
            verifier: "verifier-canary".to_owned(),
            started_at: 1,
        };
        assert!(!format!("{pending:?}").contains("canary"));
    }

    #[test]
    fn each_failed_check_has_its_own_refusal() {
        assert_eq!(
            refusal_for(&ClaimsVerificationError::Expired("x".into())),
            SsoRefusal::Expired
        );
        assert_eq!(
            refusal_for(&ClaimsVerificationError::InvalidAudience("x".into())),
            SsoRefusal::WrongAudience
        );
        assert_eq!(
            refusal_for(&ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::CryptoError("x".into())
            )),
            SsoRefusal::BadSignature
        );
    }
}
