import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, DEMO_PASSWORD, LoginPage, MEMBER } from "./fixtures/login-page";

// A certificate and key as a person has them: several lines, a final line break. Each value
// carries the canary the leak scan looks for.
const CERT = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBszCCAVmgAwIBAgIUcanary-e2e-cert-line-one0000000000000000000",
  "canary-e2e-cert-line-two+/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
  "-----END CERTIFICATE-----",
  "",
].join("\n");
const KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MC4CAQAwBQYDK2VwBCIEIcanary-e2e-key-line-one00000000000000000000",
  "-----END PRIVATE KEY-----",
  "",
].join("\n");

/** A key of a Secret in the cluster, decoded, as `kubectl get secret -o jsonpath` shows it. */
function clusterValue(context: string, namespace: string, name: string, key: string): string {
  const kubeconfig = join(process.env.E2E_DATA_DIR!, "sim", "kubeconfig");
  const escaped = key.replace(/\./g, "\\.");
  const base64 = execFileSync(
    "kubectl",
    ["--kubeconfig", kubeconfig, "--context", context, "-n", namespace, "get", "secret", name, "-o", `jsonpath={.data.${escaped}}`],
    { encoding: "utf8" },
  );
  return Buffer.from(base64, "base64").toString("utf8");
}

function badge(page: import("@playwright/test").Page, project: string) {
  return page.getByRole("row", { name: new RegExp(`^${project}\\b`) }).locator("[data-status]");
}

test("a TLS secret's multi-line values reach the cluster byte for byte", async ({ page }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(MEMBER);
  await page.goto("/projects/payments/secrets/new");
  const shell = new AppShell(page);
  await shell.waitForHydration();
  await page.getByLabel("Name").fill("values-tls");
  await page.getByLabel(/^Kubernetes/).check();

  // The type fills in the keys it needs.
  await page.getByLabel("Secret type").selectOption("kubernetes.io/tls");
  await expect(page.getByLabel("Key 1", { exact: true })).toHaveValue("tls.crt");
  await expect(page.getByLabel("Key 2", { exact: true })).toHaveValue("tls.key");

  // The certificate comes from a file, the key is pasted; both stay masked until shown.
  const dir = mkdtempSync(join(tmpdir(), "values-"));
  writeFileSync(join(dir, "tls.crt"), CERT);
  await page.getByLabel("Load value 1 from a file").setInputFiles(join(dir, "tls.crt"));
  const value2 = page.getByLabel("Value 2", { exact: true });
  await value2.fill(KEY);
  await expect(page.getByLabel("Value 1", { exact: true })).toHaveValue(CERT);
  await expect(value2).toHaveClass(/masked/);
  await page.getByRole("button", { name: "Show value 2" }).click();
  await expect(value2).not.toHaveClass(/masked/);
  await expect(page.getByRole("button", { name: "Hide value 2" })).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  expect(clusterValue("aws-dev", "payments", "values-tls", "tls.crt")).toBe(CERT);
  expect(clusterValue("aws-dev", "payments", "values-tls", "tls.key")).toBe(KEY);
});

test("the registry helper builds a .dockerconfigjson the cluster accepts", async ({ page }) => {
  test.setTimeout(90_000);
  await new LoginPage(page).signIn(MEMBER);
  await page.goto("/projects/payments/secrets/new");
  await new AppShell(page).waitForHydration();
  await page.getByLabel("Name").fill("values-pull");
  await page.getByLabel(/^Kubernetes/).check();
  await page.getByLabel("Secret type").selectOption("kubernetes.io/dockerconfigjson");
  await expect(page.getByLabel("Key 1", { exact: true })).toHaveValue(".dockerconfigjson");
  await page.getByLabel("Registry server").fill("registry.example.com");
  await page.getByLabel("Registry user", { exact: true }).fill("bot");
  await page.getByLabel("Registry password").fill("canary-e2e-registry");
  await page.getByRole("button", { name: "Fill .dockerconfigjson" }).click();
  await expect(page.getByText("now logs in to registry.example.com as bot")).toBeVisible();

  // A value that is not a Docker config is named before saving, at its field.
  const value = page.getByLabel("Value 1", { exact: true });
  const built = await value.inputValue();
  await value.fill("canary-e2e-not-json");
  await expect(value).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText(/must be a Docker config/)).toBeVisible();
  await value.fill(built);
  await expect(value).not.toHaveAttribute("aria-invalid", "true");

  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(badge(page, "payments")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });
  const config = JSON.parse(clusterValue("aws-dev", "payments", "values-pull", ".dockerconfigjson"));
  expect(config.auths["registry.example.com"]).toEqual({
    username: "bot",
    password: "canary-e2e-registry",
    auth: Buffer.from("bot:canary-e2e-registry").toString("base64"),
  });
});

test("without JavaScript, a multi-line value keeps its line breaks", async ({ browser, consoleErrors }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/secrets$/);

  // A refused form comes back with its keys but never a value, and says so.
  await page.goto("/projects/payments/secrets/new");
  await page.getByLabel("Name").fill("Values no-js");
  await page.getByLabel(/^Kubernetes/).check();
  await page.getByLabel("Key 1", { exact: true }).fill("ca.crt");
  await page.getByLabel("Value 1", { exact: true }).fill(CERT);
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/projects\/payments\/secrets\/new$/);
  await expect(page.locator("#secret-name-error")).toContainText("must be lowercase");
  await expect(page.getByLabel(/^Kubernetes/)).toBeChecked();
  await expect(page.getByLabel("Key 1", { exact: true })).toHaveValue("ca.crt");
  await expect(page.getByLabel("Value 1", { exact: true })).toHaveValue("");
  await expect(page.getByText("Values are never sent back to the browser")).toBeVisible();

  await page.getByLabel("Name").fill("values-no-js");
  // The browser posts the field's line breaks as CRLF; the cluster gets them as typed.
  await page.getByLabel("Value 1", { exact: true }).fill(CERT);
  await page.getByRole("button", { name: "Create secret" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect.poll(() => {
    try {
      return clusterValue("aws-dev", "payments", "values-no-js", "ca.crt");
    } catch {
      return "(not there yet)";
    }
  }, { timeout: 30_000 }).toBe(CERT);
  await context.close();
});

test("hints, patterns and the server's rule agree on names", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await new LoginPage(page).signIn(ADMIN);
  for (const [path, field] of [
    ["/secrets/new", "Name"],
    ["/projects", "Name"],
    ["/projects", "Namespace"],
  ] as const) {
    await page.goto(path);
    await new AppShell(page).waitForHydration();
    const input = page.getByLabel(field, { exact: true });
    // Browsers compile `pattern` with the `v` flag; a pattern that does not compile there turns
    // the check off with a console error.
    const pattern = await input.getAttribute("pattern");
    expect(await page.evaluate((p) => { try { new RegExp(p!, "v"); return true; } catch { return false; } }, pattern)).toBe(true);
    await expect(input).toHaveAttribute("maxlength", "63");
    const help = page.locator(`#${await input.getAttribute("aria-describedby").then((ids) => ids!.split(" ")[0])}`);
    await expect(help).toContainText("lowercase letters, digits and '-'");
    await expect(help).not.toContainText("'.'");
    for (const [name, valid] of [["my-db", true], ["my.db", false], ["-db", false], ["My-db", false]] as const) {
      await input.fill(name);
      expect(await input.evaluate((el: HTMLInputElement) => el.checkValidity()), `${path} ${field} ${name}`).toBe(valid);
    }
  }
  expect(consoleErrors).toEqual([]);
});
