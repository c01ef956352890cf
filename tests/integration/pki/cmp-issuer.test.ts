import { execFileSync } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCmpIssuer, type CmpExchange, type CmpSettings, type CmpTransactionStore } from "@/lib/pki/issuers/cmp";
import { BODY_NAME, parseMessage } from "@/lib/pki/issuers/cmp/messages";
import { certFields } from "@/lib/pki/issuers/cmp/protection";
import { UpstreamError, type RenewalOutcome, type RenewalRequest } from "@/lib/pki/issuers/types";
import { PROFILES } from "@/lib/pki/profiles";
import { Pkcs11Signer } from "@/lib/pki/signer";
import { SOFTHSM_MODULE, useSoftHsm } from "@/lib/dev/testing/softhsm";
import {
  CMP_MOCK_MAC_ARGS,
  CMP_MOCK_REF,
  CMP_MOCK_SECRET,
  CMP_MOCK_SIGNATURE_ARGS,
  cmpMockAnswer,
  createCmpMockPki,
  freePort,
  startCmpMock,
  type CmpMock,
  type CmpMockPki,
} from "@/lib/dev/testing/cmp-mock";

/**
 * The CMP issuer against OpenSSL's own CMP server (`openssl cmp -port`), both protection kinds. The mock answers
 * every certification request with one fixed certificate (-rsp_cert) and refuses a kur whose oldCertID does not
 * name that certificate's issuer and serial: so the mock CA issues the "renewed" certificate in advance, for the
 * CSR's key, with the old certificate's serial number.
 */

let pki: CmpMockPki;
const f = (name: string) => pki.file(name);
const pem = (name: string) => pki.pem(name);
const der = (name: string) => pki.der(name);
const openssl = (args: string[]) => pki.openssl(args);

beforeAll(() => {
  pki = createCmpMockPki();
  // another root: answers signed under it must be refused
  pki.newKey("other.key");
  openssl(["req", "-x509", "-new", "-key", "other.key", "-subj", "/CN=Other Root", "-days", "30", "-out", "other.crt"]);
  // the holder's certificate and its renewal, made in advance with the same serial (see cmp-mock.ts)
  const serial = `0x${randomBytes(8).toString("hex")}`;
  pki.newKey("old.key");
  pki.issue("old", { subject: "/C=CN/O=Holder Org/CN=Holder", ca: "issuing", ext: "ee", serial });
  pki.newKey("new.key");
  pki.issue("new", { subject: "/C=CN/O=Holder Org/CN=Holder", ca: "issuing", ext: "ee", serial });
});

afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

const mocks: CmpMock[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((m) => m.stop()));
  for (const close of closers.splice(0)) await close();
});

async function mockServer(args: string[]): Promise<CmpMock> {
  const mock = await startCmpMock(pki, args);
  mocks.push(mock);
  return mock;
}

const MAC_SERVER = CMP_MOCK_MAC_ARGS;
const ANSWER = cmpMockAnswer("new");
const SIG_SERVER = CMP_MOCK_SIGNATURE_ARGS;

const macSettings = (url: string, extra: Partial<CmpSettings> = {}): CmpSettings => ({
  serverUrl: url,
  ref: CMP_MOCK_REF,
  secret: CMP_MOCK_SECRET,
  trustedPem: pem("root.crt"),
  ...extra,
});

/** As the ra seam passes them: file paths, as CMP_CERT/CMP_KEY/CMP_TRUSTED name them. */
const signatureSettings = (url: string, extra: Partial<CmpSettings> = {}): CmpSettings => ({
  serverUrl: url,
  certFile: f("ra.crt"),
  keyFile: f("ra.key"),
  trustedFile: f("root.crt"),
  ...extra,
});

function renewal(): RenewalRequest {
  const old = der("old.crt");
  return {
    transactionId: randomBytes(16),
    oldCertDer: old,
    csrDer: der("new.csr"),
    spki: certFields(der("new.crt")).spki,
    subjectDer: certFields(old).subject,
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 365 * 86400_000),
    profile: PROFILES.personal,
  };
}

/** The mock CA's messages of a kur it answered after two polls. */
const POLLED_TWICE = [
  "received KUR",
  "sending KUP",
  "received POLLREQ",
  "sending POLLREP",
  "received POLLREQ",
  "sending KUP",
  "received CERTCONF",
  "sending PKICONF",
];

