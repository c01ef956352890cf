import { expect, test } from "@playwright/test";
import { snap } from "./renew-helpers";

const ASSISTANT = /^http:\/\/(127\.0\.0\.1|localhost):\d+\/v1\//;

test("without the certificate assistant the page explains how to install it, and continues once it runs", async ({
  page,
}) => {
  let running = false;
  await page.route(ASSISTANT, (route) => (running ? route.continue() : route.abort("connectionrefused")));
  await page.goto("/renew");
  const missing = page.getByTestId("assistant-missing");
  await expect(missing).toContainText("未检测到证书助手");
  await expect(missing.getByRole("link", { name: "下载证书助手" })).toHaveAttribute("href", "/downloads");
  await snap(page, "assistant-missing");
  running = true;
  await expect(page.getByTestId("cert-name")).toBeVisible({ timeout: 10_000 });
});

test("with no key inserted the page waits for one and says to re-plug if the name does not appear", async ({
  page,
}) => {
  await page.route(ASSISTANT, async (route) => {
    if (new URL(route.request().url()).pathname === "/v1/tokens")
      await route.fulfill({ json: { tokens: [] }, headers: { "access-control-allow-origin": "*" } });
    else await route.continue();
  });
  await page.goto("/renew");
  await expect(page.getByTestId("no-key")).toContainText("请插入 U-Key");
  await expect(page.getByTestId("no-key")).toContainText("重新插拔");
  await snap(page, "no-key");
});
