import { createHash } from "node:crypto";
import type { HolderClient } from "./http";

/**
 * The wizard's pages as a holder's browser asks for them (seen in chromium, tests/e2e/renew-selfpay.spec.ts): the
 * first page as a document with every script and style sheet its HTML names under /_next/static (an empty cache),
 * and the request an App Router navigation makes (`router.push`: an RSC request with the router's state tree and
 * Next's cache-busting `_rsc` parameter), which bench/page-cpu.ts times. The wizard draws its pages after the first in
 * the browser (holder-flow.ts asks the summary for them). Links do not prefetch (components/Link.tsx).
 */

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8", "accept-encoding": "gzip, deflate, br, zstd" };

/** The router's state tree when `path` (/renew or /renew/<step>) is on screen, as the header carries it. */
function stateTree(path: string): string {
  let node: unknown[] = ["__PAGE__", {}, null, null, 0];
  for (const segment of path.split("/").filter(Boolean).reverse()) node = [segment, { children: node }, null, null, 0];
  return encodeURIComponent(JSON.stringify(["", { children: node }, null, null, 16]));
}

/**
 * Next's `_rsc` for a navigation: the first 12 bytes of SHA-256 over "prefetch,segment,tree,url" (Next 16's
 * cache-busting-search-param.js), base64url. Without it Next answers 307.
 */
function cacheBusting(tree: string, nextUrl: string): string {
  return createHash("sha256").update(`0,0,${tree},${nextUrl}`).digest().subarray(0, 12).toString("base64url");
}

function expectOk(what: string, status: number): void {
  if (status !== 200) throw new Error(`${what} → ${status}`);
}

/** The /_next/static files a page's HTML names (scripts, preloads, style sheets), once each. */
export function staticFiles(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)].map((m) => m[1]))];
}

/** The page as a document, then its scripts and style sheets, at most six at a time (the client's agent). */
export async function openPage(client: HolderClient, path: string): Promise<void> {
  const doc = await client.request<string>("GET", path, { headers: BROWSER });
  expectOk(`GET ${path}`, doc.status);
  const files = staticFiles(doc.text);
  if (!files.length) throw new Error(`GET ${path}: no scripts in the page`);
  await Promise.all(
    files.map(async (f) =>
      expectOk(
        `GET ${f}`,
        (await client.request("GET", f, { headers: { ...BROWSER, accept: "*/*" }, unread: true })).status,
      ),
    ),
  );
}

/** The request of router.push(to) from the page `from`. */
export function navigationRequest(from: string, to: string): { path: string; headers: Record<string, string> } {
  const tree = stateTree(from);
  return {
    path: `${to}?_rsc=${cacheBusting(tree, from)}`,
    headers: { rsc: "1", "next-router-state-tree": tree, "next-url": from },
  };
}
