import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { createOrgSecret } from "./fixtures/org-secret";

// Issue 21, point 1: assign by selector. Unique data per run: the label value and names.
const unique = () => Math.random().toString(36).slice(2, 8);

// On the Projects page a row holds a form, so it is found by its project link, not its name.
const projectRow = (page: Page, project: string) =>
  page.locator("tr").filter({ has: page.getByRole("link", { name: project, exact: true }) });
const row = (page: Page, project: string) => page.getByRole("row", { name: new RegExp(`^${project}\\b`) });

test("admin labels a project, assigns by selector with a preview, and a new matching project syncs by itself", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const tier = `t${unique()}`;
  const secret = `sel-${tier}`;
  const fresh = `new-${tier}`;
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);

  // Label an existing project on the Projects page.
  await page.goto("/projects");
  await shell.waitForHydration();
  await page.getByLabel("Labels of payments").fill(`tier=${tier}, team=payments`);
  await page.getByLabel("Labels of payments").press("Enter");
  await expect(projectRow(page, "payments")).toContainText(`tier=${tier}`);

  // Assign an organization secret by selector: the preview names the matched set before saving.
  await createOrgSecret(page, secret);
  const secretPage = page.url();
  const selectors = page.getByLabel("Selectors (one a line)");
  await selectors.fill(`tier=${tier}`);
  await expect(page.getByRole("status").filter({ hasText: "Preview" })).toContainText("would match payments");
  await selectors.fill(`tier=${tier},team=nobody`);
  await expect(page.getByRole("status").filter({ hasText: "Preview" })).toContainText("would match no project yet");
  await selectors.fill(`tier=${tier}`);
  await expect(page.getByRole("status").filter({ hasText: "Preview" })).toContainText("would match payments");
  await shell.screenshot("selector-preview");
  await page.getByRole("button", { name: "Save selectors" }).click();
  await expect(page.getByRole("list", { name: "Selectors and the projects they match" })).toContainText(
    `tier=${tier} matches payments`,
  );
  await expect(row(page, "payments").locator("[data-status]")).toHaveAttribute("data-status", "Synced", {
    timeout: 30_000,
  });

  // A NEW project with that label: its row for the secret turns Synced with nothing more done.
  await page.goto("/projects");
  await shell.waitForHydration();
  await page.locator("#project-name").fill(fresh);
  await page.locator("#project-namespace").fill(fresh);
  await page.locator("#project-labels").fill(`tier=${tier}`);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText(`Project ${fresh} created.`).first()).toBeVisible();
  await expect(projectRow(page, fresh)).toContainText(`tier=${tier}`);

  await page.goto(secretPage);
  await shell.waitForHydration();
  await expect(row(page, fresh)).toBeVisible();
  await expect(row(page, fresh).locator("[data-status]")).toHaveAttribute("data-status", "Synced", {
    timeout: 30_000,
  });
  await expect(page.getByRole("list", { name: "Selectors and the projects they match" })).toContainText(fresh);

  // Relabelled out of the selector, the project loses the assignment by itself.
  await page.goto("/projects");
  await shell.waitForHydration();
  await page.getByLabel(`Labels of ${fresh}`).fill("tier=elsewhere");
  await page.getByLabel(`Labels of ${fresh}`).press("Enter");
  await expect(projectRow(page, fresh)).toContainText("tier=elsewhere");
  await expect
    .poll(
      async () => {
        await page.goto(secretPage);
        await expect(page.getByRole("heading", { level: 1, name: secret })).toBeVisible();
        return row(page, fresh).count();
      },
      { timeout: 30_000 },
    )
    .toBe(0);
  await expect(row(page, "payments").locator("[data-status]")).toHaveAttribute("data-status", "Synced");
});
