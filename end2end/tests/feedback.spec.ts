import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage, MEMBER } from "./fixtures/login-page";

test("the sign-in page offers no navigation into pages that need a sign-in", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link")).toHaveCount(0);
});

test("a bulk action says what it did and to how many, as a success", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await new AppShell(page).waitForHydration();
  for (const name of ["huggingface-token", "legacy-api-key"]) {
    await page.getByRole("checkbox", { name: `Select ${name}` }).check();
  }
  await page.getByLabel("With the selected secrets").selectOption("sync");
  await page.getByRole("button", { name: "Apply" }).click();
  const done = page.getByRole("status").filter({ hasText: "Sync now requested" });
  await expect(done).toHaveText("Sync now requested for 2 secrets.");
  await expect(done).toHaveClass(/success/);
});

test("the edit form can be left with Cancel, back to the secret", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  const detail = await page.getByRole("link", { name: "postgres-credentials" }).getAttribute("href");
  await page.goto(`${detail}/edit`);
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`${detail}$`));
  await expect(page.getByRole("heading", { level: 1, name: "postgres-credentials" })).toBeVisible();
});

test("creating a project says so, moves the focus there and empties the form", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/projects");
  await new AppShell(page).waitForHydration();
  const name = `fb-${Date.now().toString(36)}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Namespace", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  const created = page.getByRole("status").filter({ hasText: `Project ${name} created.` });
  await expect(created).toBeVisible();
  await expect(created).toBeFocused();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Namespace", { exact: true })).toHaveValue("");
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
});

test("a refused project lists its problems at the top, focused, each linking to its field", async ({ page, consoleErrors }) => {
  consoleErrors.allow(/status of (409|422) .*\/api\/create_project/);
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/projects");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Name", { exact: true }).fill("payments");
  await page.getByLabel("Namespace", { exact: true }).fill(`fb-${Date.now().toString(36)}`);
  await page.getByRole("button", { name: "Create project" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "1 problem to fix before saving" });
  await expect(summary).toBeFocused();
  const link = summary.getByRole("link", { name: /^Name: a project named `payments` already exists/ });
  await link.click();
  await expect(page.getByLabel("Name", { exact: true })).toBeFocused();
});

test("without JavaScript, a refused sign-in and a refused new user come back with their input", async ({ browser, consoleErrors }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back on the form, not a page of JSON: the email kept, the password not, the refusal said.
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Email")).toHaveValue("nobody@example.com");
  await expect(page.getByLabel("Password")).toHaveValue("");
  await expect(page.getByText("Wrong email or password.")).toBeVisible();

  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/secrets$/);
  await page.goto("/users");
  await page.getByLabel("Email").fill(MEMBER);
  await page.getByLabel("Initial password (at least 12 characters)").fill("a-long-password-2");
  await page.getByLabel("Role").selectOption({ label: "Platform admin" });
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByLabel("Email")).toHaveValue(MEMBER);
  await expect(page.getByLabel("Initial password (at least 12 characters)")).toHaveValue("");
  await expect(page.getByLabel("Role")).toHaveValue("true");
  await expect(page.locator("#new-email-error")).toContainText("already has an account");
  // And at the top, linking to the field.
  const summary = page.getByRole("alert").filter({ hasText: "1 problem to fix before saving" });
  await expect(summary.getByRole("link", { name: /^Email: .*already has an account/ })).toHaveAttribute("href", "#new-email");
  await context.close();
});
