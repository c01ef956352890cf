import path from "node:path";
import { z } from "zod";

/**
 * The assistant's own settings. It runs on holders' computers, so it reads only ASSISTANT_* (and DATA_DIR
 * for the demo's virtual tokens), never the portal's secrets.
 */

const flag = z.enum(["1", "0", "true", "false", ""]).transform((v) => v === "1" || v === "true");
const origin = z
  .string()
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, "origins as scheme://host[:port], comma-separated, no path");

const Env = z.object({
  NODE_ENV: z.string().optional(),
  ASSISTANT_PORT: z.coerce.number().int().min(1).max(65535).default(17443),
  ASSISTANT_ORIGINS: z.string().default("http://localhost:3000"),
  ASSISTANT_PKCS11_MODULE: z.string().min(1).optional(),
  // development: extra middleware libraries, `pkcs11=/path/lib.so;skf=/path/other.so`
  ASSISTANT_MODULES: z.string().optional(),
  // development/tests: 0 turns off looking for the known vendor libraries (agent/middleware/known.ts)
  ASSISTANT_DISCOVER_MODULES: flag.optional(),
  ASSISTANT_VIRTUAL_TOKENS: flag.optional(),
  ASSISTANT_TEST_HOOKS: flag.default(false),
  DATA_DIR: z.string().min(1).default(".data"),
});

export interface AssistantConfig {
  port: number;
  origins: string[];
  pkcs11Module: string | null;
  /** middleware libraries to use besides (and before) the ones found by agent/middleware/discover.ts */
  modules?: { kind: "pkcs11" | "skf"; path: string }[];
  /** look for the known vendor libraries (default true) */
  discoverModules?: boolean;
  virtualDir: string | null;
  testHooks: boolean;
}

export function assistantConfig(env: Record<string, string | undefined>): AssistantConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue.path[0])} is invalid: ${issue.message}`);
  }
  const c = parsed.data;
  const origins = c.ASSISTANT_ORIGINS.split(",")
    .map((o) => o.trim().replace(/\/$/, ""))
    .filter(Boolean);
  for (const o of origins) {
    const checked = origin.safeParse(o);
    if (!checked.success)
      throw new Error(`ASSISTANT_ORIGINS is invalid: ${checked.error.issues[0].message} (got "${o}")`);
  }
  if (c.ASSISTANT_TEST_HOOKS && c.NODE_ENV === "production")
    throw new Error("ASSISTANT_TEST_HOOKS is invalid: not allowed with NODE_ENV=production");
  const modules = (c.ASSISTANT_MODULES ?? "")
    .split(";")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => {
      const at = m.indexOf("=");
      const kind = m.slice(0, at);
      if (at < 1 || (kind !== "pkcs11" && kind !== "skf") || !m.slice(at + 1))
        throw new Error(`ASSISTANT_MODULES is invalid: "${m}" is not pkcs11=<path> or skf=<path>`);
      return { kind: kind as "pkcs11" | "skf", path: m.slice(at + 1) };
    });
  const virtual = c.ASSISTANT_VIRTUAL_TOKENS ?? !c.ASSISTANT_PKCS11_MODULE;
  return {
    port: c.ASSISTANT_PORT,
    origins,
    pkcs11Module: c.ASSISTANT_PKCS11_MODULE ?? null,
    modules,
    discoverModules: c.ASSISTANT_DISCOVER_MODULES ?? true,
    virtualDir: virtual ? path.resolve(c.DATA_DIR, "tokens") : null,
    testHooks: c.ASSISTANT_TEST_HOOKS,
  };
}
