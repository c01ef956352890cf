import { redirect } from "next/navigation";
import { systemClock } from "@/lib/clock";
import { getDb } from "@/lib/db";
import { errorMessage, isDomainError } from "@/lib/errors";
import { getConfig } from "@/lib/config";
import { unsubscribe, unsubscribeTarget } from "@/lib/mail/unsubscribe";
import { getMessages } from "@/lib/messages";
import { getLocale } from "../../_lib/i18n";
import { pageActor } from "../../_lib/actor";
import styles from "./page.module.css";

export const dynamic = "force-dynamic";

async function confirmUnsubscribe(token: string) {
  "use server";
  await unsubscribe(await getDb(), getConfig(), token, await pageActor(), systemClock);
  redirect(`/unsubscribe/${encodeURIComponent(token)}`);
}

/**
 * Opening the link only asks; the POST of the button opts out. Mail scanners that follow links must not
 * unsubscribe a holder by themselves.
 */
export default async function UnsubscribePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const locale = await getLocale();
  const t = getMessages(locale).mail.unsubscribe;
  let target;
  try {
    target = await unsubscribeTarget(await getDb(), getConfig(), token);
  } catch (e) {
    if (!isDomainError(e)) throw e;
  }

  return (
    <div className={styles.page}>
      <section className={styles.card}>
        <h1>{t.title}</h1>
        {!target ? (
          <p className={styles.error} role="alert">
            {errorMessage("MAIL_UNSUBSCRIBE_INVALID", locale)}
          </p>
        ) : target.optedOut ? (
          <p className={styles.done} role="status">
            {t.done}
          </p>
        ) : (
          <form action={confirmUnsubscribe.bind(null, token)}>
            <p>{t.confirm.replace("{serial}", target.serial)}</p>
            <button type="submit" className={styles.button}>
              {t.button}
            </button>
          </form>
        )}
      </section>
    </div>
  );
}
