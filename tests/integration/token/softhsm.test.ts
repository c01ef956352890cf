import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import { isDomainError } from "@/lib/errors";
import { log } from "@/lib/log";
import { formatChallenge, verifyChallengeSignature } from "@/lib/token/challenge";
import { Pkcs11Backend } from "@/agent/backends/pkcs11";
import { startAssistant, type RunningAssistant } from "@/agent/server";
import { serialHex } from "@/agent/x509";
import {
  issueFor,
  issueFromCsr,
  newKey,
  opensslVerifiesCsr,
  pkcs7Bundle,
  testCa,
  type TestCa,
  type TestKeyType,
} from "@/lib/dev/testing/openssl-certs";
import { SOFTHSM_MODULE, provisionHolderToken, useSoftHsm } from "@/lib/dev/testing/softhsm";

/**
 * The assistant against a real PKCS#11 module: SoftHSM2 with its own config and token directory,
 * a token initialised with PIN 111111, a holder key imported with softhsm2-util and its certificate
 * written with pkcs11-tool (as a CA's enrolment station would), then every operation over HTTP.
 */

const MODULE = SOFTHSM_MODULE;
const ORIGIN = "https://renew.example.cn";
const NOW = "2026-11-25T10:00:00.000Z";
const SO_PIN = "so-pin-0001";

let work: string;
let backend: Pkcs11Backend;
let assistant: RunningAssistant;
let ca: TestCa;

function initToken(label: string, keyType: TestKeyType, id: string): { serial: string; cert: Buffer } {
  const key = newKey(keyType);
  const cert = issueFor(ca, key, `/C=CN/ST=SD/L=dezhou/O=Dezhou Test/CN=${label}`);
  return { serial: provisionHolderToken({ work, label, soPin: SO_PIN, key, certificate: cert, id }), cert };
}

async function call(pathname: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${assistant.port}${pathname}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { origin: ORIGIN, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const tokens: Record<TestKeyType, { serial: string; cert: Buffer; id: string }> = {} as never;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "softhsm-"));
  useSoftHsm(work);
  ca = testCa();
  tokens.ec = { ...initToken("holder-ec", "ec", "0a01"), id: "0a01" };
  tokens.rsa = { ...initToken("holder-rsa", "rsa", "0b02"), id: "0b02" };
  backend = new Pkcs11Backend({ modulePath: MODULE });
  assistant = await startAssistant({ backends: [backend], origins: [ORIGIN], port: 0, clock: fixedClock(NOW), log });
});

afterAll(async () => {
  await assistant?.close();
  await backend?.close();
});

