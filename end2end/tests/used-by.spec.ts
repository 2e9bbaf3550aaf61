import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// Who uses a secret: a workload applied or deleted with kubectl shows under "Used by" on the
// secret's page and in its delete and unassign confirmations, without a reload (the page asks
// again every few seconds while it is visible; there is no watch on workloads).

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4
          envFrom:
            - secretRef: {name: postgres-credentials}
`;

/** `kubectl` against the app's simulated cluster `aws-dev` (where payments lives). */
function kubectl(args: string[], input?: string): string {
  const kubeconfig = join(process.env.E2E_DATA_DIR!, "sim", "kubeconfig");
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, "--context", "aws-dev", ...args], {
    encoding: "utf8",
    input,
  });
}

test("a Deployment applied with kubectl shows under Used by and in the confirmations until deleted", async ({ page }) => {
  test.setTimeout(120_000);
  await new LoginPage(page).signIn(ADMIN);
  await page.goto("/secrets/by-name/postgres-credentials");
  await new AppShell(page).waitForHydration();
  const usedBy = page.getByRole("region", { name: "Used by" });
  await expect(usedBy.getByRole("heading", { name: "Used by" })).toBeVisible();
  await expect(usedBy.getByText("No workload in payments uses this Secret.")).toBeVisible({ timeout: 15_000 });
  const sentence = "1 workload in payments uses this Secret: Deployment api";
  const deleteForm = page.locator("form.danger-zone");
  await expect(deleteForm.getByText(sentence)).toHaveCount(0);

  try {
    kubectl(["apply", "-f", "-"], DEPLOYMENT);

    // Without a reload: the section lists it with the keys it uses, and the confirmations say it.
    await expect(usedBy.getByText("Deployment api — all keys")).toBeVisible({ timeout: 20_000 });
    await expect(usedBy.getByText("No workload in payments uses this Secret.")).toHaveCount(0);
    await expect(deleteForm.getByText(sentence)).toBeVisible();
    // Unticking payments in the assign form warns before the change is saved.
    const payments = page.getByRole("checkbox", { name: /^payments\b/ });
    await expect(payments).toBeChecked();
    const assignForm = page.locator("form.assign-form");
    await expect(assignForm.getByText(sentence)).toHaveCount(0);
    await payments.uncheck();
    await expect(assignForm.getByText(sentence)).toBeVisible();
    await payments.check();
    await expect(assignForm.getByText(sentence)).toHaveCount(0);
  } finally {
    kubectl(["delete", "deployment", "api", "-n", "payments", "--ignore-not-found"]);
  }

  // Deleted: gone from the section and the confirmation, still without a reload.
  await expect(usedBy.getByText("No workload in payments uses this Secret.")).toBeVisible({ timeout: 20_000 });
  await expect(usedBy.getByText("Deployment api — all keys")).toHaveCount(0);
  await expect(deleteForm.getByText(sentence)).toHaveCount(0);
});
