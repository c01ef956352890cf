import { describe, expect, test } from "vitest";
import { generatePassword, hashPassword, needsRehash, passwordProblem, verifyPassword } from "./passwords";

describe("staff password hashing", () => {
  test("stores scrypt parameters and a per-hash salt in the string", async () => {
    const a = await hashPassword("Correct-Horse-42!");
    const b = await hashPassword("Correct-Horse-42!");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(needsRehash(a)).toBe(false);
  });

  test("verifies the right password only", async () => {
    const h = await hashPassword("Correct-Horse-42!");
    expect(await verifyPassword("Correct-Horse-42!", h)).toBe(true);
    expect(await verifyPassword("correct-horse-42!", h)).toBe(false);
    expect(await verifyPassword("", h)).toBe(false);
  });

  test("still verifies a hash made with older, smaller parameters and asks for a rehash", async () => {
    const h = await hashPassword("Correct-Horse-42!");
    const [, , , , salt] = h.split("$");
    const { scryptSync } = await import("node:crypto");
    const old = `scrypt$16384$8$1$${salt}$${scryptSync("Correct-Horse-42!", Buffer.from(salt, "base64url"), 32, { N: 16384, r: 8, p: 1 }).toString("base64url")}`;
    expect(await verifyPassword("Correct-Horse-42!", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  test("refuses tampered parameters instead of running them", async () => {
    expect(await verifyPassword("x", "scrypt$1073741824$8$1$AAAA$AAAA")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$whatever")).toBe(false);
  });
});

describe("minimum password strength", () => {
  test.each([
    ["Sh0rt!pw", "too_short"],
    ["alllowercaseletters", null],
    ["lowercaseonly", "too_simple"],
    ["Abcdefghijk1", null],
    ["Password-2026!", "common"],
    ["Zhangsan-2026!", "contains_username"],
    ["aaaaaaaaaaaaaaaa", "common"],
  ])("%s → %s", (pw, problem) => {
    expect(passwordProblem(pw, "zhangsan")).toBe(problem);
  });

  test("generated passwords always pass", () => {
    for (let i = 0; i < 50; i++) expect(passwordProblem(generatePassword(), "admin")).toBeNull();
  });
});
