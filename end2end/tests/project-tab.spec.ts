import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage, MEMBER } from "./fixtures/login-page";
import { SimulatedCluster } from "./fixtures/sim";

/** Creates a secret through the API as the signed-in user; returns its id. */
async function createSecret(page: Page, input: Record<string, unknown>): Promise<number> {
  const me = await (await page.request.post("/api/whoami")).json();
  const created = await page.request.post("/api/create_secret", {
    data: { csrf: me.csrf_token, input: { use_case: "Generic", description: "", values: [], ...input } },
  });
  expect(created.ok(), await created.text()).toBe(true);
  return (await created.json()) as number;
}

/** An External spec reading `remoteKey` from the `vault` store as key `password`. */
function external(remoteKey: string) {
  return {
    kind: "External",
    store: "vault",
    refresh_interval: "1h",
    data: [{ secret_key: "password", remote_key: remoteKey, property: null, version: null }],
  };
}

/** The id of project `name`, as the signed-in user sees it. */
async function projectId(page: Page, name: string): Promise<number> {
  const projects = await (await page.request.post("/api/list_projects")).json();
  return projects.find((p: { name: string }) => p.name === name).id;
}

/** `kubectl` against the app's simulated cluster `aws-dev` (where payments lives). */
function kubectl(args: string[], input?: string): string {
  const kubeconfig = join(process.env.E2E_DATA_DIR!, "sim", "kubeconfig");
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, "--context", "aws-dev", ...args], {
    encoding: "utf8",
    input,
  });
}

/** A Deployment `name` in payments that reads every key of Secret `secret`. */
function usingDeployment(name: string, secret: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: payments
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4
          envFrom:
            - secretRef: {name: ${secret}}
`;
}

/** The tab's row of secret `name` (of the given scope, when two share the name). */
function tabRow(page: Page, name: string, scope?: "Organization" | "Project") {
  const rows = page.locator(`tr[data-secret="${name}"]`);
  return scope ? rows.filter({ has: page.getByRole("cell", { name: scope, exact: true }) }) : rows;
}

test("an admin assigns an existing secret from a project's tab, a collision explained, and removes it", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  const stamp = Date.now().toString(36);
  const free = `tab-free-${stamp}`;
  const clash = `tab-clash-${stamp}`;
  const payments = await projectId(page, "payments");
  await createSecret(page, { name: free, scope: "Organization", project_id: null, spec: external("shared/postgres/password") });
  // payments has a project secret of this name, so the organization one would collide there.
  await createSecret(page, { name: clash, scope: "Project", project_id: payments, spec: external("payments/clash") });
  await createSecret(page, { name: clash, scope: "Organization", project_id: null, spec: external("shared/postgres/password") });

  await page.goto("/projects/payments");
  const shell = new AppShell(page);
  await shell.waitForHydration();
  await expect(page.getByRole("heading", { name: "Assign existing secret" })).toBeVisible();
  const picker = page.getByLabel("Organization secret");
  // Already assigned there: not offered.
  await expect(picker.locator("option", { hasText: /^postgres-credentials / })).toHaveCount(0);
  const clashing = picker.locator("option", { hasText: clash });
  await expect(clashing).toBeDisabled();
  await expect(clashing).toHaveText(`${clash} (External), not available: see below`);
  await expect(page.locator("#assign-existing-unavailable")).toContainText(
    `${clash}: payments has its own project secret named ${clash}, and both would create an object of that name in its namespace.`,
  );
  await expect(picker).toHaveAttribute("aria-describedby", /assign-existing-unavailable/);

  await picker.selectOption({ label: `${free} (External)` });
  await page.getByRole("button", { name: "Assign to this project" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Assigned to this project" })).toBeVisible();
  const row = tabRow(page, free);
  await expect(row).toBeVisible();
  await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  // Assigned now: no longer offered.
  await expect(picker.locator("option", { hasText: free })).toHaveCount(0);
  // An organization secret's row: removed, never edited or deleted, from here.
  await expect(row.getByRole("link", { name: `Edit ${free}` })).toHaveCount(0);
  await shell.screenshot("project-tab-admin");

  // Remove from project asks first, saying what happens and which workloads use the Secret.
  const deployment = `tab-api-${stamp}`;
  kubectl(["apply", "-f", "-"], usingDeployment(deployment, free));
  try {
    await row.locator("summary", { hasText: "Remove from project" }).click();
    await expect(row).toContainText(`Remove ${free} from payments? Its object is deleted from namespace payments`);
    await expect(row.getByText(`1 workload in payments uses this Secret: Deployment ${deployment}`)).toBeVisible({ timeout: 20_000 });
  } finally {
    kubectl(["delete", "deployment", deployment, "-n", "payments"]);
  }
  await row.getByRole("button", { name: `Remove ${free}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `Removing ${free} from this project.` })).toBeVisible();
  await expect(tabRow(page, free)).toHaveCount(0, { timeout: 30_000 });
  // Gone from payments: offered again.
  await expect(picker.locator("option", { hasText: free })).toBeEnabled({ timeout: 30_000 });
});

