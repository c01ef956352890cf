import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { SandboxTrade } from "../../generated/prisma/client";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import { MINUTE, HOUR } from "../../clock";
import { log } from "../../log";
import { fenToYuan } from "../../payments/alipay/amount";
import { formatAlipayTime } from "../../payments/alipay/time";
import type { SandboxEnv } from "./env";
import { effectiveFaults } from "./faults";
import { rsa2Sign, signingString } from "./sign";
import { selectRows, sqlRows, type Sql } from "../../db/lean";

/** Alipay's documented notify schedule after the first attempt: 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 attempts, ~25 h). */
export const RETRY_SCHEDULE_MS = [4 * MINUTE, 10 * MINUTE, 10 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 15 * HOUR];
const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

let strangerKey: string | undefined;
function forgedSigner(): string {
  strangerKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs1", format: "pem" })
    .toString();
  return strangerKey;
}

type TradeStatus = "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED" | "TRADE_FINISHED";

export interface NotifyExtra {
  /** a refund that caused this notification */
  refund?: { outRequestNo: string; refundedFen: number };
  /** the fen amount to claim instead of the trade's (the wrongAmount fault) */
  amountFen?: number;
}

/** The form fields Alipay posts for a trade status change, signed (RSA2 over all fields but sign and sign_type). */
export function buildNotify(
  trade: SandboxTrade,
  env: SandboxEnv,
  status: TradeStatus,
  extra: NotifyExtra = {},
  forged = false,
): Record<string, string> {
  const now = env.clock.now();
  const amount = fenToYuan(extra.amountFen ?? trade.totalFen);
  const fields: Record<string, string> = {
    notify_time: formatAlipayTime(now),
    notify_type: "trade_status_sync",
    notify_id: randomBytes(16).toString("hex"),
    app_id: trade.appId,
    charset: "utf-8",
    version: "1.0",
    sign_type: "RSA2",
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    seller_id: env.identity.sellerId,
    trade_status: status,
    total_amount: amount,
    subject: trade.subject,
    gmt_create: formatAlipayTime(trade.createdAt),
  };
  if (trade.buyerLogonId) fields.buyer_logon_id = trade.buyerLogonId;
  if (trade.paidAt && status !== "WAIT_BUYER_PAY") {
    fields.gmt_payment = formatAlipayTime(trade.paidAt);
    fields.receipt_amount = amount;
    fields.buyer_pay_amount = amount;
  }
  if (extra.refund) {
    fields.out_biz_no = extra.refund.outRequestNo;
    fields.refund_fee = fenToYuan(extra.refund.refundedFen);
    fields.gmt_refund = formatAlipayTime(now);
  }
  if (status === "TRADE_CLOSED") fields.gmt_close = formatAlipayTime(now);
  fields.sign = rsa2Sign(
    signingString(fields, ["sign", "sign_type"]),
    forged ? forgedSigner() : env.identity.alipayPrivateKey,
  );
  return fields;
}

