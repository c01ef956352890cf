import { headers } from "next/headers";
import { getConfig } from "@/lib/config";
import { clientIp } from "@/lib/http/request";

/** The visitor of a page's server action, for the audit trail: a holder, with the address as the front reports it. */
export async function pageActor() {
  const h = await headers();
  return {
    type: "holder" as const,
    ip: clientIp(new Request(getConfig().publicOrigin, { headers: h }), getConfig().TRUST_PROXY),
    userAgent: h.get("user-agent")?.slice(0, 300) ?? null,
  };
}
