import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { systemClock } from "@/lib/clock";
import { COOKIE, loadSession } from "@/lib/session";
import { renewalSummary, type RenewalSummary, type WizardStep } from "@/lib/renewal/flow";
import type { Session } from "@/lib/generated/prisma/client";
import { PAGE_PATH, STEP_PATH, shownPage, type WizardPage } from "./steps";

export interface Holder {
  session: Session;
  summary: RenewalSummary;
}

function skipped(session: Session): boolean {
  const list = (session.data as { invoiceSkipped?: unknown }).invoiceSkipped;
  return Array.isArray(list) && list.length > 0;
}

/**
 * The signed-in holder and where their renewal stands; back to the insert-key step without a session.
 * A page that does not match the order's step sends the holder to the right one (resume after leaving).
 */
export async function requireHolder(allowed: readonly WizardStep[]): Promise<Holder> {
  const holder = await signedInHolder();
  if (!allowed.includes(holder.summary.step)) redirect(STEP_PATH[holder.summary.step]);
  return holder;
}

/** requireHolder for one of the wizard's pages: the page the step allows (steps.ts), or a redirect to it. */
export async function requireHolderOn(page: WizardPage): Promise<Holder> {
  const holder = await signedInHolder();
  const shown = shownPage(page, holder.summary);
  if ("path" in shown) redirect(shown.path);
  if (shown.page !== page) redirect(PAGE_PATH[shown.page]);
  return holder;
}

async function signedInHolder(): Promise<Holder> {
  const db = await getDb();
  const token = (await cookies()).get(COOKIE.holder)?.value;
  const session = await loadSession(db, "holder", token, systemClock);
  if (!session?.certificateId) redirect("/renew?expired=1");
  const summary = await renewalSummary(db, {
    certificateId: session.certificateId,
    clock: systemClock,
    keys: getConfig(),
    invoiceSkipped: skipped(session),
  });
  return { session, summary };
}
