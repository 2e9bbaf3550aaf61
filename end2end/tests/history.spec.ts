import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

test("an edit's history entry says what changed in the spec", async ({ page }) => {
  test.setTimeout(60_000);
  const name = `history-${Date.now()}`;
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await page.getByRole("link", { name: "Create organization secret" }).click();
  await shell.waitForHydration();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Store (ClusterSecretStore)").fill("vault");
  await page.getByLabel("Target key 1").fill("username");
  await page.getByLabel("Remote key 1").fill("shared/postgres/username");
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();

  // Edit: a shorter refresh interval and a second key.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await shell.waitForHydration();
  await page.getByLabel("Refresh interval").fill("15m");
  await page.getByRole("button", { name: "Add key" }).click();
  await page.getByLabel("Target key 2").fill("password");
  await page.getByLabel("Remote key 2").fill("shared/postgres/password");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();

  // The latest entry is the edit, with its changes listed under it (key names, never values).
  const latest = page.locator("ol.history > li").first();
  await expect(latest).toContainText("update");
  const changes = latest.getByRole("list", { name: "Changes" });
  await expect(changes.getByRole("listitem")).toHaveText([
    "refresh interval 1h → 15m",
    "key password added (remote key shared/postgres/password)",
  ]);
  // The create before it changed no spec: no list of changes.
  await expect(page.locator("ol.history > li").nth(1)).toContainText("create");
  await expect(page.locator("ol.history > li").nth(1).getByRole("list", { name: "Changes" })).toHaveCount(0);
  await shell.screenshot("secret-history");
});

test("a failing key's reason is said once, in the key's name, with the controller's words on demand", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.getByRole("link", { name: "legacy-api-key" }).click();
  const search = page.getByRole("row", { name: /^search/ });
  await expect(search.locator("[data-status]")).toHaveAttribute("data-status", "SyncedError", { timeout: 30_000 });
  const reason = search.locator("td.reason");
  await expect(reason).toContainText("key API_KEY (remote key shared/legacy/api-key-removed)", { timeout: 30_000 });
  // What shows says it once: the reason does not repeat as a controller warning, and no
  // `spec.data[0]` is in sight.
  const shown = await reason.innerText();
  expect(shown.match(/shared\/legacy\/api-key-removed/g), shown).toHaveLength(1);
  expect(shown).not.toContain("spec.data[");
  await expect(reason.getByText("Controller warning:")).toHaveCount(0);
  // The controller's own words are one click away.
  await reason.getByText("Controller message").click();
  await expect(reason.locator("details code")).toContainText("spec.data[0]");
});
