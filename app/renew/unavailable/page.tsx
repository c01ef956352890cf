import Link from "@/components/Link";
import { siteContent } from "@/lib/content/store";
import { getDb } from "@/lib/db";
import { getT } from "../../_lib/i18n";
import styles from "../renew.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

export const dynamic = "force-dynamic";

const REASONS = ["too_early", "expired", "revoked", "unknown", "superseded"] as const;
type Reason = (typeof REASONS)[number];

function date(v: string | undefined): Date | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Why this certificate cannot be renewed online, and what to do instead. Nothing was created. */
export default async function Unavailable({
  searchParams,
}: {
  searchParams: Promise<{ reason?: string; at?: string; exp?: string }>;
}) {
  const { t, locale } = await getT();
  const { centre } = await siteContent(await getDb(), locale);
  const q = await searchParams;
  const reason: Reason = REASONS.includes(q.reason as Reason) ? (q.reason as Reason) : "unknown";
  const u = t.wizard.unavailable;
  const at = date(q.at);
  const exp = date(q.exp);
  const inPerson = reason !== "too_early";
  return (
    <div className="container narrow">
      <section className="card" data-reason={reason}>
        <h1>{u[reason].title}</h1>
        <p>{u[reason].body}</p>
        {reason === "too_early" && at ? (
          <div className="alert alert-info">
            <p className={styles.tight}>
              <strong>{fill(u.too_early.opensAt, { date: formatDateTime(at, locale) })}</strong>
            </p>
            {exp ? (
              <p className={`small ${styles.tight}`}>
                {fill(u.too_early.expiresAt, { date: formatDateTime(exp, locale) })}
              </p>
            ) : null}
          </div>
        ) : null}
        {reason === "expired" && (at ?? exp) ? (
          <div className="alert alert-warn">
            <p className={styles.tight}>{fill(u.expired.expiredAt, { date: formatDateTime((at ?? exp)!, locale) })}</p>
          </div>
        ) : null}
        {inPerson ? (
          <dl className="kv" aria-label={u.centre}>
            <dt>{u.centre}</dt>
            <dd>{centre.name}</dd>
            <dt>{u.address}</dt>
            <dd>{centre.address}</dd>
            <dt>{u.hours}</dt>
            <dd>{centre.hours}</dd>
            <dt>{u.hotline}</dt>
            <dd>
              <a href={`tel:${centre.hotline}`}>{centre.hotline}</a>
            </dd>
          </dl>
        ) : null}
        <div className="actions">
          <Link href="/" className="btn btn-primary">
            {u.back}
          </Link>
          <Link href="/renew" className="btn">
            {u.retry}
          </Link>
        </div>
      </section>
    </div>
  );
}
