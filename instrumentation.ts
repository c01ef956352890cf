/**
 * Starts the background jobs (lease-guarded, so any number of instances may run them) and registers the metrics
 * read from the database (lib/ops), so every process of the front reports them.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { registerOpsMetrics } = await import("./lib/runtime/ops");
  registerOpsMetrics();
  if (process.env.JOBS_ENABLED !== "0") {
    const { startServerJobs } = await import("./lib/runtime/start");
    await startServerJobs();
  }
}
