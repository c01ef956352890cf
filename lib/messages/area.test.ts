import { describe, expect, it } from "vitest";
import { messageArea } from "./area";

// These are checked by `tsc` (the types suite): each @ts-expect-error fails the build if the error it expects is gone.
describe("messageArea: en is typed by zh-CN", () => {
  it("refuses a key missing in en, a key only in en, nested or in a list, and a text of the wrong type", () => {
    // @ts-expect-error en lacks `b`
    messageArea({ "zh-CN": { a: "甲", b: "乙" }, en: { a: "A" } });
    // @ts-expect-error en lacks the nested `group.b`
    messageArea({ "zh-CN": { group: { a: "甲", b: "乙" } }, en: { group: { a: "A" } } });
    messageArea({
      "zh-CN": { a: "甲" },
      // @ts-expect-error `c` is only in en (i.e. missing in zh-CN)
      en: { a: "A", c: "C" },
    });
    messageArea({
      "zh-CN": { list: [{ q: "问", a: "答" }] },
      // @ts-expect-error a list item without `a`
      en: { list: [{ q: "Q" }] },
    });
    // @ts-expect-error a text must be a string
    messageArea({ "zh-CN": { a: "甲" }, en: { a: 1 } });
    const area = messageArea({ "zh-CN": { a: "甲", list: ["一"] }, en: { a: "A", list: ["one", "two"] } });
    expect(area.en.a).toBe("A");
  });
});
