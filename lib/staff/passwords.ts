import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { DomainError } from "../errors";

/**
 * Staff passwords: scrypt (node:crypto) with a random 16-byte salt per hash. The parameters travel inside the
 * stored string (`scrypt$N$r$p$salt$hash`), so raising them later keeps old hashes verifiable and
 * `needsRehash` tells sign-in to upgrade them.
 */

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;
// N=2^15, r=8 needs 32 MiB; node's default limit is exactly 32 MiB, which scrypt exceeds by its own overhead
const MAX_MEM = 128 * 1024 * 1024;

let derivations = 0;
/** how long one derivation takes here (a moving average), for the unknown-user delay */
let typicalMs: number | undefined;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: MAX_MEM };
  derivations++;
  const started = performance.now();
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LEN, options, (err, key) => {
      if (err) return reject(err);
      const ms = performance.now() - started;
      typicalMs = typicalMs === undefined ? ms : typicalMs * 0.8 + ms * 0.2;
      resolve(key);
    }),
  );
}

/** How many scrypt derivations this process has run (tests check that a flood of unknown names runs none). */
export const passwordDerivations = () => derivations;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return null;
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  // refuse absurd parameters from a tampered row instead of letting them exhaust memory
  if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10 || N > 2 ** 20 || R < 1 || R > 32 || P < 1 || P > 16) return null;
  return { N, r: R, p: P, salt: Buffer.from(salt, "base64url"), key: Buffer.from(key, "base64url") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

export function needsRehash(stored: string): boolean {
  const p = parse(stored);
  return !p || p.N !== PARAMS.N || p.r !== PARAMS.r || p.p !== PARAMS.p;
}

/** A hash of nothing anyone knows, made once to learn how long a derivation takes. */
let dummy: Promise<string> | undefined;

/**
 * Unknown usernames wait as long as a password check takes, without doing it: the answer comes no sooner than for
 * a real account, and a flood of made-up names costs no CPU or memory (a derivation is 32 MiB).
 */
export async function unknownUserDelay(): Promise<void> {
  if (typicalMs === undefined) await (dummy ??= hashPassword(randomBytes(18).toString("base64url")));
  const ms = (typicalMs ?? 100) * (0.9 + Math.random() * 0.2);
  await new Promise((r) => setTimeout(r, ms));
}

export const PASSWORD_MIN_LENGTH = 12;
const PASSWORD_MAX_LENGTH = 128;

const COMMON = [
  "password",
  "12345678",
  "qwerty",
  "111111",
  "123456",
  "admin",
  "letmein",
  "welcome",
  "certrenew",
  "96701666",
  "iloveyou",
  "abc123",
];

export type PasswordProblem = "too_short" | "too_long" | "too_simple" | "contains_username" | "common";

/**
 * Minimum strength: 12–128 characters, at least three of lower case / upper case / digits / other characters
 * (or 16+ characters of anything: a pass phrase), not the username, and not built around a well-known password.
 */
export function passwordProblem(password: string, username: string): PasswordProblem | null {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN_LENGTH) return "too_short";
  if (chars.length > PASSWORD_MAX_LENGTH) return "too_long";
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return "contains_username";
  if (COMMON.some((c) => lower.includes(c)) || new Set(chars).size < 5) return "common";
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3 && chars.length < 16) return "too_simple";
  return null;
}

export function assertPasswordStrength(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem)
    throw new DomainError("STAFF_PASSWORD_WEAK", {
      problem,
      minLength: PASSWORD_MIN_LENGTH,
      fields: { password: `password_${problem}` },
    });
}

/** A password that passes the policy, for demo accounts and resets: 20 characters from four classes. */
export function generatePassword(): string {
  const sets = ["abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "-_.!@#%+="];
  const all = sets.join("");
  const pick = (s: string) => s[randomInt(s.length)];
  for (;;) {
    const chars = [...sets.map(pick), ...Array.from({ length: 16 }, () => pick(all))];
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    const shuffled = chars.join("");
    if (!passwordProblem(shuffled, "")) return shuffled;
  }
}
