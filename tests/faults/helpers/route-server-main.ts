import { closeDb } from "@/lib/db";
import { serveRoutes } from "./route-server";

/**
 * The route server as a process of its own (`node --import tsx tests/faults/helpers/route-server-main.ts`), for
 * the fault tests that kill the server: PORT and the portal's usual environment configure it. Prints "ready".
 */
const port = Number(process.env.PORT);
const running = await serveRoutes(port, (e) => console.error("route threw:", e));
process.stdout.write(`ready ${running.base}\n`);
// the test that started this server may die without killing it (a worker ended on timeout): go with it
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(1);
  }
}, 1000).unref();
process.on("SIGTERM", () => {
  void running
    .close()
    .then(() => closeDb())
    .finally(() => process.exit(0));
});