test("a member creates a project secret from the tab, edits and deletes it there", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(MEMBER);
  const name = `tab-own-${Date.now().toString(36)}`;
  await page.goto("/projects/payments");
  const shell = new AppShell(page);
  await shell.waitForHydration();
  await expect(page.getByRole("heading", { name: "Assign existing secret" })).toHaveCount(0);
  // An organization secret: nothing a member may do to it here.
  const org = tabRow(page, "postgres-credentials");
  await expect(org).toBeVisible();
  await expect(org.locator("summary", { hasText: /^(Delete|Remove from project)/ })).toHaveCount(0);
  await expect(org.getByRole("link", { name: /^Edit/ })).toHaveCount(0);

  await page.getByRole("link", { name: "New project secret" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create secret in payments" })).toBeVisible();
  await shell.waitForHydration();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/^Kubernetes/).check();
  await page.getByLabel("Key 1", { exact: true }).fill("API_TOKEN");
  await page.getByLabel("Value 1", { exact: true }).fill("canary-e2e-tab-value");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);

  await page.goto("/projects/payments");
  await shell.waitForHydration();
  const row = tabRow(page, name);
  await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  await expect(row.locator("summary", { hasText: "Remove from project" })).toHaveCount(0);
  await row.getByRole("link", { name: `Edit ${name}` }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+\/edit$/);
  await shell.waitForHydration();
  await page.getByLabel("Description").fill("edited from the project tab");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByText("edited from the project tab")).toBeVisible();

  await page.goto("/projects/payments");
  await shell.waitForHydration();
  await row.locator("summary", { hasText: "Delete" }).click();
  await expect(row).toContainText(`Delete ${name}? Its object is removed from namespace payments`);
  await row.getByRole("button", { name: `Delete ${name}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `Deleting ${name}` })).toBeVisible();
  await expect(tabRow(page, name)).toHaveCount(0, { timeout: 30_000 });
  expect(await page.content()).not.toContain("canary-e2e-tab-value");
});

test("a row's badge and failure sentence on the tab follow the cluster live", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  const stamp = Date.now().toString(36);
  const name = `tab-live-${stamp}`;
  const remoteKey = `tab/live-${stamp}`;
  // payments is on aws-dev; the secret reads a key of its own from the `vault` store there.
  const aws = new SimulatedCluster("aws-dev");
  const original = await aws.storeData("vault");
  await aws.setStoreData("vault", [...original, { key: remoteKey, value: "canary-e2e-tab-live" }]);
  try {
    const id = await createSecret(page, { name, scope: "Organization", project_id: null, spec: external(remoteKey) });
    const me = await (await page.request.post("/api/whoami")).json();
    const payments = await projectId(page, "payments");
    const assigned = await page.request.post("/api/assign_existing", {
      form: { csrf: me.csrf_token, project_id: String(payments), id: String(id) },
    });
    expect(assigned.ok(), await assigned.text()).toBe(true);

    await page.goto("/projects/payments");
    const shell = new AppShell(page);
    await shell.waitForHydration();
    await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    const row = tabRow(page, name);
    const badge = row.locator("[data-status]");
    await expect(badge).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
    await expect(row.locator("[data-failure]")).toHaveCount(0);
    // A reload would clear this mark.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    // The key leaves the store; Sync now makes the controller notice at once.
    await aws.setStoreData("vault", original);
    const sync = await page.request.post("/api/sync_secret", { form: { csrf: me.csrf_token, id: String(id) } });
    expect(sync.ok(), await sync.text()).toBe(true);
    await expect(badge).toHaveAttribute("data-status", "SyncedError", { timeout: 20_000 });
    await expect(row.locator('[data-failure="RemoteKeyMissing"]')).toContainText(
      "A remote key this secret reads does not exist in the store.",
    );
    await shell.screenshot("project-tab-sync-error");
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  } finally {
    await aws.setStoreData("vault", original);
  }
});

test("without JavaScript, the tab's Assign existing and Remove from project still work", async ({ browser, consoleErrors }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/secrets$/);
  const name = `tab-nojs-${Date.now().toString(36)}`;
  await createSecret(page, { name, scope: "Organization", project_id: null, spec: external("shared/postgres/password") });

  await page.goto("/projects/payments");
  await page.getByLabel("Organization secret").selectOption({ label: `${name} (External)` });
  await page.getByRole("button", { name: "Assign to this project" }).click();
  // Back to the tab (the way back keeps an empty query).
  await expect(page).toHaveURL(/\/projects\/payments\??$/);
  await expect(page.getByRole("status").filter({ hasText: `${name} assigned to this project.` })).toBeVisible();
  const row = tabRow(page, name);
  await expect(row).toBeVisible();

  await row.locator("summary", { hasText: "Remove from project" }).click();
  await row.getByRole("button", { name: `Remove ${name}` }).click();
  await expect(page).toHaveURL(/\/projects\/payments\??$/);
  await expect(page.getByRole("status").filter({ hasText: `${name} is being removed from the project.` })).toBeVisible();
  await context.close();
});
