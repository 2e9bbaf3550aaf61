//! Options of single sign-on through an OpenID Connect provider, and of local accounts beside
//! it. The client secret is never a flag (command lines are visible to every local user): it
//! comes from `SECRETS_CONSOLE_OIDC_CLIENT_SECRET` or from the file `--oidc-client-secret-file`
//! names.

use std::path::PathBuf;

/// Environment variable holding the OpenID Connect client secret itself.
pub const OIDC_CLIENT_SECRET_ENV: &str = "SECRETS_CONSOLE_OIDC_CLIENT_SECRET";

/// Single sign-on options of `secrets-console` (serve).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Single sign-on (OpenID Connect)")]
pub struct OidcArgs {
    /// The provider's issuer URL, e.g. https://keycloak.example.com/realms/acme (its
    /// discovery document is under `/.well-known/openid-configuration`). Setting it turns on
    /// "Sign in with <display name>"; it needs --oidc-client-id and --public-url too.
    #[arg(long, env = "SECRETS_CONSOLE_OIDC_ISSUER_URL", value_name = "URL")]
    pub oidc_issuer_url: Option<String>,

    /// The client id this console is registered under at the provider. The client secret comes
    /// from SECRETS_CONSOLE_OIDC_CLIENT_SECRET or --oidc-client-secret-file, never a flag.
    #[arg(long, env = "SECRETS_CONSOLE_OIDC_CLIENT_ID", value_name = "ID")]
    pub oidc_client_id: Option<String>,

    /// A file holding the client secret (its first line). Ignored when
    /// SECRETS_CONSOLE_OIDC_CLIENT_SECRET is set. Without either, the console is a public
    /// client (PKCE only).
    #[arg(
        long,
        env = "SECRETS_CONSOLE_OIDC_CLIENT_SECRET_FILE",
        value_name = "PATH"
    )]
    pub oidc_client_secret_file: Option<PathBuf>,

    /// The URL people reach the console at, as the provider redirects back to it: the
    /// redirect URI to register is `<public url>/auth/callback`, and `<public url>/login` the
    /// post-logout redirect URI.
    #[arg(long, env = "SECRETS_CONSOLE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// The ID token claim listing the user's groups.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_OIDC_GROUPS_CLAIM",
        default_value = "groups"
    )]
    pub oidc_groups_claim: String,

    /// Members of this group are platform admins; everyone else signs in as a team member.
    /// Checked at every sign-in.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_OIDC_ADMIN_GROUP",
        default_value = "secrets-console-admins"
    )]
    pub oidc_admin_group: String,

    /// A group named this prefix plus a project's name makes its members members of that
    /// project (`project:payments` → `payments`). Checked at every sign-in.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_OIDC_PROJECT_GROUP_PREFIX",
        default_value = "project:"
    )]
    pub oidc_project_group_prefix: String,

    /// The provider's name on the sign-in button: "Sign in with <display name>".
    #[arg(
        long,
        env = "SECRETS_CONSOLE_OIDC_DISPLAY_NAME",
        default_value = "single sign-on"
    )]
    pub oidc_display_name: String,

    /// Allow sign-in with a local email and password (a break-glass admin beside single
    /// sign-on). `--local-accounts=false` hides the form and refuses such sign-ins; it needs
    /// --oidc-issuer-url, or nobody could sign in.
    #[arg(
        long,
        env = "SECRETS_CONSOLE_LOCAL_ACCOUNTS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub local_accounts: bool,
}

/// Single sign-on settings, checked: every part a sign-in needs is there.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer URL, as configured.
    pub issuer_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, if the client is confidential. Never shown by `Debug`.
    pub client_secret: Option<zeroize::Zeroizing<String>>,
    /// The public URL, without a trailing slash.
    pub public_url: String,
    /// The groups claim.
    pub groups_claim: String,
    /// The admin group.
    pub admin_group: String,
    /// The project group prefix.
    pub project_group_prefix: String,
    /// The name on the sign-in button.
    pub display_name: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("public_url", &self.public_url)
            .field("groups_claim", &self.groups_claim)
            .field("admin_group", &self.admin_group)
            .field("project_group_prefix", &self.project_group_prefix)
            .field("display_name", &self.display_name)
            .finish()
    }
}

