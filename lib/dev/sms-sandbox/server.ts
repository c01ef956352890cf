import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { OpenApiUtil } from "@alicloud/openapi-core";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import { log } from "../../log";
import {
  PER_NUMBER_LIMITS,
  SMS_TEMPLATES,
  TEMPLATE_TEXT,
  sandboxKeys,
  sandboxPort,
  templateCode,
  type SmsConfig,
} from "../../sms";

/**
 * A local stand-in for Alibaba Cloud SMS (dysmsapi 2017-05-25, SendSms), like the Alipay sandbox: it checks the
 * request as the service does (ACS3-HMAC-SHA256 signature with the sandbox AccessKey, action and version, the
 * signature name and template codes registered in the configuration, the template's variables, the number, the
 * per-number flow control) and answers with the service's codes and messages. Accepted messages land in the
 * DevSms table, shown at /dev/sms.
 */

interface Answer {
  status: number;
  body: Record<string, string>;
}

const ok = (bizId: string, requestId: string): Answer => ({
  status: 200,
  body: { RequestId: requestId, Code: "OK", Message: "OK", BizId: bizId },
});
const refuse = (code: string, message: string, requestId: string, status = 200): Answer => ({
  status,
  body: { RequestId: requestId, Code: code, Message: message },
});

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The checks, in the order the service makes them; the accepted message is stored. */
export async function handleSendSms(
  db: Db,
  c: SmsConfig,
  clock: Clock,
  req: { method: string; url: string; headers: Record<string, string>; body: Buffer },
): Promise<Answer> {
  const requestId = randomUUID().toUpperCase();
  const url = new URL(req.url, "http://sandbox");
  const query = Object.fromEntries(url.searchParams.entries());
  const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(
    req.headers.authorization ?? "",
  );
  if (!auth) return refuse("MissingAuthorization", "Authorization is mandatory for this action.", requestId, 400);
  const keys = sandboxKeys(c);
  if (auth[1] !== keys.id)
    return refuse("InvalidAccessKeyId.NotFound", "Specified access key is not found.", requestId, 404);
  const payload = createHash("sha256").update(req.body).digest("hex");
  const signed = Object.fromEntries(auth[2].split(";").map((h) => [h, req.headers[h] ?? ""]));
  const expected = OpenApiUtil.getAuthorization(
    { method: req.method, pathname: url.pathname, query, headers: signed } as never,
    "ACS3-HMAC-SHA256",
    payload,
    keys.id,
    keys.secret,
  );
  if (req.headers["x-acs-content-sha256"] !== payload || expected !== req.headers.authorization)
    return refuse("SignatureDoesNotMatch", "Specified signature does not match our calculation.", requestId, 400);
  if (req.headers["x-acs-action"] !== "SendSms" || req.headers["x-acs-version"] !== "2017-05-25")
    return refuse(
      "InvalidAction.NotFound",
      "Specified api is not found, please check your url and method.",
      requestId,
      404,
    );

  const phone = query.PhoneNumbers ?? "";
  if (query.SignName !== c.SMS_SIGN_NAME)
    return refuse("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", requestId);
  const template = SMS_TEMPLATES.find((t) => templateCode(c, t) === query.TemplateCode);
  if (!template) return refuse("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", requestId);
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(query.TemplateParam ?? "{}") as Record<string, unknown>;
  } catch {
    return refuse("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", requestId);
  }
  if (TEMPLATE_TEXT[template].vars.some((v) => typeof params[v] !== "string"))
    return refuse("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值", requestId);
  if (!/^(\+?86)?1[3-9]\d{9}$/.test(phone)) return refuse("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", requestId);

  const now = clock.now().getTime();
  for (const limit of PER_NUMBER_LIMITS) {
    const sent = await db.devSms.count({ where: { phone, createdAt: { gt: new Date(now - limit.windowMs) } } });
    if (sent >= limit.max) {
      const scope = { minute: "分钟", hour: "小时", day: "天" }[limit.name];
      return refuse("isv.BUSINESS_LIMIT_CONTROL", `触发${scope}级流控Permits:${limit.max}`, requestId);
    }
  }
  const content = `【${c.SMS_SIGN_NAME}】${TEMPLATE_TEXT[template].text.replace(/\$\{(\w+)\}/g, (_, k: string) => String(params[k]))}`;
  const bizId = `${now}^${Math.floor(Math.random() * 1e10)}`;
  await db.devSms.create({
    data: {
      phone,
      signName: c.SMS_SIGN_NAME,
      templateCode: query.TemplateCode,
      params: params as object,
      content,
      bizId,
      createdAt: new Date(now),
    },
  });
  return ok(bizId, requestId);
}

/** Listens on the sandbox port; a second portal process finding it taken leaves it to the first. */
export function startSmsSandbox(db: Db, c: SmsConfig, clock: Clock): Server {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
        );
        const answer = await handleSendSms(db, c, clock, {
          method: req.method ?? "GET",
          url: req.url ?? "/",
          headers,
          body,
        });
        res.writeHead(answer.status, { "content-type": "application/json;charset=utf-8" });
        res.end(JSON.stringify(answer.body));
      } catch (e) {
        log.error({ err: e }, "sms sandbox failed");
        res.writeHead(500, { "content-type": "application/json;charset=utf-8" });
        res.end(
          JSON.stringify({
            Code: "InternalError",
            Message: "The request processing has failed due to some unknown error.",
          }),
        );
      }
    })();
  });
  server.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE") log.info({ port: sandboxPort(c) }, "sms sandbox already served by another process");
    else log.error({ err: e }, "sms sandbox stopped");
  });
  server.listen(sandboxPort(c), "127.0.0.1");
  server.unref();
  return server;
}

export async function listDevSms(db: Db) {
  return db.devSms.findMany({ orderBy: { createdAt: "desc" }, take: 200 });
}
