import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/leak-scan";
import { AppShell } from "./fixtures/app-shell";
import { ADMIN, LoginPage, MEMBER } from "./fixtures/login-page";

// Every page, as a person meets it on a small phone, a common phone, a tablet and a laptop.
// Each page is loaded once and the window resized through the widths: the layout answers the
// width alone (media queries), so a resize shows what a load at that width shows, at a fraction
// of the time.
const WIDTHS = [360, 390, 768, 1280] as const;
const HEIGHT = 844;
// axe-core runs once per page, at the phone width (the desktop width is covered by the
// journeys' own scan).
const AXE_WIDTH = 390;

/** A page of the crawl: where it is, what to call its screenshots, and its heading. */
type Screen = { path: string; name: string; heading: string | RegExp };

/** The href of the secrets page's link to `name`. */
async function secretHref(page: Page, name: string): Promise<string> {
  await page.goto(`/secrets?q=${name}`);
  const href = await page.getByRole("link", { name, exact: true }).first().getAttribute("href");
  if (!href) throw new Error(`no link to ${name}`);
  return href;
}

/**
 * What a person would find wrong with the layout at this width: the page scrolls sideways, or
 * a table's first row hides its name or its status (off the screen, or scrolled away inside the
 * table's own box).
 */
async function layoutProblems(page: Page, everyColumn: boolean): Promise<string[]> {
  return page.evaluate((everyColumn) => {
    const problems: string[] = [];
    const { scrollWidth } = document.documentElement;
    if (scrollWidth > window.innerWidth) {
      problems.push(`the page is ${scrollWidth} px wide in a ${window.innerWidth} px window`);
    }
    /** Whether the whole of `element` can be seen without scrolling anything sideways. */
    const inView = (element: Element): boolean => {
      const box = element.getBoundingClientRect();
      if (box.left < -0.5 || box.right > window.innerWidth + 0.5) return false;
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX === "visible") continue;
        const clip = parent.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) return false;
      }
      return true;
    };
    for (const table of document.querySelectorAll("main table.data-table")) {
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim() ?? "");
      const row = [...table.querySelectorAll("tbody tr")].find(
        (tr) => !(tr as HTMLElement).hidden && tr.querySelectorAll("td").length === headers.length,
      );
      if (!row) continue;
      const cells = [...row.querySelectorAll("td")];
      // The name: the first labelled column (a selection checkbox comes before it). The
      // status: the first cell with a status badge. On a wide window, every column.
      const name = headers.findIndex((h) => h !== "" && h !== "Select");
      const status = cells.findIndex((td) => td.querySelector(".badge") !== null);
      const wanted = everyColumn ? cells.map((_, i) => i) : [name, status].filter((i) => i >= 0);
      for (const i of wanted) {
        // What the cell shows: in a card layout the cell can be wider than its text.
        for (const content of cells[i].children.length > 0 ? [...cells[i].children] : [cells[i]]) {
          const box = content.getBoundingClientRect();
          if (box.width === 0 || box.height === 0 || inView(content)) continue;
          problems.push(
            `table "${headers.join(", ")}": the first row's ${headers[i] || "unlabelled column"} (${content.textContent?.trim()}) is not in view (${Math.round(box.left)}–${Math.round(box.right)} px)`,
          );
        }
      }
    }
    return problems;
  }, everyColumn);
}

/**
 * Visits each screen: fits every width (screenshot kept), tables keep name and status in view,
 * the account controls are on the screen, and axe finds nothing serious at the phone width.
 */
async function crawl(page: Page, role: string, screens: Screen[], signedIn: boolean) {
  const shell = new AppShell(page);
  for (const screen of screens) {
    await page.setViewportSize({ width: WIDTHS[0], height: HEIGHT });
    await page.goto(screen.path);
    await shell.waitForHydration();
    await expect(page.getByRole("heading", { level: 1, name: screen.heading })).toBeVisible();
    if (signedIn) await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: HEIGHT });
      const where = `${screen.path} at ${width} px (${role})`;
      expect.soft(await layoutProblems(page, width === WIDTHS[WIDTHS.length - 1]), where).toEqual([]);
      if (signedIn) {
        const signOut = page.getByRole("button", { name: "Sign out", exact: true });
        await expect.soft(signOut, where).toBeInViewport({ ratio: 1, timeout: 1_000 });
      }
      if (width === AXE_WIDTH) {
        const results = await new AxeBuilder({ page }).analyze();
        const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        expect.soft(
          bad.map((v) => `${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
          where,
        ).toEqual([]);
      }
      await shell.screenshot(`${role}-${screen.name}-${width}`);
    }
  }
}

test("every page fits phones, tablets and laptops, and passes axe on a phone", async ({ page, consoleErrors }) => {
  test.setTimeout(120_000);
  consoleErrors.allow(/status of 404 .*\/no\/such\/page\)$/);
  await crawl(page, "signed-out", [{ path: "/login", name: "login", heading: "Sign in" }], false);

  await new LoginPage(page).signIn(ADMIN);
  const postgres = await secretHref(page, "postgres-credentials");
  await crawl(
    page,
    "admin",
    [
      { path: "/secrets", name: "secrets", heading: "Secrets" },
      { path: "/secrets/new", name: "secret-new", heading: /secret/i },
      { path: postgres, name: "secret-detail", heading: "postgres-credentials" },
      { path: `${postgres}/edit`, name: "secret-edit", heading: /postgres-credentials/ },
      { path: "/projects", name: "projects", heading: "Projects" },
      { path: "/projects/payments", name: "project-payments", heading: /payments/ },
      { path: "/projects/payments/secrets/new", name: "project-secret-new", heading: /secret/i },
      { path: "/stores", name: "stores", heading: "Stores" },
      { path: "/users", name: "users", heading: "Users" },
      { path: "/no/such/page", name: "not-found", heading: "Page not found" },
    ],
    true,
  );
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  await new LoginPage(page).signIn(MEMBER);
  const own = await secretHref(page, "payments-api-key");
  await crawl(
    page,
    "member",
    [
      { path: "/secrets", name: "secrets", heading: "Secrets" },
      { path: postgres, name: "secret-detail-org", heading: "postgres-credentials" },
      { path: own, name: "secret-detail", heading: "payments-api-key" },
      { path: `${own}/edit`, name: "secret-edit", heading: /payments-api-key/ },
      { path: "/projects", name: "projects", heading: "Projects" },
      { path: "/projects/payments", name: "project-payments", heading: /payments/ },
      { path: "/projects/payments/secrets/new", name: "project-secret-new", heading: /secret/i },
    ],
    true,
  );
});
