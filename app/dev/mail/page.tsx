import Link from "@/components/Link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { getDevMail, listDevMails } from "@/lib/dev/mail-sink";
import { getMessages } from "@/lib/messages";
import { formatDateTime } from "@/lib/messages/format";
import { getLocale } from "../../_lib/i18n";
import styles from "./page.module.css";

export const dynamic = "force-dynamic";

const Query = z.object({ id: z.uuid().optional().catch(undefined) });

/** Demo mailbox: the mails the demo-mode sink stored instead of sending. Absent unless DEMO_MODE. */
export default async function DevMailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  if (!getConfig().DEMO_MODE) notFound();
  const locale = await getLocale();
  const t = getMessages(locale).mail.devMail;
  const { id } = Query.parse(await searchParams);
  const db = await getDb();
  const mails = await listDevMails(db);
  const shown = id ?? mails[0]?.id;
  const open = shown ? await getDevMail(db, shown) : null;

  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <h1>{t.title}</h1>
        <p>{t.intro}</p>
      </header>
      <div className={styles.layout}>
        <nav className={styles.list} aria-label={t.title}>
          {mails.length === 0 ? (
            <p className={styles.empty}>{t.empty}</p>
          ) : (
            <ul>
              {mails.map((m) => (
                <li key={m.id}>
                  <Link
                    href={`/dev/mail?id=${m.id}`}
                    className={m.id === open?.id ? styles.active : undefined}
                    aria-current={m.id === open?.id ? "true" : undefined}
                  >
                    <span className={styles.subject}>{m.subject}</span>
                    <span className={styles.meta}>
                      {m.to} · {formatDateTime(m.createdAt, locale)}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </nav>
        {open && (
          <article className={styles.message}>
            <h2>{open.subject}</h2>
            <dl className={styles.fields}>
              <dt>{t.to}</dt>
              <dd>{open.to}</dd>
              <dt>{t.time}</dt>
              <dd>{formatDateTime(open.createdAt, locale)}</dd>
            </dl>
            {/* sandbox without permissions: the stored HTML can neither run scripts nor navigate this page */}
            <iframe className={styles.frame} title={open.subject} sandbox="" srcDoc={open.html} />
            <details className={styles.text}>
              <summary>{t.plainText}</summary>
              <pre>{open.text}</pre>
            </details>
            <p>
              <Link href="/dev/mail">{t.back}</Link>
            </p>
          </article>
        )}
      </div>
    </div>
  );
}
