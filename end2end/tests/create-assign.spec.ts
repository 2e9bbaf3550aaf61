import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// Issue 21, point 7: the organization-secret create form assigns in the same step, to ticked
// projects and by selector. Unique data per run: the label value and the names.
const unique = () => Math.random().toString(36).slice(2, 8);
const row = (page: import("@playwright/test").Page, project: string) =>
  page.getByRole("row", { name: new RegExp(`^${project}\\b`) });

test("admin creates an org secret ticking a project and typing a selector; both rows turn Synced", async ({ page }) => {
  test.setTimeout(120_000);
  const tier = `c${unique()}`;
  const secret = `made-${tier}`;
  const fresh = `lab-${tier}`;
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);

  // A project of this test's own, carrying the label the selector will match.
  await page.goto("/projects");
  await shell.waitForHydration();
  await page.locator("#project-name").fill(fresh);
  await page.locator("#project-namespace").fill(fresh);
  await page.locator("#project-labels").fill(`tier=${tier}`);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText(`Project ${fresh} created.`).first()).toBeVisible();

  await page.goto("/secrets/new");
  await shell.waitForHydration();
  await page.locator("#secret-name").fill(secret);
  await page.getByLabel("Store (ClusterSecretStore)").fill("vault");
  await page.getByLabel("Target key 1").fill("password");
  await page.getByLabel("Remote key 1").fill("shared/postgres/password");

  const section = page.getByRole("group", { name: "Assign to projects" });
  await section.getByRole("checkbox", { name: /^payments\b/ }).check();
  await expect(section.getByText("1 project ticked")).toBeVisible();
  // The selector's matches are previewed before anything is saved.
  await section.getByLabel("Selectors (one a line)").fill(`tier=${tier}`);
  await expect(section.getByRole("status").filter({ hasText: "Preview" })).toContainText(`would match ${fresh}`);
  await shell.screenshot("create-assign");
  await page.getByRole("button", { name: "Create secret" }).click();

  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: secret })).toBeVisible();
  await expect(
    page.getByRole("status").filter({ hasText: `Secret ${secret} created and assigned to 2 projects.` }),
  ).toBeVisible();
  for (const project of ["payments", fresh]) {
    await expect(row(page, project).locator("[data-status]")).toHaveAttribute("data-status", "Synced", {
      timeout: 30_000,
    });
  }
  await expect(page.getByRole("list", { name: "Selectors and the projects they match" })).toContainText(
    `tier=${tier} matches ${fresh}`,
  );
});
