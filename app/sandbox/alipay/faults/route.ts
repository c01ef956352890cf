import { z } from "zod";
import { route } from "@/lib/http/route";
import { setSandboxFaultsFromHttp } from "@/lib/dev/alipay-sandbox/actions";

export const dynamic = "force-dynamic";

const Body = z.object({ faults: z.record(z.string(), z.unknown()), outTradeNo: z.string().max(64).optional() });

/** Fault switches of the Alipay emulator for browser tests; refused unless DEMO_MODE outside production. */
export const POST = route({ body: Body, csrf: false }, async ({ body }) => {
  await setSandboxFaultsFromHttp(body);
  return { ok: true };
});
