// The Secrets page's rows are the server's HTML, not re-rendered in the browser: what keeps
// them true is the live stream and, when the stream may have missed something, the page
// reading its secrets' state again (`live_secrets`). A change made while the page's stream
// could not connect shows once it does, without a reload.
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { createOrgSecret } from "./fixtures/org-secret";

const assignedTo = (page: Page, name: string) =>
  page.getByRole("row", { name: new RegExp(`\\b${name}\\b`) }).getByRole("cell").nth(6);

test("a change made while the page's stream was away shows once it connects, without a reload", async ({
  page,
  consoleErrors,
}) => {
  test.setTimeout(90_000);
  // The stream's requests refused below.
  consoleErrors.allow(/ERR_CONNECTION_REFUSED/);
  await new LoginPage(page).signIn(ADMIN);
  const name = `late-${Date.now().toString(36)}`;
  await createOrgSecret(page, name);
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  await page.getByRole("checkbox", { name: /^analytics\b/ }).check();
  await page.getByRole("button", { name: "Save assignments" }).click();
  await expect(page.getByRole("row", { name: /^analytics\b/ })).toBeVisible();

  // The page's stream cannot connect: no event will tell it what changes now.
  await page.route("**/live/events", (route) => route.abort("connectionrefused"));
  await page.goto(`/secrets?q=${name}`);
  const shell = new AppShell(page);
  await shell.waitForHydration();
  await expect(assignedTo(page, name)).toHaveText("analytics");
  await expect(page.locator("[data-live]")).not.toHaveAttribute("data-live", "live");
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  // Unassigned elsewhere (through the API, as the same person).
  const me = await (await page.request.post("/api/whoami")).json();
  const projects: { id: number; name: string }[] = await (await page.request.post("/api/list_project_names")).json();
  const analytics = projects.find((p) => p.name === "analytics")!.id;
  const unassigned = await page.request.post("/api/unassign_secret", {
    form: { csrf: me.csrf_token, id: String(id), project_id: String(analytics) },
  });
  expect(unassigned.ok(), await unassigned.text()).toBe(true);
  await expect(assignedTo(page, name)).toHaveText("analytics");

  // The stream connects: the page reads its secrets again, and the cell follows.
  await page.unroute("**/live/events");
  await expect(page.locator("[data-live]")).toHaveAttribute("data-live", "live", { timeout: 30_000 });
  await expect(assignedTo(page, name)).toHaveText("—", { timeout: 10_000 });
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
