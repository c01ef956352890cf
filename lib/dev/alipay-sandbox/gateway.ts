import { isDomainError } from "../../errors";
import { log } from "../../log";
import { sandboxEnv, type SandboxEnv } from "./env";
import { rsa2Sign, rsa2Verify, signingString } from "./sign";
import { bizError, close, precreate, query, refund, type GatewayResult } from "./trades";

const METHODS: Record<
  string,
  (env: SandboxEnv, p: Record<string, string>, biz: Record<string, unknown>) => Promise<GatewayResult>
> = {
  "alipay.trade.precreate": (env, p, biz) => precreate(env, p.app_id, p.notify_url || undefined, biz),
  "alipay.trade.query": (env, _p, biz) => query(env, biz),
  "alipay.trade.close": (env, _p, biz) => close(env, biz),
  "alipay.trade.refund": (env, _p, biz) => refund(env, biz),
};

/** Alipay's response: `{"<method>_response":{…},"sign":"…"}`, the signature over the exact JSON text of the inner object. */
function signedResponse(env: SandboxEnv, method: string, result: GatewayResult): Response {
  const inner = JSON.stringify(result);
  const key = method in METHODS ? `${method.replaceAll(".", "_")}_response` : "error_response";
  const body = `{"${key}":${inner},"sign":"${rsa2Sign(inner, env.identity.alipayPrivateKey)}"}`;
  return new Response(body, { status: 200, headers: { "content-type": "application/json;charset=utf-8" } });
}

async function readParams(req: Request): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(new URL(req.url).searchParams);
  if (req.method === "POST") {
    const text = await req.text();
    for (const [k, v] of new URLSearchParams(text)) params[k] = v;
  }
  return params;
}

function parseBiz(raw: string | undefined): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw ?? "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The emulator's `gateway.do`: checks the app id and our RSA2 request signature the way Alipay does, runs
 * precreate / query / close / refund against the trades in the database, and signs every JSON answer.
 */
export async function handleGateway(req: Request, over: Partial<Omit<SandboxEnv, "identity">> = {}): Promise<Response> {
  let env: SandboxEnv;
  try {
    env = await sandboxEnv(over);
  } catch (e) {
    if (isDomainError(e)) return new Response("Not Found", { status: 404 });
    throw e;
  }
  const p = await readParams(req);
  const method = p.method ?? "";
  const reply = (r: GatewayResult) => signedResponse(env, method, r);
  if (!(method in METHODS)) return reply(bizError("isv.invalid-method", "不存在的方法名", "40002"));
  if (p.app_id !== env.identity.appId) return reply(bizError("isv.invalid-app-id", "无效的AppID参数", "40002"));
  if (p.sign_type !== "RSA2" || !p.sign)
    return reply(bizError("isv.invalid-signature-type", "无效的签名类型", "40002"));
  if (!rsa2Verify(signingString(p, ["sign"]), p.sign, env.identity.appPublicKey)) {
    return reply(bizError("isv.invalid-signature", "验签出错", "40002"));
  }
  const biz = parseBiz(p.biz_content);
  if (!biz) return reply(bizError("isv.invalid-parameter", "biz_content 格式错误", "40002"));
  try {
    return reply(await METHODS[method](env, p, biz));
  } catch (e) {
    log.error({ err: e, method }, "sandbox gateway failed");
    return reply({
      code: "20000",
      msg: "Service Currently Unavailable",
      sub_code: "aop.unknow-error",
      sub_msg: "系统繁忙",
    });
  }
}
