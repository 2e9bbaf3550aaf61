import { readFile } from "node:fs/promises";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// YAML out: a secret's page shows the exact object applied in each namespace, copyable and
// downloadable as a manifest; a Kubernetes secret's values are never in it. The Projects page
// says which External Secrets Operator each cluster runs.

test("a secret's page shows the applied ExternalSecret as YAML, and downloads it", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/secrets/by-name/postgres-credentials");
  await new AppShell(page).waitForHydration();
  const applied = page.getByRole("region", { name: "Applied objects" });
  await expect(applied.getByRole("heading", { name: "Applied objects" })).toBeVisible();
  const yaml = applied.getByLabel("ExternalSecret applied in payments on aws-dev");
  await expect(yaml).toBeVisible();
  await expect(yaml).toContainText("apiVersion: external-secrets.io/v1");
  await expect(yaml).toContainText("kind: ExternalSecret");
  await expect(yaml).toContainText("namespace: payments");

  const object = applied.getByRole("region", { name: /^payments/ });
  await expect(object.getByRole("button", { name: "Copy" })).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    object.getByRole("link", { name: "Download manifest" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("payments-postgres-credentials.yaml");
  const text = await readFile((await download.path())!, "utf8");
  expect(text).toContain("kind: ExternalSecret");
  expect(text).toContain("name: postgres-credentials");
  expect(text.trim()).toBe((await yaml.textContent())!.trim());
});

test("a Kubernetes secret's applied Secret shows its keys, never its values", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/projects/payments/secrets/payments-api-key");
  await new AppShell(page).waitForHydration();
  const yaml = page.getByLabel("Secret applied in payments on aws-dev");
  await expect(yaml).toContainText("kind: Secret");
  await expect(yaml).toContainText("API_KEY: <value not shown>");
  await expect(yaml).not.toContainText("demo-payments-key");
});

test("the Projects page says which External Secrets Operator each cluster runs", async ({ page }) => {
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/projects");
  const clusters = page.getByRole("table", { name: "Clusters" });
  await expect(clusters.getByRole("columnheader", { name: "External Secrets" })).toBeVisible();
  await expect(clusters.getByText("ESO v2.9.0 · external-secrets.io/v1").first()).toBeVisible({ timeout: 15_000 });
});