impl OidcArgs {
    /// The checked settings (None when single sign-on is off), reading the client secret from
    /// `secret_env` (the value of SECRETS_CONSOLE_OIDC_CLIENT_SECRET) or the secret file. The
    /// error is a sentence for the operator, naming the flag to fix; it never holds the secret.
    pub fn settings(&self, secret_env: Option<String>) -> Result<Option<OidcSettings>, String> {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(issuer_url) = given(&self.oidc_issuer_url) else {
            if !self.local_accounts {
                return Err(
                    "refusing to start: --local-accounts=false with no single sign-on \
                            (--oidc-issuer-url) would leave nobody able to sign in"
                        .to_owned(),
                );
            }
            return Ok(None);
        };
        if !(issuer_url.starts_with("https://") || issuer_url.starts_with("http://")) {
            return Err(format!(
                "--oidc-issuer-url must be an http(s) URL, not `{issuer_url}`"
            ));
        }
        let client_id = given(&self.oidc_client_id).ok_or(
            "--oidc-issuer-url needs --oidc-client-id (SECRETS_CONSOLE_OIDC_CLIENT_ID): the id \
             the console is registered under at the provider",
        )?;
        let public_url = given(&self.public_url).ok_or(
            "--oidc-issuer-url needs --public-url (SECRETS_CONSOLE_PUBLIC_URL): the provider \
             redirects people back to <public url>/auth/callback",
        )?;
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(format!(
                "--public-url must be an http(s) URL, not `{public_url}`"
            ));
        }
        let client_secret = match secret_env.filter(|s| !s.trim().is_empty()) {
            Some(secret) => Some(zeroize::Zeroizing::new(secret.trim().to_owned())),
            None => match &self.oidc_client_secret_file {
                Some(path) => {
                    let text =
                        zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                            format!(
                                "cannot read --oidc-client-secret-file {}: {e}",
                                path.display()
                            )
                        })?);
                    let line = text.lines().next().unwrap_or_default().trim();
                    if line.is_empty() {
                        return Err(format!(
                            "--oidc-client-secret-file {} is empty",
                            path.display()
                        ));
                    }
                    Some(zeroize::Zeroizing::new(line.to_owned()))
                }
                None => None,
            },
        };
        Ok(Some(OidcSettings {
            issuer_url,
            client_id,
            client_secret,
            public_url: public_url.trim_end_matches('/').to_owned(),
            groups_claim: self.oidc_groups_claim.trim().to_owned(),
            admin_group: self.oidc_admin_group.trim().to_owned(),
            project_group_prefix: self.oidc_project_group_prefix.clone(),
            display_name: self.oidc_display_name.trim().to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::server::config::Cli;

    fn args(extra: &[&str]) -> super::OidcArgs {
        Cli::try_parse_from(std::iter::once("secrets-console").chain(extra.iter().copied()))
            .unwrap()
            .oidc
    }

    #[test]
    fn single_sign_on_is_off_without_an_issuer() {
        assert!(args(&[]).settings(None).unwrap().is_none());
        assert!(args(&[]).local_accounts);
    }

    #[test]
    fn turning_local_accounts_off_needs_an_issuer() {
        let refusal = args(&["--local-accounts=false"])
            .settings(None)
            .unwrap_err();
        assert!(refusal.contains("--oidc-issuer-url"), "{refusal}");
    }

    #[test]
    fn an_issuer_needs_a_client_id_and_a_public_url() {
        let refusal = args(&["--oidc-issuer-url", "https://sso.example.com"])
            .settings(None)
            .unwrap_err();
        assert!(refusal.contains("--oidc-client-id"), "{refusal}");
        let refusal = args(&[
            "--oidc-issuer-url",
            "https://sso.example.com",
            "--oidc-client-id",
            "console",
        ])
        .settings(None)
        .unwrap_err();
        assert!(refusal.contains("--public-url"), "{refusal}");
    }

    #[test]
    fn the_client_secret_comes_from_the_environment_before_the_file_and_is_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let given = args(&[
            "--oidc-issuer-url",
            "https://sso.example.com/realms/acme",
            "--oidc-client-id",
            "console",
            "--public-url",
            "https://console.example.com/",
            "--oidc-client-secret-file",
            file.to_str().unwrap(),
        ]);
        let from_file = given.settings(None).unwrap().unwrap();
        assert_eq!(
            from_file.client_secret.as_deref().map(String::as_str),
            Some("from-file")
        );
        assert_eq!(from_file.public_url, "https://console.example.com");
        assert_eq!(from_file.display_name, "single sign-on");
        assert_eq!(from_file.admin_group, "secrets-console-admins");
        assert_eq!(from_file.project_group_prefix, "project:");
        assert_eq!(from_file.groups_claim, "groups");
        let from_env = given
            .settings(Some("from-env".to_owned()))
            .unwrap()
            .unwrap();
        assert_eq!(
            from_env.client_secret.as_deref().map(String::as_str),
            Some("from-env")
        );
        assert!(!format!("{from_env:?}").contains("from-env"));
    }

    #[test]
    fn there_is_no_flag_holding_the_client_secret() {
        assert!(Cli::try_parse_from(["secrets-console", "--oidc-client-secret", "x"]).is_err());
    }
}
