import { clearLeakHits, expect, leakHits, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// The leak scan's self-test: a marker planted in fields that are not secret (and so are shown)
// must be caught in the page the browser loads, with its hydration data, and in the server
// function's answer; a value sent without the marker is reported. Then the planted hits are
// cleared, so the scan after this test stays clean.
test("the leak scan catches a planted leak in a page, its hydration data and an answer", async ({ page, baseURL }) => {
  await new LoginPage(page).signIn(ADMIN);
  const me = await (await page.request.post("/api/whoami")).json();
  const create = await page.request.post("/api/create_secret", {
    data: {
      csrf: me.csrf_token,
      input: {
        name: "planted",
        scope: "Organization",
        project_id: null,
        use_case: "Generic",
        description: "planted canary-description",
        spec: { kind: "External", store: "vault", refresh_interval: "1h", data: [{ secret_key: "token", remote_key: "x/y", property: null, version: null }] },
        values: [],
      },
    },
  });
  expect(create.ok()).toBe(true);
  const id = await create.json();
  await page.goto(`/secrets/${id}`);
  await new AppShell(page).waitForHydration();
  await expect(page.getByText("planted canary-description")).toBeVisible();
  const unmarked = await page.request.post("/api/create_secret", {
    data: {
      csrf: me.csrf_token,
      input: {
        name: "unmarked",
        scope: "Organization",
        project_id: null,
        use_case: "Generic",
        description: "",
        spec: { kind: "Kubernetes", secret_type: "Opaque", keys: ["K"] },
        values: [{ key: "K", value: "plain" }],
      },
    },
  });
  expect(unmarked.ok()).toBe(true);

  const hits = await leakHits(baseURL!);
  expect(hits.some((h) => h.includes(`the body of the answer to GET /secrets/${id}`)), hits.join("\n")).toBe(true);
  expect(hits.some((h) => h.includes("a secret value without the marker")), hits.join("\n")).toBe(true);
  // The page's serialized data (what hydration reads) carries it too, not only the markup.
  const html = await (await page.request.get(`/secrets/${id}`)).text();
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join("\n");
  expect(scripts).toContain("planted canary-description");
  await clearLeakHits(baseURL!);
});
