import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage, MEMBER } from "./fixtures/login-page";

/** The initial password of the users these tests add (each test its own user). */
const INITIAL = "people-password-123";

/** Adds a team member on the Users page (the admin is signed in); returns their email. */
async function addUser(page: import("@playwright/test").Page, prefix: string): Promise<string> {
  const email = `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto("/users");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Initial password (at least 12 characters)").fill(INITIAL);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toBeVisible();
  return email;
}

test("an admin disables a user whose page is open elsewhere: that page is signed out at its next action", async ({
  page,
  browser,
  consoleErrors,
}) => {
  await new LoginPage(page).signIn(ADMIN);
  const email = await addUser(page, "disabled");

  // The user works in another browser; their page's live stream is open.
  const other = await browser.newContext();
  consoleErrors.watch(other);
  const theirs = await other.newPage();
  await new LoginPage(theirs).signIn(email, INITIAL);
  await new AppShell(theirs).waitForHydration();
  const indicator = theirs.locator(".live-indicator");
  await expect(indicator).toHaveAttribute("data-live", "live", { timeout: 15_000 });

  const row = page.getByRole("row", { name: new RegExp(email) });
  await row.getByRole("button", { name: `Disable ${email}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `${email} disabled` })).toBeVisible();
  await expect(row).toContainText("Disabled");
  await expect(row.getByRole("button", { name: `Enable ${email}` })).toBeVisible();

  // Their page loses its live stream at once (not at the stream's periodic session check)…
  await expect(indicator).toHaveAttribute("data-live", "signed-out", { timeout: 10_000 });
  // …and its next action finds them signed out (the page it opened is refused, then the
  // browser loads the sign-in page).
  consoleErrors.allow(/status of 401 .*\/api\/list_projects\b/);
  await theirs.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Projects" }).click();
  await expect(theirs).toHaveURL(/\/login$/);
  await expect(theirs.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  // And they cannot sign in again.
  consoleErrors.allow(/status of 422 .*\/api\/login\b/);
  await theirs.getByLabel("Email").fill(email);
  await theirs.getByLabel("Password").fill(INITIAL);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs.getByRole("alert")).toContainText("Wrong email or password.");
  await other.close();

  // An admin cannot disable themselves (nor the last admin anyone): the page says why, and
  // they stay enabled. Which reason comes first depends on whether single sign-on has made
  // another admin by now (oidc.spec.ts).
  consoleErrors.allow(/status of 409 .*\/api\/set_user_disabled\b/);
  await page.getByRole("button", { name: `Disable ${ADMIN}` }).click();
  await expect(page.getByRole("alert")).toContainText(
    /You cannot disable (your own account|.*no platform admin left)/,
  );
  const mine = page.getByRole("row", { name: new RegExp(ADMIN) });
  await expect(mine.getByRole("button", { name: `Disable ${ADMIN}` })).toBeVisible();
  await expect(mine).not.toContainText("Disabled");
  await new AppShell(page).screenshot("users-admin");
});

test("the Audit page filters the log and exports what it shows", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  const email = await addUser(page, "audited");
  const shell = new AppShell(page);
  await shell.nav.getByRole("link", { name: "Audit" }).click();
  await shell.expectHeading("Audit");
  const entries = page.getByRole("table", { name: "Audit entries" });
  await expect(entries.getByRole("row").nth(1)).toBeVisible();

  // Filter by actor and action (a GET form: the filtered view is a link).
  await page.getByLabel("Actor").fill(ADMIN);
  await page.getByLabel("Action").selectOption("user-create");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/\/audit\?actor=admin%40example\.com&action=user-create/);
  const rows = entries.locator("tbody tr");
  await expect(rows.first()).toContainText(email);
  for (const row of await rows.all()) {
    await expect(row).toContainText("user-create");
    await expect(row).toContainText(ADMIN);
  }
  await expect(page.getByRole("link", { name: "Export as JSON lines" })).toHaveAttribute(
    "href",
    "/audit/export?actor=admin%40example.com&action=user-create",
  );
  await shell.screenshot("audit-admin");

  // A filter that matches nothing says so.
  await page.getByLabel("Secret").fill("no-such-secret");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No audit entry matches these filters.")).toBeVisible();

  // The export downloads the same entries as JSON lines.
  const response = await page.request.get("/audit/export?actor=admin%40example.com&action=user-create");
  expect(response.status()).toBe(200);
  const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line));
  expect(lines.some((entry) => entry.target === email)).toBe(true);
  expect(lines.every((entry) => entry.action === "user-create")).toBe(true);
});

test("a team member has no Audit page", async ({ page, consoleErrors }) => {
  await new LoginPage(page).signIn(MEMBER);
  const shell = new AppShell(page);
  await expect(shell.nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
  consoleErrors.allow(/status of 404 .*\/audit\b/);
  const response = await page.goto("/audit");
  expect(response?.status()).toBe(404);
  await shell.expectHeading("Page not found");
});
