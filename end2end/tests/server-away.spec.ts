import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { createOrgSecret } from "./fixtures/org-secret";

/** What a person meets when the server is away: every action's request fails to connect. */
async function serverAway(page: Page) {
  await page.route("**/api/**", (route) => route.abort("internetdisconnected"));
}

async function serverBack(page: Page) {
  await page.unroute("**/api/**");
}

const AWAY = "Could not reach the server. Your changes are kept.";

test("an action while the server is away keeps the page, says so beside it, and Retry resends it", async ({
  page,
  consoleErrors,
}) => {
  // The requests the browser could not send.
  consoleErrors.allow(/net::ERR_INTERNET_DISCONNECTED/);
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await shell.waitForHydration();

  await test.step("bulk Apply on the Secrets page", async () => {
    await page.getByRole("checkbox", { name: "Select huggingface-token" }).check();
    await page.getByLabel("With the selected secrets").selectOption("sync");
    await serverAway(page);
    await page.getByRole("button", { name: "Apply" }).click();
    const away = page.locator(".bulk-bar").getByRole("alert").filter({ hasText: AWAY });
    await expect(away).toBeVisible();
    // The page is kept, the selection too.
    await expect(page.getByRole("heading", { level: 1, name: "Secrets" })).toBeVisible();
    await expect(page.getByRole("checkbox", { name: "Select huggingface-token" })).toBeChecked();
    await expect(page.getByRole("row", { name: /postgres-credentials/ })).toBeVisible();
    await shell.screenshot("server-away-bulk");
    await serverBack(page);
    await away.getByRole("button", { name: "Retry" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Sync now requested for 1 secret." })).toBeVisible();
    await expect(away).toHaveCount(0);
  });

  await test.step("Save assignments, then Delete, on a secret's page", async () => {
    const name = `away-${Date.now().toString(36)}`;
    await createOrgSecret(page, name);
    const payments = page.getByRole("checkbox", { name: /^payments\b/ });
    await payments.check();
    await serverAway(page);
    await page.getByRole("button", { name: "Save assignments" }).click();
    const away = page.getByRole("alert").filter({ hasText: AWAY });
    await expect(away).toBeVisible();
    // The page and the person's choice are kept.
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(payments).toBeChecked();
    await serverBack(page);
    await away.getByRole("button", { name: "Retry" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Assigned to payments." })).toBeFocused();
    await expect(away).toHaveCount(0);
    // Settled (no live event left to make the page read the secret again while it is away).
    const badge = page.getByRole("row", { name: /^payments\b/ }).locator("[data-status]");
    await expect(badge).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });

    // Delete: the same, then the list says it was deleted.
    await page.getByLabel(`Type ${name} to confirm`).fill(name);
    await serverAway(page);
    await page.getByRole("button", { name: "Delete secret" }).click();
    await expect(away).toBeVisible();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(page.getByLabel(`Type ${name} to confirm`)).toHaveValue(name);
    await serverBack(page);
    await away.getByRole("button", { name: "Retry" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Secret ${name} deleted.` })).toBeFocused();
  });
});
