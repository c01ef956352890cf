import { cookies } from "next/headers";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { COOKIE, loadSession } from "@/lib/session";
import { sessionOrganisation } from "@/lib/org/login";
import type { Organisation, Session } from "@/lib/generated/prisma/client";

/** The signed-in organisation of 大客户专区, or null (the page shows the sign-in). */
export async function currentOrg(): Promise<{ session: Session; organisation: Organisation } | null> {
  const db = await getDb();
  const session = await loadSession(db, "org", (await cookies()).get(COOKIE.org)?.value, systemClock);
  if (!session) return null;
  try {
    return { session, organisation: await sessionOrganisation(db, session, systemClock) };
  } catch {
    return null;
  }
}
