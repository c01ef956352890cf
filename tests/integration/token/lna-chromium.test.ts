import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualBackend } from "@/agent/backends/virtual";
import { startAssistant, type RunningAssistant } from "@/agent/server";
import { systemClock } from "@/lib/clock";
import { log } from "@/lib/log";

/**
 * Chrome's Local Network Access in Debian's chromium: the browser client (lib/token/client.ts, bundled as the
 * page would be) on a page that chromium treats as a *public* secure origin, calling the assistant on 127.0.0.1.
 */

let page: http.Server;
let pageOrigin: string;
let assistant: RunningAssistant;
let browser: Browser;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [path.join(import.meta.dirname, "lna-page.ts")],
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    tsconfig: "tsconfig.json",
    logLevel: "silent",
  });
  const js = bundle.outputFiles[0].text;
  page = http.createServer((req, res) => {
    res.setHeader("content-type", req.url === "/app.js" ? "text/javascript" : "text/html");
    res.end(req.url === "/app.js" ? js : `<!doctype html><title>portal</title><script src="/app.js"></script>`);
  });
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", () => resolve()));
  const pagePort = (page.address() as AddressInfo).port;
  pageOrigin = `http://portal.test:${pagePort}`;
  assistant = await startAssistant({
    backends: [new VirtualBackend({ dir: path.join(os.tmpdir(), "lna-no-tokens") })],
    origins: [pageOrigin],
    port: 0,
    clock: systemClock,
    log,
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--host-resolver-rules=MAP portal.test 127.0.0.1",
      // the page is "public" (as the real portal is), so reaching 127.0.0.1 is a local network request
      `--ip-address-space-overrides=127.0.0.1:${pagePort}=public`,
      `--unsafely-treat-insecure-origin-as-secure=${pageOrigin}`,
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await assistant?.close();
  page?.close();
});

async function probe(opts: {
  grant: boolean;
  port: number;
}): Promise<{ before: string; code?: string; version?: string }> {
  const context = await browser.newContext();
  if (opts.grant) await context.grantPermissions(["local-network-access"], { origin: pageOrigin });
  const tab = await context.newPage();
  await tab.goto(`${pageOrigin}/`);
  const result = await tab.evaluate(
    (url) =>
      (
        window as unknown as { probe: (u: string) => Promise<{ before: string; code?: string; version?: string }> }
      ).probe(url),
    `http://127.0.0.1:${opts.port}`,
  );
  await context.close();
  return result;
}

describe("Local Network Access in chromium", () => {
  it("reaches the assistant once the holder allows local network access", async () => {
    expect(await probe({ grant: true, port: assistant.port })).toEqual({ before: "granted", version: "1.0.0" });
  });

  it("reports LNA_DENIED, not 'assistant not running', when the browser blocks the call", async () => {
    expect(await probe({ grant: false, port: assistant.port })).toMatchObject({ before: "prompt", code: "LNA_DENIED" });
  });

  it("reports ASSISTANT_NOT_RUNNING when access is allowed but nothing listens", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probe({ grant: true, port })).toMatchObject({ before: "granted", code: "ASSISTANT_NOT_RUNNING" });
  });
});
