import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { LoginPage, MEMBER } from "./fixtures/login-page";

/** Controls only an admin may use: a member meets none of them, on any page. */
const ADMIN_ONLY: [role: "button" | "link" | "option" | "radio", name: RegExp][] = [
  ["link", /^Create organization secret$/],
  ["link", /^Assign$/],
  ["button", /^Add user$/],
  ["button", /^Create project$/],
  ["button", /^Save assignments$/],
  ["button", /^Save allowlist$/],
  ["button", /^Adopt/],
  ["button", /^Retry removal/],
  ["button", /^(Rename|Delete) project/],
  ["option", /admin/i],
  ["option", /^(Assign|Unassign)\b/],
  ["radio", /^Organization/],
];

async function expectNoAdminControls(page: Page, where: string) {
  const main = page.locator("main");
  for (const [role, name] of ADMIN_ONLY) {
    await expect(main.getByRole(role, { name }), `${where}: ${role} ${name}`).toHaveCount(0);
  }
}

test("a member meets no control they cannot use, on any page they reach", async ({ page, consoleErrors }) => {
  test.setTimeout(90_000);
  // Stores and Users answer 404 to a member, which the browser logs.
  consoleErrors.allow(/status of 404 .*\/(stores|users)\)$/);
  await new LoginPage(page).signIn(MEMBER);
  const shell = new AppShell(page);
  await shell.waitForHydration();

  await test.step("Secrets: bulk actions only for what the selection allows", async () => {
    await expectNoAdminControls(page, "/secrets");
    const bulk = page.locator(".bulk-bar");
    // Their project's secret may be deleted: Delete is offered for it...
    await page.getByRole("checkbox", { name: "Select payments-api-key" }).check();
    await expect(bulk.getByRole("option", { name: "Delete" })).toHaveCount(1);
    await expect(bulk.getByPlaceholder("to delete, type delete")).toBeVisible();
    // ...an organization secret may not: with only that selected, nothing is offered.
    await page.getByRole("checkbox", { name: "Select payments-api-key" }).uncheck();
    await page.getByRole("checkbox", { name: "Select postgres-credentials" }).check();
    await expect(bulk.getByRole("option", { name: "Delete" })).toHaveCount(0);
    await expect(bulk.getByPlaceholder("to delete, type delete")).toHaveCount(0);
    await expect(bulk.getByRole("button", { name: "Apply" })).toHaveCount(0);
    await expect(bulk).toContainText("You may not change the selected secrets.");
    await expectNoAdminControls(page, "/secrets with an organization secret selected");
    await shell.screenshot("member-secrets-bulk");
  });

  await test.step("an organization secret assigned to payments: read only", async () => {
    await page.getByRole("link", { name: "postgres-credentials" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "postgres-credentials" })).toBeVisible();
    await shell.waitForHydration();
    await expect(page.getByRole("row", { name: /^payments\b/ })).toBeVisible();
    await expectNoAdminControls(page, "org secret");
    const main = page.locator("main");
    await expect(main.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);
    await expect(main.getByRole("button", { name: /Delete/ })).toHaveCount(0);
    await expect(main.getByRole("button", { name: /^Sync now/ })).toHaveCount(0);
    await expect(main.getByRole("heading", { name: "Assign to projects" })).toHaveCount(0);
    await expect(main.getByRole("heading", { name: "Delete" })).toHaveCount(0);
  });

  await test.step("their project's secret: Edit and Delete, nothing of an admin's", async () => {
    await page.goto("/secrets");
    await page.getByRole("link", { name: "payments-api-key" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "payments-api-key" })).toBeVisible();
    await shell.waitForHydration();
    await expectNoAdminControls(page, "project secret");
    await expect(page.locator("main").getByRole("link", { name: "Edit", exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Delete secret" })).toBeVisible();
  });

  await test.step("Projects, payments' page and its create-secret page", async () => {
    await page.goto("/projects");
    await expect(page.getByRole("link", { name: "payments", exact: true })).toBeVisible();
    await shell.waitForHydration();
    await expectNoAdminControls(page, "/projects");
    await expect(page.getByRole("heading", { name: "Clusters" })).toHaveCount(0);

    await page.getByRole("link", { name: "payments", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "payments" })).toBeVisible();
    await shell.waitForHydration();
    await expectNoAdminControls(page, "/projects/payments");
    await expect(page.getByRole("heading", { name: "Team member allowlist" })).toHaveCount(0);

    await page.goto("/projects/payments/secrets/new");
    await expect(page.getByRole("heading", { level: 1, name: "Create secret in payments" })).toBeVisible();
    await shell.waitForHydration();
    await expectNoAdminControls(page, "/projects/payments/secrets/new");
  });

  await test.step("Stores and Users are no pages of theirs", async () => {
    for (const path of ["/stores", "/users"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
      await expect(page.locator("main form"), path).toHaveCount(0);
      await expectNoAdminControls(page, path);
    }
  });
});
