import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ROOT } from "./route-server";

/** The route server in a child process that a test can SIGKILL and start again on the same port and database. */
export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<ChildProcess>();
// a test that fails or times out must not leave its server running
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Kills every server process this test file started that is still running (for afterAll). */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once("exit", () => resolve());
          c.kill("SIGKILL");
        }),
    ),
  );
}

export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  let out = "";
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "tests/faults/helpers/route-server-main.ts")],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  live.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.once("exit", () => live.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready ")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}):\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
