// Preloaded with NODE_OPTIONS="--require …/cpu-profile.cjs" (node refuses --cpu-prof there): profiles the
// portal's server processes with the inspector and writes a .cpuprofile into CERTRENEW_CPU_PROF_DIR when each
// exits (open it in Chrome DevTools or speedscope).
const dir = process.env.CERTRENEW_CPU_PROF_DIR;
// scripts/portal-server.ts: the one process, or each node:cluster worker (not the primary, which only forks);
// or `next start` itself, or the server process it may fork (next/dist/server/lib/start-server.js)
const isPortalServer =
  process.argv.some((a) => /scripts[\\/]portal-server\.ts$/.test(a)) &&
  (require("node:cluster").isWorker || !(Number(process.env.PORTAL_PROCESSES) > 1));
const isNextStart = process.argv.some((a) =>
  /next[\\/]dist[\\/](bin[\\/]next|server[\\/]lib[\\/]start-server\.js)$/.test(a),
);
if (dir && (isPortalServer || isNextStart)) {
  const inspector = require("node:inspector");
  const fs = require("node:fs");
  const path = require("node:path");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  let written = false;
  // the portal is stopped with SIGTERM: write the profile first, then exit as Next would
  process.prependListener("SIGTERM", () => {
    write();
    process.exit(0);
  });
  process.on("exit", write);
  function write() {
    if (written) return;
    written = true;
    // a same-thread inspector session answers synchronously, so this completes before the process ends
    session.post("Profiler.stop", (err, result) => {
      if (!err) fs.writeFileSync(path.join(dir, `portal-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  }
}
