import { appendAudit } from "../../audit";
import { systemClock, type Clock } from "../../clock";
import { getDb, type Db, type Tx } from "../../db";
import { log } from "../../log";
import { certificateInfo } from "../cert-info";
import type { Signer } from "../signer";
import { sha256Hex } from "../x509";
import { createCmpIssuer as createCmpClient, type CmpExchange } from "./cmp";
import { dbCmpTransactionStore } from "./cmp-store";
import type { CmpTransactionStore } from "./cmp/transactions";
import type { UpstreamIssuer } from "./types";

/**
 * ISSUER=cmp as the portal runs it: the CMP client of issuers/cmp/ with
 * - its open transactions in the database (cmp-store.ts: a retry after a restart, or on another instance, continues
 *   the same CMP transaction);
 * - every CMP message exchange (kur/p10cr, pollReq, certConf, rr and what came back) as an audit event
 *   `upstream.cmp` on the order or certificate it is for, beside the one `upstream.renew` / `upstream.revoke`
 *   event per call that lib/renewal/upstream-issue.ts and lib/services/revocation-intents.ts write for every
 *   upstream (cfssl's included).
 * The settings are the CMP_* variables (lib/config) as issuers/index.ts passes them; files are read here.
 */
export interface CmpSettings {
  serverUrl: string;
  ref?: string;
  secret?: string;
  /** RA certificate and key files (signature protection) */
  certFile?: string;
  keyFile?: string;
  keyPassphrase?: string;
  /** PEM file: the CA certificates the answers must chain to */
  trustedFile?: string;
  /** PEM file: https only, the CAs the server's TLS certificate chains to */
  tlsTrustedFile?: string;
  recipient?: string;
  sender?: string;
  renewalRequest?: "kur" | "p10cr";
  timeoutMs: number;
  /** how long one renew() polls a waiting CA before answering `pending` (default 30) */
  maxWaitSeconds?: number;
}

export interface CmpFactoryOptions {
  /** the database for open transactions and audit events; default the process's (lib/db getDb) */
  db?: () => Promise<Db>;
  clock?: Clock;
  /** the RA key when it is not a file (PKCS#11) */
  signer?: Signer;
  /** default: the database (dbCmpTransactionStore) */
  transactions?: CmpTransactionStore;
}

export function createCmpIssuer(settings: CmpSettings, options: CmpFactoryOptions = {}): UpstreamIssuer {
  const db = options.db ?? getDb;
  const clock = options.clock ?? systemClock;
  const calls = new Map<string, Call>();
  const client = createCmpClient(
    {
      serverUrl: settings.serverUrl,
      ref: settings.ref,
      secret: settings.secret,
      certFile: settings.certFile,
      keyFile: settings.keyFile,
      keyPassphrase: settings.keyPassphrase,
      trustedFile: settings.trustedFile,
      tlsTrustedFile: settings.tlsTrustedFile,
      recipient: settings.recipient,
      sender: settings.sender,
      renewalRequest: settings.renewalRequest,
      timeoutMs: settings.timeoutMs,
      maxWaitSeconds: settings.maxWaitSeconds,
    },
    {
      signer: options.signer,
      transactions: options.transactions ?? dbCmpTransactionStore(db),
      onExchange: (e) => calls.get(e.transactionId)?.record(e),
    },
  );

  /** Runs one renew()/revoke() with its exchanges recorded; they are all written before it returns. */
  async function recorded<T>(transactionId: Buffer, operation: Operation, target: Target, fn: () => Promise<T>) {
    const call = new Call(db, clock, operation, target);
    const key = transactionId.toString("hex");
    calls.set(key, call);
    try {
      return await fn();
    } finally {
      calls.delete(key);
      await call.written();
    }
  }

  return {
    kind: "cmp",
    async renew(req) {
      const target = renewalTarget(db, req.oldCertDer, req.spki);
      return recorded(req.transactionId, "renew", target, () => client.renew(req));
    },
    async revoke(req) {
      const key = req.transactionId.toString("hex");
      const target = (async (): Promise<TargetRef> => {
        const intent = await (await db()).upstreamRevocation.findUnique({ where: { transactionId: key } });
        return intent
          ? { targetType: "certificate", targetId: intent.certificateId }
          : { targetType: "cmp_transaction", targetId: key };
      })();
      return recorded(req.transactionId, "revoke", target, () => client.revoke(req));
    },
  };
}

type Operation = "renew" | "revoke";
interface TargetRef {
  targetType: string;
  targetId: string;
}
type Target = Promise<TargetRef>;

/**
 * The order a renewal is for: the `issuing` order of the old certificate for this new key (upstream-issue.ts
 * derives the transactionId from exactly these). Without one (a bench, a script): the transaction itself.
 */
async function renewalTarget(db: () => Promise<Db>, oldCertDer: Buffer, spki: Buffer): Target {
  const client = await db();
  const old = await client.certificate.findUnique({
    where: { serial: certificateInfo(oldCertDer).serial },
    select: { id: true },
  });
  const order =
    old &&
    (await client.renewalOrder.findFirst({
      where: { certificateId: old.id, newSpkiSha256: sha256Hex(spki), state: "issuing" },
      select: { id: true },
      orderBy: { createdAt: "desc" },
    }));
  return order ? { targetType: "order", targetId: order.id } : { targetType: "cmp_transaction", targetId: "" };
}

/** The exchanges of one call, written in order as they happen (a failed write is logged, never fails the call). */
class Call {
  #chain: Promise<void> = Promise.resolve();
  #last = Date.now();

  constructor(
    private readonly db: () => Promise<Db>,
    private readonly clock: Clock,
    private readonly operation: Operation,
    private readonly target: Target,
  ) {
    target.catch(() => undefined);
  }

  record(e: CmpExchange): void {
    const now = Date.now();
    const ms = now - this.#last;
    this.#last = now;
    this.#chain = this.#chain.then(async () => {
      try {
        const t = await this.target.catch((): TargetRef => ({ targetType: "cmp_transaction", targetId: "" }));
        await appendAudit(
          (await this.db()) as Tx,
          {
            actorType: "system",
            actorId: "upstream.cmp",
            action: "upstream.cmp",
            targetType: t.targetType,
            targetId: t.targetId || e.transactionId,
            data: {
              operation: this.operation,
              transactionId: e.transactionId,
              request: e.request,
              requestSha256: e.requestSha256,
              answer: e.answer ?? null,
              pkiStatus: e.pkiStatus ?? null,
              error: e.error?.slice(0, 200) ?? null,
              ms,
            },
          },
          this.clock,
        );
      } catch (err) {
        log.error({ err, transactionId: e.transactionId, request: e.request }, "CMP exchange not audited");
      }
    });
  }

  written(): Promise<void> {
    return this.#chain;
  }
}
