import type { SandboxTrade } from "../../generated/prisma/client";
import { getConfig } from "../../config";
import { DomainError } from "../../errors";
import { log } from "../../log";
import { sandboxEnv } from "./env";
import { SandboxFaults, setSandboxFaults } from "./faults";
import { deliverDueNotifies } from "./notify";
import { payTrade, scanTrade } from "./trades";

/** Entry points of the emulator's pages and switches: the process's database and clock, sandbox mode only. */

/** The buyer opened the QR link: the trade as the pay page shows it. */
export async function openSandboxTrade(tradeNo: string): Promise<SandboxTrade> {
  return scanTrade(await sandboxEnv(), tradeNo);
}

/**
 * 确认付款: pays the trade and sends its notification right away (the notify job retries what fails). Only this
 * trade's: the payer's page waits for it, and other trades' notifications are the job's (before, every payer also
 * posted up to 50 notifications of others, one after the other: 28 s at the median with 500 payers at once).
 */
export async function confirmSandboxPayment(tradeNo: string): Promise<SandboxTrade> {
  const env = await sandboxEnv();
  const trade = await payTrade(env, tradeNo);
  try {
    await deliverDueNotifies(env.db, env.clock, env.config.ALIPAY_SANDBOX_TIME_FACTOR, { tradeNo });
  } catch (e) {
    log.warn({ err: e, tradeNo }, "sandbox notify delivery deferred to the job");
  }
  return trade;
}

/** The HTTP fault switch exists only in demo mode outside production. */
export async function setSandboxFaultsFromHttp(input: { faults: unknown; outTradeNo?: string }): Promise<void> {
  const config = getConfig();
  if (!config.DEMO_MODE || config.NODE_ENV === "production") throw new DomainError("SANDBOX_DISABLED");
  const env = await sandboxEnv();
  const faults = SandboxFaults.safeParse(input.faults);
  if (!faults.success) throw new DomainError("VALIDATION_FAILED", { fields: { faults: "invalid" } });
  await setSandboxFaults(env.db, faults.data, input.outTradeNo);
}
