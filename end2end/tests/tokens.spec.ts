import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage, MEMBER } from "./fixtures/login-page";

// API tokens: created on the Tokens page, shown once, listed without their text, revoked.

test("a member creates a token, sees it once, and revokes it", async ({ page }) => {
  const label = `deploy-${Date.now()}`;
  await new LoginPage(page).signIn(MEMBER);
  const shell = new AppShell(page);
  await shell.nav.getByRole("link", { name: "API tokens" }).click();
  await shell.expectHeading("API tokens");
  await shell.waitForHydration();

  await page.getByLabel("Token label").fill(label);
  await page.getByLabel("Access").selectOption("read-write");
  await page.getByRole("button", { name: "Create token" }).click();

  // Shown once, with a way to copy it.
  await expect(page.getByRole("heading", { name: `Token ${label} created` })).toBeVisible();
  const field = page.getByLabel("Your new token");
  await expect(field).toHaveValue(/^scn_[0-9a-f]{64}$/);
  const token = await field.inputValue();
  await expect(page.getByRole("button", { name: "Copy token" })).toBeVisible();
  const row = page.getByRole("table", { name: "Your tokens" }).getByRole("row", { name: new RegExp(label) });
  await expect(row).toContainText("Read-write");
  await expect(row).toContainText("Never");
  await expect(row).toContainText("Active");
  await shell.screenshot("tokens-created");

  // Never again: not after a reload, not in the list.
  await page.reload();
  await shell.expectHeading("API tokens");
  await expect(page.getByLabel("Your new token")).toHaveCount(0);
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(token.slice(4));

  // Revoked at once.
  await row.getByRole("button", { name: `Revoke token ${label}` }).click();
  await expect(page.getByText(`Token ${label} revoked.`)).toBeVisible();
  await expect(row).toContainText(`by ${MEMBER}`);
  await expect(row.getByRole("button", { name: /Revoke/ })).toHaveCount(0);
});

test("an admin sees and revokes everyone's tokens", async ({ browser, page }) => {
  const label = `member-script-${Date.now()}`;
  await new LoginPage(page).signIn(MEMBER);
  await page.goto("/tokens");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Token label").fill(label);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("Your new token")).toHaveValue(/^scn_/);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await new LoginPage(admin).signIn(ADMIN);
  await admin.goto("/tokens");
  const everyone = admin.getByRole("table", { name: "Everyone's tokens" });
  const row = everyone.getByRole("row", { name: new RegExp(label) });
  await expect(row).toContainText(MEMBER);
  await expect(row).toContainText("Read-only");
  await new AppShell(admin).screenshot("tokens-admin");
  await row.getByRole("button", { name: `Revoke token ${label}` }).click();
  await expect(row).toContainText(`by ${ADMIN}`);
  await adminContext.close();

  await page.reload();
  await expect(page.getByRole("table", { name: "Your tokens" }).getByRole("row", { name: new RegExp(label) })).toContainText(
    `Revoked`,
  );
});

test("without JavaScript a token is created, shown once and revoked", async ({ browser, consoleErrors }) => {
  const label = `no-js-${Date.now()}`;
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(MEMBER);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/secrets$/);
  await page.goto("/tokens");
  await page.getByLabel("Token label").fill(label);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByLabel("Your new token")).toHaveValue(/^scn_[0-9a-f]{64}$/);
  await page.reload();
  await expect(page.getByLabel("Your new token")).toHaveCount(0);
  const row = page.getByRole("table", { name: "Your tokens" }).getByRole("row", { name: new RegExp(label) });
  await row.getByRole("button", { name: `Revoke token ${label}` }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(row).toContainText("Revoked");
  await context.close();
});
