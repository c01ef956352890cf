import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { getMessages } from "@/lib/messages";
import { SiteFooter } from "@/components/SiteFooter";
import { pageCentre } from "@/app/_lib/centre";
import { fixedClock } from "@/lib/dev/testing/clock";
import { servicesContent } from "@/lib/content/services";
import { currentNotices, parseContent, siteContent, updateContent } from "@/lib/content/store";
import { createTestDb } from "@/tests/helpers/db";

let opened: OpenDb;
let db: Db;
const admin = { type: "staff" as const, id: "00000000-0000-4000-8000-00000000abcd", ip: "10.0.0.9" };
const clock = fixedClock("2026-12-03T02:00:00.000Z");

beforeAll(async () => {
  opened = await createTestDb();
  setProcessDb(opened);
  db = opened.prisma as Db;
});
afterAll(async () => {
  await opened?.close();
});

describe("content the operator edits", () => {
  it("shows the built-in content until an admin saves an entry, per language", async () => {
    const zh = await siteContent(db, "zh-CN");
    expect(zh.centre).toEqual(servicesContent("zh-CN").centre);
    expect([zh.notices, zh.downloads]).toEqual([[], []]);
    const centre = { ...zh.centre, hours: "周一至周六 8:30–17:30" };
    await updateContent(db, { key: "centre", locale: "zh-CN", text: JSON.stringify(centre), actor: admin, clock });
    expect((await siteContent(db, "zh-CN")).centre.hours).toBe("周一至周六 8:30–17:30");
    expect((await siteContent(db, "en")).centre).toEqual(servicesContent("en").centre);
  });

  it("refuses what does not fit the entry's schema, saying where, and keeps the old value", async () => {
    expect(() => parseContent("faq", "[{]")).toThrow(expect.objectContaining({ code: "STAFF_CONTENT_INVALID" }));
    await expect(
      updateContent(db, {
        key: "notices",
        locale: "zh-CN",
        text: '[{"id":"x","level":"loud","title":"t","body":"b"}]',
        actor: admin,
        clock,
      }),
    ).rejects.toMatchObject({
      code: "STAFF_CONTENT_INVALID",
      details: { problem: expect.stringContaining("0.level") },
    });
    expect((await siteContent(db, "zh-CN")).notices).toEqual([]);
  });

  it("audits every save and reset with the old and new value, and reset brings the default back", async () => {
    const notice = {
      id: "holiday",
      level: "warn",
      title: "元旦假期",
      body: "1 月 1 日休息",
      until: "2027-01-02T00:00:00+08:00",
    };
    await updateContent(db, { key: "notices", locale: "zh-CN", text: JSON.stringify([notice]), actor: admin, clock });
    await updateContent(db, { key: "notices", locale: "zh-CN", reset: true, actor: admin, clock });
    expect((await siteContent(db, "zh-CN")).notices).toEqual([]);
    const events = await db.auditEvent.findMany({ where: { targetId: "notices:zh-CN" }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.actorId])).toEqual([
      ["content.updated", admin.id],
      ["content.reset", admin.id],
    ]);
    expect(events[0].data).toEqual({ from: null, to: [notice] });
    expect(events[1].data).toEqual({ from: [notice], to: null });
  });

  it("shows a notice only between its dates", () => {
    const n = {
      id: "a",
      level: "info" as const,
      title: "t",
      body: "b",
      from: "2027-01-01T00:00:00+08:00",
      until: "2027-01-03T00:00:00+08:00",
    };
    expect(currentNotices([n], new Date("2026-12-31T15:59:59Z"))).toEqual([]);
    expect(currentNotices([n], new Date("2026-12-31T16:00:00Z"))).toEqual([n]);
    expect(currentNotices([n], new Date("2027-01-02T16:00:00Z"))).toEqual([]);
  });
});

/** #24: the page chrome (footer, header hotline) shows the service centre the operator edits, not a built-in text. */
const footer = async (locale: "zh-CN" | "en") =>
  renderToStaticMarkup(createElement(SiteFooter, { t: getMessages(locale), centre: await pageCentre(locale) }));

describe("the footer's service centre", () => {
  it("shows the built-in centre until an admin edits it, then the edited address, hours and hotline", async () => {
    await updateContent(db, { key: "centre", locale: "zh-CN", reset: true, actor: admin, clock });
    const builtIn = servicesContent("zh-CN").centre;
    expect(await footer("zh-CN")).toContain(builtIn.hours);
    const edited = {
      ...builtIn,
      address: "德州市德城区新湖大街 1 号 市民之家",
      hours: "周一至周六 8:30–17:30（法定节假日除外）",
      hotline: "0534-2345678",
    };
    await updateContent(db, { key: "centre", locale: "zh-CN", text: JSON.stringify(edited), actor: admin, clock });
    const html = await footer("zh-CN");
    expect(html).toContain(edited.hours);
    expect(html).toContain(edited.address);
    expect(html).toContain("0534-2345678");
    expect(html).not.toContain(builtIn.hours);
    expect(html).not.toContain("96701666");
    // the other language keeps its own (default) centre
    expect(await footer("en")).toContain(servicesContent("en").centre.hours);
  });

  it("an entry that no longer fits the schema shows the default instead of breaking every page", async () => {
    await db.contentEntry.update({
      where: { key_locale: { key: "centre", locale: "zh-CN" } },
      data: { value: { name: "x" } },
    });
    expect(await footer("zh-CN")).toContain(servicesContent("zh-CN").centre.hours);
  });
});
