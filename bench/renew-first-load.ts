import { chromium } from "@playwright/test";

/**
 * `npx tsx bench/renew-first-load.ts http://localhost:3000`: the JavaScript a browser downloads on the first
 * load of each renewal wizard page that needs no session (bytes on the wire, i.e. gzip as `next start` serves it,
 * and decoded). Pages behind the holder session share the same framework chunks plus their own component chunk.
 */

const base = (process.argv[2] ?? "http://localhost:3000").replace(/\/$/, "");
const pages = ["/renew", "/renew/unavailable?reason=too_early&at=2026-12-01T00:00:00Z"];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless"],
});
for (const p of pages) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + p, { waitUntil: "networkidle" });
  const js = await page.evaluate(() =>
    (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((r) => r.initiatorType === "script" || r.name.endsWith(".js"))
      .map((r) => ({ wire: r.encodedBodySize, decoded: r.decodedBodySize })),
  );
  const wire = js.reduce((s, r) => s + r.wire, 0);
  const decoded = js.reduce((s, r) => s + r.decoded, 0);
  console.log(
    `${p.padEnd(60)} ${js.length} scripts, ${(wire / 1024).toFixed(1)} KB on the wire (gzip), ${(decoded / 1024).toFixed(1)} KB decoded`,
  );
  await context.close();
}
await browser.close();
