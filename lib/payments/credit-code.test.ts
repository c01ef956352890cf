import { describe, expect, it } from "vitest";
import { creditCodeCheckChar, isValidCreditCode } from "./credit-code";
import { InvoiceDetails } from "./invoice-details";

// published codes of well-known companies (business licence records), not derived from our own function
const REAL = ["914403001922038216", "9144030071526726XG", "91110000802100433B"];

describe("统一社会信用代码 (GB 32100-2015)", () => {
  it("accepts published codes", () => {
    for (const code of REAL) expect(isValidCreditCode(code), code).toBe(true);
  });

  it("refuses a code with any single character changed", () => {
    for (const code of REAL) {
      for (let i = 0; i < 18; i++) {
        const alt = code[i] === "1" ? "2" : "1";
        expect(isValidCreditCode(code.slice(0, i) + alt + code.slice(i + 1)), `${code} @${i}`).toBe(false);
      }
    }
  });

  it("refuses letters outside the alphabet (I, O, Z, S, V), lower case and wrong lengths", () => {
    expect(isValidCreditCode("91440300192203821")).toBe(false);
    expect(isValidCreditCode("9144030071526726xg")).toBe(false);
    expect(isValidCreditCode("9144030O71526726XG")).toBe(false);
    expect(creditCodeCheckChar("9144030S7152672")).toBeNull();
  });

  it("wraps the check value 31 around to '0' and maps 30 to 'Y'", () => {
    expect(creditCodeCheckChar("0".repeat(17))).toBe("0");
    expect(creditCodeCheckChar(`1${"0".repeat(16)}`)).toBe("Y");
  });
});

describe("InvoiceDetails", () => {
  it("requires the taxpayer ID for organisations and checks it", () => {
    const base = { type: "organisation", title: "德州市某某有限公司", email: "Finance@Example.com" };
    expect(InvoiceDetails.safeParse(base).error?.issues[0]).toMatchObject({
      path: ["taxpayerId"],
      message: "taxpayerIdRequired",
    });
    expect(InvoiceDetails.safeParse({ ...base, taxpayerId: "914403001922038217" }).error?.issues[0]).toMatchObject({
      message: "taxpayerIdInvalid",
    });
    expect(InvoiceDetails.parse({ ...base, taxpayerId: " 9144 0300 7152 6726 xg " })).toEqual({
      ...base,
      email: "finance@example.com",
      taxpayerId: "9144030071526726XG",
    });
  });

  it("lets individuals leave the taxpayer ID out, but checks it when given", () => {
    expect(
      InvoiceDetails.parse({ type: "personal", title: "张三", email: "a@b.cn", taxpayerId: "" }).taxpayerId,
    ).toBeUndefined();
    expect(
      InvoiceDetails.safeParse({ type: "personal", title: "张三", email: "a@b.cn", taxpayerId: "123" }).success,
    ).toBe(false);
  });

  it("refuses a bad e-mail and an empty title", () => {
    expect(InvoiceDetails.safeParse({ type: "personal", title: "张三", email: "nope" }).error?.issues[0].message).toBe(
      "emailInvalid",
    );
    expect(InvoiceDetails.safeParse({ type: "personal", title: " ", email: "a@b.cn" }).error?.issues[0].message).toBe(
      "invoiceTitleLength",
    );
  });
});
