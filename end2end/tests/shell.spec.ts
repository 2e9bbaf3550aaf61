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

test("on a phone the navigation starts closed, opens with its button and closes after a link", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const shell = new AppShell(page);
  await shell.goto("/secrets");
  await shell.waitForHydration();
  await expect(shell.nav).toBeHidden();
  await expect(shell.navToggle).toHaveAttribute("aria-expanded", "false");
  await expect(shell.navToggle).toHaveAccessibleName("Expand navigation");
  await expect(page.getByRole("button", { name: "Sign out", exact: true })).toBeInViewport({ ratio: 1 });

  await shell.navToggle.click();
  await expect(shell.navToggle).toHaveAttribute("aria-expanded", "true");
  await expect(shell.nav).toBeInViewport();
  await shell.nav.getByRole("link", { name: "Projects" }).click();
  await shell.expectHeading("Projects");
  await expect(shell.nav).toBeHidden();
  await expect(shell.navToggle).toHaveAttribute("aria-expanded", "false");
});

test("without JavaScript on a phone, the menu link shows the navigation", async ({ browser, consoleErrors }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await new LoginPage(page).signIn(ADMIN);
  const nav = page.getByRole("navigation", { name: "Primary" });
  await expect(nav).toBeHidden();
  await page.getByRole("link", { name: "Show navigation" }).click();
  await expect(nav).toBeVisible();
  await nav.getByRole("link", { name: "Stores" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Stores" })).toBeVisible();
  await expect(nav).toBeHidden();
  await context.close();
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
