import { randomBytes } from "node:crypto";
import type { Prisma, SandboxTrade } from "../../generated/prisma/client";
import { DomainError } from "../../errors";
import { fenToYuan, tryYuanToFen } from "../../payments/alipay/amount";
import { formatAlipayTime } from "../../payments/alipay/time";
import { MINUTE, HOUR, DAY } from "../../clock";
import type { SandboxEnv } from "./env";
import { queueNotify } from "./notify";
import { withSqlTx, withTx } from "../../audit";
import { columnsOf, selectRows, sqlRows } from "../../db/lean";

/** What a gateway method answers: Alipay's `<method>_response` object. */
export type GatewayResult = Record<string, string>;

const OK = { code: "10000", msg: "Success" } as const;

export function bizError(subCode: string, subMsg: string, code = "40004"): GatewayResult {
  return { code, msg: code === "40004" ? "Business Failed" : "Invalid Arguments", sub_code: subCode, sub_msg: subMsg };
}

const NOT_EXIST = () => bizError("ACQ.TRADE_NOT_EXIST", "交易不存在");

function newTradeNo(now: Date): string {
  const digits = Array.from(randomBytes(16), (b) => String(b % 10)).join("");
  return `${formatAlipayTime(now).slice(0, 10).replaceAll("-", "")}2200${digits}`;
}

function timeoutMs(express: string | undefined): number | null {
  if (!express) return 2 * HOUR;
  const m = /^(\d{1,4})([mhd])$/.exec(express);
  if (!m) return null;
  return Number(m[1]) * { m: MINUTE, h: HOUR, d: DAY }[m[2] as "m" | "h" | "d"];
}

// Every demo payment runs these (lib/db/lean.ts): the precreate, the buyer's scan and 确认付款.
const TRADE_BY_NO = `WHERE "tradeNo" = $1`;
const TRADE_BY_OUT_NO = `WHERE "outTradeNo" = $1`;
const CLOSE_TIMED_OUT = `UPDATE "SandboxTrade" SET "status" = 'TRADE_CLOSED', "updatedAt" = $2
  WHERE "tradeNo" = $1 AND "status" = 'WAIT_BUYER_PAY'`;
const NEW_TRADE = `INSERT INTO "SandboxTrade"
  ("tradeNo", "appId", "outTradeNo", "totalFen", "subject", "notifyUrl", "status", "timeoutAt", "createdAt", "updatedAt")
  VALUES ($1, $2, $3, $4, $5, $6, 'WAIT_BUYER_PAY', $7, $8, $8)
  ON CONFLICT ("outTradeNo") DO NOTHING RETURNING "tradeNo"`;
const SCAN = `UPDATE "SandboxTrade" SET "scannedAt" = $2, "updatedAt" = $2 WHERE "tradeNo" = $1 AND "scannedAt" IS NULL`;
const PAY = `UPDATE "SandboxTrade" SET "status" = 'TRADE_SUCCESS', "paidAt" = $2, "buyerLogonId" = $3, "updatedAt" = $2
  WHERE "tradeNo" = $1 AND "status" = 'WAIT_BUYER_PAY' AND "timeoutAt" > $2 RETURNING ${columnsOf("SandboxTrade")}`;

/** Trades past their timeout close by themselves, as on Alipay; the change is written when first seen. */
async function current(
  env: SandboxEnv,
  where: { outTradeNo?: string; tradeNo?: string },
): Promise<SandboxTrade | null> {
  if (!where.outTradeNo && !where.tradeNo) return null;
  const [trade] = where.tradeNo
    ? await selectRows(env.db, "SandboxTrade", TRADE_BY_NO, [where.tradeNo])
    : await selectRows(env.db, "SandboxTrade", TRADE_BY_OUT_NO, [where.outTradeNo]);
  if (!trade || trade.status !== "WAIT_BUYER_PAY" || trade.timeoutAt > env.clock.now()) return trade ?? null;
  await sqlRows(env.db, CLOSE_TIMED_OUT, [trade.tradeNo, env.clock.now()]);
  return { ...trade, status: "TRADE_CLOSED" };
}

