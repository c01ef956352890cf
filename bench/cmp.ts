/**
 * Renewals through the CMP issuer (ISSUER=cmp) against OpenSSL's CMP mock server: kur → kup → certConf → pkiconf,
 * one after another, with PBMAC and with signature protection; then revocations (rr → rp). Beside the rate, the
 * CPU this process spent per renewal (building, protecting and checking the messages), which is the portal's
 * share: the rest of each round trip is the mock's.
 *
 *   npx tsx bench/cmp.ts [--count 200]
 *
 * Sequential on purpose: the mock holds one transaction at a time (a second kur aborts the first), so its rate
 * is a floor for a real CA, not a ceiling for the client.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  CMP_MOCK_MAC_ARGS,
  CMP_MOCK_REF,
  CMP_MOCK_SECRET,
  CMP_MOCK_SIGNATURE_ARGS,
  cmpMockAnswer,
  createCmpMockPki,
  startCmpMock,
} from "../lib/dev/testing/cmp-mock";
import { createCmpIssuer, type CmpSettings } from "../lib/pki/issuers/cmp";
import { certFields } from "../lib/pki/issuers/cmp/protection";
import type { UpstreamIssuer } from "../lib/pki/issuers/types";
import { PROFILES } from "../lib/pki/profiles";

const { values } = parseArgs({ options: { count: { type: "string", default: "200" } } });
const count = Number(values.count);

const pki = createCmpMockPki();
const serial = `0x${randomBytes(8).toString("hex")}`;
pki.newKey("old.key");
const oldDer = pki.issue("old", { subject: "/C=CN/O=Bench Org/CN=Bench Holder", ca: "issuing", ext: "ee", serial });
pki.newKey("new.key");
const newDer = pki.issue("new", { subject: "/C=CN/O=Bench Org/CN=Bench Holder", ca: "issuing", ext: "ee", serial });

async function run(name: string, serverArgs: string[], settings: (url: string) => CmpSettings) {
  const mock = await startCmpMock(pki, [...serverArgs, ...cmpMockAnswer("new")]);
  try {
    const issuer: UpstreamIssuer = createCmpIssuer(settings(mock.url));
    const request = () => ({
      transactionId: randomBytes(16),
      oldCertDer: oldDer,
      csrDer: pki.der("new.csr"),
      spki: certFields(newDer).spki,
      subjectDer: certFields(oldDer).subject,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 365 * 86400_000),
      profile: PROFILES.personal,
    });
    for (let i = 0; i < 5; i++) await issuer.renew(request()); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const outcome = await issuer.renew(request());
      if (outcome.status !== "issued") throw new Error(`renewal ${i}: ${outcome.status}`);
    }
    const renewMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const t1 = performance.now();
    for (let i = 0; i < count; i++) await issuer.revoke({ transactionId: randomBytes(16), certDer: newDer, reason: 4 });
    const revokeMs = performance.now() - t1;
    console.log(
      `${name.padEnd(10)} renewals ${((count / renewMs) * 1000).toFixed(0).padStart(5)}/s ` +
        `(${(renewMs / count).toFixed(1)} ms each, client CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(2)} ms)  ` +
        `revocations ${((count / revokeMs) * 1000).toFixed(0).padStart(5)}/s`,
    );
  } finally {
    await mock.stop();
  }
}

try {
  console.log(`CMP issuer against openssl cmp's mock server, ${count} sequential renewals and revocations each`);
  await run("PBMAC", CMP_MOCK_MAC_ARGS, (url) => ({
    serverUrl: url,
    ref: CMP_MOCK_REF,
    secret: CMP_MOCK_SECRET,
    trustedFile: pki.file("root.crt"),
  }));
  await run("signature", CMP_MOCK_SIGNATURE_ARGS, (url) => ({
    serverUrl: url,
    certFile: pki.file("ra.crt"),
    keyFile: pki.file("ra.key"),
    trustedFile: pki.file("root.crt"),
  }));
} finally {
  rmSync(pki.dir, { recursive: true, force: true });
}
