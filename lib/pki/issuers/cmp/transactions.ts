/**
 * CMP transactions left open between two renew() calls: waiting (the next call polls) or issued but not yet
 * confirmed (the next call re-sends certConf). Kept in a CmpTransactionStore: in this process by default, or where
 * the caller wants them to outlive it (a database row), so that a retry after a restart continues the same
 * transaction instead of asking the CA again.
 */

/** Where open transactions live; keys are transactionIDs in hex, values opaque strings (JSON). */
export interface CmpTransactionStore {
  get(transactionId: string): Promise<string | undefined>;
  set(transactionId: string, state: string): Promise<void>;
  delete(transactionId: string): Promise<void>;
}

export interface Transaction {
  id: Buffer;
  /** GeneralName, DER */
  recipient: Buffer;
  /** the CA's last senderNonce: our next recipNonce */
  caNonce?: Buffer;
}

export type OpenTransaction =
  | { kind: "waiting"; tx: Transaction; certReqId: number }
  | { kind: "confirming"; tx: Transaction; certReqId: number; certDer: Buffer; chainDer: Buffer[] };

const MAX_IN_MEMORY = 10_000;

/** The default store: this process only, the oldest forgotten past 10,000 (its retry then asks the CA again). */
export function memoryTransactionStore(): CmpTransactionStore {
  const map = new Map<string, string>();
  return {
    get: async (id) => map.get(id),
    async set(id, state) {
      map.delete(id);
      map.set(id, state);
      if (map.size > MAX_IN_MEMORY) map.delete(map.keys().next().value!);
    },
    delete: async (id) => void map.delete(id),
  };
}

const b64 = (b: Buffer) => b.toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64");

export function serialize(t: OpenTransaction): string {
  const tx = { id: b64(t.tx.id), recipient: b64(t.tx.recipient), caNonce: t.tx.caNonce && b64(t.tx.caNonce) };
  return JSON.stringify(
    t.kind === "waiting"
      ? { kind: t.kind, tx, certReqId: t.certReqId }
      : { kind: t.kind, tx, certReqId: t.certReqId, certDer: b64(t.certDer), chainDer: t.chainDer.map(b64) },
  );
}

/** The stored state, or undefined if it is not one this version wrote (then the request is sent afresh). */
export function deserialize(s: string): OpenTransaction | undefined {
  try {
    const v = JSON.parse(s) as {
      kind: string;
      tx: { id: string; recipient: string; caNonce?: string };
      certReqId: number;
      certDer?: string;
      chainDer?: string[];
    };
    const tx: Transaction = {
      id: unb64(v.tx.id),
      recipient: unb64(v.tx.recipient),
      caNonce: v.tx.caNonce ? unb64(v.tx.caNonce) : undefined,
    };
    if (!Number.isInteger(v.certReqId)) return undefined;
    if (v.kind === "waiting") return { kind: "waiting", tx, certReqId: v.certReqId };
    if (v.kind === "confirming" && v.certDer && Array.isArray(v.chainDer))
      return {
        kind: "confirming",
        tx,
        certReqId: v.certReqId,
        certDer: unb64(v.certDer),
        chainDer: v.chainDer.map(unb64),
      };
    return undefined;
  } catch {
    return undefined;
  }
}
