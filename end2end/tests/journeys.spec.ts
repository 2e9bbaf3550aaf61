import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage, MEMBER } from "./fixtures/login-page";
import { SimulatedCluster } from "./fixtures/sim";

const badge = (page: Page, project: string) =>
  page.getByRole("row", { name: new RegExp(`^${project}\\b`) }).locator("[data-status]");

test("admin journey: create, assign, see it sync live, break and heal the store, unassign, delete", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await page.getByRole("link", { name: "Create organization secret" }).click();
  await shell.waitForHydration();
  await page.getByLabel("Name").fill("journey-db");
  await page.getByLabel("Store (ClusterSecretStore)").fill("vault");
  await page.getByLabel("Target key 1").fill("password");
  await page.getByLabel("Remote key 1").fill("shared/postgres/password");
  await expect(page.getByTestId("preview")).toContainText('"kind": "ExternalSecret"');
  await shell.screenshot("create-secret-form");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: "journey-db" })).toBeVisible();
  await shell.waitForHydration();
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  // Assign to two projects on two clusters: Pending, then Synced, without a reload.
  await page.getByRole("checkbox", { name: /^payments\b/ }).check();
  await page.getByRole("checkbox", { name: /^search\b/ }).check();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(badge(page, "payments")).toHaveAttribute("data-status", /Pending|Synced/);
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  await expect(badge(page, "search")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });

  // The key disappears from the stores: SyncedError naming it; restored: Synced again.
  const clusters = [new SimulatedCluster("aws-dev"), new SimulatedCluster("gcp-dev")];
  const originals = await Promise.all(clusters.map((c) => c.storeData("vault")));
  try {
    await Promise.all(
      clusters.map((c, i) => c.setStoreData("vault", originals[i].filter((e) => e.key !== "shared/postgres/password"))),
    );
    await page.getByRole("button", { name: "Sync now in payments" }).click();
    await expect(badge(page, "payments")).toHaveAttribute("data-status", "SyncedError", { timeout: 20_000 });
    await expect(page.getByRole("row", { name: /^payments\b/ })).toContainText("shared/postgres/password");
  } finally {
    await Promise.all(clusters.map((c, i) => c.setStoreData("vault", originals[i])));
  }
  await page.getByRole("button", { name: "Sync now in payments" }).click();
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced", { timeout: 20_000 });

  // Unassign one: its row goes (Deleting, then gone).
  await page.getByRole("checkbox", { name: /^search\b/ }).uncheck();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(page.getByRole("row", { name: /^search\b/ })).toHaveCount(0, { timeout: 30_000 });
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced");
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // Delete: the name must be typed; then back to the list, and it is gone.
  const remove = page.getByRole("button", { name: "Delete secret" });
  await expect(remove).toBeDisabled();
  await page.getByLabel("Type journey-db to confirm").fill("journey-db");
  await remove.click();
  // The list, nothing in its address; said there once, where the focus is.
  await expect(page).toHaveURL(/\/secrets$/);
  await expect(page.getByRole("status").filter({ hasText: "Secret journey-db deleted." })).toBeFocused();
  await expect(page.getByRole("row", { name: /journey-db/ })).toHaveCount(0, { timeout: 30_000 });
});

test("member journey: only payments, a project Kubernetes secret that syncs, no organization controls", async ({ page, consoleErrors }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(MEMBER);
  const shell = new AppShell(page);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toHaveCount(0);
  await page.goto("/projects");
  await expect(page.getByRole("link", { name: "search", exact: true })).toHaveCount(0);
  await page.getByRole("link", { name: "payments", exact: true }).click();
  await page.getByRole("link", { name: "New project secret" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create secret in payments" })).toBeVisible();
  await shell.waitForHydration();
  await page.getByLabel("Name").fill("member-token");
  await page.getByLabel(/^Kubernetes/).check();
  await page.getByLabel("Key 1", { exact: true }).fill("API_TOKEN");
  await page.getByLabel("Value 1", { exact: true }).fill("canary-e2e-member-value");
  await expect(page.getByTestId("preview")).toContainText("<hidden: 23 bytes>");
  await expect(page.getByTestId("preview")).not.toContainText("canary-e2e-member-value");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "Assign to projects" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Adopt/ })).toHaveCount(0);
  expect(await page.content()).not.toContain("canary-e2e-member-value");
  await shell.screenshot("secret-detail-member");

  consoleErrors.allow(/status of 404 .*\/projects\/search\b/);
  const response = await page.goto("/projects/search");
  expect(response?.status()).toBe(404);
});

test("without JavaScript, the create and assign forms still work", async ({ browser, consoleErrors }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/secrets$/);

  // Bulk Apply with nothing selected: the list again, saying why (no JSON).
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/\/secrets$/);
  await expect(page.getByRole("alert").filter({ hasText: "select at least one secret" })).toBeVisible();

  // A refused form comes back as it was sent, each problem beside its field.
  await page.goto("/secrets/new");
  await page.getByLabel("Name").fill("No-JS secret");
  await page.getByLabel("Description").fill("kept across the round trip");
  await page.getByLabel("Target key 1").fill("username");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/new$/);
  await expect(page.getByLabel("Name")).toHaveValue("No-JS secret");
  await expect(page.getByLabel("Description")).toHaveValue("kept across the round trip");
  await expect(page.getByLabel("Target key 1")).toHaveValue("username");
  await expect(page.locator("#secret-name-error")).toContainText("must be lowercase");
  await expect(page.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#secret-store-error")).toBeVisible();
  const summary = page.getByRole("alert").filter({ hasText: "problems to fix" });
  await expect(summary.getByRole("link", { name: /^Key 1 — remote key: / })).toHaveAttribute("href", "#external-0-remote_key");

  await page.getByLabel("Name").fill("no-js-secret");
  await page.getByLabel("Store (ClusterSecretStore)").fill("vault");
  await page.getByLabel("Remote key 1").fill("shared/postgres/username");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: "no-js-secret" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Secret no-js-secret created." })).toBeVisible();

  await page.getByRole("checkbox", { name: /^payments\b/ }).check();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+\??$/);
  await expect(page.getByRole("row", { name: /^payments\b/ })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Assignments saved." })).toBeVisible();
  await context.close();
});

test("no serious or critical accessibility violations on the main pages", async ({ page }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  const detail = await page.getByRole("link", { name: "postgres-credentials" }).getAttribute("href");
  for (const [path, name] of [
    ["/secrets", "secrets-admin"],
    [detail!, "secret-detail"],
    ["/secrets/new", "create-secret"],
    ["/projects", "projects-admin"],
    ["/projects/payments", "project-payments"],
    ["/stores", "stores"],
    ["/users", "users"],
  ] as const) {
    await page.goto(path);
    await shell.waitForHydration();
    await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${path}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
    await shell.screenshot(`page-${name}`);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/secrets");
  await shell.waitForHydration();
  await shell.screenshot("secrets-phone");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.goto("/login");
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
});

test("the Stores page shows each cluster's stores with their Ready badge", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await new AppShell(page).nav.getByRole("link", { name: "Stores" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "aws-dev" })).toBeVisible();
  const vault = page.getByRole("table", { name: "aws-dev" }).getByRole("row", { name: /^vault\b/ });
  await expect(vault.locator("[data-ready]")).toHaveAttribute("data-ready", "Ready");
});
