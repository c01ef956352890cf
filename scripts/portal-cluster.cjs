// `next start` in PORTAL_PROCESSES processes sharing one port (node:cluster: the primary accepts connections and
// hands them round-robin to the workers). Every piece of state is in PostgreSQL, so the processes need nothing
// from each other; scripts/start.ts uses this when PORTAL_PROCESSES > 1. Arguments are next's: start -p PORT.
const cluster = require("node:cluster");

const count = Math.max(1, Number(process.env.PORTAL_PROCESSES) || 1);
cluster.setupPrimary({ exec: require.resolve("next/dist/bin/next"), args: process.argv.slice(2) });
let stopping = false;
for (let i = 0; i < count; i++) cluster.fork();
cluster.on("exit", (worker, code, signal) => {
  if (stopping) return;
  // a crashed process is replaced; the others keep serving meanwhile
  console.error(`portal process ${worker.process.pid} stopped (${signal ?? code}); starting another`);
  cluster.fork();
});
function stop() {
  if (stopping) return;
  stopping = true;
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  setTimeout(() => process.exit(0), 5000).unref();
  cluster.on("exit", () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
