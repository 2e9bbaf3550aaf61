import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

test("the list filtered to a project names a failing entry by its key, once", async ({ page }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(ADMIN);
  const name = `reason-${Date.now().toString(36)}`;
  const csrf = (await (await page.request.post("/api/whoami")).json()).csrf_token;
  const projects: { id: number; name: string }[] = await (await page.request.post("/api/list_projects")).json();
  const payments = projects.find((p) => p.name === "payments")!.id;
  // The second entry's remote key is not in the store: ESO names it `spec.data[1]`.
  const created = await page.request.post("/api/create_secret", {
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
          data: [
            { secret_key: "username", remote_key: "shared/postgres/username", property: null, version: null },
            { secret_key: "api-token", remote_key: `shared/${name}/missing`, property: null, version: null },
          ],
        },
        values: [],
      },
    },
  });
  expect(created.ok(), await created.text()).toBe(true);
  const id = await created.json();
  const assigned = await page.request.post("/api/set_assignments", {
    form: { csrf, id: String(id), "project_ids[0]": String(payments) },
  });
  expect(assigned.ok(), await assigned.text()).toBe(true);

  await page.goto(`/secrets?project=${payments}&q=${name}`);
  await new AppShell(page).waitForHydration();
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText(`key api-token (remote key shared/${name}/missing)`, { timeout: 30_000 });
  await expect(row).not.toContainText("spec.data");
  await expect(row.getByText(/Secret does not exist/)).toHaveCount(1);
  // And after a reload (the server's rendering, not only the live events').
  await page.reload();
  await expect(row).toContainText(`key api-token (remote key shared/${name}/missing)`);
  await expect(row).not.toContainText("spec.data");
  await page.request.post("/api/delete_secret", { form: { csrf, id: String(id) } });
});
