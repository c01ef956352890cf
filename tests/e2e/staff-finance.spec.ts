import { expect, test } from "@playwright/test";
import { holderOrder, snapStaff, staffSignIn } from "./staff-helpers";

test("finance refunds a payment made in the Alipay sandbox", async ({ page, browser }) => {
  const { orderNo } = await holderOrder(page, "org_self_4", { pay: true });

  const staff = await (await browser.newContext()).newPage();
  await staffSignIn(staff, "finance");
  await staff.goto(`/staff/orders?orderNo=${orderNo}`);
  await staff.getByRole("link", { name: orderNo }).click();
  await expect(staff.getByTestId("order-state")).toHaveText("已支付");
  await expect(staff.getByTestId("timeline")).toContainText("payment.received");

  await staff.getByText("退款（全额）", { exact: true }).first().click();
  await staff.locator("#reason-refund").fill("用户改为现场办理");
  staff.once("dialog", (d) => void d.accept());
  await staff.getByRole("button", { name: "退款（全额）" }).click();
  await expect(staff.getByTestId("order-state")).toHaveText("已退款", { timeout: 20_000 });
  await expect(staff.getByTestId("refunds")).toContainText("100.00");
  await expect(staff.getByTestId("refunds")).toContainText("退款成功");
  await expect(staff.getByTestId("timeline")).toContainText("refund.succeeded");
  await snapStaff(staff, "4-refunded");
});