describe("PKCS#11 backend on SoftHSM2", () => {
  it("lists the tokens and their certificates without the PIN", async () => {
    const { status, json } = await call("/v1/tokens");
    expect(status).toBe(200);
    const list = json.tokens as {
      id: string;
      serial: string;
      certificates: { id: string; subjectCN: string; keyAlgorithm: string }[];
    }[];
    const ec = list.find((t) => t.serial === tokens.ec.serial)!;
    expect(ec.id).toBe(`pkcs11:${tokens.ec.serial}`);
    expect(ec.certificates).toMatchObject([{ id: "0a01", subjectCN: "holder-ec", keyAlgorithm: "EC-P256" }]);
    expect(list.find((t) => t.serial === tokens.rsa.serial)!.certificates).toMatchObject([
      { id: "0b02", keyAlgorithm: "RSA-2048" },
    ]);
  });

  it.each(["ec", "rsa"] as const)(
    "signs a portal challenge with the %s key (verifiable by verifyChallengeSignature)",
    async (type) => {
      const t = tokens[type];
      const cert = new X509Certificate(t.cert);
      const serial = serialHex(t.cert);
      const challenge = formatChallenge({
        origin: ORIGIN,
        purpose: "login",
        serial,
        nonce: Buffer.alloc(32, 7).toString("base64url"),
        issuedAt: NOW,
      });
      const { status, json } = await call("/v1/sign", {
        tokenId: `pkcs11:${t.serial}`,
        certId: t.id,
        pin: "111111",
        challenge,
      });
      expect(status).toBe(200);
      expect(json.algorithm).toBe(type === "rsa" ? "RSA-SHA256" : "ECDSA-SHA256");
      expect(
        verifyChallengeSignature(
          challenge,
          json.signature as string,
          cert.publicKey.export({ type: "spki", format: "der" }),
        ),
      ).toBe(true);
    },
  );

  it("reports a wrong PIN with the token's flags and never signs arbitrary text", async () => {
    const wrong = await call("/v1/sign", {
      tokenId: `pkcs11:${tokens.ec.serial}`,
      certId: "0a01",
      pin: "000000",
      challenge: formatChallenge({
        origin: ORIGIN,
        purpose: "login",
        serial: serialHex(tokens.ec.cert),
        nonce: Buffer.alloc(32, 1).toString("base64url"),
        issuedAt: NOW,
      }),
    });
    expect(wrong.status).toBe(401);
    expect((wrong.json.error as { code: string }).code).toBe("PIN_INCORRECT_UNCOUNTED");
    const arbitrary = await call("/v1/sign", {
      tokenId: `pkcs11:${tokens.ec.serial}`,
      certId: "0a01",
      pin: "111111",
      challenge: "please sign this contract",
    });
    expect(arbitrary.status).toBe(400);
    expect((arbitrary.json.error as { code: string }).code).toBe("CHALLENGE_REFUSED");
  });

  it.each(["ec", "rsa"] as const)(
    "keygen → openssl-verified CSR → install → read back replaces the %s pair only after the new one is on the token",
    async (type) => {
      const t = tokens[type];
      const tokenId = `pkcs11:${t.serial}`;
      const keygen = await call("/v1/keygen", { tokenId, certId: t.id, pin: "111111" });
      expect(keygen.status).toBe(200);
      const csr = Buffer.from(keygen.json.csr as string, "base64");
      expect(opensslVerifiesCsr(csr)).toBe(true);
      const again = await call("/v1/keygen", { tokenId, certId: t.id, pin: "111111" });
      expect(again.json.pendingId).toBe(keygen.json.pendingId);

      const midway = await backend.listTokens();
      expect(midway.find((x) => x.serial === t.serial)!.certificates.map((c) => c.id)).toEqual([t.id]);

      const newCert = issueFromCsr(ca, csr);
      const install = await call("/v1/install", { tokenId, pin: "111111", pkcs7: pkcs7Bundle([newCert, ca.der]) });
      expect(install.status).toBe(200);
      expect(install.json).toMatchObject({ replacedId: t.id, certificate: { id: keygen.json.pendingId } });

      const after = (await backend.listTokens()).find((x) => x.serial === t.serial)!;
      expect(after.certificates.map((c) => c.der)).toEqual([newCert.toString("base64")]);
      const signed = await backend.sign(t.serial, {
        certId: keygen.json.pendingId as string,
        pin: "111111",
        data: Buffer.from("x"),
      });
      expect(signed.certificate).toBe(newCert.toString("base64"));

      const repeated = await call("/v1/install", { tokenId, pin: "111111", pkcs7: pkcs7Bundle([newCert]) });
      expect(repeated.json).toMatchObject({ replacedId: null });
    },
  );

  it("unlocks with the SO PIN: C_InitPIN sets the new user PIN and C_SetPIN rotates the SO PIN", async () => {
    const tokenId = `pkcs11:${tokens.rsa.serial}`;
    const bad = await call("/v1/unlock", { tokenId, soPin: "not-the-so", newPin: "222222", newSoPin: "so-pin-0002" });
    expect((bad.json.error as { code: string }).code).toBe("SO_PIN_INCORRECT");
    const ok = await call("/v1/unlock", { tokenId, soPin: SO_PIN, newPin: "222222", newSoPin: "so-pin-0002" });
    expect(ok.status).toBe(200);
    const [cert] = (await backend.listTokens()).find((x) => x.serial === tokens.rsa.serial)!.certificates;
    await expect(
      backend.sign(tokens.rsa.serial, { certId: cert.id, pin: "222222", data: Buffer.from("x") }),
    ).resolves.toMatchObject({ algorithm: "RSA-SHA256" });
    await expect(
      backend.sign(tokens.rsa.serial, { certId: cert.id, pin: "111111", data: Buffer.from("x") }),
    ).rejects.toSatisfy((e) => isDomainError(e) && e.code === "PIN_INCORRECT_UNCOUNTED");
    await expect(
      backend.unlock(tokens.rsa.serial, { soPin: SO_PIN, newPin: "333333", newSoPin: "x" + SO_PIN }),
    ).rejects.toSatisfy((e) => isDomainError(e) && e.code === "SO_PIN_INCORRECT");
    await backend.unlock(tokens.rsa.serial, { soPin: "so-pin-0002", newPin: "111111", newSoPin: SO_PIN });
  });

  it("answers TOKEN_NOT_FOUND for a token that is not there", async () => {
    const { status, json } = await call("/v1/pin-status?tokenId=pkcs11:ffffffffffff");
    expect(status).toBe(404);
    expect((json.error as { code: string }).code).toBe("TOKEN_NOT_FOUND");
  });
});
