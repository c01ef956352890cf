import path from "node:path";
import { RuleTester } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { COMPOSITION, DOMAIN, KERNEL, LAYERS, SHARED } from "./layer-table.mjs";
import { importsRule, resolveImport } from "./layers.mjs";

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
});
const at = (file: string) => path.join(process.cwd(), file);
const options = [LAYERS];
const TABLE = "(scripts/lint/layer-table.mjs)";

const ok = (file: string, code: string) => ({ filename: at(file), code, options });
const bad = (file: string, code: string, ...reasons: string[]) => ({
  filename: at(file),
  code,
  options,
  errors: reasons.map((reason) => ({ messageId: "layer", data: { reason } })),
});

describe("resolveImport", () => {
  it("resolves @/ and relative imports to repository paths, without extension", () => {
    expect(resolveImport("lib/orders/machine.ts", "@/lib/outbox/write")).toEqual({ path: "lib/outbox/write" });
    expect(resolveImport("lib/orders/machine.ts", "../renewal/flow.ts")).toEqual({ path: "lib/renewal/flow" });
    expect(resolveImport("lib/orders/machine.ts", "./numbers")).toEqual({ path: "lib/orders/numbers" });
    expect(resolveImport("lib/orders/machine.ts", "..")).toEqual({ path: "lib" });
    expect(resolveImport("agent/backends/virtual.ts", "../../lib/pki/der")).toEqual({ path: "lib/pki/der" });
  });

  it("names the package of a bare specifier, and nothing for a path leaving the repository", () => {
    expect(resolveImport("lib/http/route.ts", "next/server")).toEqual({ pkg: "next" });
    expect(resolveImport("lib/http/route.ts", "@prisma/client/runtime")).toEqual({ pkg: "@prisma/client" });
    expect(resolveImport("lib/http/route.ts", "node:crypto")).toEqual({ pkg: "crypto" });
    expect(resolveImport("lib/x.ts", "../../outside")).toBeNull();
  });
});

