import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { SimulatedCluster } from "./fixtures/sim";

test("statuses follow the cluster live, without a reload", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.getByRole("link", { name: "postgres-credentials" }).click();
  const shell = new AppShell(page);
  await shell.waitForHydration();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  const payments = page.getByRole("row", { name: /^payments/ });
  const badge = payments.locator("[data-status]");
  await expect(badge).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  // When ESO last fetched the values, and when it will next (the secret refreshes hourly).
  const fetched = payments.locator(".eso-refresh");
  await expect(fetched).toHaveText(/^ESO fetched \d{4}-\d\d-\d\d \d\d:\d\d · next \d{4}-\d\d-\d\d \d\d:\d\d$/);
  const fetchedAt = await fetched.getAttribute("data-refreshed-at");
  expect(fetchedAt).toMatch(/^\d+$/);
  // A reload would clear this mark.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  // The platform team removes the key from the store (payments is on aws-dev; the secret
  // reads the `vault` store); Sync now makes the controller notice at once.
  const aws = new SimulatedCluster("aws-dev");
  const original = await aws.storeData("vault");
  await aws.setStoreData("vault", original.filter((entry) => entry.key !== "shared/postgres/password"));
  try {
    await payments.getByRole("button", { name: "Sync now in payments" }).click();
    await expect(badge).toHaveAttribute("data-status", "SyncedError", { timeout: 20_000 });
    await expect(payments).toContainText("shared/postgres/password");
    await shell.screenshot("secret-detail-synced-error");
  } finally {
    await aws.setStoreData("vault", original);
  }
  await payments.getByRole("button", { name: "Sync now in payments" }).click();
  await expect(badge).toHaveAttribute("data-status", "Synced", { timeout: 20_000 });
  // The fetch Sync now asked for shows as ESO's latest, live.
  await expect(fetched).not.toHaveAttribute("data-refreshed-at", fetchedAt!);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
