// fetch() for the simulated clusters' API servers. They speak TLS with a CA of their own (the
// kubeconfig's certificate-authority-data), as kube-apiserver does; Node's global fetch cannot
// be told to trust a CA per request, so this goes through node:https with that CA.
import https from "node:https";

/** The CA (PEM) in a kubeconfig's first `certificate-authority-data`. */
export function kubeconfigCa(kubeconfig) {
  const match = /certificate-authority-data: (\S+)/.exec(kubeconfig);
  if (!match) throw new Error("the kubeconfig carries no certificate-authority-data");
  return Buffer.from(match[1], "base64").toString("utf8");
}

/**
 * A request to `url` trusting `ca`. The answer has `status`, `ok`, `text()` and `json()`, read
 * to its end before it resolves; with `stream: true` (a watch) it resolves at the headers and
 * `body` is the response stream, an async iterable of chunks. One connection per request
 * (no keep-alive pool), so nothing left open keeps the process alive.
 */
export function simFetch(url, { method = "GET", headers = {}, body, signal, ca, stream = false } = {}) {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method, headers, ca, signal, agent: false }, (response) => {
      // Aborted after the answer began (a watch being stopped): end its stream with an error,
      // as fetch() does, instead of leaving a reader waiting for data that never comes.
      signal?.addEventListener("abort", () => response.destroy(new Error("aborted")), { once: true });
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      if (stream) {
        resolve({ status, ok, body: response });
        return;
      }
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status, ok, text: async () => text, json: async () => JSON.parse(text) });
      });
    });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}
