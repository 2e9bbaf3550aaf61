import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage, MEMBER } from "./fixtures/login-page";

test("anonymous visitors are sent to the sign-in page", async ({ page }) => {
  await page.goto("/secrets");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
});

test("a wrong password is refused with a message", async ({ page, consoleErrors }) => {
  // The refusal is the sign-in API's 422, which the browser logs.
  consoleErrors.allow(/status of 422 .*\/api\/login\b/);
  await page.goto("/login");
  await page.getByLabel("Email").fill(MEMBER);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
});

test("the admin sees organization and assignment controls", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toBeVisible();
  const row = page.getByRole("row", { name: /postgres-credentials/ });
  await expect(row.getByRole("link", { name: "Assign" })).toBeVisible();
  // The reconciler applies the demo assignments to the simulated clusters right after start;
  // the badge follows by server-sent events, without a reload.
  await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  await expect(shell.nav.getByRole("link", { name: "Users" })).toBeVisible();
  await shell.screenshot("secrets-admin");
  await page.goto("/projects");
  for (const project of ["analytics", "ml-training", "payments", "search"]) {
    await expect(page.getByRole("link", { name: project, exact: true })).toBeVisible();
  }
  await shell.screenshot("projects-admin");
});

test("a team member sees only their project and no organization controls", async ({ page, consoleErrors }) => {
  await new LoginPage(page).signIn(MEMBER);
  const shell = new AppShell(page);
  await expect(page.getByRole("row", { name: /payments-api-key/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /postgres-credentials/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /huggingface-token/ })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Assign" })).toHaveCount(0);
  await expect(shell.nav.getByRole("link", { name: "Users" })).toHaveCount(0);

  await page.goto("/projects");
  await expect(page.getByRole("link", { name: "payments", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "search", exact: true })).toHaveCount(0);

  await page.getByRole("link", { name: "payments", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "payments" })).toBeVisible();
  await expect(page.getByRole("link", { name: "New project secret" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Assign" })).toHaveCount(0);
  await shell.screenshot("project-payments-member");

  consoleErrors.allow(/status of 404 .*\/projects\/search\b/);
  const response = await page.goto("/projects/search");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
});

test("signing out ends the session", async ({ page }) => {
  await new LoginPage(page).signIn(MEMBER);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/secrets");
  await expect(page).toHaveURL(/\/login$/);
});

test("admins manage users and memberships; members are refused", async ({ page, browser, consoleErrors }) => {
  await new LoginPage(page).signIn(ADMIN);
  await new AppShell(page).nav.getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  const dev = page.getByRole("row", { name: /dev@example\.com/ });
  await expect(dev).toContainText("Team member");
  await expect(dev.getByRole("checkbox", { name: "payments" })).toBeChecked();
  await expect(dev.getByRole("checkbox", { name: "search" })).not.toBeChecked();
  // Saving says whose projects were saved (nothing changes here).
  await dev.getByRole("button", { name: "Save projects of dev@example.com" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Projects of dev@example.com saved." })).toBeVisible();
  await expect(dev.getByRole("checkbox", { name: "payments" })).toBeChecked();

  const email = `e2e-${Date.now()}@example.com`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Initial password (at least 12 characters)").fill("a-long-password-1");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("row", { name: new RegExp(email.replace(/\./g, "\\.")) })).toBeVisible();
  // Said where the eye is, and the form is empty for the next one.
  const added = page.getByRole("status").filter({ hasText: `User ${email} added` });
  await expect(added).toBeFocused();
  await expect(page.getByLabel("Email")).toHaveValue("");
  await new AppShell(page).screenshot("users-admin");

  // A member meets no page they cannot use: 404, and no form the server would refuse.
  const member = await browser.newPage();
  consoleErrors.watch(member.context());
  consoleErrors.allow(/status of 404 .*\/(users|secrets\/new|secrets\/\d+\/edit)\)$/);
  await new LoginPage(member).signIn(MEMBER);
  const detail = await member.getByRole("link", { name: "postgres-credentials" }).getAttribute("href");
  for (const path of ["/users", "/secrets/new", `${detail}/edit`]) {
    const response = await member.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(member.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
    await expect(member.locator("main form"), path).toHaveCount(0);
  }
  await member.close();
});

test("the secret detail shows spec, status by project with its reason, and history", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.getByRole("link", { name: "postgres-credentials" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "postgres-credentials" })).toBeVisible();
  await expect(page.getByText("shared/postgres/password", { exact: true })).toBeVisible();
  const payments = page.getByRole("row", { name: /^payments/ });
  await expect(payments.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  await expect(page.getByRole("listitem").filter({ hasText: "create" }).first()).toContainText("admin@example.com");
  await new AppShell(page).screenshot("secret-detail");
});

test("a remote key the store lacks shows a truthful error naming the key", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.getByRole("link", { name: "legacy-api-key" }).click();
  const search = page.getByRole("row", { name: /^search/ });
  const badge = search.locator("[data-status]");
  await expect(badge).toHaveAttribute("data-status", "SyncedError", { timeout: 30_000 });
  // The badge reads as words; its value stays the enum.
  await expect(badge).toContainText("Sync error");
  await expect(search).toContainText("shared/legacy/api-key-removed");
  // The failure's class: one plain sentence and what to do, in the reason and on the badge.
  const sentence = "A remote key this secret reads does not exist in the store.";
  await expect(search.locator("[data-failure]")).toHaveAttribute("data-failure", "RemoteKeyMissing");
  await expect(search.locator("[data-failure]")).toContainText(sentence);
  await expect(search.locator("[data-failure]")).toContainText("Correct the remote key");
  await expect(badge).toHaveAttribute("title", new RegExp(sentence.replace(/\./g, "\\.")));
});

test("a member cannot open a secret that is not in their projects", async ({ page, browser, consoleErrors }) => {
  await new LoginPage(page).signIn(ADMIN);
  const href = await page.getByRole("link", { name: "huggingface-token" }).getAttribute("href");
  expect(href).toMatch(/^\/secrets\/\d+$/);

  const member = await browser.newPage();
  consoleErrors.watch(member.context());
  consoleErrors.allow(/status of 404 .*\/secrets\/\d+\)$/);
  await new LoginPage(member).signIn(MEMBER);
  const response = await member.goto(href!);
  expect(response?.status()).toBe(404);
  await expect(member.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await member.close();
});
