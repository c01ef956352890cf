import type { Metadata } from "next";
import Link from "@/components/Link";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { HoldersQuery } from "@/lib/api/org";
import { HOLDER_FILTERS } from "@/lib/org/filters";
import { listOrgHolders } from "@/lib/org/holders";
import { fill, formatDate, formatDateTime, formatFen } from "@/lib/messages/format";
import { DataTable } from "@/components/ui/DataTable";
import { getT } from "../_lib/i18n";
import { currentOrg } from "./_lib/org";
import { OrgLogin } from "./_components/OrgLogin";
import { OrgHolders } from "./_components/OrgHolders";
import { OrgLogout } from "./_components/OrgLogout";
import styles from "./org.module.css";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.org.title };
}

/** 大客户专区: sign-in with the organisation certificate, then its holders, batches and the expiry report. */
export default async function OrgPage({ searchParams }: { searchParams: Promise<Record<string, string | string[]>> }) {
  const { locale, t } = await getT();
  const o = t.org;
  const signedIn = await currentOrg();
  if (!signedIn) {
    return (
      <div className="container narrow">
        <section className="hero">
          <h1>{o.title}</h1>
          <p>{o.intro}</p>
        </section>
        <OrgLogin
          assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`}
          locale={locale}
          t={o.login}
          keyTexts={t.services.key}
        />
      </div>
    );
  }
  const { session, organisation } = signedIn;
  const parsed = HoldersQuery.safeParse(await searchParams);
  const query = parsed.success ? parsed.data : {};
  const db = await getDb();
  const rows = await listOrgHolders(db, organisation, systemClock, query);
  const batches = await db.orgBatch.findMany({
    where: { organisationId: organisation.id },
    include: { _count: { select: { items: true } } },
    orderBy: { createdAt: "desc" },
    take: 20,
  });
  const contract = Boolean(
    organisation.contractNo && organisation.contractUntil && organisation.contractUntil > systemClock.now(),
  );
  const report = `/api/org/report?${new URLSearchParams({ filter: query.filter ?? "all", q: query.q ?? "" })}`;
  return (
    <div className="container">
      <section className="hero">
        <div className={styles.head}>
          <h1>{o.title}</h1>
          <OrgLogout label={o.logout} csrf={session.csrfToken} />
        </div>
        <p data-testid="org-name">{fill(o.signedInAs, organisation)}</p>
        <p className="small">
          {contract
            ? fill(o.contract, { contractNo: organisation.contractNo, until: formatDate(organisation.contractUntil!) })
            : o.noContract}
        </p>
      </section>
      <section className="card stack">
        <form className={styles.filters} method="get" action="/org">
          <div className="field">
            <label htmlFor="org-filter">{o.filterLabel}</label>
            <select id="org-filter" name="filter" defaultValue={query.filter ?? "all"}>
              {HOLDER_FILTERS.map((f) => (
                <option key={f} value={f}>
                  {o.filters[f]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="org-q">{o.searchLabel}</label>
            <input id="org-q" name="q" defaultValue={query.q ?? ""} maxLength={64} />
          </div>
          <button type="submit" className="btn">
            {o.apply}
          </button>
          <a className="btn" href={report} download data-testid="org-report">
            {o.exportCsv}
          </a>
        </form>
        <OrgHolders t={o} rows={rows} csrf={session.csrfToken} contract={contract} />
        <p className="small muted">{o.refundRule}</p>
      </section>
      {batches.length > 0 && (
        <section className="card">
          <h2>{o.batches}</h2>
          <DataTable
            label={o.batches}
            testId="org-batches"
            rows={batches}
            rowKey={(b) => b.id}
            columns={[
              {
                header: o.batchColumns.batchNo,
                className: "mono",
                cell: (b) =>
                  b.kind === "alipay" ? <Link href={`/org/pay/${b.batchNo}`}>{b.batchNo}</Link> : b.batchNo,
              },
              { header: o.batchColumns.kind, cell: (b) => o.kinds[b.kind] },
              { header: o.batchColumns.state, cell: (b) => o.batchStates[b.state] },
              { header: o.batchColumns.total, className: "mono", cell: (b) => formatFen(b.totalFen) },
              { header: o.batchColumns.holders, cell: (b) => b._count.items },
              { header: o.batchColumns.createdAt, className: "mono small", cell: (b) => formatDateTime(b.createdAt) },
            ]}
          />
        </section>
      )}
    </div>
  );
}
