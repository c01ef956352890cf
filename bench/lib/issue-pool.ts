import { Worker } from "node:worker_threads";
import type { IssueJob, IssueResult, IssueWorkerData } from "./issue-worker";

/**
 * Worker threads running the CA core's issuance steps (bench/lib/issue-worker.ts); `issue` hands a batch to the
 * thread with the fewest batches outstanding and resolves with one result per item, in order.
 */
export class IssuePool {
  #workers: { w: Worker; busy: number }[] = [];
  #waiting = new Map<number, (r: IssueResult[]) => void>();
  #next = 1;

  static async start(threads: number, data: Omit<IssueWorkerData, "entry">): Promise<IssuePool> {
    const pool = new IssuePool();
    const entry = new URL("./issue-worker.ts", import.meta.url).href;
    await Promise.all(
      Array.from({ length: threads }, async () => {
        // tsx's loader is not inherited by worker threads: ts-worker.mjs registers it and loads `entry`
        const w = new Worker(new URL("./ts-worker.mjs", import.meta.url), {
          workerData: { ...data, entry },
          resourceLimits: { maxYoungGenerationSizeMb: 48 },
        });
        await new Promise<void>((resolve, reject) => {
          w.once("error", reject);
          w.once("message", () => resolve());
        });
        const slot = { w, busy: 0 };
        w.on("message", ({ id, results }: { id: number; results: IssueResult[] }) => {
          slot.busy--;
          pool.#waiting.get(id)?.(results);
          pool.#waiting.delete(id);
        });
        w.on("error", (e) => {
          throw e;
        });
        pool.#workers.push(slot);
      }),
    );
    return pool;
  }

  issue(items: IssueJob["items"]): Promise<IssueResult[]> {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#next++;
    slot.busy++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      slot.w.postMessage({ id, items } satisfies IssueJob);
    });
  }

  close(): Promise<unknown> {
    return Promise.all(this.#workers.map((s) => s.w.terminate()));
  }
}
