import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { COOKIE } from "@/lib/session";
import { authenticateStaff, staffAccess, type StaffSession } from "@/lib/staff/auth";
import type { StaffPagePath } from "@/lib/staff/permissions";

/**
 * The guard of every staff page, the page-side twin of staffRoute: signed in, account active, and the role holds
 * the registry's permission for this page; otherwise to the sign-in, or home with a notice.
 */
export async function requireStaff(path: StaffPagePath): Promise<StaffSession> {
  const token = (await cookies()).get(COOKIE.staff)?.value;
  const access = await staffAccess(await getDb(), token, path, systemClock);
  if (access.status === "unauthenticated") redirect("/staff/login");
  if (access.status === "forbidden") redirect("/staff?forbidden=1");
  return access.staff;
}

/** The signed-in staff member, if any (the layout shows the navigation only then). */
export async function currentStaff(): Promise<StaffSession | null> {
  const token = (await cookies()).get(COOKIE.staff)?.value;
  return authenticateStaff(await getDb(), token, systemClock);
}
