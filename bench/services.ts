/**
 * Holder services in one process against a scratch database: status queries (by serial and by certificate),
 * and the online-unlock server steps (identity check + code, SO PIN release, confirm), each audited.
 *
 *   npx tsx bench/services.ts [--n 300]                                  (in-memory PGlite)
 *   DATABASE_URL=postgresql://… npx tsx bench/services.ts [--n 300]      (a scratch database on that server)
 */
import { parseArgs } from "node:util";
import { generateKeyPairSync } from "node:crypto";
import { TEST_BYPASS_ANSWER } from "../lib/captcha";
import { systemClock } from "../lib/clock";
import { getConfig, resetConfig } from "../lib/config";
import { confirmUnlock, releaseSoPin, startUnlock } from "../lib/services/unlock";
import { certificateStatus } from "../lib/services/status";
import { useTestEnv } from "../lib/dev/testing/env";
import { createTestDb } from "../lib/dev/testing/db";
import { createTestCa, insertHolderCertificate } from "../lib/dev/testing/pki";
import { Recorder, commandLine, machine, statsTable } from "../lib/dev/sim/stats";

const { values } = parseArgs({ options: { n: { type: "string", default: "300" } } });
const n = Number(values.n);
useTestEnv({ TEST_CAPTCHA_BYPASS: "1" });
resetConfig();

const db = await createTestDb();
const { ca } = await createTestCa();
const DAY = 86_400_000;
const now = Date.now();
const holders = [];
for (let i = 0; i < Math.min(n, 200); i++) {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const h = await insertHolderCertificate(db.prisma, ca, {
    notBefore: new Date(now - 300 * DAY),
    notAfter: new Date(now + (i % 90) * DAY),
    key,
  });
  const row = await db.prisma.certificate.update({ where: { id: h.row.id }, data: { tokenSerial: `BENCH${i}` } });
  holders.push({ ...h, row });
}

const rec = new Recorder();
for (let i = 0; i < n; i++) {
  const h = holders[i % holders.length];
  await rec.time("status by serial", () =>
    certificateStatus(db.prisma, { serial: h.row.serial }, { clock: systemClock, rateKey: `b${i}` }),
  );
  await rec.time("status by certificate", () =>
    certificateStatus(db.prisma, { certificateDer: h.der }, { clock: systemClock, rateKey: `c${i}` }),
  );
}
for (let i = 0; i < Math.min(n, holders.length * 4); i++) {
  const h = holders[i % holders.length];
  const actor = { type: "holder" as const, id: null, ip: `10.0.${i >> 8}.${i & 255}`, userAgent: "bench" };
  const ctx = { clock: systemClock, actor, config: getConfig() };
  let started;
  try {
    started = await rec.time("unlock start (captcha, ID, code mail)", () =>
      startUnlock(
        db.prisma,
        {
          certificateDer: h.der,
          tokenSerial: h.row.tokenSerial!,
          idNumber: "370101199001011234",
          captchaId: crypto.randomUUID(),
          captchaAnswer: TEST_BYPASS_ANSWER,
          locale: "zh-CN",
        },
        ctx,
      ),
    );
  } catch {
    continue; // the per-certificate limit (5 an hour) stops repeats of one holder, as it should
  }
  const mail = await db.prisma.mailOutbox.findFirstOrThrow({
    where: { certificateId: h.row.id, template: "unlock_code" },
    orderBy: { createdAt: "desc" },
  });
  const code = String((mail.data as { code: string }).code);
  await rec.time("unlock release (code → SO PINs)", () =>
    releaseSoPin(db.prisma, { requestId: started.requestId, code }, ctx),
  );
  await rec.time("unlock confirm (version bump)", () =>
    confirmUnlock(db.prisma, { requestId: started.requestId, code, usedAlternative: false }, ctx),
  );
}

console.log(
  `# ${commandLine()}\n# ${new Date().toISOString()} · ${machine()} · ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite (in-memory)"}\n`,
);
console.log(statsTable(rec.stats()));
if (rec.errorSamples.length) console.log(`\nerrors: ${rec.errorSamples.slice(0, 3).join("; ")}`);
await db.close();
process.exit(0);
