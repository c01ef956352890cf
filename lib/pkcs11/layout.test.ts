import koffi from "koffi";
import { describe, expect, it } from "vitest";
import { layoutOf } from ".";

describe("PKCS#11 structure layout on x64", () => {
  it("Linux: 64-bit CK_ULONG, natural alignment (CK_ATTRIBUTE is 24 bytes, functions start at byte 8)", () => {
    expect(layoutOf(koffi, "linux")).toEqual({
      ulong: 8,
      pair: { size: 24, pointer: 8, length: 16 },
      functions: 8,
    });
  });

  it("Windows: 32-bit CK_ULONG and #pragma pack(1) (CK_ATTRIBUTE is 16 bytes, functions start at byte 2)", () => {
    expect(layoutOf(koffi, "win32")).toEqual({
      ulong: 4,
      pair: { size: 16, pointer: 4, length: 12 },
      functions: 2,
    });
  });
});
