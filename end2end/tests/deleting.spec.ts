import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { createOrgSecret } from "./fixtures/org-secret";

test("removing and deleting say what was done, and the focus goes to the message", async ({ page }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(ADMIN);
  const base = `del-${Date.now().toString(36)}`;

  await test.step("assign, then remove from a project", async () => {
    await createOrgSecret(page, `${base}-a`);
    await page.getByRole("checkbox", { name: /^payments\b/ }).check();
    await page.getByRole("button", { name: "Save assignments" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Assigned to payments." })).toBeFocused();
    await expect(page.getByRole("row", { name: /^payments\b/ })).toBeVisible();
    await page.getByRole("checkbox", { name: /^payments\b/ }).uncheck();
    await page.getByRole("button", { name: "Save assignments" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Removed from payments." })).toBeFocused();
    // Its object is removed from payments' namespace, then the row goes (the page is read again).
    await expect(page.getByRole("row", { name: /^payments\b/ })).toHaveCount(0, { timeout: 30_000 });
  });

  await test.step("delete with its form: the list it lands on says so", async () => {
    await page.getByLabel(`Type ${base}-a to confirm`).fill(`${base}-a`);
    await page.getByRole("button", { name: "Delete secret" }).click();
    await expect(page).toHaveURL(/\/secrets$/);
    const said = page.getByRole("status").filter({ hasText: `Secret ${base}-a deleted.` });
    await expect(said).toBeFocused();
    await expect(said).toHaveText(`Secret ${base}-a deleted.`);
    // Said once: the page it lands on has no other message about it.
    await expect(page.getByText(`Secret ${base}-a deleted.`)).toHaveCount(1);
    await new AppShell(page).screenshot("deleted-notice");
    // Gone with the next filter: the message belongs to the delete only.
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(said).toHaveCount(0);
  });

  await test.step("bulk delete says so where the focus goes", async () => {
    await createOrgSecret(page, `${base}-b`);
    await page.goto("/secrets");
    await new AppShell(page).waitForHydration();
    await page.getByRole("checkbox", { name: `Select ${base}-b` }).check();
    await page.getByLabel("With the selected secrets").selectOption("delete");
    await page.getByPlaceholder("to delete, type delete").fill("delete");
    await page.getByRole("button", { name: "Apply" }).click();
    const said = page.getByRole("status").filter({ hasText: "Deleting 1 secret" });
    await expect(said).toBeFocused();
    await expect(said).toHaveClass(/success/);
    await expect(page.getByRole("row", { name: new RegExp(`${base}-b`) })).toHaveCount(0, { timeout: 30_000 });
  });
});
