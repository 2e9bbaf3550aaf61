// Issue 20, point 10: the smaller things a person notices. Assigned to follows a bulk
// Unassign at once (and in another tab); the assign picker selects all shown, counts and
// empties its search after a save; a member sees what their project allows and where to
// create a secret; an allowlist naming a store no cluster has is warned about; admins rename
// and delete projects; a secret opens by its name.
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage, MEMBER } from "./fixtures/login-page";
import { createOrgSecret } from "./fixtures/org-secret";

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

/** The "Assigned to" cell of `name`'s row on the Secrets page. */
const assignedTo = (page: Page, name: string) =>
  page.getByRole("row", { name: new RegExp(`\\b${name}\\b`) }).getByRole("cell").nth(6);

test("Assigned to follows a bulk Unassign at once, here and in another tab", async ({ page, context }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(ADMIN);
  const name = unique("unassign");
  await createOrgSecret(page, name);
  await page.getByRole("checkbox", { name: /^analytics\b/ }).check();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(page.getByRole("row", { name: /^analytics\b/ })).toBeVisible();

  const shell = new AppShell(page);
  await page.goto(`/secrets?q=${name}`);
  await shell.waitForHydration();
  await expect(assignedTo(page, name)).toHaveText("analytics");
  // A second tab, on the live stream.
  const other = await context.newPage();
  await other.goto(`/secrets?q=${name}`);
  await new AppShell(other).waitForHydration();
  await expect(other.locator("[data-live]")).toHaveAttribute("data-live", "live");
  await expect(assignedTo(other, name)).toHaveText("analytics");
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await page.getByRole("checkbox", { name: `Select ${name}` }).check();
  await page.getByLabel("With the selected secrets").selectOption("unassign");
  await page.locator(".bulk-projects summary").click();
  await page.locator(".bulk-projects").getByRole("checkbox", { name: "analytics", exact: true }).check();
  await page.getByRole("button", { name: "Apply" }).click();
  // At once: no wait for the cluster, no reload.
  await expect(assignedTo(page, name)).toHaveText("—", { timeout: 5_000 });
  await expect(assignedTo(other, name)).toHaveText("—", { timeout: 10_000 });
  // And it stays so once the object is gone from the cluster.
  await expect(page.getByRole("row", { name: new RegExp(`\\b${name}\\b`) }).locator("[data-status]")).toHaveAttribute(
    "data-status",
    "Unassigned",
    { timeout: 30_000 },
  );
  await expect(assignedTo(page, name)).toHaveText("—");
  await expect(assignedTo(other, name)).toHaveText("—");
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});

test("the assign picker selects all shown, clears, counts, and empties its search after a save", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await createOrgSecret(page, unique("picker"));
  const count = page.locator("#assign-count");
  await expect(count).toHaveText("0 projects selected");
  await expect(count).toHaveAttribute("aria-live", "polite");
  const find = page.getByLabel("Find a project");
  await find.fill("ml-tr");
  await page.getByRole("button", { name: "Select all shown" }).click();
  await expect(count).toHaveText("1 project selected");
  await expect(page.getByRole("checkbox", { name: /^ml-training\b/ })).toBeChecked();
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(count).toHaveText("0 projects selected");
  await expect(page.getByRole("checkbox", { name: /^ml-training\b/ })).not.toBeChecked();
  await page.getByRole("button", { name: "Select all shown" }).click();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(page.getByRole("row", { name: /^ml-training\b/ })).toBeVisible();
  await expect(page.getByLabel("Find a project")).toHaveValue("");
  await expect(page.locator("#assign-count")).toHaveText("1 project selected");
  await expect(page.getByRole("checkbox", { name: /^payments\b/ })).toBeVisible();
});

test("a member sees what their project allows, and creates a secret from the Secrets page", async ({ page }) => {
  await new LoginPage(page).signIn(MEMBER);
  await expect(page.getByRole("link", { name: "Create organization secret" })).toHaveCount(0);
  await page.goto("/projects/payments");
  await expect(page.getByText("You may use stores: vault, aws-secrets-manager; remote keys under: payments/")).toBeVisible();
  await page.goto("/secrets");
  await page.getByRole("link", { name: "New secret in payments" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create secret in payments" })).toBeVisible();
});

test("an allowlist naming a store no cluster has is warned about as it is typed and when saved", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/projects/search");
  await new AppShell(page).waitForHydration();
  const stores = page.getByLabel("Stores (one per line)");
  const before = await stores.inputValue();
  try {
    await stores.fill("vault\nvualt");
    const warning = page.locator("#allow-stores-warning");
    await expect(warning).toContainText("No cluster has a store named `vualt`");
    await expect(stores).toHaveAttribute("aria-describedby", /allow-stores-warning/);
    await page.getByRole("button", { name: "Save allowlist" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Allowlist saved." })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "`vualt`" })).toBeVisible();
    await stores.fill("vault");
    await expect(warning).toHaveCount(0);
  } finally {
    await stores.fill(before);
    await page.getByRole("button", { name: "Save allowlist" }).click();
  }
});

test("an admin renames a project and deletes it; a project with secrets is not deleted", async ({ page, consoleErrors }) => {
  // The refused delete of payments, on purpose.
  consoleErrors.allow(/status of 409 .*\/api\/delete_project\)$/);
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await page.goto("/projects");
  await shell.waitForHydration();
  const name = unique("proj");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Namespace", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("link", { name, exact: true }).click();
  await shell.waitForHydration();

  await page.getByLabel("Project name").fill(`${name}-x`);
  await page.getByRole("button", { name: "Rename project" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${name}-x$`));
  await expect(page.getByRole("heading", { level: 1, name: `${name}-x` })).toBeVisible();
  await shell.waitForHydration();

  const remove = page.getByRole("button", { name: "Delete project" });
  await expect(remove).toBeDisabled();
  await page.getByLabel(`Type ${name}-x to confirm`).fill(`${name}-x`);
  await remove.click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByRole("link", { name: `${name}-x`, exact: true })).toHaveCount(0);

  await page.goto("/projects/payments");
  await shell.waitForHydration();
  await page.getByLabel("Type payments to confirm").fill("payments");
  await page.getByRole("button", { name: "Delete project" }).click();
  await expect(page.getByRole("alert")).toContainText(/project `payments` still has \d+ project secret/);
  await page.goto("/projects");
  await expect(page.getByRole("link", { name: "payments", exact: true })).toBeVisible();
});

test("a secret opens by its name, shows that address, and is not found where hidden", async ({ page, consoleErrors }) => {
  // The two addresses this member may not see, on purpose.
  consoleErrors.allow(/status of 404 .*\/secrets\/by-name\/(huggingface-token|no-such-secret)\)$/);
  await new LoginPage(page).signIn(MEMBER);
  await page.goto("/projects/payments/secrets/payments-api-key");
  await expect(page.getByRole("heading", { level: 1, name: "payments-api-key" })).toBeVisible();
  await expect(page.getByLabel("Link by name")).toHaveValue("/projects/payments/secrets/payments-api-key");
  await page.goto("/secrets/by-name/postgres-credentials");
  await expect(page.getByRole("heading", { level: 1, name: "postgres-credentials" })).toBeVisible();
  await expect(page.getByLabel("Link by name")).toHaveValue("/secrets/by-name/postgres-credentials");
  // Assigned to projects this member is not in: the same 404 as an unknown name.
  for (const path of ["/secrets/by-name/huggingface-token", "/secrets/by-name/no-such-secret"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  }
});
