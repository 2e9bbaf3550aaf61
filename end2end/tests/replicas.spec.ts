import type { Browser, Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage } from "./fixtures/login-page";
import { ConsoleApi, LEADER_LINE, Replica, StandaloneCluster, TestDatabase } from "./fixtures/replicas";

// Issue 10: two replicas on one PostgreSQL share live events (LISTEN/NOTIFY), and exactly one of
// them reconciles; when it dies, the other takes over. Both manage one standalone simulated
// cluster, `prod`, which outlives either of them, as a real cluster would.

const POSTGRES = process.env.SECRETS_CONSOLE_TEST_POSTGRES_URL;
const SECRET = "orders-db";
const REMOTE_KEY = "shared/postgres/password";

test.describe("two replicas on one PostgreSQL", () => {
  test.skip(
    !POSTGRES && !process.env.CI,
    "SECRETS_CONSOLE_TEST_POSTGRES_URL is not set (`scripts/pg.sh start` prints one)",
  );

  let dir: string | undefined;
  let db: TestDatabase | undefined;
  let sim: StandaloneCluster | undefined;
  const replicas: Replica[] = [];
  let secretId: number;

  test.beforeAll(async () => {
    test.setTimeout(60_000);
    if (!POSTGRES) {
      throw new Error("SECRETS_CONSOLE_TEST_POSTGRES_URL is not set, but CI runs the replica test: start PostgreSQL (scripts/pg.sh start) and export its URL");
    }
    dir = mkdtempSync(join(tmpdir(), "secrets-console-replicas-"));
    db = TestDatabase.create(POSTGRES);
    sim = await StandaloneCluster.start(dir, "prod");
    const masterKey = randomBytes(32).toString("base64");
    // One after the other: the first seeds the demo organization into the empty database.
    for (const name of ["A", "B"]) {
      const options = { databaseUrl: db.url, dataDir: join(dir, name), kubeconfig: sim.kubeconfig, masterKey };
      replicas.push(await Replica.start(name, options));
    }

    // The platform team's namespaces; projects on them and a secret, made by the admin on A.
    await sim.createNamespace("orders");
    await sim.createNamespace("billing");
    const admin = await ConsoleApi.signIn(replicas[0].url, ADMIN, DEMO_PASSWORD);
    try {
      const clusters: { id: number; name: string }[] = await admin.call("list_clusters");
      const prod = clusters.find((cluster) => cluster.name === "prod");
      if (!prod) throw new Error(`prod is not among the clusters: ${JSON.stringify(clusters)}`);
      for (const name of ["orders", "billing"]) {
        await admin.call("create_project", { csrf: admin.csrf, name, cluster_id: prod.id, namespace: name });
      }
      secretId = await admin.callJson("create_secret", {
        csrf: admin.csrf,
        input: {
          name: SECRET,
          scope: "Organization",
          project_id: null,
          use_case: "Generic",
          description: "",
          spec: {
            kind: "External",
            store: "vault",
            refresh_interval: "1h",
            data: [{ secret_key: "password", remote_key: REMOTE_KEY, property: null, version: null }],
          },
          values: [],
        },
      });
    } finally {
      await admin.dispose();
    }
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status === testInfo.expectedStatus) return;
    for (const child of [sim?.process, ...replicas.map((replica) => replica.process)]) {
      if (child) await testInfo.attach(`${child.name} log`, { body: child.output, contentType: "text/plain" });
    }
  });

  test.afterAll(async () => {
    await Promise.all([...replicas.map((replica) => replica.process.kill()), sim?.process.kill()]);
    db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Uncaught script errors (a WASM panic stops the page following anything), per page. */
  const scriptErrors: string[] = [];

  /** A browser of its own (its own cookies), signed in as the admin on `replica`, on the secret's page. */
  async function secretPageOn(browser: Browser, replica: Replica): Promise<Page> {
    const context = await browser.newContext({ baseURL: replica.url, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => scriptErrors.push(`page on ${replica.process.name}: ${error.message}`));
    page.on("console", (message) => {
      const panic = message.type() === "error" && /^panicked at .*/.exec(message.text());
      if (panic) scriptErrors.push(`page on ${replica.process.name}: ${panic[0]}`);
    });
    await new LoginPage(page).signIn(ADMIN);
    await page.goto(`/secrets/${secretId}`);
    await new AppShell(page).waitForHydration();
    await expect(page.getByRole("heading", { level: 1, name: SECRET })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    // A reload would clear this mark.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    return page;
  }

  async function expectNotReloaded(page: Page) {
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  }

  function badge(page: Page, project: string) {
    return page.getByRole("row", { name: new RegExp(`^${project} `) }).locator("[data-status]");
  }

  /** Ticks `project` in the page's "Assign to projects" form (keeping what is ticked) and saves. */
  async function assign(page: Page, project: string, alreadyAssigned: string[]) {
    for (const name of alreadyAssigned) {
      await expect(page.getByRole("checkbox", { name: new RegExp(`^${name} `) })).toBeChecked();
    }
    await page.getByRole("checkbox", { name: new RegExp(`^${project} `) }).check();
    await page.getByRole("button", { name: "Save assignments" }).click();
  }

  test("a change through one replica shows live on the other's page, and reconciling survives the leader", async ({ browser }) => {
    test.setTimeout(90_000);
    const [a, b] = replicas;
    const pageB = await secretPageOn(browser, b);
    const pageA = await secretPageOn(browser, a);
    const pages = new Map([[a, pageA], [b, pageB]]);
    try {
      expect(scriptErrors, "the pages hydrated without script errors").toEqual([]);
      await test.step("assigned through A: B's page shows the row reach Synced", async () => {
        await expect(pageB.getByRole("cell", { name: "Not assigned to any project." })).toBeVisible();
        await assign(pageA, "orders", []);
        await expect(badge(pageB, "orders")).toHaveAttribute("data-status", "Synced", { timeout: 20_000 });
        expect(await sim!.managedExternalSecrets("orders")).toEqual([SECRET]);
        await new AppShell(pageB).screenshot("replicas-secret-detail-on-b");
      });

      await test.step("a key removed from the store, noticed through A's Sync now, shows on B", async () => {
        const original = await sim!.storeData("vault");
        await sim!.setStoreData("vault", original.filter((entry) => entry.key !== REMOTE_KEY));
        try {
          await pageA.getByRole("button", { name: "Sync now in orders" }).click();
          await expect(badge(pageB, "orders")).toHaveAttribute("data-status", "SyncedError", { timeout: 20_000 });
          await expect(pageB.getByRole("row", { name: /^orders / })).toContainText(REMOTE_KEY);
        } finally {
          await sim!.setStoreData("vault", original);
        }
        await pageA.getByRole("button", { name: "Sync now in orders" }).click();
        await expect(badge(pageB, "orders")).toHaveAttribute("data-status", "Synced", { timeout: 20_000 });
        await expectNotReloaded(pageB);
      });

      await test.step("the leader killed: the other takes over and reconciles", async () => {
        expect(a.leads !== b.leads, `exactly one leader (A: ${a.leads}, B: ${b.leads})`).toBe(true);
        const [leader, survivor] = a.leads ? [a, b] : [b, a];
        await leader.process.kill("SIGKILL");
        // Its page notices; the survivor's stays live.
        await expect(pages.get(leader)!.getByRole("status").filter({ hasText: "Reconnecting" })).toBeVisible();
        await survivor.process.waitFor(LEADER_LINE, 10_000);

        const page = pages.get(survivor)!;
        await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
        await assign(page, "billing", ["orders"]);
        await expect(badge(page, "billing")).toHaveAttribute("data-status", "Synced", { timeout: 20_000 });
        await expect(badge(page, "orders")).toHaveAttribute("data-status", "Synced");
        expect(await sim!.managedExternalSecrets("billing")).toEqual([SECRET]);
        await expectNotReloaded(page);
        await new AppShell(page).screenshot("replicas-after-handover");
      });
      expect(scriptErrors).toEqual([]);
    } finally {
      await Promise.all([pageA.context().close(), pageB.context().close()]);
    }
  });
});
