import Link from "@/components/Link";
import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { verifyAuditChain } from "@/lib/audit";
import { AuditFilter, listAuditEvents, staffNames } from "@/lib/staff/audit-log";
import { requireStaff } from "../../_lib/guard";
import { withParams } from "../../_lib/links";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../staff.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

type Params = Record<string, string | undefined>;
const FILTERS = ["actor", "action", "targetType", "targetId", "from", "to"] as const;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requireStaff("/staff/audit");
  const { t, locale } = await getT();
  const a = t.staff.audit;
  const params = await searchParams;
  const db = await getDb();
  const parsed = AuditFilter.safeParse(params);
  const filter = parsed.success ? parsed.data : AuditFilter.parse({});
  const [page, names, check] = await Promise.all([
    listAuditEvents(db, filter),
    staffNames(db),
    params.verify === "1" ? verifyAuditChain(db) : null,
  ]);
  const filterParams = Object.fromEntries(FILTERS.map((k) => [k, params[k]]));
  const labels: Record<(typeof FILTERS)[number], string> = {
    actor: a.actor,
    action: a.action,
    targetType: a.targetType,
    targetId: a.targetId,
    from: a.from,
    to: a.to,
  };

  return (
    <>
      <h1>{a.title}</h1>
      <form method="get" action="/staff/audit" className="card" role="search">
        <div className="grid-2">
          {FILTERS.map((k) => (
            <div className="field" key={k}>
              <label htmlFor={k}>{labels[k]}</label>
              <input
                id={k}
                name={k}
                defaultValue={params[k] ?? ""}
                type={k === "from" || k === "to" ? "date" : "text"}
              />
            </div>
          ))}
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            {a.filter}
          </button>
          <a className="btn" href={withParams("/api/staff/audit/export", filterParams, {})} download>
            {a.export}
          </a>
          <Link className="btn" href={withParams("/staff/audit", filterParams, { verify: "1" })}>
            {a.verify}
          </Link>
        </div>
      </form>

      {check && (
        <p
          className={`alert section ${check.ok ? `alert-ok ${styles.okText}` : "alert-err"}`}
          role="status"
          data-testid="chain-check"
        >
          {check.ok
            ? fill(a.verifyOk, { checked: check.checked })
            : `${fill(a.verifyBroken, { seq: check.brokenAt ?? "?", checked: check.checked })} ${check.problem ? a.verifyProblem[check.problem] : ""}`}
          {!check.ok && (
            <>
              {" "}
              <Link href={withParams("/staff/audit", {}, { before: String((check.brokenAt ?? 0) + 3) })}>
                #{check.brokenAt}
              </Link>
            </>
          )}
        </p>
      )}
      {check?.segments?.length ? (
        <ul className="small muted" data-testid="chain-segments">
          {check.segments.map((g) => (
            <li key={g.from}>
              {fill(a.verifySegment, {
                from: g.from,
                to: g.to,
                events: g.events,
                key:
                  g.key === "unkeyed"
                    ? a.segmentKey.unkeyed
                    : fill(g.current ? a.segmentKey.current : a.segmentKey.previous, { kid: g.key }),
              })}
            </li>
          ))}
        </ul>
      ) : null}

      <section className="section">
        <DataTable
          label={a.title}
          testId="audit-rows"
          rows={page.rows}
          rowKey={(e) => e.seq}
          rowClassName={(e) => (check && !check.ok && check.brokenAt === e.seq ? "alert-err" : undefined)}
          empty={a.none}
          columns={[
            { header: a.columns.seq, className: "mono", cell: (e) => e.seq },
            { header: a.columns.at, className: "small", cell: (e) => formatDateTime(e.createdAt, locale) },
            {
              header: a.columns.actor,
              className: "small",
              cell: (e) => (
                <>
                  {e.actorType} {e.actorId ? (names[e.actorId] ?? e.actorId) : ""}
                </>
              ),
            },
            { header: a.columns.action, className: "mono small", cell: (e) => e.action },
            {
              header: a.columns.target,
              className: "small",
              cell: (e) => (
                <>
                  {e.targetType === "order" && e.targetId ? (
                    <Link href={`/staff/orders/${e.targetId}`}>{e.targetType}</Link>
                  ) : (
                    e.targetType
                  )}{" "}
                  <span className="mono" title={e.targetId ?? undefined}>
                    {e.targetId && e.targetId.length > 20 ? `${e.targetId.slice(0, 8)}…` : e.targetId}
                  </span>
                </>
              ),
            },
            {
              header: a.columns.states,
              className: "small",
              cell: (e) => (e.fromState || e.toState ? `${e.fromState ?? ""} → ${e.toState ?? ""}` : ""),
            },
            { header: a.columns.ip, className: "small mono", cell: (e) => e.ip },
            { header: a.columns.data, className: `small mono ${styles.data}`, cell: (e) => JSON.stringify(e.data) },
          ]}
        />
        {page.nextBefore && (
          <p className="actions">
            <Link className="btn" href={withParams("/staff/audit", filterParams, { before: String(page.nextBefore) })}>
              {a.older}
            </Link>
          </p>
        )}
      </section>
    </>
  );
}