/** The renewal is issued, and its certificate passes `openssl verify` against the mock root with the CSR's key. */
function expectIssuedForCsr(outcome: RenewalOutcome) {
  expect(outcome.status).toBe("issued");
  if (outcome.status !== "issued") return;
  const { certDer, chainDer } = outcome;
  writeFileSync(f("got.der"), certDer);
  openssl(["x509", "-inform", "DER", "-in", "got.der", "-out", "got.crt"]);
  writeFileSync(f("chain.der"), chainDer[0]);
  openssl(["x509", "-inform", "DER", "-in", "chain.der", "-out", "chain.crt"]);
  expect(openssl(["verify", "-CAfile", "root.crt", "-untrusted", "chain.crt", "got.crt"])).toContain("got.crt: OK");
  expect(openssl(["x509", "-in", "got.crt", "-noout", "-pubkey"])).toBe(
    openssl(["req", "-in", "new.csr", "-noout", "-pubkey"]),
  );
  expect(chainDer).toHaveLength(1);
  expect(chainDer[0]).toEqual(der("issuing.crt"));
}

async function upstreamError(p: Promise<unknown>): Promise<UpstreamError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UpstreamError);
  return e as UpstreamError;
}

describe.each([
  ["PBMAC (CMP_REF/CMP_SECRET)", MAC_SERVER, macSettings],
  ["signature (CMP_CERT/CMP_KEY)", SIG_SERVER, signatureSettings],
] as const)("CMP issuer with %s protection against openssl's mock CA", (_, serverArgs, settings) => {
  it("renews with kur (raVerified POP), confirms, and gets a certificate openssl verifies for the CSR's key", async () => {
    const mock = await mockServer([...serverArgs, ...ANSWER]);
    const exchanges: CmpExchange[] = [];
    const request = renewal();
    const issuer = createCmpIssuer(settings(mock.url), { onExchange: (e) => exchanges.push(e) });
    const outcome = await issuer.renew(request);
    expectIssuedForCsr(outcome);
    expect(exchanges.map(({ request, answer, pkiStatus }) => ({ request, answer, pkiStatus }))).toEqual([
      { request: "kur", answer: "kup", pkiStatus: 0 },
      { request: "certConf", answer: "pkiconf", pkiStatus: undefined },
    ]);
    for (const e of exchanges) {
      expect(e.transactionId).toBe(request.transactionId.toString("hex"));
      expect(e.requestSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await mock.messages("sending PKICONF")).toEqual([
      "received KUR",
      "sending KUP",
      "received CERTCONF",
      "sending PKICONF",
    ]);
  });

  it("revokes with rr and the CA's rp confirms it", async () => {
    const mock = await mockServer([...serverArgs, ...ANSWER]);
    await createCmpIssuer(settings(mock.url)).revoke({
      transactionId: randomBytes(16),
      certDer: der("new.crt"),
      reason: 1,
    });
    expect(await mock.messages("sending RP")).toEqual(["received RR", "sending RP"]);
  });
});

/**
 * An HTTP front for the mock that records each request and answer and may change the answer: `answer` gets the
 * request's number (from 1), the mock's answer and the answers so far; null cuts the connection instead.
 */
async function proxy(target: string, answer: (n: number, bytes: Buffer, answers: Buffer[]) => Buffer | null) {
  const bodies: Buffer[] = [];
  const answers: Buffer[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      bodies.push(body);
      const upstream = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/pkixcmp", connection: "close" },
        body: new Uint8Array(body),
      });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      const sent = answer(bodies.length, bytes, answers);
      answers.push(bytes);
      if (!sent) return req.socket.destroy();
      res.writeHead(200, { "content-type": "application/pkixcmp" }).end(sent);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pkix/`, bodies };
}

describe("CMP issuer: waiting, refusals and answers it must not trust", () => {
  it("polls a waiting CA (pollReq/pollRep, checkAfter) until the certificate comes", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER, "-poll_count", "2", "-check_after", "1"]);
    const outcome = await createCmpIssuer(macSettings(mock.url)).renew(renewal());
    expectIssuedForCsr(outcome);
    expect(await mock.messages("sending PKICONF")).toEqual(POLLED_TWICE);
  });

  it("answers pending when the CA asks to wait longer than maxWaitSeconds, and resumes polling on the retry", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER, "-poll_count", "2", "-check_after", "1"]);
    const issuer = createCmpIssuer(macSettings(mock.url, { maxWaitSeconds: 0 }));
    const request = renewal();
    expect(await issuer.renew(request)).toEqual({ status: "pending", retryAfterSeconds: 1 });
    const outcome = await issuer.renew(request);
    expect(outcome.status).toBe("issued");
    // one kur only: the retry continued the same transaction
    expect((await mock.messages("sending PKICONF")).filter((m) => m === "received KUR")).toHaveLength(1);
  });

  it("continues a waiting transaction after a restart from a transaction store that outlives the issuer", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER, "-poll_count", "2", "-check_after", "1"]);
    const saved = new Map<string, string>(); // e.g. a database row per transaction
    const transactions: CmpTransactionStore = {
      get: async (id) => saved.get(id),
      set: async (id, state) => void saved.set(id, state),
      delete: async (id) => void saved.delete(id),
    };
    const request = renewal();
    const before = createCmpIssuer(macSettings(mock.url, { maxWaitSeconds: 0 }), { transactions });
    expect((await before.renew(request)).status).toBe("pending");
    expect(saved.size).toBe(1);
    const after = createCmpIssuer(macSettings(mock.url, { maxWaitSeconds: 0 }), { transactions });
    expect((await after.renew(request)).status).toBe("issued");
    expect(saved.size).toBe(0);
    expect(await mock.messages("sending PKICONF")).toEqual(POLLED_TWICE);
  });

  it("turns a rejection into a final UpstreamError with the CA's failure and text", async () => {
    const mock = await mockServer([
      ...MAC_SERVER,
      ...ANSWER,
      "-pkistatus",
      "2",
      "-failure",
      "2",
      "-statusstring",
      "not for you",
    ]);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url)).renew(renewal()));
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("not for you");
    expect(e.detail).toMatchObject({ pkiStatus: 2, failInfo: "badRequest" });
  });

  it("keeps a refusal for an unavailable CA (systemUnavail) retryable", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER, "-pkistatus", "2", "-failure", "24"]);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url)).renew(renewal()));
    expect(e.retryable).toBe(true);
    expect(e.detail).toMatchObject({ failInfo: "systemUnavail" });
  });

  it("refuses an answer whose MAC was made with another secret", async () => {
    const mock = await mockServer([
      "-srv_ref",
      "ra-ref",
      "-srv_secret",
      "pass:not-our-secret",
      "-accept_unprotected",
      ...ANSWER,
    ]);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url)).renew(renewal()));
    expect(e.retryable).toBe(true);
    expect(e.message).toContain("MAC does not match");
    expect(e.detail).toMatchObject({ reason: "protection" });
  });

  it("refuses an unprotected answer", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER, "-send_unprotected"]);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url)).renew(renewal()));
    expect(e.message).toContain("not protected");
    expect(e.retryable).toBe(true);
  });

  it("refuses a signed answer whose signer does not chain to CMP_TRUSTED", async () => {
    const mock = await mockServer([...SIG_SERVER, ...ANSWER]);
    const issuer = createCmpIssuer(signatureSettings(mock.url, { trustedPem: pem("other.crt") }));
    const e = await upstreamError(issuer.renew(renewal()));
    expect(e.message).toContain("to CMP_TRUSTED");
    expect(e.detail).toMatchObject({ reason: "protection" });
  });

  it("rejects in certConf a certificate for another key, as a final refusal", async () => {
    // old.crt has the serial the mock checks in oldCertID, but the old key
    const mock = await mockServer([
      ...MAC_SERVER,
      "-rsp_cert",
      "old.crt",
      "-rsp_extracerts",
      "issuing.crt",
      "-accept_raverified",
    ]);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url)).renew(renewal()));
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("another public key");
    expect(await mock.messages("received CERTCONF")).toContain("received CERTCONF");
  });

  it("rejects in certConf a certificate outside its validity", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER]);
    const later = () => new Date(Date.now() + 60 * 86400_000);
    const e = await upstreamError(createCmpIssuer(macSettings(mock.url), { now: later }).renew(renewal()));
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("outside its validity");
    expect(await mock.messages("received CERTCONF")).toContain("received CERTCONF");
  });

  it("reuses the transactionID when a renewal is retried after the answer was lost", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER]);
    const front = await proxy(mock.url, (n, bytes) => (n === 1 ? null : bytes));
    const issuer = createCmpIssuer(macSettings(front.url));
    const request = renewal();
    const first = await upstreamError(issuer.renew(request));
    expect(first.retryable).toBe(true);
    const outcome = await issuer.renew(request);
    expect(outcome.status).toBe("issued");
    const ids = front.bodies.map((b) => parseMessage(b).header.transactionID);
    expect(ids).toHaveLength(3); // kur (answer lost), kur, certConf
    for (const id of ids) expect(id).toEqual(request.transactionId);
  });

  it("after a lost pkiconf re-sends certConf, and starts over under the same transactionID once the CA has closed it", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER]);
    const front = await proxy(mock.url, (n, bytes) => (n === 2 ? null : bytes));
    const issuer = createCmpIssuer(macSettings(front.url));
    const request = renewal();
    expect((await upstreamError(issuer.renew(request))).detail).toMatchObject({ reason: "unreachable" });
    // the mock took the first certConf and closed the transaction: it refuses the second one
    expect(await upstreamError(issuer.renew(request))).toMatchObject({
      retryable: true,
      detail: { reason: "refused" },
    });
    expect((await issuer.renew(request)).status).toBe("issued");
    const sent = front.bodies.map((b) => parseMessage(b));
    expect(sent.map((m) => BODY_NAME[m.bodyType])).toEqual(["kur", "certConf", "certConf", "kur", "certConf"]);
    for (const m of sent) expect(m.header.transactionID).toEqual(request.transactionId);
  });

  it("refuses a replayed answer: its recipNonce is not the senderNonce of the request it answers", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER]);
    // the certConf gets the kup again: same transaction, valid MAC, stale nonce
    const front = await proxy(mock.url, (n, bytes, answers) => (n === 2 ? answers[0] : bytes));
    const e = await upstreamError(createCmpIssuer(macSettings(front.url)).renew(renewal()));
    expect(e.message).toContain("recipNonce");
    expect(e.retryable).toBe(true);
  });

  it("speaks https to a CA whose TLS certificate chains to CMP_TLS_TRUSTED, and refuses it without", async () => {
    const mock = await mockServer([...MAC_SERVER, ...ANSWER]);
    writeFileSync(f("tls.cnf"), "[tls]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    pki.newKey("tls.key");
    openssl(["req", "-new", "-key", "tls.key", "-subj", "/CN=127.0.0.1", "-out", "tls.csr"]);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        "tls.csr",
        "-CA",
        "root.crt",
        "-CAkey",
        "root.key",
        "-days",
        "30",
        "-out",
        "tls.crt",
      ].concat(["-extfile", "tls.cnf", "-extensions", "tls"]),
    );
    const front = createHttpsServer({ key: pem("tls.key"), cert: pem("tls.crt") }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const answer = await fetch(mock.url, {
          method: "POST",
          headers: { "content-type": "application/pkixcmp" },
          body: new Uint8Array(Buffer.concat(chunks)),
        });
        res.writeHead(200, { "content-type": "application/pkixcmp" }).end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => front.close(() => r())));
    const url = `https://127.0.0.1:${(front.address() as AddressInfo).port}/pkix/`;

    const untrusting = await upstreamError(createCmpIssuer(macSettings(url)).renew(renewal()));
    expect(untrusting).toMatchObject({ retryable: true, detail: { reason: "unreachable" } });
    const outcome = await createCmpIssuer(macSettings(url, { tlsTrustedFile: f("root.crt") })).renew(renewal());
    expect(outcome.status).toBe("issued");
  });

  it("reports a CA that cannot be reached, answers garbage or does not answer in time as retryable", async () => {
    const down = await upstreamError(
      createCmpIssuer(macSettings(`http://127.0.0.1:${await freePort()}/pkix/`)).renew(renewal()),
    );
    expect(down).toMatchObject({ retryable: true, detail: { reason: "unreachable" } });

    const junk = createHttpServer((_, res) =>
      res.writeHead(200, { "content-type": "application/pkixcmp" }).end("\x30\x03\x02\x01"),
    );
    await new Promise<void>((r) => junk.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => junk.close(() => r())));
    const url = `http://127.0.0.1:${(junk.address() as AddressInfo).port}/`;
    const e = await upstreamError(createCmpIssuer(macSettings(url)).renew(renewal()));
    expect(e).toMatchObject({ retryable: true, detail: { reason: "garbage" } });

    const silent = createHttpServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => silent.close(() => r())));
    const slowUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const slow = await upstreamError(createCmpIssuer(macSettings(slowUrl, { timeoutMs: 300 })).renew(renewal()));
    expect(slow).toMatchObject({ retryable: true, detail: { reason: "timeout" } });
  });

  it("without raVerified the CA refuses the kur (badPOP); p10cr with the holder's CSR is the fallback", async () => {
    const args = [...MAC_SERVER, "-rsp_cert", "new.crt", "-rsp_extracerts", "issuing.crt"];
    const strict = await mockServer(args);
    const e = await upstreamError(createCmpIssuer(macSettings(strict.url)).renew(renewal()));
    expect(e).toMatchObject({ retryable: false, detail: { failInfo: "badPOP" } });

    const mock = await mockServer(args);
    const outcome = await createCmpIssuer(macSettings(mock.url, { renewalRequest: "p10cr" })).renew(renewal());
    expectIssuedForCsr(outcome);
    expect(await mock.messages("sending PKICONF")).toEqual([
      "received P10CR",
      "sending CP",
      "received CERTCONF",
      "sending PKICONF",
    ]);
  });

  it("counts a revocation of an already revoked certificate (certRevoked) as confirmed, other refusals as final", async () => {
    const revoked = await mockServer([...MAC_SERVER, ...ANSWER, "-pkistatus", "2", "-failure", "10"]);
    const revocation = { transactionId: randomBytes(16), certDer: der("new.crt"), reason: 4 };
    await createCmpIssuer(macSettings(revoked.url)).revoke(revocation);
    const refused = await mockServer([...MAC_SERVER, ...ANSWER, "-pkistatus", "2", "-failure", "23"]);
    const e = await upstreamError(createCmpIssuer(macSettings(refused.url)).revoke(revocation));
    expect(e).toMatchObject({ retryable: false, detail: { failInfo: "notAuthorized" } });
  });
});

