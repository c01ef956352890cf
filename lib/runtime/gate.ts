import type { ServerResponse } from "node:http";

/**
 * How many API requests one portal process works on at once; the others wait their turn in arrival order.
 *
 * Node interleaves every request it has begun: each awaits the database a dozen times or more, and in between the
 * process runs a slice of every other request in flight. When a burst of holders' requests lands on one process (a
 * few tens of milliseconds of CPU each), all of them end together, as late as the last one: a burst of 16 makes 16
 * slow answers. Begun a few at a time, the first of the burst are answered at once and only the last wait; the
 * process does the same work (a little less: fewer requests half-done in memory at once), so a human-pace run has a
 * fraction of the slow answers (bench/README.md, fifteenth session).
 *
 * A request never waits more than 2 s for a turn: after that it begins anyway, over the limit. So a slow
 * outside service (Alipay, an upstream CA) that holds the begun requests can delay the others by that much at most,
 * never block them, and nothing is refused for waiting.
 */
export interface Gate {
  /** begins `start` now or when a turn comes; a response closed while waiting (the client left) never begins */
  admit(res: ServerResponse, start: () => void): void;
}

/** PORTAL_API_CONCURRENCY's default: requests one process begins at once (bench/README.md, fifteenth session) */
export const API_CONCURRENCY_DEFAULT = 6;
/** the longest a request waits for a turn before it begins regardless */
const API_QUEUE_MAX_MS = 2_000;

interface Waiting {
  res: ServerResponse;
  start: () => void;
  since: number;
  timer?: NodeJS.Timeout;
  /** begun, or gone while waiting: either way no longer waiting (left in the queue, skipped when reached) */
  done: boolean;
}

/** @param onBegin how long each request waited, in ms (0 when it began at once) */
export function createGate(limit: number, onBegin?: (waitedMs: number) => void): Gate {
  let running = 0;
  const queue: Waiting[] = [];

  const begin = (w: Waiting) => {
    w.done = true;
    clearTimeout(w.timer);
    running++;
    // "close" comes once the answer is sent or the connection is gone, whichever is first
    w.res.once("close", () => {
      running--;
      while (running < limit && queue.length) {
        const next = queue.shift()!;
        if (!next.done) begin(next);
      }
    });
    onBegin?.(performance.now() - w.since);
    w.start();
  };

  return {
    admit(res, start) {
      const w: Waiting = { res, start, since: performance.now(), done: false };
      if (running < limit && !queue.length) return begin(w);
      // waited long enough: begins over the limit
      w.timer = setTimeout(() => begin(w), API_QUEUE_MAX_MS);
      res.once("close", () => {
        if (w.done) return;
        w.done = true;
        clearTimeout(w.timer);
      });
      queue.push(w);
    },
  };
}

/**
 * Which requests take turns: the API (the holders', the staff's, the organisations' and Alipay's notifications), not
 * the load balancer's probes and metrics (they must answer however busy the process is), not the payment page's held
 * status request (it waits for the payment, not for the CPU, and would hold a turn for up to 10 s), and not pages or
 * static files.
 */
export function takesTurns(method: string | undefined, pathname: string, search: string): boolean {
  if (!pathname.startsWith("/api/")) return false;
  if (pathname === "/api/health" || pathname === "/api/ready" || pathname === "/api/metrics") return false;
  if (method === "GET" && pathname === "/api/renew/payment" && /[?&]wait=(?!0*(&|$))/.test(search)) return false;
  return true;
}
