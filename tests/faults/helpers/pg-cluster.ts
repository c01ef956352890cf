import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A throwaway PostgreSQL cluster of our own (initdb + pg_ctl as the postgres user, as .ci/run does), so a test
 * can restart the server under the portal without touching the shared one.
 */

function pgBin(): string | null {
  try {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
    return versions.length ? `/usr/lib/postgresql/${versions[versions.length - 1]}/bin` : null;
  } catch {
    return null;
  }
}

/** Why a private cluster cannot be made here (null when it can). */
export function clusterUnavailable(): string | null {
  if (!pgBin()) return "no PostgreSQL server binaries under /usr/lib/postgresql";
  if (spawnSync("id", ["postgres"]).status !== 0) return "no postgres user";
  if (process.getuid?.() !== 0) return "not root (pg_ctl must run as the postgres user)";
  return null;
}

export interface Cluster {
  url: string;
  /** pg_ctl stop -m fast, without blocking this process's event loop (servers in it keep answering) */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): void;
}

const run = promisify(execFile);

export function createCluster(port: number): Cluster {
  const bin = pgBin()!;
  const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-pgfault-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  chownSync(dir, uid, gid);
  const asPg = (cmd: string, args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { stdio: "pipe" });
  asPg("initdb", ["-D", path.join(dir, "data"), "-A", "trust", "-U", "postgres"]);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=100`;
  const ctlArgs = (...args: string[]) => [
    "-u",
    "postgres",
    "--",
    path.join(bin, "pg_ctl"),
    "-D",
    path.join(dir, "data"),
    "-l",
    path.join(dir, "log"),
    "-w",
    ...args,
  ];
  const ctl = (...args: string[]) => execFileSync("runuser", ctlArgs(...args), { stdio: "pipe" });
  ctl("-o", opts, "start");
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await run("runuser", ctlArgs("-m", "fast", "stop"));
    },
    start: async () => {
      await run("runuser", ctlArgs("-o", opts, "start"));
    },
    destroy() {
      try {
        ctl("-m", "immediate", "stop");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
