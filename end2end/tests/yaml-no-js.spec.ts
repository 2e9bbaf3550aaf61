import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { LoginPage, MEMBER } from "./fixtures/login-page";

// Issue 23's YAML tab without JavaScript: a team member pastes an ExternalSecret manifest into
// the create page's plain form. One outside the project's allowlist comes back with the
// manifest as pasted and its problem named by path; the corrected one creates the secret.
const unique = () => Math.random().toString(36).slice(2, 8);

const manifest = (name: string, path: string) => `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: ${name}
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: vault
    kind: ClusterSecretStore
  dataFrom:
  - find:
      path: ${path}
      name:
        regexp: "^db-"
`;

test("without JavaScript, a member pastes a manifest: refused with its path named, then created", async ({ browser, consoleErrors }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  consoleErrors.watch(context);
  const page = await context.newPage();
  await new LoginPage(page).signIn(MEMBER);
  const name = `no-js-yaml-${unique()}`;

  await page.goto("/projects/payments/secrets/new");
  await page.getByText("Create from an ExternalSecret manifest instead").click();
  const text = page.getByRole("textbox", { name: /ExternalSecret manifest/ });
  await text.fill(manifest(name, "search/"));
  await page.getByRole("button", { name: "Create from manifest" }).click();

  // Back on the form, the manifest kept and the problem listed by its path.
  await expect(page).toHaveURL(/\/projects\/payments\/secrets\/new$/);
  const problems = page.getByRole("list", { name: "Problems in the manifest" });
  await expect(problems.getByRole("listitem")).toHaveCount(1);
  await expect(problems).toContainText("spec.dataFrom[0].find.path");
  await expect(page.getByRole("alert").filter({ has: problems })).toContainText("1 problem to fix");
  await expect(text).toHaveValue(manifest(name, "search/"));
  await expect(text).toHaveAttribute("aria-invalid", "true");
  await new AppShell(page).screenshot("yaml-no-js-refused");

  await text.fill(manifest(name, "payments/"));
  await page.getByRole("button", { name: "Create from manifest" }).click();
  await expect(page).toHaveURL(/\/secrets\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: `Secret ${name} created.` })).toBeVisible();
  await context.close();
});
