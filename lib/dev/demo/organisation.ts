import type { Db } from "../../db";
import { DAY, systemClock } from "../../clock";
import { linkCertificate, upsertOrganisation } from "../../org/organisations";
import { DEMO_ORGANISATION, demoCreditCode } from "./holders";
import type { DemoHolderEntry } from "./seed";

const SEED = { type: "system" as const, id: "demo-seed" };

/**
 * 大客户专区's demo organisation: its organisation certificate (a demo holder on a virtual token) signs it into
 * /org, and it pays for the holders listed in DEMO_ORGANISATION (a service contract for a year). Idempotent: links
 * are written only where missing, so a staff member's change in the demo stays.
 */
export async function ensureDemoOrganisation(db: Db, manifest: DemoHolderEntry[]): Promise<string | null> {
  const consoleCert = manifest.find((m) => m.key === DEMO_ORGANISATION.consoleKey);
  if (!consoleCert) return null;
  const creditCode = demoCreditCode(9001);
  let org = await db.organisation.findUnique({ where: { creditCode } });
  if (!org) {
    org = await upsertOrganisation(
      db,
      {
        name: DEMO_ORGANISATION.name,
        creditCode,
        contactEmail: DEMO_ORGANISATION.contactEmail,
        contractNo: DEMO_ORGANISATION.contractNo,
        contractUntil: new Date(systemClock.now().getTime() + 365 * DAY),
      },
      SEED,
      systemClock,
    );
    await linkCertificate(db, {
      serial: consoleCert.serial,
      organisationId: org.id,
      console: true,
      actor: SEED,
      clock: systemClock,
    });
    for (const m of manifest.filter((h) => DEMO_ORGANISATION.holderKeys.some((re) => re.test(h.key))))
      await linkCertificate(db, { serial: m.serial, organisationId: org.id, actor: SEED, clock: systemClock });
  }
  return `大客户专区 (/org): ${org.name}, sign in with the key of ${consoleCert.key} (PIN 111111)`;
}
