import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { snapService } from "./services-helpers";

/** The in-person, guide, FAQ and download pages: content from lib/content/services.ts, printable, searchable. */

for (const [kind, title] of [
  ["apply", "数字证书申请（新办）"],
  ["change", "证书信息变更"],
  ["replace", "证书补办"],
] as const) {
  test(`the ${kind} page says it is done in person and lists materials, address, hours and hotline`, async ({
    page,
  }) => {
    await page.goto(`/in-person/${kind}`);
    await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
    await expect(page.getByText("这项业务不能在线办理")).toBeVisible();
    await expect(page.getByRole("heading", { name: "个人证书" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "机构证书" })).toBeVisible();
    await expect(page.locator("#main")).toContainText("德州市政务服务中心");
    await expect(page.locator("#main")).toContainText("9:00–12:00");
    await expect(page.getByRole("link", { name: "96701666" })).toBeVisible();
    await expect(page.getByRole("button", { name: "打印材料清单" })).toBeVisible();
    await snapService(page, `in-person-${kind}`);
  });
}

test("the checklist prints without the site header and the print button", async ({ page }) => {
  await page.goto("/in-person/replace");
  await page.emulateMedia({ media: "print" });
  await expect(page.locator(".site-header")).toBeHidden();
  await expect(page.getByRole("button", { name: "打印材料清单" })).toBeHidden();
  await expect(page.getByRole("heading", { name: "个人证书" })).toBeVisible();
});

test("an unknown in-person service is a 404", async ({ request }) => {
  expect((await request.get("/in-person/renew")).status()).toBe(404);
});

test("the guide lists online and in-person services", async ({ page }) => {
  await page.goto("/guide");
  await expect(page.getByRole("heading", { name: "可在线办理" })).toBeVisible();
  await expect(page.getByRole("link", { name: "证书补办" })).toBeVisible();
  await snapService(page, "guide");
});

test("the FAQ search filters the questions and says when nothing matches", async ({ page }) => {
  await page.goto("/faq");
  await expect(page.locator("details")).toHaveCount(11);
  await page.getByLabel("搜索问题").fill("111111");
  await expect(page.locator("details")).toHaveCount(1);
  await expect(page.locator("details").first()).toContainText("默认密码为 111111");
  await page.getByLabel("搜索问题").fill("下证 中断");
  await expect(page.locator("details summary")).toHaveText(["下证（写入新证书）时中断了怎么办？"]);
  await page.getByLabel("搜索问题").fill("不存在的词");
  await expect(page.getByText("没有找到相关问题")).toBeVisible();
  await page.getByLabel("搜索问题").fill("");
  await snapService(page, "faq");
});

test("the download centre offers the assistant installer with version, size and SHA-256 (or the operator note), CA certificates and the CRL", async ({
  page,
  request,
}) => {
  await page.goto("/downloads");
  const files = page.getByTestId("assistant-files");
  if (await files.count()) {
    const href = await page.getByRole("link", { name: "下载证书助手" }).getAttribute("href");
    const res = await request.get(href!);
    expect(res.status()).toBe(200);
    const body = await res.body();
    expect(body.subarray(0, 2).toString("latin1")).toBe("MZ");
    // the page states the installer's size and SHA-256, and they are the served file's
    await expect(files).toContainText(createHash("sha256").update(body).digest("hex"));
  } else {
    await expect(page.getByText("npm run assistant:pack")).toBeVisible();
  }
  expect((await request.get("/downloads/assistant/..%2Fpackage.json")).status()).toBe(404);
  for (const link of ["根 CA 证书（root.cer）", "签发 CA 证书（issuing.cer）", "证书吊销列表（CRL）"]) {
    const href = await page.getByRole("link", { name: link }).getAttribute("href");
    expect((await request.get(href!)).status(), link).toBe(200);
  }
  await snapService(page, "downloads");
});

test("the pages speak English when the holder chose it", async ({ page, context, baseURL }) => {
  await context.addCookies([{ name: "lang", value: "en", url: baseURL! }]);
  await page.goto("/faq");
  await expect(page.getByRole("heading", { level: 1, name: "Frequently asked questions" })).toBeVisible();
  await page.getByLabel("Search the questions").fill("default");
  await expect(page.locator("details summary")).toHaveText(["What is the default PIN? I forgot mine."]);
  await page.goto("/in-person/change");
  await expect(page.getByRole("heading", { level: 1, name: "Change of certificate details" })).toBeVisible();
  await page.goto("/unlock");
  await expect(page.getByRole("heading", { level: 1, name: "Online PIN unlock" })).toBeVisible();
});