/** Queues the notification for a status change, shaped by the fault switches in force. Call inside the trade's transaction. */
export async function queueNotify(
  tx: Sql,
  env: SandboxEnv,
  trade: SandboxTrade,
  status: TradeStatus,
  extra: NotifyExtra = {},
): Promise<void> {
  if (!trade.notifyUrl) return;
  const faults = await effectiveFaults(tx, trade.faults);
  if (faults.lost) return;
  const start = env.clock.now().getTime() + (faults.delayMs ?? 0);
  const amountFen = faults.wrongAmount ? trade.totalFen + 1 : undefined;
  const rows: { params: Record<string, string> }[] = [];
  for (let i = 0; i <= (faults.duplicate ?? 0); i++) {
    rows.push({ params: buildNotify(trade, env, status, { ...extra, amountFen }, faults.badSignature) });
  }
  if (faults.reorder && status === "TRADE_SUCCESS") {
    rows.push({
      params: buildNotify({ ...trade, paidAt: null }, env, "WAIT_BUYER_PAY", { amountFen }, faults.badSignature),
    });
  }
  // all due together; createdAt (a millisecond apart) keeps them in this order
  const now = env.clock.now().getTime();
  const values = rows.flatMap((r, i) => [
    randomUUID(),
    trade.tradeNo,
    trade.notifyUrl,
    JSON.stringify(r.params),
    new Date(start),
    new Date(now + i),
  ]);
  const tuples = rows.map(
    (_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}::jsonb, $${i * 6 + 5}, $${i * 6 + 6})`,
  );
  await sqlRows(tx, `${NEW_NOTIFY} ${tuples.join(", ")}`, values);
}

// every demo payment runs these (lib/db/lean.ts)
const NEW_NOTIFY = `INSERT INTO "SandboxNotify" ("id", "tradeNo", "url", "params", "nextAttemptAt", "createdAt") VALUES`;
const DUE = `WHERE "state" = 'pending' AND "nextAttemptAt" <= $1`;
const DUE_ORDER = `ORDER BY "nextAttemptAt", "createdAt" LIMIT`;
const CLAIM = `UPDATE "SandboxNotify" SET "attempts" = $3, "nextAttemptAt" = coalesce($4, "nextAttemptAt")
  WHERE "id" = $1 AND "attempts" = $2 AND "state" = 'pending' RETURNING "id"`;
const RESULT = `UPDATE "SandboxNotify" SET "lastResult" = $2, "state" = $3 WHERE "id" = $1`;

const POST_TIMEOUT_MS = 10_000;
// connections kept for the next notification, closed after 2 s unused: sooner than a server ends an idle one (the
// portal keeps them 65 s, Node's default is 5 s), so a POST never goes out on a connection being closed
const agents = {
  http: new http.Agent({ keepAlive: true, timeout: 2_000 }),
  https: new https.Agent({ keepAlive: true, timeout: 2_000 }),
};

/**
 * One notification POST, as Alipay's servers send it: a form body, "success" in the answer means acknowledged. On
 * node:http (not fetch): every demo payment sends one, and undici's fetch cost several times the CPU of the request.
 */
function post(url: string, params: Record<string, string>): Promise<string> {
  const body = Buffer.from(new URLSearchParams(params).toString());
  return new Promise<string>((resolve) => {
    const failed = (e: Error) => resolve(`error: ${e.message.slice(0, 80)}`);
    let target: URL;
    try {
      target = new URL(url);
    } catch (e) {
      return failed(e as Error);
    }
    const tls = target.protocol === "https:";
    const req = (tls ? https : http).request(
      target,
      {
        method: "POST",
        agent: tls ? agents.https : agents.http,
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          "content-length": String(body.length),
        },
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          // the acknowledgement is one word: the rest of a long answer is not kept
          if (size < 1024) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("error", failed);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8").trim();
          const status = res.statusCode ?? 0;
          resolve(
            status >= 200 && status < 300 && text === "success" ? "success" : `http ${status}: ${text.slice(0, 80)}`,
          );
        });
      },
    );
    req.on("error", failed);
    req.end(body);
  });
}

/**
 * Sends the notifications that are due, oldest first (`tradeNo`: only that trade's). Each row is claimed by moving
 * its next attempt to the following slot of the schedule before posting, so a crash mid-post only means a retry, as
 * with Alipay.
 */
export async function deliverDueNotifies(
  db: Db,
  clock: Clock,
  timeFactor: number,
  { limit = 50, tradeNo }: { limit?: number; tradeNo?: string } = {},
): Promise<{ delivered: number; failed: number }> {
  const due = tradeNo
    ? await selectRows(db, "SandboxNotify", `${DUE} AND "tradeNo" = $2 ${DUE_ORDER} $3`, [clock.now(), tradeNo, limit])
    : await selectRows(db, "SandboxNotify", `${DUE} ${DUE_ORDER} $2`, [clock.now(), limit]);
  let delivered = 0;
  let failed = 0;
  for (const n of due) {
    const attempt = n.attempts + 1;
    const wait = RETRY_SCHEDULE_MS[n.attempts];
    const next =
      wait === undefined ? null : new Date(clock.now().getTime() + Math.max(1, Math.round(wait * timeFactor)));
    const claimed = await sqlRows(db, CLAIM, [n.id, n.attempts, attempt, next]);
    if (claimed.length === 0) continue;
    const result = await post(n.url, n.params as Record<string, string>);
    const ok = result === "success";
    if (ok) delivered++;
    else failed++;
    await sqlRows(db, RESULT, [n.id, result, ok ? "delivered" : attempt >= MAX_ATTEMPTS ? "gave_up" : "pending"]);
    if (!ok) log.info({ tradeNo: n.tradeNo, attempt, result }, "sandbox notify not acknowledged");
  }
  return { delivered, failed };
}
