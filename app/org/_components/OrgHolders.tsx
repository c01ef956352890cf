"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import type { Messages } from "@/lib/messages";
import type { OrgHolderRow } from "@/lib/org/holders";
import { apiPost } from "@/lib/api/client";
import { fill, formatDate, formatDateTime, formatFen } from "@/lib/messages/format";
import styles from "../org.module.css";

const SELECTABLE = new Set(["open", "resume", "too_early"]);

/** The holders' table with selection: 统一支付所选 opens one Alipay batch, 标记为合同覆盖 covers without paying. */
export function OrgHolders({
  t,
  rows,
  csrf,
  contract,
}: {
  t: Messages["org"];
  rows: OrgHolderRow[];
  csrf: string;
  contract: boolean;
}) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const chosen = rows.filter((r) => selected.has(r.serial));
  const total = chosen.reduce((s, r) => s + r.priceFen, 0);

  function toggle(serial: string) {
    const next = new Set(selected);
    if (next.has(serial)) next.delete(serial);
    else next.add(serial);
    setSelected(next);
  }

  async function create(kind: "alipay" | "contract") {
    setBusy(true);
    setMessage(null);
    try {
      const batch = await apiPost("/api/org/batches", { kind, serials: [...selected] }, { csrf });
      if (kind === "alipay") {
        router.push(`/org/pay/${batch.batchNo}`);
        return;
      }
      setMessage({ ok: true, text: fill(t.coveredDone, { count: selected.size, batchNo: batch.batchNo }) });
      setSelected(new Set());
      router.refresh();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
    setBusy(false);
  }

  if (rows.length === 0) return <p className="muted">{t.empty}</p>;
  return (
    <div className="stack">
      <div className="table-wrap" tabIndex={0} role="region" aria-label={t.title}>
        <table className={`table ${styles.holders}`} data-testid="org-holders">
          <thead>
            <tr>
              <th scope="col">{t.columns.select}</th>
              <th scope="col">{t.columns.holderName}</th>
              <th scope="col">{t.columns.notAfter}</th>
              <th scope="col">{t.columns.status}</th>
              <th scope="col">{t.columns.priceYuan}</th>
              <th scope="col">{t.columns.coverage}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const can = SELECTABLE.has(r.status) && !r.coverage;
              return (
                <tr key={r.serial} data-serial={r.serial}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${t.columns.select} ${r.holderName}`}
                      disabled={!can}
                      checked={selected.has(r.serial)}
                      onChange={() => toggle(r.serial)}
                    />
                  </td>
                  <td>
                    <strong>{r.holderName}</strong>
                    <span className="small muted mono">{r.serial}</span>
                    <span className="small muted">{t.certTypes[r.certType]}</span>
                  </td>
                  <td className="mono small">
                    {formatDateTime(r.notAfter)}
                    <span className="muted">({r.daysLeft})</span>
                  </td>
                  <td>
                    <span
                      className={`badge ${r.status === "open" ? "badge-ok" : r.status === "too_early" ? "badge-warn" : "badge-muted"}`}
                    >
                      {t.statuses[r.status]}
                    </span>
                    {r.opensAt && (
                      <span className="small muted">{fill(t.opensOn, { date: formatDate(r.opensAt) })}</span>
                    )}
                  </td>
                  <td className="mono">{formatFen(r.priceFen)}</td>
                  <td className="small">
                    {r.coverage
                      ? `${t.coverage[r.coverage.kind === "contract" ? "contract" : r.coverage.state]} · ${r.coverage.batchNo}`
                      : ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p role="status" data-testid="org-selected">
        {fill(t.selected, { count: selected.size, amount: formatFen(total) })}
      </p>
      {message && (
        <div className={`alert ${message.ok ? "alert-ok" : "alert-err"}`} role={message.ok ? "status" : "alert"}>
          {message.text}
        </div>
      )}
      <div className="actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy || selected.size === 0}
          onClick={() => void create("alipay")}
        >
          {busy ? t.working : t.payBatch}
        </button>
        {contract && (
          <button
            type="button"
            className="btn"
            disabled={busy || selected.size === 0}
            onClick={() => void create("contract")}
          >
            {t.coverContract}
          </button>
        )}
      </div>
    </div>
  );
}
