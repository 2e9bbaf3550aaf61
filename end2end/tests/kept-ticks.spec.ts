import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { ADMIN, LoginPage } from "./fixtures/login-page";

/** The signed-in person's CSRF token (the request shares the page's session). */
async function csrfOf(request: APIRequestContext): Promise<string> {
  return (await (await request.post("/api/whoami")).json()).csrf_token;
}

/** The id of project `name`. */
async function projectId(request: APIRequestContext, name: string): Promise<number> {
  const projects: { id: number; name: string }[] = await (await request.post("/api/list_projects")).json();
  return projects.find((p) => p.name === name)!.id;
}

/** Creates an organization External secret `name` through the API; its id. */
async function orgSecret(request: APIRequestContext, csrf: string, name: string): Promise<number> {
  const created = await request.post("/api/create_secret", {
    data: {
      csrf,
      input: {
        name,
        scope: "Organization",
        project_id: null,
        use_case: "Generic",
        description: "",
        spec: {
          kind: "External",
          store: "vault",
          refresh_interval: "1h",
          data: [{ secret_key: "password", remote_key: "shared/postgres/password", property: null, version: null }],
        },
        values: [],
      },
    },
  });
  expect(created.ok(), await created.text()).toBe(true);
  return created.json();
}

test("without JavaScript, a refused checkbox form comes back with the boxes as the person ticked them", async ({ browser, consoleErrors }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await new LoginPage(page).signIn(ADMIN);
  const csrf = await csrfOf(page.request);
  const base = `ticks-${Date.now().toString(36)}`;
  const a = await orgSecret(page.request, csrf, `${base}-a`);
  await orgSecret(page.request, csrf, `${base}-b`);
  await orgSecret(page.request, csrf, `${base}-c`);

  await test.step("the bulk bar: rows, projects and the action as they were", async () => {
    await page.goto(`/secrets?q=${base}`);
    await page.getByRole("checkbox", { name: `Select ${base}-a` }).check();
    await page.getByRole("checkbox", { name: `Select ${base}-c` }).check();
    const projects = page.locator("details.bulk-projects");
    await projects.locator("summary").click();
    await projects.getByRole("checkbox", { name: "payments", exact: true }).check();
    await page.getByLabel("With the selected secrets").selectOption("delete");
    // The confirmation forgotten: refused.
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(new RegExp(`/secrets\\?q=${base}$`));
    await expect(page.getByRole("alert").filter({ hasText: "type delete to confirm" })).toBeVisible();
    await expect(page.getByRole("checkbox", { name: `Select ${base}-a` })).toBeChecked();
    await expect(page.getByRole("checkbox", { name: `Select ${base}-b` })).not.toBeChecked();
    await expect(page.getByRole("checkbox", { name: `Select ${base}-c` })).toBeChecked();
    await expect(projects.getByRole("checkbox", { name: "payments", exact: true })).toBeChecked();
    await expect(projects.getByRole("checkbox", { name: "search", exact: true })).not.toBeChecked();
    await expect(page.getByLabel("With the selected secrets")).toHaveValue("delete");
    // Nothing was deleted.
    await expect(page.getByRole("link", { name: `${base}-a`, exact: true })).toBeVisible();
  });

  await test.step("the assign picker: refused because of a secret someone created meanwhile", async () => {
    await page.goto(`/secrets/${a}`);
    await page.getByRole("checkbox", { name: /^payments\b/ }).check();
    await page.getByRole("checkbox", { name: /^search\b/ }).check();
    // Meanwhile, in another tab, a project secret of the same name in search.
    const search = await projectId(page.request, "search");
    const clash = await page.request.post("/api/create_secret", {
      data: {
        csrf,
        input: {
          name: `${base}-a`,
          scope: "Project",
          project_id: search,
          use_case: "Generic",
          description: "",
          spec: { kind: "Kubernetes", secret_type: "Opaque", keys: ["K"] },
          values: [{ key: "K", value: "canary-kept-ticks" }],
        },
      },
    });
    expect(clash.ok(), await clash.text()).toBe(true);
    await page.getByRole("button", { name: "Save assignments" }).click();
    await expect(page).toHaveURL(new RegExp(`/secrets/${a}$`));
    await expect(page.getByRole("alert").filter({ hasText: "already has" })).toBeVisible();
    // payments as the person ticked it; search now blocked, with why, so not ticked.
    await expect(page.getByRole("checkbox", { name: /^payments\b/ })).toBeChecked();
    await expect(page.getByRole("checkbox", { name: /^search\b/ })).not.toBeChecked();
    await expect(page.getByRole("checkbox", { name: /^search\b/ })).toBeDisabled();
    await expect(page.getByText("1 project selected")).toBeVisible();
    // Nothing was saved.
    await expect(page.getByRole("row", { name: /^payments\b/ })).toHaveCount(0);
    await page.request.post("/api/delete_secret", { form: { csrf, id: String(await clash.json()) } });
  });

  await test.step("delete: the list says so, where the focus is, nothing in the address", async () => {
    await page.getByLabel(`Type ${base}-a to confirm`).fill(`${base}-a`);
    await page.getByRole("button", { name: "Delete secret" }).click();
    await expect(page).toHaveURL(/\/secrets$/);
    const said = page.getByRole("status").filter({ hasText: `Secret ${base}-a deleted.` });
    await expect(said).toBeFocused();
    await page.reload();
    await expect(page.getByText(`Secret ${base}-a deleted.`)).toHaveCount(0);
  });
  await context.close();
});
