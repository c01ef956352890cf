import type { Db } from "../../db";
import { DAY, type Clock } from "../../clock";
import type { CmpTransactionStore } from "./cmp/transactions";

/**
 * ISSUER=cmp's open transactions (waiting for the CA, or issued and not yet confirmed) in the CmpTransaction table:
 * they outlive a restart of the portal and every instance sees them, so the next renew() of the order — the holder's
 * retry or the upstream job, on any instance — polls or confirms the same CMP transaction instead of asking again.
 * Two instances never work one transaction at once: the order's upstream lease (lib/renewal/upstream-issue.ts)
 * admits one exchange per order.
 */
export function dbCmpTransactionStore(db: () => Promise<Db>): CmpTransactionStore {
  return {
    async get(transactionId) {
      const row = await (await db()).cmpTransaction.findUnique({ where: { transactionId } });
      return row?.state;
    },
    async set(transactionId, state) {
      await (
        await db()
      ).cmpTransaction.upsert({ where: { transactionId }, create: { transactionId, state }, update: { state } });
    },
    async delete(transactionId) {
      await (await db()).cmpTransaction.deleteMany({ where: { transactionId } });
    },
  };
}

/**
 * How long an open CMP transaction is kept after its last exchange. The upstream job retries an order at least every
 * 30 minutes, so a row untouched this long belongs to an order that was settled another way (refunded, cancelled,
 * re-issued) or to a transaction the CA has long since dropped (RFC 9483 servers time out open transactions within
 * hours): continuing it could only be refused, and a retry then starts a new transaction.
 */
export const CMP_TRANSACTION_RETENTION_MS = 30 * DAY;

/** Deletes the CmpTransaction rows untouched for CMP_TRANSACTION_RETENTION_MS (the housekeeping job). */
export async function purgeStaleCmpTransactions(db: Db, clock: Clock): Promise<number> {
  const before = new Date(clock.now().getTime() - CMP_TRANSACTION_RETENTION_MS);
  return (await db.cmpTransaction.deleteMany({ where: { updatedAt: { lt: before } } })).count;
}
