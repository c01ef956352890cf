import Link from "@/components/Link";
import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { ORDER_STATES } from "@/lib/orders/machine";
import { OrderSearch, SORTS, searchOrders } from "@/lib/staff/search";
import { requireStaff } from "../../_lib/guard";
import { withParams } from "../../_lib/links";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../staff.module.css";
import { fill, formatDateTime, formatFen } from "@/lib/messages/format";

type Params = Record<string, string | undefined>;

export default async function OrderSearchPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requireStaff("/staff/orders");
  const { t, locale } = await getT();
  const s = t.staff.search;
  const params = await searchParams;
  const parsed = OrderSearch.safeParse(params);
  const result = parsed.success ? await searchOrders(await getDb(), parsed.data) : null;
  const text = (name: keyof typeof s & string, label: string, extra: Record<string, string | number> = {}) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input id={name} name={name} defaultValue={params[name] ?? ""} {...extra} />
    </div>
  );

  return (
    <>
      <h1>{s.title}</h1>
      <form method="get" action="/staff/orders" className="card" role="search">
        <div className="grid-2">
          {text("orderNo", s.orderNo)}
          {text("serial", s.serial)}
          {text("holderName", s.holderName)}
          {text("phoneLast4", s.phoneLast4, { inputMode: "numeric", maxLength: 4 })}
          {text("idLast4", s.idLast4, { maxLength: 4 })}
          <div className="field">
            <label htmlFor="state">{s.state}</label>
            <select id="state" name="state" defaultValue={params.state ?? ""}>
              <option value="">{s.anyState}</option>
              {ORDER_STATES.map((st) => (
                <option key={st} value={st}>
                  {t.staff.states[st]}
                </option>
              ))}
            </select>
          </div>
          {text("from", s.from, { type: "date" })}
          {text("to", s.to, { type: "date" })}
          <div className="field">
            <label htmlFor="sort">{s.sort}</label>
            <select id="sort" name="sort" defaultValue={params.sort ?? "created_desc"}>
              {SORTS.map((k) => (
                <option key={k} value={k}>
                  {s.sorts[k]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label className={styles.check}>
              <input type="checkbox" name="flagged" value="1" defaultChecked={params.flagged === "1"} /> {s.flagged}
            </label>
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            {s.submit}
          </button>
          <Link href="/staff/orders" className="btn">
            {s.reset}
          </Link>
        </div>
      </form>

      {!parsed.success && (
        <p className="alert alert-err section" role="alert">
          {Object.keys(parsed.error.flatten().fieldErrors)
            .map((k) => `${k}: ${t.validation.invalid}`)
            .join("; ")}
        </p>
      )}
      {result && (
        <section className="section">
          <DataTable
            label={s.title}
            testId="order-results"
            rows={result.rows}
            rowKey={(r) => r.id}
            empty={s.none}
            columns={[
              {
                header: s.columns.orderNo,
                cell: (r) => (
                  <>
                    <Link href={`/staff/orders/${r.id}`} className="mono">
                      {r.orderNo}
                    </Link>
                    {r.flagged && <span className="badge badge-warn"> {s.flaggedBadge}</span>}
                  </>
                ),
              },
              { header: s.columns.state, cell: (r) => t.staff.states[r.state] },
              {
                header: s.columns.holder,
                cell: (r) => (
                  <>
                    {r.holderName}
                    {r.certificate.organisation && (
                      <span className="small muted" data-testid="order-row-organisation">
                        {" "}
                        · {r.certificate.organisation.name}
                      </span>
                    )}
                  </>
                ),
              },
              { header: s.columns.serial, className: "mono small", cell: (r) => r.certSerial },
              {
                header: s.columns.handler,
                cell: (r) => (
                  <>
                    {r.handlerName} <span className="muted small">*{r.handlerMobileLast4}</span>
                  </>
                ),
              },
              { header: s.columns.price, cell: (r) => formatFen(r.priceFen) },
              { header: s.columns.created, className: "small", cell: (r) => formatDateTime(r.createdAt, locale) },
            ]}
          />
          <nav className="actions" aria-label="pages">
            {result.page > 1 && (
              <Link className="btn" href={withParams("/staff/orders", params, { page: String(result.page - 1) })}>
                {s.prev}
              </Link>
            )}
            <span className="muted">{fill(s.page, { page: result.page })}</span>
            {result.hasNext && (
              <Link className="btn" href={withParams("/staff/orders", params, { page: String(result.page + 1) })}>
                {s.next}
              </Link>
            )}
          </nav>
        </section>
      )}
    </>
  );
}
