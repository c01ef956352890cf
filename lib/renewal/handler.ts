import { z } from "zod";

/**
 * The handler (经办人) of a renewal, one schema for the form and the server. Messages are keys of
 * lib/messages/validation.ts; the route wrapper and the form translate them. No Node imports: used in the browser.
 */

/** Stable codes stored in the database; their names (居民身份证, 护照, …) are in lib/messages/renewal.ts. */
export const ID_TYPES = [
  "resident_id",
  "hk_macao_permit",
  "taiwan_permit",
  "passport",
  "foreign_permanent_resident",
] as const;
export type IdType = (typeof ID_TYPES)[number];

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = "10X98765432";

/** GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits. */
export function gb11643CheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

function isRealPastDate(yyyymmdd: string, today: Date): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1900) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  return date.getTime() <= today.getTime();
}

/** 18 characters with a birth date at 7–14 and a GB 11643-1999 check character (resident ID, new-style foreign PR card). */
function checkEighteen(v: string, today: Date): IdNumberProblem | null {
  if (!/^\d{17}[\dX]$/.test(v)) return "idNumberFormat";
  if (!isRealPastDate(v.slice(6, 14), today)) return "idBirthDate";
  if (gb11643CheckChar(v) !== v[17]) return "idCheckDigit";
  return null;
}

export type IdNumberProblem = "idNumberFormat" | "idBirthDate" | "idCheckDigit";

/** Null when `value` (already normalised: upper case, no spaces) is a valid number for the ID type. */
export function idNumberProblem(type: IdType, value: string, today: Date = new Date()): IdNumberProblem | null {
  switch (type) {
    case "resident_id":
      if (!/^[1-9]/.test(value)) return "idNumberFormat";
      return checkEighteen(value, today);
    case "hk_macao_permit":
      // 回乡证: H (Hong Kong) or M (Macao) + 8 digits, older cards + 10 digits
      return /^[HM]\d{8}(\d{2})?$/.test(value) ? null : "idNumberFormat";
    case "taiwan_permit":
      // 台胞证: 8 digits since 2015, 10 digits before
      return /^(\d{8}|\d{10})$/.test(value) ? null : "idNumberFormat";
    case "passport":
      return /^[A-Z0-9]{5,17}$/.test(value) && /\d/.test(value) ? null : "idNumberFormat";
    case "foreign_permanent_resident":
      // 2017 card: 3 letters + 12 digits; 2023 card: 18 digits starting with 9, same structure as the resident ID
      if (/^[A-Z]{3}\d{12}$/.test(value)) return null;
      if (!/^9/.test(value)) return "idNumberFormat";
      return checkEighteen(value, today);
  }
}

export function normaliseIdNumber(v: string): string {
  return v.replace(/[\s-]/g, "").toUpperCase();
}

/** 13812345678 from "+86 138-1234-5678" and the like. */
export function normaliseMobile(v: string): string {
  const digits = v.replace(/[\s()-]/g, "");
  return digits.replace(/^(\+86|0086|86)(?=1\d{10}$)/, "");
}

const NAME =
  /^[\p{Script=Han}\p{Script=Latin}](?:[\p{Script=Han}\p{Script=Latin} ·•.'-]*[\p{Script=Han}\p{Script=Latin}.])?$/u;

export const HandlerName = z
  .string({ error: "required" })
  .transform((v) => v.trim().replace(/\s+/g, " "))
  .refine((v) => v.length > 0, "required")
  .refine((v) => [...v].length >= 2 && [...v].length <= 30, "nameLength")
  .refine((v) => NAME.test(v), "nameChars");

export const Mobile = z
  .string({ error: "required" })
  .transform(normaliseMobile)
  .refine((v) => v.length > 0, "required")
  .refine((v) => /^1[3-9]\d{9}$/.test(v), "mobileInvalid");

export const Email = z
  .string({ error: "required" })
  .trim()
  .min(1, "required")
  .max(254, "tooLong")
  .pipe(z.email({ error: "emailInvalid" }));

export const HandlerInfo = z
  .object({
    name: HandlerName,
    idType: z.enum(ID_TYPES, { error: "idTypeInvalid" }),
    idNumber: z
      .string({ error: "required" })
      .transform(normaliseIdNumber)
      .refine((v) => v.length > 0, "required")
      .refine((v) => v.length <= 32, "idNumberFormat"),
    mobile: Mobile,
    email: Email,
    /** SMS as well as mail to the handler's mobile (payment receipt, expiry reminders) */
    notifySms: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    const problem = idNumberProblem(v.idType, v.idNumber);
    if (problem) ctx.addIssue({ code: "custom", path: ["idNumber"], message: problem });
  });

export type HandlerInfo = z.infer<typeof HandlerInfo>;
