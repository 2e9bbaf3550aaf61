import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage } from "./fixtures/login-page";
import { SimulatedCluster } from "./fixtures/sim";

// Issue 23, point 1 and its first "Done when": an admin pastes a v1beta1 ExternalSecret with
// `dataFrom` extract and a template into the create form's YAML tab, loads it into the form,
// assigns it to payments and saves; it syncs, the applied object is the canonical v1 one with
// `dataFrom` and the template intact, and the target Secret holds the extracted keys. Unique
// names per run.
const unique = () => Math.random().toString(36).slice(2, 8);
const TEMPLATE = "postgres://{{ .username }}:{{ .password }}@{{ .host }}/app";

const manifest = (name: string, extract: string) => `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: ${name}
  namespace: somewhere-else
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: vault
    kind: ClusterSecretStore
  target:
    template:
      engineVersion: v2
      mergePolicy: Merge
      data:
        url: "${TEMPLATE}"
  dataFrom:
  - extract: ${extract}
`;

test("admin pastes a v1beta1 ExternalSecret as YAML, assigns it, and it lands as v1 with dataFrom and template", async ({ page, consoleErrors }) => {
  test.setTimeout(120_000);
  // The first manifest is refused on purpose (its problem is shown beside it).
  consoleErrors.allow(/status of 422 .*\/api\/parse_external_secret_yaml/);
  const name = `pasted-${unique()}`;
  await new LoginPage(page).signIn(ADMIN);
  const shell = new AppShell(page);
  await page.goto("/secrets/new");
  await shell.waitForHydration();

  await page.getByRole("tab", { name: "YAML" }).click();
  await expect(page.getByRole("tab", { name: "YAML" })).toHaveAttribute("aria-selected", "true");
  const text = page.getByRole("textbox", { name: /ExternalSecret manifest/ });
  // A manifest the CRD refuses: its problem is listed beside it, naming the path.
  await text.fill(manifest(name, "{property: username}"));
  await page.getByRole("button", { name: "Load into the form" }).click();
  // A list (its items read as such), inside a live region that announces it.
  const problems = page.getByRole("list", { name: "Problems in the manifest" });
  await expect(page.getByRole("alert").filter({ has: problems })).toBeVisible();
  await expect(problems).toContainText("spec.dataFrom[0].extract.key");
  await expect(text).toHaveAttribute("aria-invalid", "true");

  await text.fill(manifest(name, "{key: shared/postgres}"));
  await page.getByRole("button", { name: "Load into the form" }).click();

  // Back on the form: filled in, with the notes and what only YAML edits, read-only.
  await expect(page.getByRole("tab", { name: "Form" })).toHaveAttribute("aria-selected", "true");
  const loaded = page.getByRole("status").filter({ hasText: "The manifest is loaded into the form" });
  await expect(loaded).toContainText("v1beta1 is read as v1");
  await expect(loaded).toContainText("metadata.namespace");
  await expect(page.locator("#secret-name")).toHaveValue(name);
  await expect(page.getByLabel("Store (ClusterSecretStore)")).toHaveValue("vault");
  await expect(page.getByLabel("Refresh interval")).toHaveValue("1h0m0s");
  const extras = page.getByRole("list", { name: "Set in YAML (read-only here):" });
  await expect(extras).toContainText("dataFrom: extract shared/postgres");
  await expect(extras).toContainText("template: 1 key (url); mergePolicy Merge");
  await expect(page.getByTestId("preview")).toContainText("shared/postgres");

  // "Edit as YAML" shows the form's whole spec as a manifest; back to the form, nothing lost.
  await page.getByRole("button", { name: "Edit as YAML" }).click();
  await expect(page.getByRole("tab", { name: "YAML" })).toHaveAttribute("aria-selected", "true");
  await expect(text).toHaveValue(/apiVersion: external-secrets.io\/v1\n/);
  await expect(text).toHaveValue(/key: shared\/postgres/);
  await expect(text).toHaveValue(/mergePolicy: Merge/);
  await page.getByRole("tab", { name: "Form" }).click();
  await expect(extras).toContainText("dataFrom: extract shared/postgres");

  const section = page.getByRole("group", { name: "Assign to projects" });
  await section.getByRole("checkbox", { name: /^payments\b/ }).check();
  await shell.screenshot("yaml-journey");
  await page.getByRole("button", { name: "Create secret" }).click();

  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const row = page.getByRole("row", { name: /^payments\b/ });
  await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "Synced", { timeout: 30_000 });

  // The applied object: canonical v1, dataFrom and the template intact.
  const yaml = page.getByLabel("ExternalSecret applied in payments on aws-dev");
  await expect(yaml).toContainText("key: shared/postgres");
  await expect(yaml).toContainText(TEMPLATE);
  await expect(yaml).toContainText("mergePolicy: Merge");
  expect(await yaml.textContent()).toMatch(/^apiVersion: external-secrets\.io\/v1$/m);

  // What `kubectl get externalsecret -o yaml` and `kubectl get secret` in payments show.
  const cluster = new SimulatedCluster("aws-dev");
  const object = await cluster.getObject(`/apis/external-secrets.io/v1/namespaces/payments/externalsecrets/${name}`);
  expect(object.apiVersion).toBe("external-secrets.io/v1");
  expect(object.spec.dataFrom[0].extract.key).toBe("shared/postgres");
  expect(object.spec.target.template.data.url).toBe(TEMPLATE);
  const secret = await cluster.getObject(`/api/v1/namespaces/payments/secrets/${name}`);
  expect(Object.keys(secret.data).sort()).toEqual(["host", "password", "url", "username"]);
  const url = Buffer.from(secret.data.url, "base64").toString("utf8");
  expect(url.startsWith("postgres://app:")).toBe(true);
  expect(url.endsWith("@postgres.shared.svc/app")).toBe(true);
});
