import { describe, expect, it } from "vitest";
import { IN_PERSON_KINDS, isInPersonKind, searchFaq, servicesContent } from "./services";

describe("services content", () => {
  it("has the same FAQ entries in zh-CN and en, covering what holders ask", () => {
    const zh = servicesContent("zh-CN").faq.map((e) => e.id);
    expect(servicesContent("en").faq.map((e) => e.id)).toEqual(zh);
    for (const id of [
      "assistant",
      "name-not-shown",
      "default-pin",
      "pin-after-renewal",
      "window",
      "expired",
      "payment",
      "download-interrupted",
    ])
      expect(zh).toContain(id);
  });

  it("lists materials for personal and organisation holders for every in-person service, with the hotline", () => {
    for (const locale of ["zh-CN", "en"] as const) {
      const c = servicesContent(locale);
      expect(c.centre.hotline).toBe("96701666");
      for (const kind of IN_PERSON_KINDS) {
        expect(c.inPerson[kind].personal.length).toBeGreaterThan(0);
        expect(c.inPerson[kind].organisation.length).toBeGreaterThan(0);
      }
    }
  });

  it("accepts only the three in-person kinds", () => {
    expect(IN_PERSON_KINDS.every(isInPersonKind)).toBe(true);
    expect(isInPersonKind("renew")).toBe(false);
  });

  it("search matches every word against question, answer and tags, case-insensitively", () => {
    const faq = servicesContent("en").faq;
    expect(searchFaq(faq, "").length).toBe(faq.length);
    expect(searchFaq(faq, "111111").map((e) => e.id)).toEqual(["default-pin"]);
    expect(searchFaq(faq, "ALIPAY confirmed").map((e) => e.id)).toEqual(["payment"]);
    expect(searchFaq(faq, "nothing-like-this")).toEqual([]);
    expect(searchFaq(servicesContent("zh-CN").faq, "下证 中断").map((e) => e.id)).toEqual(["download-interrupted"]);
  });
});