tester.run("layers/imports", importsRule, {
  valid: [
    ok("lib/orders/machine.ts", 'import { write } from "@/lib/outbox/write"; import { DomainError } from "../errors";'),
    ok("lib/orders/machine.ts", 'import type { Order } from "@/lib/generated/prisma/client"; import { z } from "zod";'),
    ok("lib/orders/machine.ts", 'import { randomUUID } from "node:crypto"; import { next } from "./numbers";'),
    ok("lib/crypto/field.ts", 'import type { Config } from "@/lib/config";'),
    ok("lib/crypto/field.ts", 'import { type Config } from "../config";'),
    ok(
      "lib/staff/orders.ts",
      'import { cancel } from "@/lib/payments/cancel"; import { route } from "@/lib/http/route";',
    ),
    ok("lib/runtime/jobs.ts", 'import { sink } from "@/lib/dev/sink"; import { worker } from "@/lib/mail/worker";'),
    ok("lib/dev/seed.ts", 'import { createOrder } from "@/lib/renewal/create-order";'),
    ok(
      "agent/server.ts",
      'import { parseChallenge } from "@/lib/token/challenge"; import { DomainError } from "@/lib/errors";',
    ),
    ok(
      "agent/x509.ts",
      'import { sequence } from "../lib/pki/der"; import { serial } from "./backends/types"; import "koffi";',
    ),
    ok(
      "agent/server.test.ts",
      'import { formatChallenge } from "@/lib/token/challenge"; import { testCa } from "@/tests/helpers/pki";',
    ),
    ok(
      "lib/pki/pkcs7.test.ts",
      'import { testCa } from "@/tests/helpers/pki"; import { demoCerts } from "@/lib/dev/certs";',
    ),
    ok(
      "lib/token/client.test.ts",
      'import { startAssistant } from "@/agent/server"; import { createDb } from "../db";',
    ),
    ok("app/dev/page.tsx", 'import { seed } from "@/lib/dev/seed"; import { redirect } from "next/navigation";'),
    ok("tests/helpers/holders.ts", 'import { seed } from "@/lib/dev/seed"; import { openDb } from "@/lib/db";'),
    ok("bench/orders.ts", 'import { holders } from "@/lib/dev/holders";'),
    ok("lib/orders/machine.ts", "const m = await import(name);"),
  ],
  invalid: [
    bad(
      "lib/orders/create.ts",
      'import { eligibility } from "@/lib/renewal/eligibility";',
      `lib/orders → lib/renewal: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      'import type { Invoice } from "../payments/invoice";',
      `lib/orders → lib/payments: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      'import { type Invoice } from "../payments/invoice";',
      `lib/orders → lib/payments: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      'const { close } = await import("@/lib/payments/alipay/close");',
      `lib/orders → lib/payments: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      "const { close } = await import(`@/lib/payments/alipay/close`);",
      `lib/orders → lib/payments: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/index.ts",
      'export { resume } from "../renewal/flow"; export type * from "@/lib/payments/types";',
      `lib/orders → lib/renewal: lib/orders may import kernel, outbox, sms ${TABLE}`,
      `lib/orders → lib/payments: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      'type Flow = typeof import("@/lib/renewal/flow");',
      `lib/orders → lib/renewal: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/orders/legacy.ts",
      'const flow = require("../renewal/flow");',
      `lib/orders → lib/renewal: lib/orders may import kernel, outbox, sms ${TABLE}`,
    ),
    bad(
      "lib/crypto/field.ts",
      'import { loadConfig } from "@/lib/config";',
      `lib/crypto → lib/config: lib/crypto may import errors, config (types only) ${TABLE}`,
    ),
    bad(
      "lib/db/client.ts",
      'import { numberSetting } from "../settings";',
      `lib/db → lib/settings: lib/db may import errors (the kernel imports no domain folder) ${TABLE}`,
    ),
    bad(
      "lib/jobs/all.ts",
      'import { worker } from "@/lib/mail/worker";',
      `lib/jobs → lib/mail: lib/jobs may import db, clock, log, errors (the kernel imports no domain folder) ${TABLE}`,
    ),
    bad(
      "lib/errors/index.ts",
      'import { log } from "../log";',
      `lib/errors → lib/log: lib/errors may import no other lib folder ${TABLE}`,
    ),
    bad(
      "lib/http/route.ts",
      'import { NextResponse } from "next/server";',
      "lib/http → next: lib/ never imports next (it is plain TypeScript, free of Next and React)",
    ),
    bad(
      "lib/mail/templates.ts",
      'import { useState } from "react"; import { render } from "react-dom";',
      "lib/mail → react: lib/ never imports react (it is plain TypeScript, free of Next and React)",
      "lib/mail → react-dom: lib/ never imports react-dom (it is plain TypeScript, free of Next and React)",
    ),
    bad(
      "lib/renewal/holder.ts",
      'import { holder } from "@/app/renew/_lib/holder"; import { Footer } from "../../components/SiteFooter";',
      "lib/renewal → app: lib/ never imports app/",
      "lib/renewal → components: lib/ never imports components/",
    ),
    bad(
      "lib/token/file.ts",
      'import { VirtualBackend } from "@/agent/backends/virtual"; import { a } from "@/tests/helpers/db";',
      "lib/token → agent: lib/ never imports agent/",
      "lib/token → tests: lib/ never imports tests/",
    ),
    bad(
      "lib/renewal/dev.ts",
      'import { holders } from "@/bench/lib/holders";',
      "lib/renewal → bench: lib/ never imports bench/",
    ),
    bad(
      "lib/mail/worker.ts",
      'import { sink } from "@/lib/dev/sink";',
      "lib/mail → lib/dev: only lib/runtime (and app/, scripts/, tests/) may import lib/dev",
    ),
    bad(
      "lib/demo/seed.ts",
      'import { openDb } from "../db";',
      `lib/demo → lib/db: lib/demo is not in the layer table ${TABLE}`,
    ),
    bad(
      "lib/orders/machine.ts",
      'import { x } from "@/lib/newthing/x";',
      `lib/orders → lib/newthing: lib/newthing is not in the layer table ${TABLE}`,
    ),
    bad(
      "agent/main.ts",
      'import { systemClock } from "@/lib/clock"; import { parseCsr } from "../lib/pki/csr";',
      `agent → lib/clock: agent/ imports only agent, lib/token, lib/errors, lib/pki/der, lib/pkcs11 ${TABLE}`,
      `agent → lib/pki/csr: agent/ imports only agent, lib/token, lib/errors, lib/pki/der, lib/pkcs11 ${TABLE}`,
    ),
    bad(
      "agent/main.ts",
      'const { testCa } = await import("@/tests/helpers/pki");',
      `agent → tests/helpers/pki: agent/ imports only agent, lib/token, lib/errors, lib/pki/der, lib/pkcs11 ${TABLE}`,
    ),
    bad(
      "tests/faults/helpers/world.ts",
      'import { holders } from "@/bench/lib/holders";',
      "tests → bench: tests/ never imports bench/",
    ),
    bad(
      "lib/pki/issue.test.ts",
      'import { holders } from "../../bench/lib/holders";',
      "tests → bench: test files never import bench/",
    ),
    bad(
      "bench/mail.ts",
      'import { openTestDb } from "../tests/helpers/db";',
      "bench → tests: bench/ never imports tests/",
    ),
    bad(
      "lib/orders/machine.test.ts",
      'import { startRenewal } from "@/lib/renewal/flow"; import { NextRequest } from "next/server";',
      `lib/orders → lib/renewal: lib/orders may import kernel, outbox, sms ${TABLE}`,
      "lib/orders → next: lib/ never imports next (it is plain TypeScript, free of Next and React)",
    ),
    bad(
      "agent/server.test.ts",
      'import { fixedClock } from "@/lib/clock";',
      `agent → lib/clock: agent/ imports only agent, lib/token, lib/errors, lib/pki/der, lib/pkcs11 ${TABLE}`,
    ),
  ],
});

describe("the layer table", () => {
  const lib = { ...KERNEL, ...DOMAIN, ...COMPOSITION };
  const expand = (list: string[]) =>
    list.flatMap((e) => (e === "kernel" ? Object.keys(KERNEL) : e === "domain" ? Object.keys(DOMAIN) : [e]));
  const mayImport = (folder: string) =>
    new Set([
      ...(folder in KERNEL ? [] : Object.keys(KERNEL)),
      ...expand(lib[folder]).map((e) => e.replace(/^type:/, "")),
    ]);

  it("names only folders it defines", () => {
    const names = new Set([...Object.keys(lib), ...SHARED]);
    for (const [folder, list] of Object.entries(lib))
      for (const entry of expand(list)) expect(names, `${folder} → ${entry}`).toContain(entry.replace(/^type:/, ""));
  });

  it("lets the kernel import no domain folder", () => {
    for (const folder of Object.keys(KERNEL))
      for (const to of mayImport(folder)) expect(Object.keys(KERNEL), `${folder} → ${to}`).toContain(to);
  });

  it("lets no two lib folders import each other", () => {
    const pairs = Object.keys(lib).flatMap((a) =>
      [...mayImport(a)].filter((b) => b !== a && mayImport(b).has(a)).map((b) => `${a} ↔ ${b}`),
    );
    expect(pairs).toEqual([]);
  });

  it("keeps the wizard and the payments off lib/org (an organisation's coverage is read through lib/fees)", () => {
    expect(mayImport("renewal").has("org")).toBe(false);
    expect(mayImport("payments").has("org")).toBe(false);
    expect(mayImport("org").has("fees")).toBe(true);
  });

  it("keeps lib/orders off lib/renewal and lib/payments", () => {
    expect(mayImport("orders").has("renewal")).toBe(false);
    expect(mayImport("orders").has("payments")).toBe(false);
  });
});
