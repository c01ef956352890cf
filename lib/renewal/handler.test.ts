import { describe, expect, test } from "vitest";
import { HandlerInfo, gb11643CheckChar, idNumberProblem, type IdType } from "./handler";

const base = {
  name: "张三",
  idType: "resident_id",
  idNumber: "370102199001011231",
  mobile: "13812345678",
  email: "zhangsan@example.com",
};

function fieldErrors(input: Record<string, unknown>): Record<string, string> {
  const r = HandlerInfo.safeParse(input);
  if (r.success) return {};
  return Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
}

describe("ID numbers per type", () => {
  const cases: [IdType, string, string | null][] = [
    ["resident_id", "370102199001011231", null],
    ["resident_id", "11010519491231002X", null],
    ["resident_id", "440304200002290014", null], // 29 February of a leap year
    ["resident_id", "371428200112315672", null],
    ["resident_id", "370102199001011234", "idCheckDigit"],
    ["resident_id", "110105194912310021", "idCheckDigit"],
    ["resident_id", "370102199002301230", "idBirthDate"], // 30 February
    ["resident_id", "370102199013011239", "idBirthDate"], // month 13
    ["resident_id", "370102299901011235", "idBirthDate"], // born in the future
    ["resident_id", "370102189912311236", "idBirthDate"], // before 1900
    ["resident_id", "37010219900101123", "idNumberFormat"], // 17 characters
    ["resident_id", "3701021990010112311", "idNumberFormat"], // 19 characters
    ["resident_id", "37010219900101123A", "idNumberFormat"],
    ["resident_id", "070102199001011231", "idNumberFormat"],
    ["hk_macao_permit", "H12345678", null],
    ["hk_macao_permit", "M1234567890", null],
    ["hk_macao_permit", "K12345678", "idNumberFormat"],
    ["hk_macao_permit", "H1234567", "idNumberFormat"],
    ["taiwan_permit", "12345678", null],
    ["taiwan_permit", "1234567890", null],
    ["taiwan_permit", "1234567", "idNumberFormat"],
    ["taiwan_permit", "T1234567", "idNumberFormat"],
    ["passport", "E12345678", null],
    ["passport", "G1234567", null],
    ["passport", "123456789012345678", "idNumberFormat"],
    ["passport", "ABCDEFGH", "idNumberFormat"],
    ["passport", "E12", "idNumberFormat"],
    ["foreign_permanent_resident", "USA123456789012", null],
    ["foreign_permanent_resident", "911012198503150017", null],
    ["foreign_permanent_resident", "911012198503150012", "idCheckDigit"],
    ["foreign_permanent_resident", "370102199001011231", "idNumberFormat"],
    ["foreign_permanent_resident", "US1234567890123", "idNumberFormat"],
  ];
  test.each(cases)("%s %s → %s", (type, value, problem) => {
    expect(idNumberProblem(type, value, new Date("2026-11-25T00:00:00Z"))).toBe(problem);
    expect(fieldErrors({ ...base, idType: type, idNumber: value }).idNumber ?? null).toBe(problem);
  });

  test("check character follows GB 11643-1999 (published example 11010519491231002X)", () => {
    expect(gb11643CheckChar("11010519491231002")).toBe("X");
  });

  test("accepts a lower-case x and spaces, stores the number normalised", () => {
    const r = HandlerInfo.parse({ ...base, idNumber: " 110105 19491231 002x " });
    expect(r.idNumber).toBe("11010519491231002X");
  });
});

describe("handler fields", () => {
  const cases: [string, Record<string, unknown>, Record<string, string>][] = [
    ["valid Chinese handler", {}, {}],
    ["Latin name with a space", { name: "John Smith" }, {}],
    ["ethnic name with middle dot", { name: "买买提·艾力" }, {}],
    ["one-character name", { name: "张" }, { name: "nameLength" }],
    ["31-character name", { name: "张".repeat(31) }, { name: "nameLength" }],
    ["digits in the name", { name: "张三3" }, { name: "nameChars" }],
    ["missing name", { name: undefined }, { name: "required" }],
    ["unknown ID type", { idType: "driving_licence" }, { idType: "idTypeInvalid" }],
    ["mobile with +86 and dashes", { mobile: "+86 138-1234-5678" }, {}],
    ["mobile starting 12", { mobile: "12812345678" }, { mobile: "mobileInvalid" }],
    ["10-digit mobile", { mobile: "1381234567" }, { mobile: "mobileInvalid" }],
    ["landline", { mobile: "0534-2345678" }, { mobile: "mobileInvalid" }],
    ["e-mail without domain", { email: "zhangsan@" }, { email: "emailInvalid" }],
    ["empty e-mail", { email: "" }, { email: "required" }],
  ];
  test.each(cases)("%s", (_, patch, expected) => {
    expect(fieldErrors({ ...base, ...patch })).toEqual(expected);
  });

  test("normalises the mobile number to 11 digits", () => {
    expect(HandlerInfo.parse({ ...base, mobile: "+86 138-1234-5678" }).mobile).toBe("13812345678");
  });
});
