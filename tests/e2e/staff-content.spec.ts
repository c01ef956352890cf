import { expect, test, type Page } from "@playwright/test";
import { snapStaff, staffSignIn } from "./staff-helpers";

function editor(page: Page, key: string, locale = "zh-CN") {
  return page.getByTestId(`content-${key}-${locale}`);
}

async function openEditor(page: Page, key: string, locale = "zh-CN") {
  const box = editor(page, key, locale);
  if (!(await box.isVisible()))
    await page
      .getByTestId(`content-${key}`)
      .getByText(locale === "en" ? "English" : "中文")
      .click();
  await expect(box).toBeVisible();
  return box;
}

test("an admin edits the home notices and the centre's hours with a preview; every change is audited", async ({
  page,
}) => {
  page.on("dialog", (d) => void d.accept());
  await staffSignIn(page, "admin");
  await page.getByRole("navigation", { name: "工作人员控制台" }).getByRole("link", { name: "内容管理" }).click();
  await expect(page.getByRole("heading", { name: "内容管理" })).toBeVisible();

  // a notice: wrong JSON is refused, the preview shows it as the home page will, saving publishes it
  const notices = await openEditor(page, "notices");
  await notices.getByLabel("内容（JSON）").fill('[{"id": "holiday", "level": "warn", "title": "元旦放假"}]');
  await notices.getByRole("button", { name: "预览" }).click();
  await expect(notices.getByRole("alert")).toContainText("内容格式不正确（0.body:");
  const notice = {
    id: "holiday",
    level: "warn",
    title: "元旦假期服务安排",
    body: "2027 年 1 月 1 日服务中心休息，在线更新照常办理。",
  };
  await notices.getByLabel("内容（JSON）").fill(JSON.stringify([notice], null, 2));
  await notices.getByRole("button", { name: "预览" }).click();
  await expect(page.getByTestId("content-notices-zh-CN-preview")).toContainText(notice.title);
  await snapStaff(page, "content-preview");
  await notices.getByRole("button", { name: "保存" }).click();
  await expect(notices.getByRole("status")).toHaveText("已保存，页面已更新。");

  const holder = await page.context().browser()!.newContext();
  const home = await holder.newPage();
  await home.goto(new URL("/", page.url()).toString());
  await expect(home.getByTestId("home-notices")).toContainText(notice.title);
  await expect(home.getByTestId("home-notices")).toContainText(notice.body);

  // the centre's hours: the guide shows the new ones, and 恢复默认 brings the built-in ones back
  const centre = await openEditor(page, "centre");
  const value = JSON.parse(await centre.getByLabel("内容（JSON）").inputValue()) as { hours: string };
  const builtIn = value.hours;
  await centre.getByLabel("内容（JSON）").fill(JSON.stringify({ ...value, hours: "周一至周六 8:30–17:30" }));
  await centre.getByRole("button", { name: "保存" }).click();
  await expect(centre.getByRole("status")).toBeVisible();
  await home.goto(new URL("/guide", page.url()).toString());
  await expect(home.getByRole("main").getByText("周一至周六 8:30–17:30")).toBeVisible();
  // the footer on every page shows the centre the operator edited, too
  await expect(home.getByTestId("footer-centre")).toContainText("周一至周六 8:30–17:30");
  await centre.getByRole("button", { name: "恢复默认" }).click();
  await expect(centre.getByRole("status")).toBeVisible();
  await home.reload();
  await expect(home.getByRole("main").getByText(builtIn, { exact: true })).toBeVisible();
  await expect(home.getByTestId("footer-centre")).not.toContainText("周一至周六 8:30–17:30");

  const audit = await (await page.request.get("/api/staff/audit/export?action=content.")).text();
  expect(audit).toContain("content.updated");
  expect(audit).toContain("content.reset");
  expect(audit).toContain("notices:zh-CN");

  // the notice is taken down again (other tests look at the home page)
  const reset = await openEditor(page, "notices");
  await reset.getByRole("button", { name: "恢复默认" }).click();
  // saved once the editor shows the built-in content again: the home page is read after that, not during it
  await expect(reset.getByLabel("内容（JSON）")).not.toHaveValue(new RegExp(notice.title));
  await home.goto(new URL("/", page.url()).toString());
  await expect(home.getByTestId("home-notices")).toHaveCount(0);
  await holder.close();
});

test("helpdesk staff do not see the content console", async ({ page }) => {
  await staffSignIn(page, "helpdesk");
  await expect(page.getByRole("link", { name: "内容管理" })).toHaveCount(0);
  const r = await page.request.put("/api/staff/content", {
    data: { key: "notices", locale: "zh-CN", reset: true },
    headers: { origin: new URL(page.url()).origin },
  });
  expect([401, 403]).toContain(r.status());
});
