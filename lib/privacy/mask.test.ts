import { expect, test } from "vitest";
import { maskEmail, maskIdNumber, maskMobile, maskName } from "./mask";

test.each([
  [maskIdNumber, "370102199001011234", "3701**********1234"],
  [maskIdNumber, "11010519491231002X", "1101**********002X"],
  [maskIdNumber, "E12345678", "E1*****78"],
  [maskIdNumber, "12345678", "12****78"],
  [maskIdNumber, "H123", "H**3"],
  [maskIdNumber, "", ""],
  [maskMobile, "13812345678", "138****5678"],
  [maskName, "张三", "张*"],
  [maskName, "张三丰", "张*丰"],
  [maskName, "买买提·艾力", "买****力"],
  [maskName, "John Smith", "J********h"],
  [maskName, "张", "*"],
  [maskEmail, "zhangsan@example.com", "z******n@example.com"],
  [maskEmail, "ab@example.com", "a*@example.com"],
])("%o(%s) → %s", (fn, input, masked) => {
  expect(fn(input)).toBe(masked);
});

test("a masked ID number never contains the birth date", () => {
  expect(maskIdNumber("370102199001011231")).not.toContain("19900101");
});
