import fs from "node:fs";
import { unplugFlagPath } from "../../token/virtual-store";

/**
 * Makes the virtual token "unplugged" at the named step of the next operation that reaches it (e.g.
 * `install:after-write`), once. Honoured only by a VirtualBackend created with `testHooks: true`.
 */
export function scheduleUnplug(dir: string, serial: string, step: string): void {
  fs.writeFileSync(unplugFlagPath(dir, serial), step);
}
