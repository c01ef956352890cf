import "@/tests/helpers/env";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "@/lib/clock";
import type { OpenDb } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { OCSP_HTTP_MAX_AGE_S } from "@/lib/pki/ocsp-http";
import { createFront } from "@/lib/runtime/front";
import { site } from "@/lib/http/guard";
import { PEER_HEADER } from "@/lib/http/request";
import { derToPem } from "@/tests/helpers/pem";
import { revokeForKeyCompromise } from "@/tests/helpers/ocsp-ca";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, crlTextOf, insertHolderCertificate, openssl, opensslAsync, writePem } from "@/tests/helpers/pki";

const DAY = 86_400_000;
const APP_JS = Array.from({ length: 400 }, (_, i) => `self.chunk${i} = function () { return ${i * 7}; };`).join("\n");

/** A raw answer (node:http does not decode content codings, unlike fetch). */
function rawGet(url: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What the front handed to Next: the request as Next's handler receives it. */
interface Handed {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("the node:http front (lib/runtime/front.ts) of scripts/portal-server.ts", () => {
  let db: OpenDb;
  let ca: Ca;
  let tmp: string;
  let files: Record<string, string>;
  let base: string;
  let raBase: string;
  const servers: http.Server[] = [];
  const handed: Handed[] = [];

  // stands where Next's request handler stands: records what it was given and answers 299 so a test can tell
  const next = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handed.push({
        method: req.method,
        url: req.url,
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(299, { "content-type": "text/plain" });
      res.end("next");
    });
  };

  async function listen(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa("P-256"));
    tmp = mkdtempSync(path.join(os.tmpdir(), "certrenew-front-"));
    files = writePem(tmp, { root: ca.rootCert, issuing: ca.issuingCert });
    // an assistant package as `npm run assistant:pack` leaves it (dist/assistant + manifest.json)
    const dist = path.join(tmp, "dist", "assistant");
    mkdirSync(dist, { recursive: true });
    const exe = Buffer.from("MZ the installer".repeat(1000));
    writeFileSync(path.join(dist, "CertRenewAssistantSetup.exe"), exe);
    writeFileSync(path.join(dist, "secret.txt"), "not listed");
    const entry = {
      name: "CertRenewAssistantSetup.exe",
      bytes: exe.length,
      sha256: createHash("sha256").update(exe).digest("hex"),
    };
    writeFileSync(path.join(dist, "manifest.json"), JSON.stringify({ version: "1.0.0", installer: entry, files: [] }));
    // Next's build output: a script and a style sheet worth compressing, a font that is not
    const built = path.join(tmp, ".next", "static");
    mkdirSync(path.join(built, "chunks"), { recursive: true });
    mkdirSync(path.join(built, "media"), { recursive: true });
    writeFileSync(path.join(built, "chunks", "app-0a1b.js"), APP_JS);
    writeFileSync(path.join(built, "chunks", "site-9f.css"), "body { margin: 0; color: #222 }\n".repeat(100));
    writeFileSync(path.join(built, "media", "font.woff2"), Buffer.alloc(4096, 7));
    const deps = { db: async () => db.prisma, ca: async () => ca, clock: systemClock, root: tmp };
    base = await listen(createFront({ next, ...deps }));
    raBase = await listen(createFront({ next, ...deps, pki: false }));
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    await db?.close();
  });

  async function holder() {
    const c = await insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 300 * DAY),
    });
    const pem = path.join(tmp, `leaf-${c.row.serial}.pem`);
    writeFileSync(pem, derToPem(c.der));
    const req = path.join(tmp, `req-${c.row.serial}.der`);
    openssl(["ocsp", "-issuer", files.issuing, "-cert", pem, "-no_nonce", "-reqout", req]);
    return { serial: c.row.serial, pem, req };
  }

  const ask = (pem: string, extra: string[] = []) =>
    opensslAsync([
      "ocsp",
      "-issuer",
      files.issuing,
      "-cert",
      pem,
      "-url",
      `${base}/ocsp`,
      "-CAfile",
      files.root,
      "-resp_text",
      ...extra,
    ]);

  it("answers OCSP over POST to openssl, good and then revoked at once after a revocation in this process", async () => {
    const h = await holder();
    const good = await ask(h.pem);
    expect(good).toContain("Response verify OK");
    expect(good).toMatch(/: good/);
    expect(await ask(h.pem, ["-no_nonce"])).toMatch(/: good/);
    await revokeForKeyCompromise(db, ca, h.serial);
    const revoked = await ask(h.pem, ["-no_nonce"]);
    expect(revoked).toContain("Response verify OK");
    expect(revoked).toMatch(/: revoked/);
    expect(revoked).toContain("Reason: keyCompromise");
    expect(await ask(h.pem)).toMatch(/: revoked/);
    expect(handed).toHaveLength(0);
  });

  it("answers GET /ocsp/<base64> with RFC 5019 caching headers and 304 for a matching validator", async () => {
    const h = await holder();
    const der = readFileSync(h.req);
    const url = `${base}/ocsp/${encodeURIComponent(der.toString("base64"))}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/ocsp-response");
    expect(res.headers.get("cache-control")).toBe(
      `max-age=${OCSP_HTTP_MAX_AGE_S}, public, no-transform, must-revalidate`,
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const lastModified = res.headers.get("last-modified")!;
    const body = Buffer.from(await res.arrayBuffer());
    const respFile = path.join(tmp, `resp-${h.serial}.der`);
    writeFileSync(respFile, body);
    const text = openssl(["ocsp", "-respin", respFile, "-issuer", files.issuing, "-CAfile", files.root, "-resp_text"]);
    expect(text).toContain("Response verify OK");
    expect(text).toMatch(/: good/);
    // Last-Modified is the response's thisUpdate
    const thisUpdate = /This Update: (.+)/.exec(text)![1];
    expect(new Date(lastModified).getTime()).toBe(new Date(thisUpdate).getTime());
    expect(Date.parse(res.headers.get("expires")!) - Date.parse(res.headers.get("date")!)).toBe(
      OCSP_HTTP_MAX_AGE_S * 1000,
    );

    // the same pre-signed bytes again, and the same validator
    const again = await fetch(url);
    expect(again.headers.get("etag")).toBe(etag);
    expect(Buffer.from(await again.arrayBuffer())).toEqual(body);

    const byTag = await fetch(url, { headers: { "if-none-match": `"other", ${etag}` } });
    expect(byTag.status).toBe(304);
    expect(byTag.headers.get("etag")).toBe(etag);
    expect(byTag.headers.get("cache-control")).toContain("max-age=");
    expect((await byTag.arrayBuffer()).byteLength).toBe(0);
    const byDate = await fetch(url, { headers: { "if-modified-since": lastModified } });
    expect(byDate.status).toBe(304);
    const older = await fetch(url, {
      headers: { "if-modified-since": new Date(Date.parse(lastModified) - 1000).toUTCString() },
    });
    expect(older.status).toBe(200);
    // If-None-Match decides when both are sent (RFC 9110 13.2.2)
    const otherTag = await fetch(url, { headers: { "if-none-match": '"other"', "if-modified-since": lastModified } });
    expect(otherTag.status).toBe(200);
  });

  it("keeps POST answers uncacheable and refuses what is not an OCSP request like the Next route does", async () => {
    const h = await holder();
    const der = readFileSync(h.req);
    const post = await fetch(`${base}/ocsp`, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: der,
    });
    expect(post.status).toBe(200);
    expect(post.headers.get("cache-control")).toBe("no-cache");
    const wrongType = await fetch(`${base}/ocsp`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(wrongType.status).toBe(415);
    const tooLarge = await fetch(`${base}/ocsp`, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: Buffer.alloc(64 * 1024, 1),
    });
    expect(tooLarge.status).toBe(413);
    // an unreadable request is an OCSP malformedRequest, not an HTTP error
    const garbage = await fetch(`${base}/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA==`);
    expect(garbage.status).toBe(200);
    expect(Buffer.from(await garbage.arrayBuffer()).toString("hex")).toBe("30030a0101");
    expect(garbage.headers.get("cache-control")).toBe("no-cache");
    expect((await fetch(`${base}/ocsp`, { method: "PUT", body: "x" })).status).toBe(405);
    expect(handed).toHaveLength(0);
  });

  it("serves the CRL and the CA certificates with validators, 304, and HEAD without a body", async () => {
    const crl = await fetch(`${base}/crl/issuing.crl`);
    expect(crl.status).toBe(200);
    expect(crl.headers.get("content-type")).toBe("application/pkix-crl");
    expect(crl.headers.get("cache-control")).toBe("public, max-age=300");
    const crlDer = Buffer.from(await crl.arrayBuffer());
    const crlText = crlTextOf(path.join(tmp, "served.crl"), crlDer, files.issuing);
    expect(crlText).toContain("verify OK");
    const lastUpdate = /Last Update: (.+)/.exec(crlText)![1];
    expect(Date.parse(crl.headers.get("last-modified")!)).toBe(new Date(lastUpdate).getTime());
    const etag = crl.headers.get("etag")!;
    expect((await fetch(`${base}/crl/issuing.crl`, { headers: { "if-none-match": etag } })).status).toBe(304);
    const head = await fetch(`${base}/crl/issuing.crl`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(crlDer.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect((await fetch(`${base}/crl/issuing.crl`, { method: "POST", body: "x" })).status).toBe(405);

    for (const [file, der] of [
      ["root.cer", ca.rootCert],
      ["issuing.cer", ca.issuingCert],
    ] as const) {
      const res = await fetch(`${base}/ca/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pkix-cert");
      expect(Buffer.from(await res.arrayBuffer())).toEqual(der);
      const lm = res.headers.get("last-modified")!;
      expect(Date.parse(lm)).toBeLessThanOrEqual(Date.now());
      expect(
        (await fetch(`${base}/ca/${file}`, { headers: { "if-none-match": res.headers.get("etag")! } })).status,
      ).toBe(304);
      expect((await fetch(`${base}/ca/${file}`, { headers: { "if-modified-since": lm } })).status).toBe(304);
    }
    expect(openssl(["x509", "-inform", "DER", "-noout", "-subject"], ca.issuingCert)).toContain("Issuing CA");
    expect(handed).toHaveLength(0);
  });

  it("streams the assistant's listed files with the manifest's SHA-256 as ETag, and nothing else", async () => {
    const res = await fetch(`${base}/downloads/assistant/CertRenewAssistantSetup.exe`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.microsoft.portable-executable");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="CertRenewAssistantSetup.exe"');
    const body = Buffer.from(await res.arrayBuffer());
    const sha = createHash("sha256").update(body).digest("hex");
    expect(res.headers.get("etag")).toBe(`"${sha}"`);
    expect(res.headers.get("content-length")).toBe(String(body.length));
    const cond = await fetch(`${base}/downloads/assistant/CertRenewAssistantSetup.exe`, {
      headers: { "if-none-match": `"${sha}"` },
    });
    expect(cond.status).toBe(304);
    for (const name of ["secret.txt", "manifest.json", "..%2Fmanifest.json", "nothing.exe"])
      expect((await fetch(`${base}/downloads/assistant/${name}`)).status).toBe(404);
    expect(handed).toHaveLength(0);
  });

  it("answers Next's build files under /_next/static from memory, compressed once, immutable, with 304", async () => {
    handed.length = 0;
    const url = `${base}/_next/static/chunks/app-0a1b.js`;
    const plain = await rawGet(url);
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe(APP_JS);
    expect(plain.headers).toMatchObject({
      "content-type": "application/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
      "content-length": String(Buffer.byteLength(APP_JS)),
    });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    // compressed in the thread pool after the first request; until then the file goes out as it is
    let br = await rawGet(url, { "accept-encoding": "gzip, deflate, br" });
    for (let i = 0; i < 100 && !br.headers["content-encoding"]; i++) {
      await new Promise((r) => setTimeout(r, 20));
      br = await rawGet(url, { "accept-encoding": "gzip, deflate, br" });
    }
    expect(br.headers["content-encoding"]).toBe("br");
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(APP_JS);
    expect(br.body.length).toBeLessThan(Buffer.byteLength(APP_JS) / 4);
    expect(br.headers.etag).not.toBe(plain.headers.etag);

    const gz = await rawGet(url, { "accept-encoding": "br;q=0, gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(gz.body).toString()).toBe(APP_JS);
    expect((await rawGet(url, { "accept-encoding": "*" })).headers["content-encoding"]).toBe("br");
    expect(
      (await rawGet(url, { "accept-encoding": "gzip;q=0, identity" })).headers["content-encoding"],
    ).toBeUndefined();

    // the validator of the coding it was sent with; HEAD: the headers alone
    const cond = await rawGet(url, { "accept-encoding": "br", "if-none-match": br.headers.etag! });
    expect(cond.status).toBe(304);
    expect(cond.body.length).toBe(0);
    expect(cond.headers.etag).toBe(br.headers.etag);
    expect((await rawGet(url, { "accept-encoding": "gzip", "if-none-match": br.headers.etag! })).status).toBe(200);
    const head = await rawGet(url, { "accept-encoding": "br" }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(br.body.length));
    expect(head.body.length).toBe(0);

    // a font is already compressed: never a content coding
    const font = await rawGet(`${base}/_next/static/media/font.woff2`, { "accept-encoding": "br, gzip" });
    expect(font.headers["content-type"]).toBe("font/woff2");
    expect(font.headers["content-encoding"]).toBeUndefined();
    expect(font.body.equals(Buffer.alloc(4096, 7))).toBe(true);
    const css = await rawGet(`${base}/_next/static/chunks/site-9f.css`);
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(handed).toHaveLength(0);

    // what is not a file of the build as the process found it is Next's: another name, a way out, another method,
    // a file written after the start
    writeFileSync(path.join(tmp, ".next", "static", "chunks", "later.js"), "later");
    for (const p of [
      "/_next/static/chunks/other.js",
      "/_next/static/chunks/later.js",
      "/_next/static/chunks/..%2F..%2F..%2Fdist%2Fassistant%2Fmanifest.json",
      "/_next/static/%E0%A4%A",
      "/_next/staticx/chunks/app-0a1b.js",
    ])
      expect((await rawGet(`${base}${p}`)).status).toBe(299);
    expect((await fetch(url, { method: "POST", body: "x" })).status).toBe(299);
    expect(handed).toHaveLength(6);
  });

  it("guards the App Router's own requests (an RSC header, which skip proxy.ts) as proxy.ts guards documents", async () => {
    handed.length = 0;
    const { publicOrigin } = site();
    const publicHost = new URL(publicOrigin).host;
    const rsc = (host: string) => ({ rsc: "1", host });
    expect((await rawGet(`${base}/renew/details?_rsc=abc`, rsc(publicHost))).status).toBe(299);
    const malformed = await rawGet(`${base}/renew/%E0%A4%A?_rsc=abc`, rsc(publicHost));
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body.toString())).toMatchObject({ error: { code: "BAD_REQUEST" } });
    const elsewhere = await rawGet(`${base}/renew/review?_rsc=abc`, rsc("renew.example.net"));
    expect(elsewhere.status).toBe(308);
    expect(elsewhere.headers.location).toBe(`${publicOrigin}/renew/review?_rsc=abc`);
    const action = await rawGet(`${base}/invoice/confirm/t`, rsc("renew.example.net"), "POST");
    expect(action.status).toBe(421);
    expect(JSON.parse(action.body.toString())).toMatchObject({ error: { code: "MISDIRECTED_REQUEST" } });
    // the demo's pages in production without demo mode
    const env = { NODE_ENV: process.env.NODE_ENV, DEMO_MODE: process.env.DEMO_MODE };
    try {
      Object.assign(process.env, { NODE_ENV: "production", DEMO_MODE: "" });
      expect((await rawGet(`${base}/dev/mail?_rsc=abc`, rsc(publicHost))).status).toBe(404);
    } finally {
      for (const [k, v] of Object.entries(env))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    // documents are proxy.ts's to guard (Next's), as before
    expect((await rawGet(`${base}/renew/%E0%A4%A`, { host: publicHost })).status).toBe(299);
    expect(handed.map((h) => h.url)).toEqual(["/renew/details?_rsc=abc", "/renew/%E0%A4%A"]);
  });

  it("hands every other request to Next with the peer header set from the socket, whatever the client sent", async () => {
    handed.length = 0;
    const res = await fetch(`${base}/api/renewal/login?x=1`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [PEER_HEADER]: "203.0.113.9",
        "x-forwarded-for": "198.51.100.7",
      },
      body: JSON.stringify({ pin: "1234" }),
    });
    expect(res.status).toBe(299);
    expect(await res.text()).toBe("next");
    // a header sent twice reaches node as one joined value; both copies go
    const raw = await new Promise<string>((resolve, reject) => {
      const u = new URL(base);
      const socket = net.connect(Number(u.port), u.hostname, () =>
        socket.end(
          `GET /renew HTTP/1.1\r\nHost: ${u.host}\r\n${PEER_HEADER}: 10.0.0.1\r\n${PEER_HEADER}: 10.0.0.2\r\nConnection: close\r\n\r\n`,
        ),
      );
      let out = "";
      socket.on("data", (d: Buffer) => (out += d.toString()));
      socket.on("end", () => resolve(out));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 299/);
    for (const path of ["/ocspx", "/ocsp-info", "/crl/other.crl", "/ca/other.cer", "/api/health", "/"])
      expect((await fetch(`${base}${path}`)).status).toBe(299);

    const [login, renew, ...rest] = handed;
    expect(login).toMatchObject({ method: "POST", url: "/api/renewal/login?x=1", body: '{"pin":"1234"}' });
    expect(login.headers[PEER_HEADER]).toBe("127.0.0.1");
    // the front leaves X-Forwarded-For to clientIp (TRUST_PROXY decides whether it counts)
    expect(login.headers["x-forwarded-for"]).toBe("198.51.100.7");
    expect(renew.headers[PEER_HEADER]).toBe("127.0.0.1");
    expect(rest.map((h) => h.url)).toEqual([
      "/ocspx",
      "/ocsp-info",
      "/crl/other.crl",
      "/ca/other.cer",
      "/api/health",
      "/",
    ]);
    expect(rest.every((h) => h.headers[PEER_HEADER] === "127.0.0.1")).toBe(true);
  });

  it("in RA mode (pki: false) hands /ocsp, /crl and /ca to Next's routes, which answer from the upstream CA", async () => {
    handed.length = 0;
    expect((await fetch(`${raBase}/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA==`)).status).toBe(299);
    expect((await fetch(`${raBase}/crl/issuing.crl`)).status).toBe(299);
    expect((await fetch(`${raBase}/ca/root.cer`)).status).toBe(299);
    expect((await fetch(`${raBase}/downloads/assistant/nothing.exe`)).status).toBe(404);
    expect(handed.map((h) => h.url)).toEqual([
      "/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA==",
      "/crl/issuing.crl",
      "/ca/root.cer",
    ]);
  });
});
