import type { Db } from "../db";
import { blindIndex, decryptField, encryptField, type FieldKeys } from "../crypto/field";

/**
 * FIELD_ENCRYPTION_KEY rotation: every value sealed with lib/crypto/field.ts is opened with the previous key and
 * sealed again with the new one, and the blind indexes are recomputed — through field.ts's public functions only,
 * so whatever algorithm field.ts seals with (AES-256-GCM, or SM4 with CRYPTO_SUITE=gm) is what the rows get.
 *
 * A value that already opens with the new key is left alone, so the job can be stopped and run again and a second
 * run changes nothing. Rows are worked in batches by id, one transaction per batch. A value that opens with neither
 * key is counted as `unreadable` and left as it is (the job ends with a non-zero count: look before deleting the
 * old key).
 *
 * The columns: Certificate.holderIdEnc (+ holderIdHash), RenewalOrder.handlerIdEnc, handlerMobileEnc,
 * StaffUser.totpSecret. A new sealed column must be added to COLUMNS' users below (deploy/PRODUCTION.md).
 */

export interface RekeyCounts {
  certificates: number;
  orders: number;
  staff: number;
  alreadyNew: number;
  unreadable: number;
}

type Reseal = (value: string) => { sealed: string; plain: string } | "new" | "unreadable";

function resealer(from: FieldKeys, to: FieldKeys): Reseal {
  return (value) => {
    try {
      decryptField(to, value);
      return "new";
    } catch {
      // not (yet) under the new key
    }
    let plain: string;
    try {
      plain = decryptField(from, value);
    } catch {
      return "unreadable";
    }
    return { sealed: encryptField(to, plain), plain };
  };
}

export async function rekeyFields(
  db: Db,
  from: FieldKeys,
  to: FieldKeys,
  opts: { batch?: number } = {},
): Promise<RekeyCounts> {
  const batch = opts.batch ?? 200;
  const reseal = resealer(from, to);
  const counts: RekeyCounts = { certificates: 0, orders: 0, staff: 0, alreadyNew: 0, unreadable: 0 };
  const tally = (r: ReturnType<Reseal>) => {
    if (r === "new") counts.alreadyNew++;
    else if (r === "unreadable") counts.unreadable++;
    return typeof r === "object" ? r : null;
  };

  for (let after = ""; ;) {
    const rows = await db.certificate.findMany({
      where: { id: { gt: after } },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, holderIdEnc: true },
    });
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        const r = tally(reseal(row.holderIdEnc));
        if (!r) continue;
        await tx.certificate.update({
          where: { id: row.id },
          data: { holderIdEnc: r.sealed, holderIdHash: blindIndex(to, r.plain) },
        });
        counts.certificates++;
      }
    });
  }

  for (let after = ""; ;) {
    const rows = await db.renewalOrder.findMany({
      where: { id: { gt: after } },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, handlerIdEnc: true, handlerMobileEnc: true },
    });
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        const id = tally(reseal(row.handlerIdEnc));
        const mobile = tally(reseal(row.handlerMobileEnc));
        if (!id && !mobile) continue;
        // updatedAt is the order's own business time (helpdesk lists sort by it): a re-encryption keeps it
        await tx.$executeRaw`UPDATE "RenewalOrder" SET "handlerIdEnc" = ${id?.sealed ?? row.handlerIdEnc}, "handlerMobileEnc" = ${mobile?.sealed ?? row.handlerMobileEnc} WHERE id = ${row.id}`;
        counts.orders++;
      }
    });
  }

  const staff = await db.staffUser.findMany({
    where: { totpSecret: { not: null } },
    select: { id: true, totpSecret: true },
  });
  for (const row of staff) {
    const r = tally(reseal(row.totpSecret!));
    if (!r) continue;
    await db.staffUser.update({ where: { id: row.id }, data: { totpSecret: r.sealed } });
    counts.staff++;
  }
  return counts;
}
