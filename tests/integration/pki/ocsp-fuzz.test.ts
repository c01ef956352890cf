import "@/tests/helpers/env";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECOND } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import type { OpenDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { Ca } from "@/lib/pki/ca";
import { children, readAll } from "@/lib/pki/der";
import { parseOcspRequest, respondOcsp } from "@/lib/pki/ocsp";
import { answerOcspHttp } from "@/lib/pki/ocsp-http";
import { buildOcspRequest, readOcspResponse } from "@/lib/pki/issuers/ocsp-client";
import { revokeCertificate } from "@/lib/pki/revoke";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, insertHolderCertificate, openssl, writePem } from "@/tests/helpers/pki";
import { withTx } from "@/lib/audit";

describe("OCSP responder", () => {
  let db: OpenDb;
  let ca: Ca;
  let request: Buffer;
  let nonceRequest: Buffer;
  let serial: string;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa("P-256"));
    const holder = await insertHolderCertificate(db.prisma, ca, {
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
    });
    serial = holder.row.serial;
    const dir = mkdtempSync(path.join(os.tmpdir(), "ocsp-"));
    const f = writePem(dir, { issuing: ca.issuingCert, leaf: holder.der });
    openssl(["ocsp", "-issuer", f.issuing, "-cert", f.leaf, "-no_nonce", "-reqout", path.join(dir, "req.der")]);
    openssl(["ocsp", "-issuer", f.issuing, "-cert", f.leaf, "-reqout", path.join(dir, "nonce.der")]);
    request = readFileSync(path.join(dir, "req.der"));
    nonceRequest = readFileSync(path.join(dir, "nonce.der"));
  });
  afterAll(() => db?.close());

  const deps = () => ({ db: db.prisma, ca, clock });

  it("answers a cached serial from the pre-signed response: same bytes, one stored row", async () => {
    const a = await respondOcsp(deps(), request);
    clock.advance(5 * SECOND);
    const b = await respondOcsp(deps(), request);
    expect(b).toEqual(a);
    expect(await db.prisma.ocspResponse.count({ where: { serial } })).toBe(1);
    // GET /ocsp/<base64>, URL-encoded or raw with '/' and '+', reaches the same answer
    for (const p of [
      encodeURIComponent(request.toString("base64")),
      request.toString("base64"),
      request.toString("base64url"),
    ]) {
      expect((await answerOcspHttp(deps(), { method: "GET", path: p })).body).toEqual(a);
    }
    // with a nonce the answer is signed fresh and echoes it
    const n = await respondOcsp(deps(), nonceRequest);
    expect(n.equals(a)).toBe(false);
    expect(n.includes(parseOcspRequest(nonceRequest).nonceExt!)).toBe(true);
  });

  it("reflects a revocation made by another instance once the memory entry's 1 s TTL has passed", async () => {
    const before = await respondOcsp(deps(), request);
    // another instance revokes: the row is deleted there; this process's memory still holds the good answer
    await withTx(db.prisma, async (tx) => {
      await tx.certificate.update({
        where: { serial },
        data: { status: "revoked", revokedAt: clock.now(), revocationReason: 1 },
      });
      await tx.ocspResponse.deleteMany({ where: { serial } });
    });
    clock.advance(2 * SECOND);
    const after = await respondOcsp(deps(), request);
    expect(after.equals(before)).toBe(false);
    const row = await db.prisma.ocspResponse.findFirstOrThrow({ where: { serial } });
    expect(row.status).toBe("revoked");
  });

  it("refuses to revoke through revokeCertificate twice but keeps answering", async () => {
    await expect(
      withTx(db.prisma, (tx) => revokeCertificate(tx, { serial, reason: 1, clock, actor: { type: "system" }, ca })),
    ).rejects.toMatchObject({ code: "CERT_ALREADY_REVOKED" });
    expect((await respondOcsp(deps(), request))[0]).toBe(0x30);
  });

  it("answers malformed requests with malformedRequest, never a 5xx or a throw (fuzz)", async () => {
    const MALFORMED = Buffer.from("30030a0101", "hex");
    expect(await respondOcsp(deps(), Buffer.from("nonsense"))).toEqual(MALFORMED);
    const get = await answerOcspHttp(deps(), { method: "GET", path: "%%%not-base64" });
    expect(get).toMatchObject({ status: 200 });
    expect(get.body).toEqual(MALFORMED);
    expect((await answerOcspHttp(deps(), { method: "POST", body: request, contentType: "text/plain" })).status).toBe(
      415,
    );

    const check = async (req: Parameters<typeof answerOcspHttp>[1]) => {
      const a = await answerOcspHttp(deps(), req);
      expect(a.status).toBeLessThan(500);
      if (a.status === 200) {
        const [status] = children(readAll(a.body));
        expect([0, 1]).toContain(status.buf[status.contentStart]);
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (b) => {
        await check({ method: "POST", body: Buffer.from(b), contentType: "application/ocsp-request" });
        await check({ method: "GET", path: Buffer.from(b).toString("base64") });
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(request.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(request.length),
        async (edits, cut) => {
          const b = Buffer.from(request);
          for (const [i, v] of edits) b[i] = v;
          await check({ method: "POST", body: b.subarray(0, cut), contentType: "application/ocsp-request" });
          await check({ method: "GET", path: encodeURIComponent(b.toString("base64")) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parses only into DomainError OCSP_MALFORMED for bad input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          parseOcspRequest(Buffer.from(b));
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
          expect((e as DomainError).code).toBe("OCSP_MALFORMED");
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("OCSP responder across a CA key change", () => {
  let db: OpenDb;
  afterAll(() => db?.close());

  it("never serves a response signed by the earlier key once the issuing key has changed (same name, same serial)", async () => {
    db = await createTestDb();
    const clock = fixedClock(new Date());
    const { ca: before } = await createTestCa("P-256");
    const holder = await insertHolderCertificate(db.prisma, before, {
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const serial = holder.row.serial;
    const asked = (ca: Ca) => respondOcsp({ db: db.prisma, ca, clock }, buildOcspRequest(holder.der, ca.issuingCert));
    expect(readOcspResponse(await asked(before), serial, new X509Certificate(before.issuingCert)).status).toBe("good");

    // the issuing CA is re-keyed under the same name (the old key's pre-signed response is ten seconds old)
    const { ca: after } = await createTestCa("P-256");
    expect(after.issuerDn).toBe(before.issuerDn);
    clock.advance(10 * SECOND);
    const answer = await asked(after);
    expect(readOcspResponse(answer, serial, new X509Certificate(after.issuingCert)).status).toBe("good");
    // and the earlier key's response is still what a request under the earlier key gets
    expect(readOcspResponse(await asked(before), serial, new X509Certificate(before.issuingCert)).status).toBe("good");
  });
});
