import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualBackend } from "@/agent/backends/virtual";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { startAssistant, type RunningAssistant } from "@/agent/server";
import { issueFor, newKey, testCa } from "@/lib/dev/testing/openssl-certs";
import { serialHex } from "@/agent/x509";
import { systemClock } from "@/lib/clock";
import { ERRORS } from "@/lib/errors/catalog";
import { log } from "@/lib/log";
import { formatChallenge } from "./challenge";
import { ASSISTANT_ERROR_CODES, AssistantError, createAssistantClient } from "./client";

const ORIGIN = "https://renew.example.cn";
/** Node's fetch sends no Origin; a browser always does for this cross-origin call. */
const browserFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), origin: ORIGIN } });
const permissionsSaying = (state: PermissionState) => ({ query: async () => ({ state }) as PermissionStatus });

async function codeOf(p: Promise<unknown>): Promise<AssistantError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AssistantError) return e;
    throw e;
  }
  throw new Error("expected an AssistantError");
}

function fakeServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

let assistant: RunningAssistant;
let dir: string;
let certDer: Buffer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "client-"));
  const token = createVirtualToken({
    dir,
    label: "Demo",
    serial: "VT7",
    pin: "111111",
    soPin: "so-secret",
    pinLimit: 3,
  });
  const key = newKey("ec");
  certDer = issueFor(testCa(), key, "/CN=李四");
  importKeyAndCertificate(token, { privateKey: key, certificateDer: certDer, id: "07" });
  assistant = await startAssistant({
    backends: [new VirtualBackend({ dir })],
    origins: [ORIGIN],
    port: 0,
    clock: systemClock,
    log,
  });
});

afterAll(() => assistant.close());

describe("assistant client", () => {
  it("says ASSISTANT_NOT_RUNNING when nothing listens", async () => {
    const closed = await fakeServer(() => undefined);
    await closed.close();
    const client = createAssistantClient({ baseUrl: closed.url, permissions: permissionsSaying("granted") });
    expect((await codeOf(client.info())).code).toBe("ASSISTANT_NOT_RUNNING");
  });

  it("says LNA_DENIED when the browser's local network permission is denied", async () => {
    const closed = await fakeServer(() => undefined);
    await closed.close();
    const client = createAssistantClient({ baseUrl: closed.url, permissions: permissionsSaying("denied") });
    expect((await codeOf(client.tokens())).code).toBe("LNA_DENIED");
  });

  it("says ASSISTANT_OUTDATED for an assistant older than the portal needs", async () => {
    const old = await fakeServer((_req, res) =>
      res.end(JSON.stringify({ name: "certrenew-assistant", version: "0.9.3", apiVersion: 1, backends: [] })),
    );
    const client = createAssistantClient({ baseUrl: old.url });
    expect(await codeOf(client.tokens())).toMatchObject({
      code: "ASSISTANT_OUTDATED",
      details: { version: "0.9.3", required: "1.0.0" },
    });
    await old.close();
  });

  it("says ASSISTANT_TIMEOUT when the assistant does not answer in time", async () => {
    const stuck = await fakeServer(() => undefined);
    const client = createAssistantClient({ baseUrl: stuck.url, timeoutMs: 200 });
    expect((await codeOf(client.info())).code).toBe("ASSISTANT_TIMEOUT");
    await stuck.close();
  });

  it("lists certificates and maps wrong PINs to PIN_INCORRECT with tries left, then PIN_LOCKED", async () => {
    const client = createAssistantClient({ baseUrl: `http://127.0.0.1:${assistant.port}`, fetch: browserFetch });
    const [token] = await client.requireTokens();
    expect(token.certificates[0].subjectCN).toBe("李四");
    const challenge = formatChallenge({
      origin: ORIGIN,
      purpose: "login",
      serial: serialHex(certDer),
      nonce: Buffer.alloc(32, 3).toString("base64url"),
      issuedAt: new Date().toISOString(),
    });
    const args = { tokenId: token.id, certId: "07", pin: "000000", challenge };
    expect(await codeOf(client.sign(args))).toMatchObject({ code: "PIN_INCORRECT", details: { triesLeft: 2 } });
    expect(await codeOf(client.sign(args))).toMatchObject({
      code: "PIN_INCORRECT",
      details: { triesLeft: 1, finalTry: true },
    });
    expect((await codeOf(client.sign(args))).code).toBe("PIN_LOCKED");
    expect(await client.pinStatus(token.id)).toMatchObject({ locked: true });
    await client.unlock({ tokenId: token.id, soPin: "so-secret", newPin: "111111", newSoPin: "so-secret-2" });
    await expect(client.sign({ ...args, pin: "111111" })).resolves.toMatchObject({ algorithm: "ECDSA-SHA256" });
  });

  it("says TOKEN_NOT_PRESENT when no key with a certificate is inserted", async () => {
    const empty = await startAssistant({
      backends: [new VirtualBackend({ dir: path.join(dir, "none") })],
      origins: [ORIGIN],
      port: 0,
      clock: systemClock,
      log,
    });
    const client = createAssistantClient({ baseUrl: `http://127.0.0.1:${empty.port}`, fetch: browserFetch });
    expect((await codeOf(client.requireTokens())).code).toBe("TOKEN_NOT_PRESENT");
    await empty.close();
  });

  it("has a zh-CN and an English message for every code it can raise", () => {
    for (const code of ASSISTANT_ERROR_CODES) {
      expect(ERRORS[code]["zh-CN"].length).toBeGreaterThan(4);
      expect(ERRORS[code].en.length).toBeGreaterThan(4);
    }
  });
});
