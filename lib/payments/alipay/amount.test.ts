import { describe, expect, it } from "vitest";
import { fenToYuan, tryYuanToFen, yuanToFen } from "./amount";
import { formatAlipayTime, parseAlipayTime } from "./time";

describe("fenToYuan", () => {
  it("writes fen as a yuan string with exactly two decimals", () => {
    expect(fenToYuan(10000)).toBe("100.00");
    expect(fenToYuan(5000)).toBe("50.00");
    expect(fenToYuan(1)).toBe("0.01");
    expect(fenToYuan(0)).toBe("0.00");
    expect(fenToYuan(123456)).toBe("1234.56");
  });

  it("refuses fractions, negatives and non-numbers", () => {
    for (const bad of [0.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 100_000_000_01])
      expect(() => fenToYuan(bad)).toThrow(RangeError);
  });
});

describe("yuanToFen", () => {
  it("reads Alipay amounts into integer fen without floating-point error", () => {
    expect(yuanToFen("100.00")).toBe(10000);
    expect(yuanToFen("0.01")).toBe(1);
    expect(yuanToFen("0.29")).toBe(29); // 0.29 * 100 = 28.999999999999996 in floating point
    expect(yuanToFen("1.1")).toBe(110);
    expect(yuanToFen("50")).toBe(5000);
  });

  it("refuses anything that is not exactly a non-negative amount with at most two decimals", () => {
    for (const bad of [
      "",
      " 1.00",
      "1.00 ",
      "-1.00",
      "+1.00",
      "1.001",
      "1e2",
      "01.00",
      "1.",
      ".5",
      "1,00",
      "0x10",
      "100000000.01",
      "NaN",
    ]) {
      expect(() => yuanToFen(bad), bad).toThrow(RangeError);
    }
  });

  it("round-trips every fen amount up to 2,000 CNY", () => {
    for (let fen = 0; fen <= 200_000; fen += 7) expect(yuanToFen(fenToYuan(fen))).toBe(fen);
  });

  it("tryYuanToFen answers null instead of throwing", () => {
    expect(tryYuanToFen("abc")).toBeNull();
    expect(tryYuanToFen(undefined)).toBeNull();
    expect(tryYuanToFen("12.30")).toBe(1230);
  });
});

describe("Alipay time", () => {
  it("is Beijing time in yyyy-MM-dd HH:mm:ss", () => {
    expect(formatAlipayTime(new Date("2026-11-25T16:30:05Z"))).toBe("2026-11-26 00:30:05");
    expect(parseAlipayTime("2026-11-26 00:30:05")?.toISOString()).toBe("2026-11-25T16:30:05.000Z");
    expect(parseAlipayTime("2026-11-26T00:30:05")).toBeNull();
  });
});
