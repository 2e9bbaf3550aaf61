import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// A key removed from a secret while a workload in an assigned namespace references it by name
// is a warning on the edit form before saving. The form asks who uses the secret every few
// seconds, so the Deployment is found whenever the simulated cluster has it.

/** A Deployment of its own in payments reading key `password` of postgres-credentials. */
function deployment(name: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: payments
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:2.0
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: postgres-credentials, key: password}
`;
}

/** `kubectl` against the app's simulated cluster `aws-dev` (where payments lives). */
function kubectl(args: string[], input?: string): string {
  const kubeconfig = join(process.env.E2E_DATA_DIR!, "sim", "kubeconfig");
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, "--context", "aws-dev", ...args], {
    encoding: "utf8",
    input,
  });
}

test("removing a key a Deployment uses warns on the edit form before saving", async ({ page }) => {
  test.setTimeout(120_000);
  const name = `keyref-${Date.now().toString(36)}`;
  await new LoginPage(page).signIn(ADMIN);
  const id = await (
    await page.request.post("/api/secret_id_by_name", { form: { name: "postgres-credentials" } })
  ).json();
  const warning = `Key password is used by Deployment ${name} in payments`;
  try {
    kubectl(["apply", "-f", "-"], deployment(name));
    await page.goto(`/secrets/${id}/edit`);
    const shell = new AppShell(page);
    await shell.waitForHydration();
    // The demo's keys: username, then password.
    const secondKey = page.getByLabel("Target key 2", { exact: true });
    await expect(secondKey).toHaveValue("password");
    await expect(page.locator(".key-removal-warning")).toHaveCount(0);
    // The key the Deployment reads: warned about, naming it, before Save.
    await page.getByRole("button", { name: "Remove key 2", exact: true }).click();
    await expect(secondKey).not.toHaveValue("password");
    await expect(page.getByRole("status").filter({ hasText: warning })).toBeVisible({ timeout: 20_000 });
    await expect(page.locator(".key-removal-warning")).toHaveCount(1);
    await shell.screenshot("edit-key-removal-warning");
    // Nothing saved: leaving keeps the secret as it was.
    await page.getByRole("link", { name: "Cancel" }).click();
    await expect(page).toHaveURL(new RegExp(`/secrets/${id}$`));
  } finally {
    kubectl(["delete", "deployment", name, "-n", "payments", "--ignore-not-found"]);
  }
});
