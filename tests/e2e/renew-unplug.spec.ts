import { expect, test } from "@playwright/test";
import {
  checkRenewed,
  confirmApplication,
  crlSerials,
  demoHolder,
  download,
  dropPendingKeys,
  fillHandler,
  insertKey,
  payInSandbox,
  reachIssueStep,
  scheduleUnplug,
  snap,
  tokenCertificates,
} from "./renew-helpers";

test("the key unplugged while the certificate is written: 重新下证 installs the same certificate, issued once", async ({
  page,
}) => {
  const h = demoHolder("personal_unified_6");
  const oldDer = tokenCertificates(h)[0];
  await reachIssueStep(page, h);

  scheduleUnplug(h, "install:before-write");
  await download(page);
  await expect(page.getByTestId("issue-error")).toContainText("U-Key 被拔出");
  await expect(page.getByTestId("issue-error")).toContainText("不会重复收费或重复签发");
  await snap(page, "unplug-error");

  // leave and come back: the order resumes at 下证 with the certificate already issued
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/issue$/);
  const issuedStart = await page.getByTestId("issue-facts").textContent();
  // and this time the 下证 answer comes without the install challenge (as past the challenge limits): the wizard
  // asks /api/renew/challenge for one
  await page.route("**/api/renew/issue", async (route) => {
    const response = await route.fetch();
    const { install, ...rest } = (await response.json()) as { install?: unknown };
    expect(install).toBeTruthy();
    await route.fulfill({ response, json: rest });
  });
  const asked: string[] = [];
  page.on("request", (r) => void (r.url().includes("/api/renew/") && asked.push(new URL(r.url()).pathname)));
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  expect(asked.filter((p) => p !== "/api/renew/status").slice(0, 4)).toEqual([
    "/api/renew/issue-challenge",
    "/api/renew/issue",
    "/api/renew/challenge",
    "/api/renew/installed",
  ]);
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  await checkRenewed(page, h, oldDer, serial);
  expect(issuedStart).not.toContain("签发时");
});

test("the pending key lost after the certificate was issued: 下证 issues again for a new key and revokes the orphan", async ({
  page,
}) => {
  const h = demoHolder("org_unified_1");
  const oldDer = tokenCertificates(h)[0];
  await reachIssueStep(page, h);

  scheduleUnplug(h, "install:before-write");
  await download(page);
  await expect(page.getByTestId("issue-error")).toBeVisible();
  const first = (await (await page.request.get("/api/renew/status")).json()) as {
    order: { issued: { serial: string } };
  };
  const orphanSerial = first.order.issued.serial;

  dropPendingKeys(h);
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  expect(serial).not.toBe(orphanSerial);
  await checkRenewed(page, h, oldDer, serial);
  expect(await crlSerials(page)).toContain(orphanSerial.toUpperCase().replace(/^0+/, ""));
});

test("the browser closed after the key was written: signing in with the new certificate completes the renewal", async ({
  page,
  browser,
}) => {
  const h = demoHolder("personal_self_2");
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await payInSandbox(page);
  await expect(page).toHaveURL(/\/renew\/invoice$/, { timeout: 20_000 });
  await page.getByRole("button", { name: "跳过，直接下证" }).click();
  await expect(page).toHaveURL(/\/renew\/issue$/);
  // the page dies right after the assistant wrote the certificate: the portal never hears "installed"
  await page.route("**/api/renew/installed", (route) => route.abort());
  await download(page);
  await expect(page.getByTestId("issue-error")).toBeVisible();
  await page.close();

  const context = await browser.newContext();
  const again = await context.newPage();
  await insertKey(again, h);
  await expect(again.getByRole("heading", { name: "下证成功" })).toBeVisible();
  await checkRenewed(again, h, oldDer, (await again.getByTestId("new-serial").textContent())!.trim());
  await context.close();
});
