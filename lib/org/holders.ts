import type { Db } from "../db";
import { DAY, type Clock } from "../clock";
import type { CertType, Organisation, PayerClass } from "../generated/prisma/client";
import { renewabilityOf, type Renewability } from "../renewal/renewability";
import { priceFor } from "../fees/price";
import { getMessages } from "../messages";
import { formatDateTime, formatFen } from "../messages/format";
import type { Locale } from "../errors";
import type { HolderFilter } from "./filters";

/** The organisation's holders as 大客户专区 lists them: expiry, renewability (the wizard's key list rule), coverage. */
export interface OrgHolderRow {
  certificateId: string;
  serial: string;
  holderName: string;
  certType: CertType;
  payerClass: PayerClass;
  notAfter: string;
  daysLeft: number;
  status: Renewability;
  opensAt: string | null;
  /** what the holder would pay for this renewal (fee tiers), and so what a batch charges for them */
  priceFen: number;
  coverage: { state: "pending" | "covered"; batchNo: string; kind: "alipay" | "contract" } | null;
  /** the holder's own open order, if any */
  orderState: string | null;
}

function matches(row: OrgHolderRow, filter: HolderFilter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "renewable":
      return row.status === "open" || row.status === "resume";
    case "covered":
      return row.coverage !== null;
    default:
      return row.status === filter;
  }
}

/** The organisation's current holder certificates (not the ones a renewal replaced), soonest expiry first. */
export async function listOrgHolders(
  db: Db,
  organisation: Pick<Organisation, "id">,
  clock: Clock,
  opts: { filter?: HolderFilter; q?: string } = {},
): Promise<OrgHolderRow[]> {
  const certs = await db.certificate.findMany({
    where: { organisationId: organisation.id, usage: "signing", next: { is: null } },
    include: {
      orgCoverages: {
        where: { activeCertificateId: { not: null } },
        include: { batch: { select: { batchNo: true, kind: true } } },
      },
    },
    orderBy: [{ notAfter: "asc" }, { serial: "asc" }],
  });
  const renewability = await renewabilityOf(
    db,
    certs.map((c) => c.serial),
    clock,
  );
  const now = clock.now();
  const rows: OrgHolderRow[] = [];
  for (const [i, c] of certs.entries()) {
    const r = renewability[i];
    const open = await db.renewalOrder.findUnique({ where: { openCertificateId: c.id }, select: { state: true } });
    const item = c.orgCoverages[0];
    rows.push({
      certificateId: c.id,
      serial: c.serial,
      holderName: c.holderName,
      certType: c.certType,
      payerClass: c.payerClass,
      notAfter: c.notAfter.toISOString(),
      daysLeft: Math.floor((c.notAfter.getTime() - now.getTime()) / DAY),
      status: r.status,
      opensAt: r.opensAt ?? null,
      priceFen: (await priceFor(db, c, now)).priceFen,
      coverage:
        item && (item.state === "pending" || item.state === "covered")
          ? { state: item.state, batchNo: item.batch.batchNo, kind: item.batch.kind }
          : null,
      orderState: open?.state ?? null,
    });
  }
  const q = opts.q?.trim().toLowerCase();
  return rows.filter(
    (row) =>
      matches(row, opts.filter ?? "all") &&
      (!q || row.holderName.toLowerCase().includes(q) || row.serial.includes(q.replace(/:/g, ""))),
  );
}

function csvCell(v: string): string {
  // a leading =, +, - or @ would be a formula in Excel: quote it as text
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * 到期报表: CSV with a UTF-8 byte-order mark and CRLF lines, so Excel on Chinese Windows opens it ungarbled; dates in
 * Asia/Shanghai as the pages show them.
 */
export function holdersCsv(rows: OrgHolderRow[], locale: Locale): string {
  const t = getMessages(locale).org;
  const header = [
    t.columns.holderName,
    t.columns.certType,
    t.columns.serial,
    t.columns.notAfter,
    t.columns.daysLeft,
    t.columns.status,
    t.columns.opensAt,
    t.columns.priceYuan,
    t.columns.coverage,
  ];
  const lines = rows.map((r) =>
    [
      r.holderName,
      t.certTypes[r.certType],
      r.serial,
      formatDateTime(r.notAfter),
      String(r.daysLeft),
      t.statuses[r.status],
      r.opensAt ? formatDateTime(r.opensAt) : "",
      formatFen(r.priceFen),
      r.coverage
        ? `${t.coverage[r.coverage.kind === "contract" ? "contract" : r.coverage.state]} ${r.coverage.batchNo}`
        : "",
    ].map(csvCell),
  );
  return "\uFEFF" + [header.map(csvCell), ...lines].map((l) => l.join(",")).join("\r\n") + "\r\n";
}
