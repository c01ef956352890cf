import "@/tests/helpers/env";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getMessages } from "@/lib/messages";
import { servicesContent } from "@/lib/content/services";
import { updateContent } from "@/lib/content/store";
import { SiteFooter } from "@/components/SiteFooter";
import { pageCentre } from "@/app/_lib/centre";
import { createTestDb } from "@/tests/helpers/db";

/** #24: the page chrome (footer, header hotline) shows the service centre the operator edits, not a built-in text. */

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

const footer = async (locale: "zh-CN" | "en") =>
  renderToStaticMarkup(createElement(SiteFooter, { t: getMessages(locale), centre: await pageCentre(locale) }));

describe("the footer's service centre", () => {
  it("shows the built-in centre until an admin edits it, then the edited address, hours and hotline", async () => {
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
