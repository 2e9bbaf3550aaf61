import { defineConfig, devices } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The release build, on a port of its own, with a fresh data directory per run.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// Set once in the main process; the workers inherit it (tests read the simulated clusters'
// kubeconfig from it).
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "secrets-console-e2e-"));
const dataDir = process.env.E2E_DATA_DIR;
// The test OpenID Provider (oidc-provider.mjs, npm's oidc-provider) the app's single sign-on
// points at; local accounts stay on for the other specs. Tests read the issuer from the
// environment.
const oidcPort = port + 10;
process.env.E2E_OIDC_ISSUER ??= `http://127.0.0.1:${oidcPort}`;
const oidcIssuer = process.env.E2E_OIDC_ISSUER;
const oidcClientSecret = "e2e-oidc-client-secret";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: "test-results/results.json" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  // The test OpenID Provider, and the app behind the leak-scanning proxy (leak-proxy.mjs):
  // tests reach the proxy on `port`, the app listens on the next port.
  webServer: [
    {
      command: `node oidc-provider.mjs --port ${oidcPort} --client-id secrets-console --redirect ${baseURL}`,
      url: `${oidcIssuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "pipe",
      stderr: "pipe",
      env: { SECRETS_CONSOLE_OIDC_CLIENT_SECRET: oidcClientSecret },
    },
    {
      command:
        `node leak-proxy.mjs --listen ${port} --upstream ${port + 1} -- ../target/release/secrets-console --listen 127.0.0.1:${port + 1} --data-dir ${dataDir}` +
        ` --oidc-issuer-url ${oidcIssuer} --oidc-client-id secrets-console --public-url ${baseURL} --oidc-display-name "Test SSO"`,
      url: `${baseURL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ROOT: "../target/site",
        LEPTOS_SITE_PKG_DIR: "pkg",
        DATABASE_URL: "",
        SECRETS_CONSOLE_LOG: "info",
        // The journeys press Sync now on one secret twice within seconds (break the store, see
        // SyncedError, heal it, see Synced); the default 10 s per user and secret would refuse
        // the second press. The limit itself is tested in tests/integration/limits.rs.
        SECRETS_CONSOLE_SYNC_NOW_COOLDOWN: "100ms",
        // Never a flag: command lines are visible to every local user.
        SECRETS_CONSOLE_OIDC_CLIENT_SECRET: oidcClientSecret,
      },
    },
  ],
});
