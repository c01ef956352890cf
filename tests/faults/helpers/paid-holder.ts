import { runHolderFlow } from "@/lib/dev/sim/holder-flow";
import { signChallenge, type SimHolder } from "@/lib/dev/sim/holders";
import type { HolderClient } from "@/lib/dev/sim/http";
import { Recorder } from "@/lib/dev/sim/stats";
import type { World } from "./world";

export interface PaidHolder {
  h: SimHolder;
  client: HolderClient;
  orderId: string;
}

/** A new holder of the world walked through the wizard to a paid order, with the client that did it. */
export async function paidHolder(w: World): Promise<PaidHolder> {
  const [h] = await w.holders(1);
  const client = w.client();
  const r = await runHolderFlow(client, h, new Recorder(), { until: "invoice-skip", pollMs: 50 });
  return { h, client, orderId: r.orderId! };
}

/** 下证 as the wizard sends it; the raw answer. */
export async function issue(p: PaidHolder, csr: Buffer) {
  const body = { orderId: p.orderId, csr: csr.toString("base64") };
  const { challenge } = await p.client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", { json: body });
  return p.client.request<{
    certificate?: { serial: string };
    pkcs7?: string;
    error?: { code: string; message: string };
  }>("POST", "/api/renew/issue", {
    json: { ...body, challenge, signature: signChallenge(p.h.key, challenge) },
    idempotent: true,
  });
}