/** Like Alipay, a precreated trade that nobody has scanned yet does not exist for query and close. */
function visible(trade: SandboxTrade | null): trade is SandboxTrade {
  return trade !== null && trade.scannedAt !== null;
}

function ids(biz: Record<string, unknown>) {
  return {
    outTradeNo: typeof biz.out_trade_no === "string" ? biz.out_trade_no : undefined,
    tradeNo: typeof biz.trade_no === "string" ? biz.trade_no : undefined,
  };
}

function payUrl(env: SandboxEnv, tradeNo: string): string {
  return `${env.config.publicOrigin}/sandbox/alipay/pay/${tradeNo}`;
}

export async function precreate(
  env: SandboxEnv,
  appId: string,
  notifyUrl: string | undefined,
  biz: Record<string, unknown>,
): Promise<GatewayResult> {
  const outTradeNo = typeof biz.out_trade_no === "string" ? biz.out_trade_no : "";
  const totalFen = tryYuanToFen(
    typeof biz.total_amount === "string" ? biz.total_amount : String(biz.total_amount ?? ""),
  );
  const subject = typeof biz.subject === "string" ? biz.subject : "";
  const timeout = timeoutMs(typeof biz.timeout_express === "string" ? biz.timeout_express : undefined);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(outTradeNo) || !subject || totalFen === null || totalFen < 1 || timeout === null) {
    return bizError("isv.invalid-parameter", "参数无效", "40002");
  }
  // a new out_trade_no is the usual case: the trade is inserted unless one exists (ON CONFLICT), then looked at
  const now = env.clock.now();
  const tradeNo = newTradeNo(now);
  const values = [
    tradeNo,
    appId,
    outTradeNo,
    totalFen,
    subject,
    notifyUrl ?? null,
    new Date(now.getTime() + timeout),
    now,
  ];
  const [created] = await sqlRows<{ tradeNo: string }>(env.db, NEW_TRADE, values);
  if (created) return { ...OK, out_trade_no: outTradeNo, qr_code: payUrl(env, tradeNo) };
  const existing = await current(env, { outTradeNo });
  // gone meanwhile (the emulator's trades are never deleted, but a test may empty the table): try again
  if (!existing) return precreate(env, appId, notifyUrl, biz);
  if (existing.totalFen !== totalFen) return bizError("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
  if (existing.status === "TRADE_SUCCESS" || existing.status === "TRADE_FINISHED")
    return bizError("ACQ.TRADE_HAS_SUCCESS", "交易已被支付");
  if (existing.status === "TRADE_CLOSED") return bizError("ACQ.TRADE_HAS_CLOSE", "交易已经关闭");
  return { ...OK, out_trade_no: outTradeNo, qr_code: payUrl(env, existing.tradeNo) };
}

export async function query(env: SandboxEnv, biz: Record<string, unknown>): Promise<GatewayResult> {
  const trade = await current(env, ids(biz));
  if (!visible(trade)) return NOT_EXIST();
  const out: GatewayResult = {
    ...OK,
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    trade_status: trade.status,
    total_amount: fenToYuan(trade.totalFen),
  };
  if (trade.buyerLogonId) out.buyer_logon_id = trade.buyerLogonId;
  if (trade.paidAt) {
    out.send_pay_date = formatAlipayTime(trade.paidAt);
    out.receipt_amount = out.total_amount;
    out.buyer_pay_amount = out.total_amount;
  }
  return out;
}

