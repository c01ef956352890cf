import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DomainError } from "@/lib/errors";
import { parseOcspRequest } from "./ocsp";

const dir = mkdtempSync(path.join(os.tmpdir(), "ocsp-req-"));
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=issuer",
    "-keyout",
    path.join(dir, "k"),
    "-out",
    path.join(dir, "ca.pem"),
  ],
  { stdio: "ignore" },
);

/** An OCSP request made by openssl for `serial` (hex) under the test issuer. */
function opensslRequest(serial: string, nonce: boolean, name = serial): Buffer {
  const out = path.join(dir, `${name}-${nonce}.der`);
  execFileSync(
    "openssl",
    [
      "ocsp",
      "-issuer",
      path.join(dir, "ca.pem"),
      "-serial",
      `0x${serial}`,
      nonce ? "-nonce" : "-no_nonce",
      "-reqout",
      out,
    ],
    { stdio: "ignore" },
  );
  return readFileSync(out);
}

describe("parseOcspRequest", () => {
  it("reads openssl's request: SHA-1 CertID, serial and nonce", () => {
    const req = parseOcspRequest(opensslRequest("4f0a", true));
    expect(req.certIds).toHaveLength(1);
    expect(req.certIds[0]).toMatchObject({ hash: "sha1", serial: "4f0a" });
    expect(req.certIds[0]!.issuerNameHash).toHaveLength(20);
    expect(req.nonceExt?.[0]).toBe(0x30);
  });

  it("answers repeated nonce-less requests from the parse cache, unaffected by later changes to the caller's buffer", () => {
    const bytes = opensslRequest("7a01", false);
    const first = parseOcspRequest(bytes);
    const nameHash = Buffer.from(first.certIds[0]!.issuerNameHash);
    bytes.fill(0); // the request buffer is reused by the caller: the kept result must not change
    expect(first.certIds[0]!.issuerNameHash).toEqual(nameHash);
    const again = parseOcspRequest(opensslRequest("7a01", false, "again"));
    expect(again).toBe(first);
  });

  it("parses every request with a nonce afresh", () => {
    const bytes = opensslRequest("7a02", true);
    expect(parseOcspRequest(bytes)).not.toBe(parseOcspRequest(bytes));
  });

  it("refuses garbage and truncated requests as OCSP_MALFORMED, also after the same bytes parsed well", () => {
    const good = opensslRequest("7a03", false);
    parseOcspRequest(good);
    for (const bad of [
      Buffer.from("garbage"),
      good.subarray(0, good.length - 2),
      Buffer.concat([good, Buffer.from([0])]),
    ]) {
      let error: unknown;
      try {
        parseOcspRequest(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("OCSP_MALFORMED");
    }
  });
});
