import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assistantLog } from "./log";
import { formatChallenge, verifyChallengeSignature, type ChallengeFields } from "@/lib/token/challenge";
import { VirtualBackend } from "./backends/virtual";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { MAX_BODY_BYTES, startAssistant, type RunningAssistant } from "./server";
import { issueFor, newKey, testCa } from "@/lib/dev/testing/openssl-certs";
import { serialHex } from "./x509";

const ORIGIN = "https://renew.example.cn";
const NOW = "2026-11-25T10:00:00.000Z";
const TOKEN = "virtual:VT0042";

let assistant: RunningAssistant;
let certDer: Buffer;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "assistant-http-"));
  const token = createVirtualToken({ dir, label: "Demo", serial: "VT0042", pin: "111111", soPin: "so-secret" });
  const key = newKey("ec");
  certDer = issueFor(testCa(), key, "/C=CN/CN=张三");
  importKeyAndCertificate(token, { privateKey: key, certificateDer: certDer, id: "01" });
  assistant = await startAssistant({
    backends: [new VirtualBackend({ dir })],
    origins: [ORIGIN, "http://localhost:3000"],
    port: 0,
    clock: { now: () => new Date(NOW) },
    log: assistantLog,
  });
});

afterAll(() => assistant.close());

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

/** Raw requests, so a test can send any Host, Origin and body. */
function request(opts: {
  method?: string;
  path: string;
  host?: string;
  origin?: string | null;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${assistant.port}`, ...opts.headers };
    if (opts.origin !== null) headers.origin = opts.origin ?? ORIGIN;
    if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
    const req = http.request(
      {
        host: "127.0.0.1",
        port: assistant.port,
        method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
        path: opts.path,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function challenge(overrides: Partial<ChallengeFields> = {}): string {
  return formatChallenge({
    origin: ORIGIN,
    purpose: "login",
    serial: serialHex(certDer),
    nonce: Buffer.alloc(32, 9).toString("base64url"),
    issuedAt: NOW,
    ...overrides,
  });
}

const sign = (text: string, extra: Record<string, unknown> = {}) =>
  request({
    path: "/v1/sign",
    body: JSON.stringify({ tokenId: TOKEN, certId: "01", pin: "111111", challenge: text, ...extra }),
  });

describe("assistant HTTP layer", () => {
  it("answers /v1/info to an allowed origin with CORS headers", async () => {
    const r = await request({ path: "/v1/info" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: "certrenew-assistant", apiVersion: 1, backends: ["virtual"] });
    expect(r.headers["access-control-allow-origin"]).toBe(ORIGIN);
  });

  it("refuses another origin with 403 and no CORS grant", async () => {
    const r = await request({ path: "/v1/tokens", origin: "https://evil.example" });
    expect(r.status).toBe(403);
    expect(r.json.error?.code).toBe("ASSISTANT_ORIGIN_FORBIDDEN");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("refuses a request without Origin", async () => {
    expect((await request({ path: "/v1/tokens", origin: null })).json.error?.code).toBe("ASSISTANT_ORIGIN_FORBIDDEN");
  });

  it("refuses a Host other than 127.0.0.1:PORT or localhost:PORT (DNS rebinding)", async () => {
    for (const host of [
      "evil.example",
      `evil.example:${assistant.port}`,
      "127.0.0.1",
      `127.0.0.1:${assistant.port + 1}`,
    ]) {
      const r = await request({ path: "/v1/info", host });
      expect(r.status).toBe(403);
      expect(r.json.error?.code).toBe("ASSISTANT_HOST_FORBIDDEN");
    }
    expect((await request({ path: "/v1/info", host: `localhost:${assistant.port}` })).status).toBe(200);
  });

  it("answers a preflight with Access-Control-Allow-Private-Network", async () => {
    const r = await request({
      method: "OPTIONS",
      path: "/v1/sign",
      headers: { "access-control-request-method": "POST", "access-control-request-private-network": "true" },
    });
    expect(r.status).toBe(204);
    expect(r.headers["access-control-allow-private-network"]).toBe("true");
    expect(r.headers["access-control-allow-origin"]).toBe(ORIGIN);
    const evil = await request({ method: "OPTIONS", path: "/v1/sign", origin: "https://evil.example" });
    expect(evil.status).toBe(403);
  });

  it("answers malformed JSON with 400 BAD_REQUEST", async () => {
    const r = await request({ path: "/v1/sign", body: "{not json" });
    expect(r.status).toBe(400);
    expect(r.json.error?.code).toBe("BAD_REQUEST");
  });

  it("refuses a body that is not JSON-typed", async () => {
    const r = await request({ path: "/v1/sign", body: "a=b", contentType: "application/x-www-form-urlencoded" });
    expect(r.status).toBe(400);
  });

  it("answers an oversized body with 413 and keeps serving", async () => {
    const r = await request({
      path: "/v1/install",
      body: JSON.stringify({ tokenId: TOKEN, pin: "111111", pkcs7: "A".repeat(MAX_BODY_BYTES) }),
    });
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await request({ path: "/v1/info" })).status).toBe(200);
  });

  it("answers a chunked oversized body (no Content-Length) with 413", async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: assistant.port,
          method: "POST",
          path: "/v1/install",
          headers: {
            host: `127.0.0.1:${assistant.port}`,
            origin: ORIGIN,
            "content-type": "application/json",
            "transfer-encoding": "chunked",
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 5; i++) req.write("x".repeat(MAX_BODY_BYTES / 4));
      req.end();
    });
    expect(r).toBe(413);
    expect((await request({ path: "/v1/info" })).status).toBe(200);
  });

  it("answers schema violations with 422 and field names, never echoing the PIN", async () => {
    const r = await request({
      path: "/v1/keygen",
      body: JSON.stringify({ tokenId: TOKEN, certId: "XYZ", pin: "111111" }),
    });
    expect(r.status).toBe(422);
    expect(r.json.error?.details?.fields).toHaveProperty("certId");
    const pin = await request({
      path: "/v1/keygen",
      body: JSON.stringify({ tokenId: TOKEN, certId: "01", pin: "123456789" }),
    });
    expect(pin.json.error?.code).toBe("PIN_INVALID");
    expect(JSON.stringify(pin.json)).not.toContain("123456789");
  });

  it("answers an unknown token or certificate with 404 and a code", async () => {
    expect((await request({ path: "/v1/pin-status?tokenId=virtual:NOPE" })).json.error?.code).toBe("TOKEN_NOT_FOUND");
    expect((await request({ path: "/v1/pin-status?tokenId=smartcard:X1" })).json.error?.code).toBe("TOKEN_NOT_FOUND");
    expect((await request({ path: "/v1/pin-status?tokenId=virtual:..%2F..%2Fetc" })).status).toBeGreaterThanOrEqual(
      400,
    );
    const r = await sign(challenge(), { certId: "ff" });
    expect(r.status).toBe(404);
    expect(r.json.error?.code).toBe("TOKEN_CERT_NOT_FOUND");
  });

  it("answers unknown paths with 404 NOT_FOUND", async () => {
    expect((await request({ path: "/v2/info" })).json.error?.code).toBe("NOT_FOUND");
  });

  it("lists tokens and PIN status without the PIN", async () => {
    const r = await request({ path: "/v1/tokens" });
    expect(r.json.tokens).toMatchObject([
      {
        id: TOKEN,
        certificates: [{ id: "01", subjectCN: "张三", keyAlgorithm: "EC-P256" }],
        pin: { triesLeft: 6, locked: false },
      },
    ]);
    expect((await request({ path: `/v1/pin-status?tokenId=${TOKEN}` })).json.pin).toMatchObject({ triesLeft: 6 });
  });

  it("signs a fresh portal challenge for the requesting origin", async () => {
    const text = challenge();
    const r = await sign(text);
    expect(r.status).toBe(200);
    const spki = new X509Certificate(certDer).publicKey.export({ type: "spki", format: "der" });
    expect(verifyChallengeSignature(text, r.json.signature as string, spki)).toBe(true);
  });

  it("refuses to sign anything that is not a portal challenge", async () => {
    for (const text of [
      "hello",
      `${challenge()}\n`,
      challenge().replace("login", "pay"),
      Buffer.from("x").toString("base64"),
    ]) {
      const r = await sign(text);
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe("CHALLENGE_REFUSED");
    }
  });

  it("refuses a challenge for another origin, another certificate, or too far from the clock", async () => {
    const cases = [
      challenge({ origin: "https://evil.example" }),
      challenge({ origin: "http://localhost:3000" }),
      challenge({ serial: "abcdef" }),
      challenge({ issuedAt: "2026-11-25T10:05:00.001Z" }),
      challenge({ issuedAt: "2026-11-25T09:54:59.999Z" }),
    ];
    for (const text of cases) expect((await sign(text)).json.error?.code).toBe("CHALLENGE_REFUSED");
    expect((await sign(challenge({ issuedAt: "2026-11-25T10:04:59.000Z" }))).status).toBe(200);
  });

  it("reports a wrong PIN with the tries left, in the holder's language", async () => {
    const r = await request({
      path: "/v1/sign",
      headers: { "accept-language": "en-GB" },
      body: JSON.stringify({ tokenId: TOKEN, certId: "01", pin: "000000", challenge: challenge() }),
    });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({
      code: "PIN_INCORRECT",
      details: { triesLeft: 5 },
      message: "Wrong PIN. 5 tries left.",
    });
    expect((await sign(challenge())).status).toBe(200);
  });
});
