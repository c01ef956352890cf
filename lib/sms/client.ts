import Dysmsapi, { SendSmsRequest } from "@alicloud/dysmsapi20170525";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { sandboxKeys, sandboxPort, smsMode, type SmsConfig } from ".";

export interface SendResult {
  /** "OK", or the provider's code, e.g. isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_NUMBER_ILLEGAL */
  code: string;
  message: string;
  bizId?: string;
}

export type SmsSender = (args: {
  phone: string;
  signName: string;
  templateCode: string;
  params: Record<string, string>;
}) => Promise<SendResult>;

/** Alibaba Cloud's SDK pointed at the live service or at the local sandbox; null when SMS is off. */
export function createSmsSender(c: SmsConfig): SmsSender | null {
  const mode = smsMode(c);
  if (mode === "off") return null;
  const keys = mode === "sandbox" ? sandboxKeys(c) : { id: c.SMS_ACCESS_KEY_ID!, secret: c.SMS_ACCESS_KEY_SECRET! };
  const client = new Dysmsapi(
    new $OpenApiUtil.Config({
      accessKeyId: keys.id,
      accessKeySecret: keys.secret,
      endpoint: mode === "sandbox" ? `127.0.0.1:${sandboxPort(c)}` : c.SMS_ENDPOINT,
      protocol: mode === "sandbox" ? "http" : "https",
      readTimeout: 10000,
      connectTimeout: 5000,
    }),
  );
  return async ({ phone, signName, templateCode, params }) => {
    try {
      const r = await client.sendSms(
        new SendSmsRequest({ phoneNumbers: phone, signName, templateCode, templateParam: JSON.stringify(params) }),
      );
      return { code: r.body?.code ?? "UNKNOWN", message: r.body?.message ?? "", bizId: r.body?.bizId };
    } catch (e) {
      // the SDK throws for HTTP errors (signature, throttling at the gateway) with the service's code
      const err = e as { code?: string; message?: string; data?: { Code?: string; Message?: string } };
      return { code: err.data?.Code ?? err.code ?? "NETWORK", message: err.data?.Message ?? err.message ?? String(e) };
    }
  };
}
