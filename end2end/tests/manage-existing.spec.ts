import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";

// Bringing an existing object under management: a Secret made with kubectl in payments shows
// under "Not managed by the console" on the project's tab (a service-account token does not);
// "Manage with the console" makes it a project secret whose badge goes Synced, and the
// Secret's data is byte for byte what kubectl wrote.

/** `kubectl` against the app's simulated cluster `aws-dev` (where payments lives). */
function kubectl(args: string[], input?: string): string {
  const kubeconfig = join(process.env.E2E_DATA_DIR!, "sim", "kubeconfig");
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, "--context", "aws-dev", ...args], {
    encoding: "utf8",
    input,
  });
}

function secretData(name: string): Record<string, string> {
  return JSON.parse(kubectl(["get", "secret", name, "-n", "payments", "-o", "json"])).data;
}

test("a Secret made with kubectl is brought under management without its data changing", async ({ page }) => {
  test.setTimeout(120_000);
  const name = `legacy-${Date.now().toString(36)}`;
  const token = `${name}-token`;
  kubectl(["create", "secret", "generic", name, "-n", "payments", "--from-literal=password=canary-e2e-legacy"]);
  kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token",
    metadata: { name: token, namespace: "payments", annotations: { "kubernetes.io/service-account.name": "default" } },
  }));
  const before = secretData(name);
  try {
    await new LoginPage(page).signIn(ADMIN);
    await page.goto("/projects/payments");
    await new AppShell(page).waitForHydration();
    const section = page.getByRole("table", { name: "Not managed by the console" });
    const row = section.getByRole("row").filter({ hasText: name });
    await expect(row.first()).toContainText("password");
    await expect(section.getByRole("row").filter({ hasText: token })).toHaveCount(0);

    await row.getByRole("button", { name: `Manage Secret ${name} with the console` }).click();
    await expect(page.getByRole("status").filter({ hasText: "Now managed by the console" })).toBeVisible();
    const tabRow = page.locator(`tr[data-secret="${name}"]`);
    await expect(tabRow.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
    await expect(section.getByRole("row").filter({ hasText: name })).toHaveCount(0);
    expect(secretData(name)).toEqual(before);
  } finally {
    kubectl(["delete", "secret", token, "-n", "payments", "--ignore-not-found"]);
  }
});
