import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { isDomainError, errorMessage } from "@/lib/errors";
import { listFeeTiers } from "@/lib/fees/tiers";
import { can } from "@/lib/staff/permissions";
import { FeePreviewQuery, previewFee, type FeePreview } from "@/lib/staff/fees";
import { listAuditEvents, AuditFilter } from "@/lib/staff/audit-log";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../staff.module.css";
import { fill, formatDateTime, formatFen } from "@/lib/messages/format";

export default async function FeeTiersPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const staff = await requireStaff("/staff/fee-tiers");
  const { t, locale } = await getT();
  const f = t.staff.fees;
  const db = await getDb();
  const now = systemClock.now();
  const params = await searchParams;
  const [tiers, history] = await Promise.all([
    listFeeTiers(db),
    listAuditEvents(db, AuditFilter.parse({ targetType: "fee_tier" })),
  ]);

  let preview: FeePreview | null = null;
  let previewError: string | null = null;
  if (params.serial && params.at) {
    const q = FeePreviewQuery.safeParse(params);
    try {
      if (!q.success) throw q.error;
      preview = await previewFee(db, q.data);
    } catch (e) {
      previewError = isDomainError(e) ? errorMessage(e.code, locale, e.details) : t.validation.invalid;
    }
  }
  const status = (from: Date, to: Date | null) => (from > now ? f.scheduled : to && to <= now ? f.ended : f.inForce);

  return (
    <>
      <h1>{f.title}</h1>
      <section className="card">
        <h2>{f.current}</h2>
        <DataTable
          label={f.current}
          testId="fee-tiers"
          rows={tiers}
          rowKey={(tier) => tier.id}
          columns={[
            { header: f.columns.certType, cell: (tier) => t.staff.certTypes[tier.certType] },
            { header: f.columns.payerClass, cell: (tier) => t.staff.payerClasses[tier.payerClass] },
            { header: f.columns.fenPerYear, cell: (tier) => formatFen(tier.fenPerYear) },
            { header: f.columns.from, className: "small", cell: (tier) => formatDateTime(tier.effectiveFrom, locale) },
            {
              header: f.columns.to,
              className: "small",
              cell: (tier) => (tier.effectiveTo ? formatDateTime(tier.effectiveTo, locale) : f.openEnded),
            },
            { header: f.columns.note, className: "small", cell: (tier) => tier.note },
            {
              cell: (tier) => <span className="badge">{status(tier.effectiveFrom, tier.effectiveTo)}</span>,
            },
          ]}
        />
      </section>

      <div className={`grid-2 section ${styles.rows}`}>
        {can(staff.user.role, "fee_tiers.manage") && (
          <section className="card">
            <h2>{f.create}</h2>
            <ActionForm
              action="/api/staff/fee-tiers"
              submitLabel={f.submit}
              busyLabel={t.staff.submitting}
              testId="fee-tier-form"
            >
              <div className="field">
                <label htmlFor="certType">{f.columns.certType}</label>
                <select id="certType" name="certType">
                  <option value="personal">{t.staff.certTypes.personal}</option>
                  <option value="organisation">{t.staff.certTypes.organisation}</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="payerClass">{f.columns.payerClass}</label>
                <select id="payerClass" name="payerClass">
                  <option value="self">{t.staff.payerClasses.self}</option>
                  <option value="unified">{t.staff.payerClasses.unified}</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="fenPerYear">{f.yuanPerYear}</label>
                <input id="fenPerYear" name="fenPerYear" inputMode="decimal" required pattern="\d+(\.\d{1,2})?" />
              </div>
              <div className="field">
                <label htmlFor="effectiveFrom">{f.effectiveFrom}</label>
                <input id="effectiveFrom" name="effectiveFrom" type="datetime-local" required />
              </div>
              <div className="field">
                <label htmlFor="effectiveTo">{f.effectiveTo}</label>
                <input id="effectiveTo" name="effectiveTo" type="datetime-local" />
              </div>
              <div className="field">
                <label htmlFor="note">{f.note}</label>
                <input id="note" name="note" maxLength={200} />
              </div>
              <div className="field">
                <label className={styles.check}>
                  <input type="checkbox" name="closeOpenEnded" defaultChecked /> {f.closeOpenEnded}
                </label>
              </div>
            </ActionForm>
          </section>
        )}
        <section className="card">
          <h2>{f.preview}</h2>
          <form method="get" action="/staff/fee-tiers">
            <div className="field">
              <label htmlFor="serial">{f.previewSerial}</label>
              <input id="serial" name="serial" defaultValue={params.serial ?? ""} required className="mono" />
            </div>
            <div className="field">
              <label htmlFor="at">{f.previewAt}</label>
              <input id="at" name="at" type="datetime-local" defaultValue={params.at ?? ""} required />
            </div>
            <button type="submit" className="btn btn-primary">
              {f.previewSubmit}
            </button>
          </form>
          {preview && (
            <p className="alert alert-info section" role="status" data-testid="fee-preview">
              {fill(f.previewResult, {
                date: formatDateTime(preview.at, locale),
                yuan: formatFen(preview.price.priceFen),
                from: formatDateTime(preview.price.tier.effectiveFrom, locale),
              })}
            </p>
          )}
          {previewError && (
            <p className="alert alert-err section" role="alert">
              {previewError}
            </p>
          )}
        </section>
      </div>

      <section className="card section">
        <h2>{f.history}</h2>
        <ul className="list-plain small">
          {history.rows.map((e) => (
            <li key={e.seq}>
              {formatDateTime(e.createdAt, locale)} · <strong>{e.action}</strong> · {e.actorType} {e.actorId} ·{" "}
              <span className={`mono ${styles.data}`}>{JSON.stringify(e.data)}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
