/** Starts the background jobs (lease-guarded, so any number of instances may run them). */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.JOBS_ENABLED !== "0") {
    const { startServerJobs } = await import("./lib/runtime/start");
    await startServerJobs();
  }
}
