import { expect, type Page } from "@playwright/test";
import { snapAndCheck } from "./page-check";
import { formatChallenge } from "@/lib/token/challenge";
import type { DemoHolder } from "./renew-helpers";

export { BYPASS, PIN, demoHolder, tokenCertificates } from "./renew-helpers";

/** Screenshot into tests/artifacts/services-<name>.png and an axe check: no serious or critical violations. */
export async function snapService(page: Page, name: string): Promise<void> {
  await snapAndCheck(page, `services-${name}`);
}

/** The certificate's button in the key picker (by serial: renewals elsewhere may reuse a name). */
export function certButton(page: Page, h: DemoHolder) {
  return page.locator(`button[data-serial="${h.serial}"]`);
}

/** Calls the certificate assistant as the portal page would (same Origin). */
export async function assistantSign(
  baseURL: string,
  h: DemoHolder,
  pin: string,
): Promise<{ status: number; code?: string }> {
  const port = Number(process.env.E2E_ASSISTANT_PORT ?? 17543);
  const tokens = (await (
    await fetch(`http://127.0.0.1:${port}/v1/tokens`, { headers: { origin: baseURL } })
  ).json()) as { tokens: { id: string; serial: string; certificates: { id: string; serial: string }[] }[] };
  const token = tokens.tokens.find((t) => t.serial === h.tokenSerial)!;
  const cert = token.certificates.find((c) => c.serial === h.serial)!;
  const challenge = formatChallenge({
    origin: baseURL,
    purpose: "login",
    serial: h.serial,
    nonce: Buffer.alloc(32, 5).toString("base64url"),
    issuedAt: new Date().toISOString(),
  });
  const res = await fetch(`http://127.0.0.1:${port}/v1/sign`, {
    method: "POST",
    headers: { origin: baseURL, "content-type": "application/json" },
    body: JSON.stringify({ tokenId: token.id, certId: cert.id, pin, challenge }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

/** The plain text of the newest demo-mailbox mail (/dev/mail) with this subject to this address, once delivered. */
export async function mailText(page: Page, subject: string, to: string): Promise<string> {
  let text = "";
  await expect(async () => {
    await page.goto("/dev/mail");
    // short timeouts: a mail not delivered yet must fail this round, not hang it
    const link = page.getByRole("link").filter({ hasText: subject }).filter({ hasText: to }).first();
    await page.goto((await link.getAttribute("href", { timeout: 2_000 }))!);
    text = (await page.locator("article pre").textContent({ timeout: 5_000 })) ?? "";
    expect(text).not.toBe("");
  }).toPass({ timeout: 60_000, intervals: [2_000] });
  return text;
}
