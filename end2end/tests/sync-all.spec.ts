import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// Sync all: on a project's tab, and for a whole cluster on the Projects page (admins). The
// progress line counts the rows as the live stream reports them synced again, so it is
// asserted to reach its end, never at a moment in between (the simulated cluster takes the
// time it takes). Each test syncs a project of its own, so the others' secrets never join in.

/** The signed-in user's CSRF token. */
async function csrf(page: Page): Promise<string> {
  return (await (await page.request.post("/api/whoami")).json()).csrf_token;
}

/** Calls a form-encoded server function; fails the test unless it answers 200. */
async function call(page: Page, endpoint: string, form: Record<string, string | number>) {
  const response = await page.request.post(`/api/${endpoint}`, { form: { csrf: await csrf(page), ...form } });
  expect(response.ok(), `${endpoint}: ${await response.text()}`).toBe(true);
  return response.json();
}

/** Creates a secret through the API; returns its id. */
async function createSecret(page: Page, input: Record<string, unknown>): Promise<number> {
  const created = await page.request.post("/api/create_secret", {
    data: { csrf: await csrf(page), input: { use_case: "Generic", description: "", values: [], ...input } },
  });
  expect(created.ok(), await created.text()).toBe(true);
  return (await created.json()) as number;
}

/** A cluster's id by its name. */
async function clusterId(page: Page, name: string): Promise<number> {
  const clusters = await (await page.request.post("/api/list_clusters")).json();
  return clusters.find((c: { name: string }) => c.name === name).id;
}

/** Each assignment of `secret` as its page has it. */
async function assignments(page: Page, secret: number) {
  const detail = await (await page.request.post("/api/get_secret", { form: { id: secret } })).json();
  return detail.assignments as { project: { name: string }; status: string; last_sync_at: number | null }[];
}

/** A project of its own on aws-dev, with two Kubernetes secrets and an External one, Synced. */
async function projectWithSecrets(page: Page, stamp: string) {
  const project = `sync-${stamp}`;
  const projectId = (await call(page, "create_project", {
    name: project,
    cluster_id: await clusterId(page, "aws-dev"),
    namespace: project,
  })) as number;
  const kubernetes = (key: string) => ({ kind: "Kubernetes", secret_type: "Opaque", keys: [key] });
  const ids = [
    await createSecret(page, { name: `${project}-a`, scope: "Project", project_id: projectId, spec: kubernetes("TOKEN"), values: [{ key: "TOKEN", value: "canary-sync-a" }] }),
    await createSecret(page, { name: `${project}-b`, scope: "Project", project_id: projectId, spec: kubernetes("TOKEN"), values: [{ key: "TOKEN", value: "canary-sync-b" }] }),
  ];
  const org = await createSecret(page, {
    name: `${project}-org`,
    scope: "Organization",
    project_id: null,
    spec: { kind: "External", store: "vault", refresh_interval: "1h", data: [{ secret_key: "password", remote_key: "shared/postgres/password", property: null, version: null }] },
  });
  await call(page, "set_assignments", { id: org, "project_ids[0]": projectId });
  ids.push(org);
  for (const id of ids) {
    await expect
      .poll(async () => (await assignments(page, id)).map((a) => a.status).join(), { timeout: 30_000 })
      .toBe("Synced");
  }
  return { project, ids };
}

test("Sync all on a project's tab counts its secrets synced again as the rows turn", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  const { project, ids } = await projectWithSecrets(page, Date.now().toString(36));
  const before = new Map<number, number>();
  for (const id of ids) before.set(id, (await assignments(page, id))[0].last_sync_at ?? 0);

  await page.goto(`/projects/${project}`);
  const shell = new AppShell(page);
  await shell.waitForHydration();
  const progress = page.locator(".sync-progress");
  await expect(progress).toHaveCount(0);
  await page.getByRole("button", { name: `Sync all in ${project}` }).click();
  // Counted from the live stream: it reaches every row, and says so.
  await expect(progress).toHaveText(/^\d of 3 synced\./);
  await expect(progress).toHaveText("3 of 3 synced. Done.", { timeout: 30_000 });
  await shell.screenshot("project-tab-sync-all");
  // Not a timer's word: each Kubernetes Secret was applied again since.
  for (const id of ids.slice(0, 2)) {
    const [a] = await assignments(page, id);
    expect(a.status).toBe("Synced");
    expect(a.last_sync_at ?? 0).toBeGreaterThan(before.get(id)!);
  }
});

test("an admin syncs a whole cluster from the Projects page, and Sync now is offered for a Kubernetes secret", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  const { project, ids } = await projectWithSecrets(page, `c${Date.now().toString(36)}`);

  await page.goto("/projects");
  const shell = new AppShell(page);
  await shell.waitForHydration();
  const awsRow = page.locator('table[aria-labelledby="clusters"] tbody tr', { hasText: "aws-dev" });
  await awsRow.getByRole("button", { name: "Sync all in cluster aws-dev" }).click();
  // Other projects on aws-dev may be changing meanwhile: the count grows, whatever its total.
  await expect(awsRow.locator(".sync-progress")).toHaveText(/^[1-9]\d* of \d+ synced/, { timeout: 30_000 });

  // A Kubernetes secret's page offers Sync now too (it is applied again from stored values).
  await page.goto(`/secrets/${ids[0]}`);
  await shell.waitForHydration();
  const before = (await assignments(page, ids[0]))[0].last_sync_at ?? 0;
  await page.getByRole("button", { name: `Sync now in ${project}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `Sync now requested in ${project}.` })).toBeVisible();
  await expect
    .poll(async () => (await assignments(page, ids[0]))[0].last_sync_at ?? 0, { timeout: 30_000 })
    .toBeGreaterThan(before);
});
