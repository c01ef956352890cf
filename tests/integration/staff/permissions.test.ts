import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ACTIONS, ROLES, ROLE_PERMISSIONS, STAFF_ROUTES, can, roleMayUse, type Action } from "@/lib/staff/permissions";

/** The table as the issue states it, written out by hand: the code's table must say exactly this. */
const EXPECTED: Record<Action, Record<(typeof ROLES)[number], boolean>> = {
  "orders.read": { helpdesk: true, finance: true, admin: true, auditor: true },
  "orders.unmask": { helpdesk: true, finance: true, admin: true, auditor: false },
  "orders.note": { helpdesk: true, finance: true, admin: true, auditor: false },
  "orders.resend_mail": { helpdesk: true, finance: true, admin: true, auditor: false },
  "orders.cancel": { helpdesk: true, finance: true, admin: true, auditor: false },
  "orders.mark_in_person": { helpdesk: true, finance: true, admin: true, auditor: false },
  "orders.reissue": { helpdesk: true, finance: true, admin: true, auditor: false },
  "payments.refund": { helpdesk: false, finance: true, admin: true, auditor: false },
  "invoices.issue": { helpdesk: false, finance: true, admin: true, auditor: false },
  "fee_tiers.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "fee_tiers.manage": { helpdesk: false, finance: false, admin: true, auditor: false },
  "staff.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "staff.manage": { helpdesk: false, finance: false, admin: true, auditor: false },
  "settings.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "settings.manage": { helpdesk: false, finance: false, admin: true, auditor: false },
  "audit.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "dashboard.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "kmc.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "kmc.recover": { helpdesk: false, finance: false, admin: true, auditor: false },
  "content.read": { helpdesk: false, finance: false, admin: true, auditor: true },
  "content.manage": { helpdesk: false, finance: false, admin: true, auditor: false },
  "orders.org_link": { helpdesk: true, finance: true, admin: true, auditor: false },
  // orgstaff (#24): finance reads the organisations page to refund places and mark invoices
  "org.read": { helpdesk: false, finance: true, admin: true, auditor: true },
  "org.manage": { helpdesk: false, finance: false, admin: true, auditor: false },
};

describe("roles as data", () => {
  test("the expected table covers every action and nothing else", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...ACTIONS].sort());
  });

  for (const role of ROLES) {
    for (const action of ACTIONS) {
      test(`${role} ${EXPECTED[action][role] ? "may" : "may not"} ${action}`, () => {
        expect(can(role, action)).toBe(EXPECTED[action][role]);
      });
    }
  }

  test("the auditor changes nothing: every action it holds is a read", () => {
    for (const a of ROLE_PERMISSIONS.auditor) expect(a).toMatch(/\.read$/);
  });

  test("every registry entry names a known action or a session requirement", () => {
    for (const need of Object.values(STAFF_ROUTES)) expect(["public", "signed_in", ...ACTIONS]).toContain(need);
  });

  test("a helpdesk user may open the order search but not the audit log; an auditor may read the log but not refund nor retry a mail", () => {
    expect(roleMayUse("helpdesk", "/staff/orders")).toBe(true);
    expect(roleMayUse("helpdesk", "/staff/audit")).toBe(false);
    expect(roleMayUse("auditor", "GET /api/staff/audit/export")).toBe(true);
    expect(roleMayUse("auditor", "POST /api/staff/orders/[id]/refund")).toBe(false);
    expect(roleMayUse("helpdesk", "POST /api/staff/mails/[id]/retry")).toBe(true);
    expect(roleMayUse("auditor", "POST /api/staff/mails/[id]/retry")).toBe(false);
  });
});

const ROOT = path.resolve(__dirname, "../../..");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** The URL path of an app-router file: route groups "(x)" vanish, private folders "_x" are not routes. */
function urlOf(file: string): string | null {
  const rel = path.relative(path.join(ROOT, "app"), path.dirname(file)).split(path.sep);
  if (rel.some((seg) => seg.startsWith("_"))) return null;
  return `/${rel.filter((seg) => !/^\(.*\)$/.test(seg)).join("/")}`;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

describe("every staff page and API route is in the registry and uses it", () => {
  const files = [...walk(path.join(ROOT, "app/(staff)")), ...walk(path.join(ROOT, "app/api/staff"))].filter((f) =>
    /\/(page\.tsx|route\.ts)$/.test(f),
  );

  test("there are staff pages and routes to check", () => {
    expect(files.filter((f) => f.endsWith("page.tsx")).length).toBeGreaterThanOrEqual(8);
    expect(files.filter((f) => f.endsWith("route.ts")).length).toBeGreaterThanOrEqual(15);
  });

  for (const file of files) {
    const url = urlOf(file);
    if (!url) continue;
    const rel = path.relative(ROOT, file);
    const src = readFileSync(file, "utf8");
    if (file.endsWith("page.tsx")) {
      test(`page ${url} (${rel}) is registered and guarded`, () => {
        expect(STAFF_ROUTES).toHaveProperty([url]);
        const need = (STAFF_ROUTES as Record<string, string>)[url];
        if (need !== "public") expect(src).toContain(`requireStaff("${url}")`);
      });
    } else {
      const methods = METHODS.filter((m) =>
        new RegExp(`export const ${m}\\b|export (async )?function ${m}\\b`).test(src),
      );
      test(`route ${url} (${rel}) registers each method and wraps it with its key`, () => {
        expect(methods.length).toBeGreaterThan(0);
        for (const m of methods) {
          const key = `${m} ${url}`;
          expect(STAFF_ROUTES).toHaveProperty([key]);
          expect(src).toMatch(
            new RegExp(`export const ${m} = staff(Public)?Route\\(\\s*"${key.replace(/[[\]/]/g, "\\$&")}"`),
          );
        }
      });
    }
  }

  test("no registry entry points at a page or route that does not exist", () => {
    const present = new Set<string>();
    for (const f of files) {
      const url = urlOf(f);
      if (!url) continue;
      if (f.endsWith("page.tsx")) present.add(url);
      else
        for (const m of METHODS)
          if (new RegExp(`export const ${m}\\b`).test(readFileSync(f, "utf8"))) present.add(`${m} ${url}`);
    }
    expect(Object.keys(STAFF_ROUTES).filter((k) => !present.has(k))).toEqual([]);
  });
});