describe.skipIf(!existsSync(SOFTHSM_MODULE))(
  "CMP issuer signing with the RA's key in a PKCS#11 token (SoftHSM2)",
  () => {
    const token = { module: SOFTHSM_MODULE, tokenLabel: "cmp-ra", pin: "246810", keyLabel: "ra" };
    let signer: Pkcs11Signer;

    beforeAll(async () => {
      useSoftHsm(path.join(pki.dir, "softhsm"));
      execFileSync(
        "softhsm2-util",
        ["--init-token", "--free", "--label", token.tokenLabel, "--so-pin", "13579135", "--pin", token.pin],
        {
          stdio: "ignore",
        },
      );
      await Pkcs11Signer.generate({ ...token, algorithm: "P-256" });
      signer = await Pkcs11Signer.open(token);
      // the RA certificate for the token's key: a throwaway request, its key replaced by the token's
      writeFileSync(
        f("hsm-ra.pub"),
        createPublicKey({ key: signer.publicKeySpki, format: "der", type: "spki" }).export({
          type: "spki",
          format: "pem",
        }),
      );
      pki.newKey("hsm-ra.key");
      openssl([
        "req",
        "-new",
        "-key",
        "hsm-ra.key",
        "-subj",
        "/O=CertRenew/CN=CertRenew RA (HSM)",
        "-out",
        "hsm-ra.csr",
      ]);
      openssl(
        [
          "x509",
          "-req",
          "-in",
          "hsm-ra.csr",
          "-force_pubkey",
          "hsm-ra.pub",
          "-CA",
          "root.crt",
          "-CAkey",
          "root.key",
        ].concat(["-days", "30", "-extfile", "exts.cnf", "-extensions", "ee", "-out", "hsm-ra.crt"]),
      );
    });
    afterAll(() => signer?.close());

    it("renews with kur protected by the token's signature", async () => {
      const mock = await mockServer([...SIG_SERVER, ...ANSWER]);
      const issuer = createCmpIssuer(
        { serverUrl: mock.url, certPem: pem("hsm-ra.crt"), trustedPem: pem("root.crt") },
        { signer },
      );
      const outcome = await issuer.renew(renewal());
      expectIssuedForCsr(outcome);
    });

    it("refuses a token key that is not CMP_CERT's", () => {
      expect(() =>
        createCmpIssuer(
          { serverUrl: "http://127.0.0.1:1/", certPem: pem("ra.crt"), trustedPem: pem("root.crt") },
          { signer },
        ),
      ).toThrow(/not the key of CMP_CERT/);
    });
  },
);
