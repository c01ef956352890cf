import { createHmac, randomUUID } from "node:crypto";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { insertRow, type Sql } from "../db/lean";

/**
 * SMS beside mail (reach, #24): reminders, unlock codes and payment receipts through Alibaba Cloud SMS
 * (dysmsapi). A message is an outbox row written in the transaction that causes it (like mail); the sms.deliver
 * job sends it. The number is stored as the field-encrypted value the order already holds, so no clear phone
 * number sits in the outbox.
 */

export const SMS_TEMPLATES = ["reminder", "unlock_code", "payment_received"] as const;
export type SmsTemplate = (typeof SMS_TEMPLATES)[number];

/** The variables each template registered with Alibaba Cloud takes, and the text it was registered with. */
export const TEMPLATE_TEXT: Record<SmsTemplate, { vars: string[]; text: string }> = {
  reminder: {
    vars: ["name", "date"],
    text: "您的数字证书“${name}”将于${date}到期，到期前30天内可在线更新，过期须到服务中心现场办理。",
  },
  unlock_code: { vars: ["code"], text: "您的证书在线解锁验证码为${code}，10分钟内有效，请勿告诉他人。" },
  payment_received: {
    vars: ["orderNo", "amount"],
    text: "已收到订单${orderNo}的付款${amount}元，请回到页面继续下证。",
  },
};

export type SmsConfig = Pick<
  Config,
  | "DEMO_MODE"
  | "PORT"
  | "SESSION_SECRET"
  | "SMS_SANDBOX"
  | "SMS_SANDBOX_PORT"
  | "SMS_ENDPOINT"
  | "SMS_ACCESS_KEY_ID"
  | "SMS_ACCESS_KEY_SECRET"
  | "SMS_SIGN_NAME"
  | "SMS_TEMPLATE_REMINDER"
  | "SMS_TEMPLATE_UNLOCK"
  | "SMS_TEMPLATE_PAYMENT"
>;

/** live with keys; the local sandbox when asked for or in demo mode without keys; else off (mail only) */
export function smsMode(c: SmsConfig): "live" | "sandbox" | "off" {
  if (c.SMS_SANDBOX) return "sandbox";
  if (c.SMS_ACCESS_KEY_ID && c.SMS_ACCESS_KEY_SECRET) return "live";
  return c.DEMO_MODE ? "sandbox" : "off";
}

export function templateCode(c: SmsConfig, template: SmsTemplate): string {
  return {
    reminder: c.SMS_TEMPLATE_REMINDER,
    unlock_code: c.SMS_TEMPLATE_UNLOCK,
    payment_received: c.SMS_TEMPLATE_PAYMENT,
  }[template];
}

/** The sandbox's port: SMS_SANDBOX_PORT, else PORT + 50 (so parallel test portals do not share one). */
export function sandboxPort(c: SmsConfig): number {
  return c.SMS_SANDBOX_PORT ?? c.PORT + 50;
}

/** The sandbox's AccessKey pair: derived from the session secret, so it is not a constant anyone could use. */
export function sandboxKeys(c: SmsConfig): { id: string; secret: string } {
  const secret = createHmac("sha256", c.SESSION_SECRET).update("sms-sandbox").digest("base64url").slice(0, 30);
  return { id: "LTAI5tCertRenewSandbox", secret };
}

/** Per number, before asking the provider: the provider's own limits for notices (1/min, 5/h, 10/day). */
export const PER_NUMBER_LIMITS = [
  { name: "minute", max: 1, windowMs: 60_000 },
  { name: "hour", max: 5, windowMs: 3_600_000 },
  { name: "day", max: 10, windowMs: 86_400_000 },
] as const;

export interface SmsRequest {
  /** the recipient's mobile, encrypted with lib/crypto/field (as the order stores it) */
  toEnc: string;
  template: SmsTemplate;
  params: Record<string, string>;
  orderId?: string;
}

/** An order's text messages for the staff console (never the number or an unlock code: template and outcome). */
export function smsForOrder(db: Tx, orderId: string) {
  return db.smsOutbox.findMany({
    where: { orderId },
    orderBy: { createdAt: "asc" },
    select: { id: true, template: true, state: true, attempts: true, lastError: true, createdAt: true, sentAt: true },
  });
}

/** Queues one SMS in the caller's transaction. */
export async function enqueueSms(tx: Sql, sms: SmsRequest, clock: Clock): Promise<void> {
  await insertRow(tx, "SmsOutbox", {
    id: randomUUID(),
    toEnc: sms.toEnc,
    template: sms.template,
    params: sms.params,
    orderId: sms.orderId ?? null,
    createdAt: clock.now(),
    nextAttemptAt: clock.now(),
  });
}
