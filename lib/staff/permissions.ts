import type { StaffRole } from "../generated/prisma/client";

/**
 * Roles as data: one typed list of actions, one role → actions table, one registry of every staff page and
 * API route with the action it needs. The route wrapper and the page guard look permissions up here only.
 *
 * Decisions:
 * - Reading is split from changing per area (`fee_tiers.read` / `fee_tiers.manage`, …) so the auditor can see
 *   everything an admin sees and change nothing.
 * - `orders.unmask` (showing a full ID number or phone, audited) belongs to the roles that talk to holders
 *   (helpdesk, finance, admin); the auditor reads masked data only.
 * - Each role includes the one before it: helpdesk ⊂ finance ⊂ admin. The auditor is separate.
 * - `kmc.recover` (key recovery of escrowed encryption keys) is an administrator's, and one recovery needs two of
 *   them: the one who asks can never approve (lib/kmc/recovery.ts). The auditor reads the requests.
 */
export const ACTIONS = [
  "orders.read",
  "orders.unmask",
  "orders.note",
  "orders.resend_mail",
  "orders.cancel",
  "orders.mark_in_person",
  "orders.reissue",
  "payments.refund",
  "invoices.issue",
  "fee_tiers.read",
  "fee_tiers.manage",
  "staff.read",
  "staff.manage",
  "settings.read",
  "settings.manage",
  "audit.read",
  "dashboard.read",
  // key management centre (dual certificates): reading recovery requests, and asking for or approving one
  "kmc.read",
  "kmc.recover",
  // reach (#24): the operator's content (service centre, checklists, FAQ, notices, downloads)
  "content.read",
  "content.manage",
  // 大客户专区 (bigclient, #24): which organisation pays for a holder
  "orders.org_link",
  // orgstaff (#24): the organisations page (admins register and edit organisations; finance reads it to refund and
  // mark invoices)
  "org.read",
  "org.manage",
] as const;

export type Action = (typeof ACTIONS)[number];

export const ROLES = ["helpdesk", "finance", "admin", "auditor"] as const satisfies readonly StaffRole[];

// helpdesk: every order action; finance: + money; admin: everything; auditor: every read and nothing else
const HELPDESK = ACTIONS.filter((a) => a.startsWith("orders."));
const FINANCE: readonly Action[] = [...HELPDESK, "payments.refund", "invoices.issue", "org.read"];
const ADMIN: readonly Action[] = ACTIONS;
const AUDITOR = ACTIONS.filter((a) => a.endsWith(".read"));

export const ROLE_PERMISSIONS: Readonly<Record<StaffRole, ReadonlySet<Action>>> = {
  helpdesk: new Set(HELPDESK),
  finance: new Set(FINANCE),
  admin: new Set(ADMIN),
  auditor: new Set(AUDITOR),
};

export function can(role: StaffRole, action: Action): boolean {
  return ROLE_PERMISSIONS[role].has(action);
}

/** What a registry entry demands: an action, any signed-in staff member, or nobody signed in (the sign-in itself). */
export type Requirement = Action | "signed_in" | "public";

/**
 * Every staff page (its URL path) and API route (`METHOD path`), with what it needs. A route or page that is
 * not listed here cannot use the wrapper or the guard (the key is typed), and a test walks the files under
 * app/(staff) and app/api/staff and fails for one that is missing.
 */
export const STAFF_ROUTES = {
  // pages
  "/staff/login": "public",
  "/staff": "signed_in",
  "/staff/account": "signed_in",
  "/staff/orders": "orders.read",
  "/staff/orders/[id]": "orders.read",
  "/staff/fee-tiers": "fee_tiers.read",
  "/staff/users": "staff.read",
  "/staff/settings": "settings.read",
  "/staff/dashboard": "dashboard.read",
  "/staff/audit": "audit.read",
  "/staff/kmc": "kmc.read",
  "/staff/content": "content.read",
  "/staff/organisations": "org.read",
  // API
  "POST /api/staff/session": "public",
  "DELETE /api/staff/session": "signed_in",
  "DELETE /api/staff/sessions": "signed_in",
  "POST /api/staff/account/totp": "signed_in",
  "PUT /api/staff/account/totp": "signed_in",
  "DELETE /api/staff/account/totp": "signed_in",
  "GET /api/staff/orders": "orders.read",
  "POST /api/staff/orders/[id]/unmask": "orders.unmask",
  // reach (#24): a holder's data in full on request (PIPL), for those who may unmask
  "POST /api/staff/orders/[id]/holder-export": "orders.unmask",
  "POST /api/staff/orders/[id]/note": "orders.note",
  "POST /api/staff/orders/[id]/resend-mail": "orders.resend_mail",
  // a failed mail (the dashboard's list, the order page) sent again as it is: the same permission as a resend
  "POST /api/staff/mails/[id]/retry": "orders.resend_mail",
  "POST /api/staff/orders/[id]/cancel": "orders.cancel",
  "POST /api/staff/orders/[id]/in-person": "orders.mark_in_person",
  "POST /api/staff/orders/[id]/reissue": "orders.reissue",
  "POST /api/staff/orders/[id]/refund": "payments.refund",
  "POST /api/staff/orders/[id]/invoice-issued": "invoices.issue",
  "GET /api/staff/orders/[id]/certificate": "orders.read",
  "GET /api/staff/fee-tiers": "fee_tiers.read",
  "POST /api/staff/fee-tiers": "fee_tiers.manage",
  "GET /api/staff/fee-tiers/preview": "fee_tiers.read",
  "POST /api/staff/users": "staff.manage",
  "PATCH /api/staff/users/[id]": "staff.manage",
  "PUT /api/staff/settings": "settings.manage",
  "GET /api/staff/audit/verify": "audit.read",
  "GET /api/staff/audit/export": "audit.read",
  "GET /api/staff/kmc/recoveries": "kmc.read",
  "POST /api/staff/kmc/recoveries": "kmc.recover",
  "POST /api/staff/kmc/recoveries/[id]/decision": "kmc.recover",
  "PUT /api/staff/content": "content.manage",
  "POST /api/staff/content/preview": "content.read",
  // 大客户专区 (bigclient, #24): the paying organisation of a holder; an unused batch place refunded (or released)
  "POST /api/staff/org/link": "orders.org_link",
  "POST /api/staff/org/items/[id]/refund": "payments.refund",
  // orgstaff (#24): organisations registered and edited; a paid batch's invoice marked as issued
  "POST /api/staff/organisations": "org.manage",
  "PATCH /api/staff/organisations/[id]": "org.manage",
  "POST /api/staff/org/batches/[id]/invoice-issued": "invoices.issue",
} as const satisfies Record<string, Requirement>;

export type StaffRouteKey = keyof typeof STAFF_ROUTES;
export type StaffPagePath = Extract<StaffRouteKey, `/${string}`>;
export type StaffApiKey = Exclude<StaffRouteKey, StaffPagePath>;

/** Whether a role may use a registered route; "public" and "signed_in" entries admit every role. */
export function roleMayUse(role: StaffRole, key: StaffRouteKey): boolean {
  const need: Requirement = STAFF_ROUTES[key];
  return need === "public" || need === "signed_in" || can(role, need);
}
