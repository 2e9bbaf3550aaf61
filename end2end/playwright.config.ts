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
  // The app behind the leak-scanning proxy (leak-proxy.mjs): tests reach the proxy on `port`,
  // the app listens on the next port.
  webServer: {
    command: `node leak-proxy.mjs --listen ${port} --upstream ${port + 1} -- ../target/release/secrets-console --listen 127.0.0.1:${port + 1} --data-dir ${dataDir}`,
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
    },
  },
});
