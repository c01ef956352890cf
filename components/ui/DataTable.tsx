import type { ReactNode } from "react";

export interface Column<Row> {
  /** the column's heading (none for a column of actions) */
  header?: ReactNode;
  cell: (row: Row) => ReactNode;
  /** class of the column's cells, e.g. `small`, `mono` */
  className?: string;
}

/**
 * The staff pages' table: a header row and one row per item, in a horizontally scrollable region keyboard users
 * can reach (axe: scrollable-region-focusable). With `empty`, no rows show that text instead of an empty table.
 * `false` in `columns` leaves a column out (e.g. one the role may not use).
 */
export function DataTable<Row>({
  label,
  columns,
  rows,
  rowKey,
  rowClassName,
  empty,
  testId,
}: {
  label: string;
  columns: (Column<Row> | false)[];
  rows: readonly Row[];
  rowKey: (row: Row) => string | number;
  rowClassName?: (row: Row) => string | undefined;
  empty?: ReactNode;
  testId?: string;
}) {
  if (rows.length === 0 && empty !== undefined) return <p className="muted">{empty}</p>;
  const shown = columns.filter((c): c is Column<Row> => c !== false);
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {shown.map((c, i) => (
              <th key={i}>{c.header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className={rowClassName?.(row)}>
              {shown.map((c, i) => (
                <td key={i} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
