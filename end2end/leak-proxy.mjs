// The leak scan of the browser tests. Starts the app (the command after `--`), and serves a
// proxy in front of it that reads every response — status line, headers, body as it streams:
// pages with their hydration data, JS/WASM/CSS, server-function answers, SSE messages — and
// every line the app logs, for the canary marker that every secret value in the tests carries.
// A test that sends a secret value without the marker is reported too (the scan could not see
// that value leak). Hits are listed at GET /__leak-scan and cleared by DELETE /__leak-scan;
// fixtures/leak-scan.ts fails the test that caused them.
//
//   node leak-proxy.mjs --listen 3100 --upstream 3101 -- ../target/release/secrets-console ...

import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";

const MARKER = "canary-";
const NEEDLES = [MARKER, "demo-payments-key-0001"];

const args = process.argv.slice(2);
const split = args.indexOf("--");
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0 || at > split) throw new Error(`leak-proxy: ${name} is required`);
  return Number(args[at + 1]);
};
const listen = option("--listen");
const upstream = option("--upstream");
const command = args.slice(split + 1);

const hits = [];
const record = (needle, where) => hits.push(`\`${needle}\` in ${where}`);

/** Finds needles in a stream given in pieces (a needle split between pieces is found too). */
class Scanner {
  constructor(where) {
    this.where = where;
    this.tail = Buffer.alloc(0);
  }
  feed(piece) {
    const window = Buffer.concat([this.tail, piece]);
    for (const needle of NEEDLES) {
      const at = window.indexOf(needle);
      // A needle wholly inside the carried tail was reported with the previous piece.
      if (at >= 0 && at + needle.length > this.tail.length) record(needle, this.where);
    }
    const keep = Math.min(window.length, Math.max(...NEEDLES.map((n) => n.length)) - 1);
    this.tail = window.subarray(window.length - keep);
  }
}
const scanText = (text, where) => new Scanner(where).feed(Buffer.from(text));

/** Every secret value sent must carry the marker: `{"key", "value"}` pairs, `…[value]…` fields. */
function checkValuesSent(request, body, where) {
  const values = [];
  const type = request.headers["content-type"] ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [name, value] of new URLSearchParams(body.toString())) {
      if (name.includes("[value]")) values.push(value);
    }
  } else if (type.startsWith("application/json")) {
    const walk = (node) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        if ("key" in node && typeof node.value === "string") values.push(node.value);
        Object.values(node).forEach(walk);
      }
    };
    try {
      walk(JSON.parse(body.toString()));
    } catch {
      // Not JSON: nothing to check.
    }
  }
  for (const value of values) {
    if (value !== "" && !value.includes(MARKER)) {
      hits.push(`a secret value without the marker \`${MARKER}\` was sent (${where}): every test value must carry it, or the scan cannot see it leak`);
    }
  }
}

const app = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
for (const stream of [app.stdout, app.stderr]) {
  createInterface({ input: stream }).on("line", (line) => {
    process.stdout.write(`${line}\n`);
    scanText(line, `the log line ${line}`);
  });
}
app.on("exit", (code, signal) => {
  console.error(`leak-proxy: the app exited (${code ?? signal})`);
  process.exit(code ?? 1);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    app.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
  });
}

http
  .createServer((request, response) => {
    if (request.url === "/__leak-scan") {
      if (request.method === "DELETE") hits.length = 0;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ hits }));
      return;
    }
    const where = `the answer to ${request.method} ${request.url}`;
    scanText(request.url, `the URL of ${where}`);
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      checkValuesSent(request, body, where);
      const outbound = http.request(
        {
          host: "127.0.0.1",
          port: upstream,
          method: request.method,
          path: request.url,
          // Plain bodies, so that the scan reads what the app sends (it compresses for browsers).
          headers: { ...request.headers, "accept-encoding": "identity" },
        },
        (answer) => {
          for (const [name, value] of Object.entries(answer.headers)) {
            scanText(String(value), `header ${name} of ${where}`);
          }
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          const scanner = new Scanner(`the body of ${where}`);
          answer.on("data", (piece) => {
            scanner.feed(piece);
            response.write(piece);
          });
          answer.on("end", () => response.end());
          answer.on("error", () => response.destroy());
        },
      );
      outbound.on("error", (error) => {
        if (!response.headersSent) response.writeHead(502);
        response.end(String(error));
      });
      // The browser left (a page closed its live stream): stop reading for it.
      response.on("close", () => outbound.destroy());
      outbound.end(body);
    });
  })
  .listen(listen, "127.0.0.1");
