// Preloaded with NODE_OPTIONS="--require …/cpu-profile.cjs" (node refuses --cpu-prof there): profiles the
// `next start` process of the portal with the inspector and writes a .cpuprofile into CERTRENEW_CPU_PROF_DIR
// when that process exits (open it in Chrome DevTools or speedscope).
const dir = process.env.CERTRENEW_CPU_PROF_DIR;
const isNextStart = process.argv.some((a) => /next[\\/]dist[\\/]bin[\\/]next$/.test(a)) && process.argv.includes("start");
if (dir && isNextStart) {
  const inspector = require("node:inspector");
  const fs = require("node:fs");
  const path = require("node:path");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  let written = false;
  process.on("exit", () => {
    if (written) return;
    written = true;
    // a same-thread inspector session answers synchronously, so this completes before the process ends
    session.post("Profiler.stop", (err, result) => {
      if (!err) fs.writeFileSync(path.join(dir, `next-start-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
