import { z } from "zod";
import type { Prisma } from "../../generated/prisma/client";
import type { Db } from "../../db";
import { settingValue } from "../../settings";
import type { Sql } from "../../db/lean";

/** Ways the emulator can misbehave, to prove the merchant side copes; per trade, or for every trade. */
export const SandboxFaults = z
  .object({
    /** extra copies of each notification */
    duplicate: z.number().int().min(0).max(5),
    /** the first delivery attempt waits this long */
    delayMs: z.number().int().min(0).max(86_400_000),
    /** a stale WAIT_BUYER_PAY notification arrives after TRADE_SUCCESS */
    reorder: z.boolean(),
    /** notifications are signed with a key that is not the emulator's */
    badSignature: z.boolean(),
    /** notifications carry total_amount one fen above the trade's */
    wrongAmount: z.boolean(),
    /** no notification is ever sent */
    lost: z.boolean(),
  })
  .partial()
  .strict();
export type SandboxFaults = z.infer<typeof SandboxFaults>;

const GLOBAL_KEY = "alipay.sandbox.faults";

/** Sets the fault switches for one trade (by out_trade_no) or, without one, for all trades; `{}` clears them. */
export async function setSandboxFaults(db: Db, faults: SandboxFaults, outTradeNo?: string): Promise<void> {
  const value = SandboxFaults.parse(faults) as Prisma.InputJsonObject;
  if (outTradeNo) {
    await db.sandboxTrade.update({ where: { outTradeNo }, data: { faults: value } });
  } else {
    await db.setting.upsert({
      where: { key: GLOBAL_KEY },
      create: { key: GLOBAL_KEY, value, updatedBy: "sandbox" },
      update: { value },
    });
  }
}

/** The switches in force for a trade: its own override the global ones. */
export async function effectiveFaults(db: Sql, tradeFaults: unknown): Promise<SandboxFaults> {
  const g = SandboxFaults.safeParse((await settingValue(db, GLOBAL_KEY)) ?? {});
  const t = SandboxFaults.safeParse(tradeFaults ?? {});
  return { ...(g.success ? g.data : {}), ...(t.success ? t.data : {}) };
}