export async function close(env: SandboxEnv, biz: Record<string, unknown>): Promise<GatewayResult> {
  const trade = await current(env, ids(biz));
  if (!visible(trade)) return NOT_EXIST();
  if (trade.status === "TRADE_SUCCESS" || trade.status === "TRADE_FINISHED")
    return bizError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
  if (trade.status === "WAIT_BUYER_PAY") {
    await withTx(env.db, async (tx) => {
      const n = await tx.sandboxTrade.updateMany({
        where: { tradeNo: trade.tradeNo, status: "WAIT_BUYER_PAY" },
        data: { status: "TRADE_CLOSED" },
      });
      if (n.count === 1) await queueNotify(tx, env, { ...trade, status: "TRADE_CLOSED" }, "TRADE_CLOSED");
    });
  }
  return { ...OK, trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
}

interface RefundEntry {
  outRequestNo: string;
  amountFen: number;
  at: string;
}

export async function refund(env: SandboxEnv, biz: Record<string, unknown>): Promise<GatewayResult> {
  const amountFen = tryYuanToFen(
    typeof biz.refund_amount === "string" ? biz.refund_amount : String(biz.refund_amount ?? ""),
  );
  const outRequestNo = typeof biz.out_request_no === "string" && biz.out_request_no ? biz.out_request_no : undefined;
  if (amountFen === null || amountFen < 1) return bizError("isv.invalid-parameter", "参数无效", "40002");
  return withTx(env.db, async (tx) => {
    const where = ids(biz);
    const row = await tx.sandboxTrade.findFirst({
      where: where.tradeNo ? { tradeNo: where.tradeNo } : { outTradeNo: where.outTradeNo ?? "" },
    });
    if (!visible(row)) return NOT_EXIST();
    // serialise refunds of one trade
    await tx.$executeRaw`SELECT 1 FROM "SandboxTrade" WHERE "tradeNo" = ${row.tradeNo} FOR UPDATE`;
    const trade = (await tx.sandboxTrade.findUnique({ where: { tradeNo: row.tradeNo } }))!;
    const refunds = trade.refunds as unknown as RefundEntry[];
    const requestNo = outRequestNo ?? trade.outTradeNo;
    const refunded = refunds.reduce((s, r) => s + r.amountFen, 0);
    const answer = (fundChange: "Y" | "N", total: number): GatewayResult => ({
      ...OK,
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_logon_id: trade.buyerLogonId ?? "",
      fund_change: fundChange,
      refund_fee: fenToYuan(total),
    });
    const earlier = refunds.find((r) => r.outRequestNo === requestNo);
    if (earlier) {
      if (earlier.amountFen !== amountFen)
        return bizError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与首次请求不一致");
      return answer("N", refunded);
    }
    if (trade.status !== "TRADE_SUCCESS") return bizError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    if (refunded + amountFen > trade.totalFen) return bizError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    const total = refunded + amountFen;
    const status = total === trade.totalFen ? "TRADE_CLOSED" : trade.status;
    const entry: RefundEntry = { outRequestNo: requestNo, amountFen, at: env.clock.now().toISOString() };
    const updated = await tx.sandboxTrade.update({
      where: { tradeNo: trade.tradeNo },
      data: { refunds: [...refunds, entry] as unknown as Prisma.InputJsonArray, status },
    });
    if (status === "TRADE_CLOSED")
      await queueNotify(tx, env, updated, "TRADE_CLOSED", { refund: { outRequestNo: requestNo, refundedFen: total } });
    return answer("Y", total);
  });
}

/** The buyer opened the QR link: from now on the trade exists for query and close. */
export async function scanTrade(env: SandboxEnv, tradeNo: string): Promise<SandboxTrade> {
  const trade = await current(env, { tradeNo });
  if (!trade) throw new DomainError("SANDBOX_TRADE_NOT_FOUND");
  if (trade.scannedAt) return trade;
  const now = env.clock.now();
  await sqlRows(env.db, SCAN, [tradeNo, now]);
  return { ...trade, scannedAt: now };
}

/** The buyer pressed 确认付款: the trade is paid and its notification queued, in one transaction. */
export async function payTrade(
  env: SandboxEnv,
  tradeNo: string,
  buyerLogonId = "sandbox***@example.com",
): Promise<SandboxTrade> {
  await scanTrade(env, tradeNo);
  return withSqlTx(env.db, async (tx) => {
    const [trade] = await sqlRows<SandboxTrade>(tx, PAY, [tradeNo, env.clock.now(), buyerLogonId]);
    if (!trade) {
      const [unpaid] = await selectRows(tx, "SandboxTrade", TRADE_BY_NO, [tradeNo]);
      throw new DomainError("SANDBOX_TRADE_NOT_PAYABLE", { status: unpaid.status });
    }
    await queueNotify(tx, env, trade, "TRADE_SUCCESS");
    return trade;
  });
}
