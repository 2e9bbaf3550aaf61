import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// The secret form's problems show where the eye is: not before the person has left a field or
// pressed Save; then beside each field in words, with a summary at the top that links to each.

test("no problem shows before a field is left, then beside it; limited fields count", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/secrets/new");
  await new AppShell(page).waitForHydration();
  const name = page.getByLabel("Name", { exact: true });
  await name.fill("Bad Name");
  await expect(page.getByText("8 / 63")).toBeVisible();
  await expect(page.getByText("0 / 253")).toBeVisible();
  // Typing: nothing yet, neither here nor at the store nobody has touched.
  await expect(page.locator("#secret-name-error")).toHaveCount(0);
  await expect(name).not.toHaveAttribute("aria-invalid", "true");
  await name.press("Tab");
  await expect(page.locator("#secret-name-error")).toContainText("must be lowercase");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#secret-store-error")).toHaveCount(0);
  await expect(page.getByRole("alert").filter({ hasText: "problems to fix" })).toHaveCount(0);
  // A key row's fields count only near their limit (a counter under every cell would bury the
  // table), and cannot be typed past it.
  const remote = page.getByLabel("Remote key 1", { exact: true });
  await expect(remote).toHaveAttribute("maxlength", "1024");
  await remote.fill(`shared/${"a".repeat(493)}`);
  await expect(page.getByText(/^\d+ \/ 1024$/)).toHaveCount(0);
  await remote.fill(`shared/${"a".repeat(893)}`);
  await expect(page.getByText("900 / 1024", { exact: true })).toBeVisible();
});

test("after Save every problem shows beside its field, and the summary links to each", async ({ page, consoleErrors }) => {
  // The refused save itself (422).
  consoleErrors.allow(/status of 422 .*\/api\/create_secret_form/);
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/secrets/new");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Name", { exact: true }).fill("Bad Name");
  await page.getByLabel("Target key 1").fill("username");
  await page.getByRole("button", { name: "Create secret" }).click();

  const summary = page.getByRole("alert").filter({ hasText: "problems to fix" });
  await expect(summary).toContainText("3 problems to fix before saving");
  await expect(summary).toBeFocused();
  await expect(summary.getByRole("link", { name: /^Name: must be lowercase/ })).toBeVisible();
  await expect(summary.getByRole("link", { name: /^Store: / })).toBeVisible();
  // The row's problem in words, not `data[0].remote_key`.
  const remote = summary.getByRole("link", { name: /^Key 1 — remote key: / });
  await expect(remote).toBeVisible();
  await expect(summary).not.toContainText("data[0]");

  await expect(page.locator("#secret-store-error")).toBeVisible();
  await expect(page.getByLabel("Remote key 1")).toHaveAttribute("aria-invalid", "true");
  await remote.click();
  await expect(page.getByLabel("Remote key 1")).toBeFocused();
  await summary.getByRole("link", { name: /^Store: / }).click();
  await expect(page.getByLabel("Store (ClusterSecretStore)")).toBeFocused();
});

test("a key row can be removed, by keyboard too, and the rows below move up", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/secrets/new");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Target key 1").fill("first");
  await page.getByLabel("Remote key 1").fill("shared/first");
  await page.getByLabel("Target key 2").fill("second");
  await page.getByLabel("Remote key 2").fill("shared/second");
  await page.getByLabel("Target key 3").fill("third");

  await page.getByRole("button", { name: "Remove key 1" }).click();
  await expect(page.getByLabel("Target key 1")).toHaveValue("second");
  await expect(page.getByLabel("Remote key 1")).toHaveValue("shared/second");
  await expect(page.getByLabel("Target key 2")).toHaveValue("third");
  await expect(page.getByLabel("Target key 3")).toHaveCount(0);

  const remove = page.getByRole("button", { name: "Remove key 2" });
  await remove.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByLabel("Target key 2")).toHaveCount(0);
  await expect(page.getByLabel("Target key 1")).toHaveValue("second");
  await expect(page.getByTestId("preview")).not.toContainText("third");
});
