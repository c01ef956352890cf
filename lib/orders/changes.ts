import type { OpenDb } from "../db";
import { sqlRows, type Sql } from "../db/lean";
import { log } from "../log";

/**
 * Pages that wait for an order to move (the payment page, for the payment to land) hold one request open and are
 * woken by PostgreSQL's NOTIFY on this channel — from whichever portal instance moved the order — instead of
 * polling every 2 s. The payload is the order's id. A notification is only a hint to read the order again: one
 * lost (the listening connection down) costs a page its wait, and it then asks again.
 */
export const ORDER_CHANNEL = "certrenew_order";

/** Inside the transaction that moves an order a page may be waiting on: the pages are woken once it commits. */
export async function announceOrderChange(tx: Sql, orderId: string): Promise<void> {
  await sqlRows(tx, `SELECT 1 AS "sent" FROM pg_notify($1, $2)`, [ORDER_CHANNEL, orderId]);
}

type Waiter = () => void;

/** Requests one process holds for one order (a holder with a few tabs open); more are answered without waiting. */
const WAITERS_PER_ORDER = 4;

/** This process's waiting requests by order, on globalThis: Next's bundles and the start script share one. */
interface Watches {
  byOrder: Map<string, Set<Waiter>>;
  subscribed: WeakMap<OpenDb, Promise<boolean>>;
}
const g = globalThis as unknown as { __certrenewOrderWatches?: Watches };
const watches = (): Watches => (g.__certrenewOrderWatches ??= { byOrder: new Map(), subscribed: new WeakMap() });

function wake(orderId: string): void {
  for (const w of watches().byOrder.get(orderId) ?? []) w();
}

/** Listens on ORDER_CHANNEL once per database; false when this database cannot (then nobody waits). */
function subscribe(open: OpenDb): Promise<boolean> {
  const w = watches();
  let s = w.subscribed.get(open);
  if (!s) {
    s = open.listen
      ? open
          .listen(ORDER_CHANNEL, wake, (err, what) => log.warn({ err }, what))
          .then(
            () => true,
            () => false,
          )
      : Promise.resolve(false);
    w.subscribed.set(open, s);
  }
  return s;
}

export interface OrderWatch {
  /**
   * Resolves true once the order was announced since the watch began (so a change between the start and the read
   * before this call is not missed) or the process is shutting down: read it again. False after `ms`, on
   * `signal`'s abort, or at once when this database cannot notify.
   */
  changed(ms: number, signal?: AbortSignal): Promise<boolean>;
  stop(): void;
}

/** Starts watching an order: begin before reading it, so that no change slips between the read and the wait. */
export async function watchOrder(open: OpenDb, orderId: string): Promise<OrderWatch> {
  const byOrder = watches().byOrder;
  const live = (await subscribe(open)) && (byOrder.get(orderId)?.size ?? 0) < WAITERS_PER_ORDER;
  let announced = false;
  let settle: ((changed: boolean) => void) | undefined;
  const waiter: Waiter = () => {
    announced = true;
    settle?.(true);
  };
  let set = byOrder.get(orderId);
  if (!set) byOrder.set(orderId, (set = new Set()));
  set.add(waiter);
  const stop = () => {
    set.delete(waiter);
    if (set.size === 0 && byOrder.get(orderId) === set) byOrder.delete(orderId);
    settle?.(false);
  };
  return {
    changed(ms, signal) {
      if (announced) return Promise.resolve(true);
      if (!live || ms <= 0 || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), ms);
        const onAbort = () => done(false);
        const done = (changed: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          settle = undefined;
          resolve(changed);
        };
        settle = done;
        signal?.addEventListener("abort", onAbort);
      });
    },
    stop,
  };
}

/** Every waiting request answers now (the process is shutting down: they are answered before it exits). */
export function releaseOrderWatches(): void {
  for (const set of watches().byOrder.values()) for (const w of set) w();
}
