// Figure 1 of `secrets-console bench`: live badge latency in Chromium.
//
// Signs in, opens the Secrets page filtered to one secret (one assignment, Synced), and then,
// `changes` times, flips the status of that assignment's ExternalSecret in the simulated
// cluster (a merge patch of its `status` subresource: Ready False / SecretSyncedError, then
// back to Ready True / SecretSynced; the cluster's controller is paused so nothing else writes
// it). For every change it records when the patch was sent, when a plain watch on the same
// object (the baseline: what any Kubernetes client sees) delivered it, and when the badge in
// the page changed (a MutationObserver on `data-status`). Prints one JSON line:
// {"badge_ms": [...], "watch_ms": [...]}.
//
// Run by the bench (src/bench/cluster.rs), which starts the app and the cluster:
//   node end2end/bench/badge-latency.mjs '{"base": ..., "email": ..., "password": ...,
//     "secret": ..., "api": ..., "token": ..., "ca": ..., "namespace": ..., "name": ..., "changes": 100}'

import { chromium } from "@playwright/test";
import { simFetch } from "../sim-fetch.mjs";

const args = JSON.parse(process.argv[2] ?? "{}");
for (const key of ["base", "email", "password", "secret", "api", "token", "ca", "namespace", "name", "changes"]) {
  if (args[key] === undefined) throw new Error(`badge-latency: missing argument ${key}`);
}
const now = () => performance.timeOrigin + performance.now();
/** The simulated cluster, like any cluster, wants its bearer token on every request, over TLS. */
const auth = { authorization: `Bearer ${args.token}` };
const fetch = (url, options = {}) => simFetch(url, { ...options, ca: args.ca });
const object = `${args.api}/apis/external-secrets.io/v1/namespaces/${args.namespace}/externalsecrets/${args.name}`;

/** Resolves when `check()` holds, polling every 5 ms; rejects after `ms`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`badge-latency: timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

/** A watch on the one object: every event's arrival time and Ready status, as they come. */
async function watch(resourceVersion, seen, signal) {
  const url = `${args.api}/apis/external-secrets.io/v1/namespaces/${args.namespace}/externalsecrets` +
    `?watch=1&fieldSelector=metadata.name%3D${args.name}&resourceVersion=${resourceVersion}`;
  const response = await fetch(url, { signal, headers: auth, stream: true });
  if (!response.ok) throw new Error(`badge-latency: watch answered ${response.status}`);
  const decoder = new TextDecoder();
  let partial = "";
  try {
    for await (const chunk of response.body) {
      const at = now();
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop();
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line);
        const ready = event.object?.status?.conditions?.find((c) => c.type === "Ready");
        seen.push({ at, ready: ready?.status });
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const abort = new AbortController();
try {
  const context = await browser.newContext();
  const login = await context.request.post(`${args.base}/api/login`, {
    form: { email: args.email, password: args.password },
    maxRedirects: 0,
  });
  if (login.status() >= 400) throw new Error(`badge-latency: sign-in answered ${login.status()}`);
  const page = await context.newPage();
  await page.goto(`${args.base}/secrets?q=${encodeURIComponent(args.secret)}`);
  await page.locator("html[data-hydrated=true]").waitFor();
  await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
  const badge = page.locator("tbody tr").filter({ hasText: args.secret }).locator("[data-status]");
  await badge.waitFor();
  if ((await badge.getAttribute("data-status")) !== "Synced") {
    await page.waitForFunction(
      () => document.querySelector("tbody [data-status]")?.getAttribute("data-status") === "Synced",
      null,
      { timeout: 30_000 },
    );
  }
  // Every change of the badge, timed in the page (same clock as this process).
  await badge.evaluate((element) => {
    window.badgeChanges = [];
    new MutationObserver(() => {
      window.badgeChanges.push({
        at: performance.timeOrigin + performance.now(),
        status: element.getAttribute("data-status"),
      });
    }).observe(element, { attributes: true, attributeFilter: ["data-status"] });
  });

  const current = await (await fetch(object, { headers: auth })).json();
  const seen = [];
  const watching = watch(current.metadata.resourceVersion, seen, abort.signal);
  const badgeMs = [];
  const watchMs = [];
  for (let i = 0; i < args.changes; i++) {
    const broken = i % 2 === 0;
    const expected = broken ? "SyncedError" : "Synced";
    const condition = broken
      ? { type: "Ready", status: "False", reason: "SecretSyncedError", message: `bench change ${i}` }
      : { type: "Ready", status: "True", reason: "SecretSynced", message: "secret synced" };
    const watchedBefore = seen.length;
    const badgeBefore = await page.evaluate(() => window.badgeChanges.length);
    const sent = now();
    const patched = await fetch(`${object}/status`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ status: { conditions: [condition] } }),
    });
    if (!patched.ok) throw new Error(`badge-latency: status patch answered ${patched.status}`);
    await until(() => seen.length > watchedBefore, 10_000, `watch event ${i}`);
    watchMs.push(seen[watchedBefore].at - sent);
    await page.waitForFunction(
      ([before, status]) =>
        window.badgeChanges.slice(before).some((change) => change.status === status),
      [badgeBefore, expected],
      { timeout: 10_000, polling: 5 },
    );
    const changes = await page.evaluate(() => window.badgeChanges);
    const landed = changes.slice(badgeBefore).find((change) => change.status === expected);
    badgeMs.push(landed.at - sent);
    // Not back to back: a user's page sees changes one at a time.
    await new Promise((done) => setTimeout(done, 50));
  }
  console.log(JSON.stringify({ badge_ms: badgeMs, watch_ms: watchMs }));
  abort.abort();
  await watching;
} finally {
  abort.abort();
  await browser.close();
}
