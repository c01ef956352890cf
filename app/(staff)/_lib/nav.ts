import type { StaffPagePath } from "@/lib/staff/permissions";
import type { Messages } from "@/lib/messages";

/** The console's sections; the layout and the home page show those the role may open. */
export const SECTIONS: { path: StaffPagePath; key: keyof Messages["staff"]["nav"] }[] = [
  { path: "/staff/orders", key: "orders" },
  { path: "/staff/dashboard", key: "dashboard" },
  { path: "/staff/fee-tiers", key: "feeTiers" },
  { path: "/staff/users", key: "users" },
  { path: "/staff/settings", key: "settings" },
  { path: "/staff/audit", key: "audit" },
  { path: "/staff/kmc", key: "kmc" },
  { path: "/staff/content", key: "content" },
  { path: "/staff/organisations", key: "organisations" },
  { path: "/staff/account", key: "account" },
];
