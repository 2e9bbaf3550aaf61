import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

test.beforeEach(async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
});

test("the secrets page is served, hydrated and navigable", async ({ page }) => {
  const shell = new AppShell(page);
  await shell.goto("/");
  await expect(page).toHaveURL(/\/secrets$/);
  await shell.expectHeading("Secrets");
  await expect(page).toHaveTitle("Secrets · secrets-console");
  await expect(shell.nav.getByRole("link", { name: "Secrets" })).toHaveAttribute("aria-current", "page");
  for (const column of ["Name", "Type", "Scope", "Use case", "Status", "Assigned to", "Updated"]) {
    await expect(page.getByRole("columnheader", { name: column })).toBeVisible();
  }
  await shell.screenshot("secrets");
});

test("the navigation toggle works, which needs the WASM bundle", async ({ page }) => {
  const shell = new AppShell(page);
  await shell.goto("/secrets");
  await shell.waitForHydration();
  await expect(shell.navToggle).toHaveAttribute("aria-expanded", "true");
  await expect(shell.nav).toBeVisible();

  await shell.navToggle.click();
  await expect(shell.navToggle).toHaveAttribute("aria-expanded", "false");
  await expect(shell.navToggle).toHaveAccessibleName("Expand navigation");
  await expect(shell.nav).toBeHidden();

  await shell.navToggle.click();
  await expect(shell.nav).toBeVisible();
});

test("client-side navigation to Projects keeps the page alive", async ({ page }) => {
  const shell = new AppShell(page);
  await shell.goto("/secrets");
  await shell.waitForHydration();
  // Mark the document: a full page load would lose this, client-side routing keeps it.
  await page.evaluate(() => ((window as unknown as { __marker?: number }).__marker = 42));
  await shell.nav.getByRole("link", { name: "Projects" }).click();
  await shell.expectHeading("Projects");
  await expect(page).toHaveURL(/\/projects$/);
  expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
  await shell.screenshot("projects");
});

test("an unknown URL shows the not-found page with status 404", async ({ page, consoleErrors }) => {
  consoleErrors.allow(/status of 404 .*\/no\/such\/page\)$/);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
});

test("the footer shows the server's version and database", async ({ page }) => {
  await page.goto("/secrets");
  await expect(page.getByRole("contentinfo")).toContainText(/secrets-console \d+\.\d+\.\d+ · SQLite/);
});
