"use client";

import { useEffect, useState } from "react";

const POLL_MS = 2000;

/**
 * A payment page's life: `start` opens (or re-shows) the trade once, then `poll` is asked every two seconds until it
 * answers true (paid, closed…). A failed poll is retried on the next tick; a failed start is shown as the error.
 * The callbacks must be stable (useCallback) or the effect restarts.
 */
export function usePolledPayment<S>(
  start: () => Promise<S>,
  poll: () => Promise<boolean>,
): { started: S | null; error: string } {
  const [started, setStarted] = useState<S | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    start().then(setStarted, (e: Error) => setError(e.message));
  }, [start]);

  useEffect(() => {
    if (!started) return;
    let stop = false;
    const tick = async () => {
      if (stop) return;
      const done = await poll().catch(() => false);
      if (!done && !stop) setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [started, poll]);

  return { started, error };
}
