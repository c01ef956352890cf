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
  await expect(missing.getByRole("link", { name: "下载证书助手" })).toHaveAttribute(
    "href",
    /^\/downloads(\/assistant\/CertRenewAssistantSetup\.exe)?$/,
  );
  await expect(missing).toContainText("拔下 U-Key");
  await snap(page, "assistant-missing");
  running = true;
  await expect(page.getByTestId("cert-name")).toBeVisible({ timeout: 10_000 });
});

test("an outdated certificate assistant gets the download and the install notes, and the page continues once it is upgraded", async ({
  page,
}) => {
  let upgraded = false;
  await page.route(ASSISTANT, async (route) => {
    if (!upgraded && new URL(route.request().url()).pathname === "/v1/info")
      await route.fulfill({
        json: { name: "certrenew-assistant", version: "0.9.0", apiVersion: 1, backends: ["virtual"] },
        headers: { "access-control-allow-origin": "*" },
      });
    else await route.continue();
  });
  await page.goto("/renew");
  const outdated = page.getByTestId("assistant-outdated");
  await expect(outdated).toContainText("版本过旧");
  await expect(outdated).toContainText("0.9.0");
  await expect(outdated).toContainText("杀毒软件");
  await expect(outdated.getByRole("link", { name: "下载证书助手" })).toBeVisible();
  upgraded = true;
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
