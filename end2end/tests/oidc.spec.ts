// Single sign-on through a real OpenID Provider (npm's oidc-provider, started by
// playwright.config.ts): people sign in on the provider's own page, and what they may do here
// follows their groups there at each sign-in.
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADA, BEN, CLEO, ISSUER, SSO_BUTTON, SingleSignOn, setGroups } from "./fixtures/sso";

test.beforeEach(async ({ page }) => {
  await new SingleSignOn(page).offline();
});

test("the sign-in page offers the provider beside the local form", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("link", { name: SSO_BUTTON })).toBeVisible();
  // Local accounts stay on (a break-glass admin) unless --local-accounts=false.
  await expect(page.getByLabel("Email")).toBeVisible();
  await new AppShell(page).screenshot("login-sso");
});

test("a member of the admin group signs in as a platform admin, and signing out ends the provider's session", async ({ page }) => {
  const sso = new SingleSignOn(page);
  await sso.signIn(ADA);
  const shell = new AppShell(page);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toBeVisible();
  await expect(shell.nav.getByRole("link", { name: "Users" })).toBeVisible();
  await page.goto("/projects");
  for (const project of ["analytics", "ml-training", "payments", "search"]) {
    await expect(page.getByRole("link", { name: project, exact: true })).toBeVisible();
  }
  await shell.screenshot("projects-sso-admin");

  await sso.signOut();
  await page.goto("/secrets");
  await expect(page).toHaveURL(/\/login$/);
  // The provider forgot her too: signing in asks for her login again.
  await sso.openProviderSignIn();
});

test("a member of project:payments signs in as a team member of payments only", async ({ page, consoleErrors }) => {
  await new SingleSignOn(page).signIn(BEN);
  const shell = new AppShell(page);
  await expect(page.getByRole("row", { name: /payments-api-key/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /huggingface-token/ })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toHaveCount(0);
  await expect(shell.nav.getByRole("link", { name: "Users" })).toHaveCount(0);

  await page.goto("/projects");
  await expect(page.getByRole("link", { name: "payments", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "search", exact: true })).toHaveCount(0);
  await page.getByRole("link", { name: "payments", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "payments" })).toBeVisible();
  await expect(page.getByRole("row", { name: /payments-api-key/ })).toBeVisible();

  consoleErrors.allow(/status of 404 .*\/projects\/search\b/);
  const response = await page.goto("/projects/search");
  expect(response?.status()).toBe(404);
});

test("someone removed from the admin group at the provider is a team member at their next sign-in", async ({ page }) => {
  await setGroups(CLEO.login, ["secrets-console-admins", "project:search"]);
  const sso = new SingleSignOn(page);
  const shell = new AppShell(page);
  await sso.signIn(CLEO);
  await expect(shell.nav.getByRole("link", { name: "Users" })).toBeVisible();
  await sso.signOut();

  await setGroups(CLEO.login, ["project:search"]);
  await sso.signIn(CLEO);
  await expect(shell.nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toHaveCount(0);
  await page.goto("/projects");
  await expect(page.getByRole("link", { name: "search", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "payments", exact: true })).toHaveCount(0);
});

test("cancelling at the provider comes back with a sentence, not a token", async ({ page }) => {
  const sso = new SingleSignOn(page);
  await sso.openProviderSignIn();
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await expect(page).toHaveURL(/\/login\?sso=denied$/);
  await expect(page.getByRole("alert")).toContainText("The identity provider did not sign you in");
  expect(page.url()).not.toContain(ISSUER);
});
