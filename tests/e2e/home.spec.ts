import { expect, test } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

const TILES = [
  "办理指南",
  "数字证书申请",
  "证书信息变更",
  "证书补办",
  "证书在线解锁",
  "证书状态查询",
  "证书注销",
  "数字证书更新",
];

test("the portal home shows all eight service tiles, the FAQ, downloads and the hotline", async ({ page }) => {
  await page.goto("/");
  for (const title of TILES) await expect(page.locator(".tile-title", { hasText: title })).toBeVisible();
  await expect(page.locator("[data-tile]")).toHaveCount(8);
  await expect(page.getByRole("heading", { name: "常见问题" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "下载中心" })).toBeVisible();
  await expect(page.getByText("96701666").first()).toBeVisible();
  await page.screenshot({ path: "tests/artifacts/home.png", fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
});

test("the language switch shows the home page in English and back", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "English" }).click();
  await expect(page.getByRole("heading", { name: "Certificate services" })).toBeVisible();
  await page.getByRole("link", { name: "中文" }).click();
  await expect(page.getByRole("heading", { name: "数字证书业务咨询与办理" })).toBeVisible();
});

test("every response carries the security headers", async ({ request }) => {
  const res = await request.get("/");
  const csp = res.headers()["content-security-policy"];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(res.headers()["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(res.headers()["x-content-type-options"]).toBe("nosniff");
});

test("health says ok and nothing else; readiness details need the metrics token", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
  const ready = await request.get("/api/ready");
  expect(Object.keys(await ready.json())).toEqual(["status"]);
  expect((await request.get("/api/metrics")).status()).toBe(404);
});

test("the site's icon: /favicon.ico holds the mark at 16, 32 and 48 px, and the home page loads nothing that fails", async ({
  page,
  request,
}) => {
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 300) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto("/");
  const href = await page.locator('link[rel="icon"]').first().getAttribute("href");
  expect(href).toMatch(/^\/favicon\.ico/);
  const icon = await request.get(href!, { maxRedirects: 0 });
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toBe("image/x-icon");
  const ico = await icon.body();
  // ICONDIR: reserved 0, type 1 (icon), count; then 16-byte entries (width, height, …, length, offset), PNG each
  expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
  const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
    const at = 6 + 16 * i;
    const png = ico.subarray(ico.readUInt32LE(at + 12), ico.readUInt32LE(at + 12) + ico.readUInt32LE(at + 8));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([ico[at], ico[at + 1]]);
    return ico[at];
  });
  expect(sizes).toEqual([16, 32, 48]);
  expect(failed).toEqual([]);
});
