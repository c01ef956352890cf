import "@/tests/helpers/env";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { closeDb, getOpenDb } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { resetCa } from "@/lib/pki/ca";
import { GET as rootGet } from "@/app/ca/root.cer/route";
import { GET as issuingGet } from "@/app/ca/issuing.cer/route";
import { GET as crlGet } from "@/app/crl/issuing.crl/route";
import { GET as ocspBare, POST as ocspPost } from "@/app/ocsp/route";
import { GET as ocspGet } from "@/app/ocsp/[...req]/route";
import { openssl } from "@/tests/helpers/pki";

const MALFORMED = Buffer.from("30030a0101", "hex");

describe("CA, CRL and OCSP routes (process-wide CA and database)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "routes-"));
    process.env.DATA_DIR = dir;
    delete process.env.DATABASE_URL;
    delete process.env.CA_DIR;
    resetConfig();
    resetCa();
    await applyMigrations({ pglite: (await getOpenDb()).pglite! });
  });
  afterAll(() => closeDb());

  it("serves the root and issuing certificates as DER, created on first use in development", async () => {
    const root = await rootGet(new Request("http://localhost/ca/root.cer"));
    expect(root.headers.get("content-type")).toBe("application/pkix-cert");
    expect(Buffer.from(await root.arrayBuffer())).toEqual(readFileSync(path.join(dir, "ca", "root.cer")));
    const issuing = Buffer.from(await (await issuingGet(new Request("http://localhost/ca/issuing.cer"))).arrayBuffer());
    expect(openssl(["x509", "-inform", "DER", "-noout", "-subject"], issuing)).toContain("Issuing CA");
  });

  it("serves a CRL that openssl reads", async () => {
    const res = await crlGet(new Request("http://localhost/crl/issuing.crl"));
    expect(res.headers.get("content-type")).toBe("application/pkix-crl");
    expect(openssl(["crl", "-inform", "DER", "-noout", "-text"], Buffer.from(await res.arrayBuffer()))).toMatch(
      /CRL Number:\s+1/,
    );
  });

  it("answers unreadable OCSP requests with malformedRequest over GET and POST, and a wrong content type with 415", async () => {
    const get = await ocspGet(new Request("http://localhost/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA=="));
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/ocsp-response");
    expect(Buffer.from(await get.arrayBuffer())).toEqual(MALFORMED);
    expect(Buffer.from(await (await ocspBare()).arrayBuffer())).toEqual(MALFORMED);
    const post = await ocspPost(
      new Request("http://localhost/ocsp", {
        method: "POST",
        headers: { "content-type": "application/ocsp-request" },
        body: new Uint8Array([0x30, 0x00]),
      }),
    );
    expect(Buffer.from(await post.arrayBuffer())).toEqual(MALFORMED);
    expect(
      (
        await ocspPost(
          new Request("http://localhost/ocsp", {
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: "x",
          }),
        )
      ).status,
    ).toBe(415);
  });
});
