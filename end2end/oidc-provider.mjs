// A real OpenID Provider on loopback for the end-to-end tests: npm's `oidc-provider` (an
// OpenID Certified implementation) with its own sign-in pages (its development interactions:
// any password is accepted, the login must be one of the users below), PKCE, discovery, JWKS
// and RP-initiated logout.
//
//   node oidc-provider.mjs --port 3110 --client-id secrets-console --redirect http://127.0.0.1:3100
//
// The client secret comes from SECRETS_CONSOLE_OIDC_CLIENT_SECRET, as the app reads it.
// Users (login → claims):
//   ada  ada@sso.example.com   groups: secrets-console-admins                (platform admin)
//   ben  ben@sso.example.com   groups: project:payments                      (member of payments)
//   cleo cleo@sso.example.com  groups: secrets-console-admins, project:search (tests demote her)
// A test changes a user's groups with `PUT /test/users/<login>/groups` (a JSON array of
// strings), as an administrator would in the provider, and reads them back with GET.
import Provider from "oidc-provider";

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const port = Number(arg("port", 3110));
const clientId = arg("client-id", "secrets-console");
const app = arg("redirect", "http://127.0.0.1:3100");
const clientSecret = process.env.SECRETS_CONSOLE_OIDC_CLIENT_SECRET ?? "e2e-client-secret";
const issuer = `http://127.0.0.1:${port}`;

const users = {
  ada: { email: "ada@sso.example.com", name: "Ada Admin", groups: ["secrets-console-admins"] },
  ben: { email: "ben@sso.example.com", name: "Ben Member", groups: ["project:payments"] },
  cleo: { email: "cleo@sso.example.com", name: "Cleo Demoted", groups: ["secrets-console-admins", "project:search"] },
};

// Plain pages without the default ones' web font (no network here).
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${app}/auth/callback`],
      post_logout_redirect_uris: [`${app}/login`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  // The scope-requested claims in the ID token itself, as Keycloak and Dex put them.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page(
          "Sign out of the test provider?",
          `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`,
        );
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page("Signed out", "<p>You are signed out of the test provider.</p>");
      },
    },
  },
  // The console is a first-party client: no consent screen, as a company's provider is set up.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile groups");
    await grant.save();
    return grant;
  },
  findAccount: async (_ctx, id) => {
    const user = users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      claims: async () => ({
        sub: id,
        email: user.email,
        email_verified: true,
        name: user.name,
        preferred_username: id,
        groups: [...user.groups],
      }),
    };
  },
  cookies: { keys: ["secrets-console-e2e-provider-cookie-key"] },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Sign-in error", `<pre>${String(out.error ?? "error").replace(/[<>&]/g, "")}</pre>`);
  },
});

// The tests' administrator: change or read a user's groups.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/test\/users\/([a-z]+)\/groups$/);
  if (!match) return next();
  const user = users[match[1]];
  if (!user) {
    ctx.status = 404;
    return undefined;
  }
  if (ctx.method === "PUT") {
    let body = "";
    for await (const chunk of ctx.req) body += chunk;
    const groups = JSON.parse(body);
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string")) {
      ctx.status = 400;
      return undefined;
    }
    user.groups = groups;
  }
  ctx.body = user.groups;
  return undefined;
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`test OpenID Provider at ${issuer}`);
});
