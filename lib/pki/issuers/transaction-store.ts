import type { Db } from "@/lib/db";

/**
 * Where an upstream client keeps a transaction open between two calls (the CMP client's CmpTransactionStore
 * shape: get/set/delete of an opaque string by transactionId hex), in the database so it outlives the process and
 * is shared by every instance: the recovery job on another instance continues the transaction a request began.
 */
export interface UpstreamTransactionStore {
  get(transactionId: string): Promise<string | undefined>;
  set(transactionId: string, state: string): Promise<void>;
  delete(transactionId: string): Promise<void>;
}

export function dbTransactionStore(db: () => Promise<Db>): UpstreamTransactionStore {
  return {
    async get(id) {
      return (await (await db()).upstreamTransaction.findUnique({ where: { id } }))?.state;
    },
    async set(id, state) {
      await (await db()).upstreamTransaction.upsert({ where: { id }, create: { id, state }, update: { state } });
    },
    async delete(id) {
      await (await db()).upstreamTransaction.deleteMany({ where: { id } });
    },
  };
}
