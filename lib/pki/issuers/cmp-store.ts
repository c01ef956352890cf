import type { Db } from "../../db";
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
