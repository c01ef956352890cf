import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { holderOrder, snapStaff, staffSignIn } from "./staff-helpers";

test("helpdesk signs in, finds an order made by the renewal flow, reads its timeline and adds a note", async ({
  page,
  browser,
}) => {
  const { holder, orderNo } = await holderOrder(page, "org_self_3", { pay: false });

  const staff = await (await browser.newContext()).newPage();
  await staffSignIn(staff, "helpdesk");
  await snapStaff(staff, "1-home-helpdesk");
  // the helpdesk console has no admin sections, and their pages refuse it
  await expect(staff.getByRole("link", { name: "审计日志" })).toHaveCount(0);
  await staff.goto("/staff/audit");
  await expect(staff).toHaveURL(/\/staff\?forbidden=1$/);

  await staff.goto("/staff/orders");
  await staff.getByLabel("用户名称（可输入开头部分）").fill(holder.cn);
  await staff.getByRole("button", { name: "查询" }).click();
  await expect(staff.getByTestId("order-results")).toContainText(orderNo);
  await snapStaff(staff, "2-search");
  await staff.getByRole("link", { name: orderNo }).click();

  await expect(staff.getByRole("heading", { name: new RegExp(orderNo) })).toBeVisible();
  await expect(staff.getByTestId("order-state")).toHaveText("待支付");
  const timeline = staff.getByTestId("timeline");
  for (const action of ["order.created", "order.submitted", "order.awaiting_payment"])
    await expect(timeline).toContainText(action);
  // personal data is masked until someone asks, with a reason
  await expect(staff.getByText("*******5678")).toBeVisible();
  await expect(staff.getByText("13812345678")).toHaveCount(0);

  await staff.getByTestId("note-form").getByLabel("备注内容").fill("经办人来电询问付款方式");
  await staff.getByTestId("note-form").getByRole("button", { name: "添加备注" }).click();
  await expect(timeline).toContainText("经办人来电询问付款方式");
  await expect(timeline).toContainText("order.note");
  await snapStaff(staff, "3-order");

  const mobile = staff.getByTestId("unmask-handlerMobile");
  await mobile.getByText("显示完整信息").first().click();
  await mobile.getByLabel("查看原因").fill("回拨经办人");
  await mobile.getByRole("button", { name: "显示完整信息" }).click();
  await expect(mobile.getByTestId("unmasked")).toHaveText("13812345678");
  await staff.reload();
  await expect(timeline).toContainText("order.unmasked");

  // the holder asks for a copy of their data: one JSON file with the handler in full and the consent, audited
  const exporter = staff.getByTestId("holder-export");
  await exporter.getByText("导出用户个人信息").first().click();
  await exporter.getByRole("textbox").fill("用户来电申请复制个人信息");
  const [file] = await Promise.all([
    staff.waitForEvent("download"),
    exporter.getByRole("button", { name: "导出用户个人信息" }).click(),
  ]);
  expect(file.suggestedFilename()).toBe(`holder-data-${orderNo}.json`);
  const data = JSON.parse(readFileSync(await file.path(), "utf8")) as {
    orders: { orderNo: string; handler: { mobile: string }; consent: { privacyVersion: string } | null }[];
  };
  const mine = data.orders.find((o) => o.orderNo === orderNo)!;
  expect(mine.handler.mobile).toBe("13812345678");
  expect(mine.consent?.privacyVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await expect(exporter.getByRole("status")).toHaveText("已导出并记入审计日志。");
  await staff.reload();
  await expect(timeline).toContainText("holder.data_exported");
});
