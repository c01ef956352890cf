import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { isSea } from "node:sea";
import { DomainError } from "@/lib/errors";
import type { InstallResult, KeygenResult, PinStatus, SignResult, TokenBackend, TokenSummary } from "../backends/types";
import { MODULE_HOST_FLAG } from "./host";
import type { ModuleKind } from "./known";
import { decode, encode, errorFrom, type HostRequest, type HostResponse, type Method } from "./protocol";

/**
 * A middleware library in its own child process (a module host, host.ts), behind the TokenBackend interface.
 *
 * - A crash (the child dies), a hang (no answer within the call's timeout: the child is killed) or an error
 *   the library returns gives TOKEN_MIDDLEWARE_ERROR naming the library; the other libraries keep serving.
 * - The next call starts a new child. Nothing lives in the child that a restart loses: a pending key made by
 *   keygen is an object on the token (found again by its label), sessions and logins are per call.
 */

export interface SpawnCommand {
  command: string;
  args: string[];
}

/**
 * How the assistant starts a module host: its own executable. Run by node/tsx: the same node, its flags
 * (tsx's loader) and the entry script; as a single executable (SEA): the executable with the flag only.
 * The pack build may replace this (IsolatedBackend takes `command`).
 */
export function hostCommand(kind: ModuleKind, modulePath: string): SpawnCommand {
  const tail = [MODULE_HOST_FLAG, kind, modulePath];
  if (isSea()) return { command: process.execPath, args: tail };
  return { command: process.execPath, args: [...process.execArgv, process.argv[1], ...tail] };
}

export interface IsolatedOptions {
  /** token ids are `<name>:<serial>` ([a-z0-9]{1,16}) */
  name: string;
  kind: ModuleKind;
  modulePath: string;
  command?: (kind: ModuleKind, modulePath: string) => SpawnCommand;
  /**
   * per-call timeouts in ms: keygen may take a minute on a slow key (RSA on the card); after listing hung,
   * listing answers with that error for `hungListPause` ms (calls for one of its keys still restart it)
   */
  timeouts?: { call?: number; keygen?: number; hungListPause?: number };
  onEvent?: (event: { library: string; event: "started" | "stopped" | "killed"; reason?: string }) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: DomainError): void;
  timer: NodeJS.Timeout;
}

interface Host {
  proc: ChildProcess;
  pending: Map<number, Pending>;
  stderr: string;
}

export class IsolatedBackend implements TokenBackend {
  readonly name: string;
  /** the library's file name, as TOKEN_MIDDLEWARE_ERROR shows it */
  readonly library: string;
  private host?: Host;
  private nextId = 1;
  private readonly timeouts: { call: number; keygen: number; hungListPause: number };
  private retired?: string;
  /** after a hang while listing, listing fails fast for a while: one hung library must not slow every list */
  private listHung?: { until: number; error: DomainError };

  constructor(private readonly opts: IsolatedOptions) {
    this.name = opts.name;
    this.library = path.basename(opts.modulePath);
    this.timeouts = {
      call: opts.timeouts?.call ?? 30_000,
      keygen: opts.timeouts?.keygen ?? 180_000,
      hungListPause: opts.timeouts?.hungListPause ?? 60_000,
    };
  }

  get modulePath(): string {
    return this.opts.modulePath;
  }

  /** the running child's pid (tests) */
  get pid(): number | undefined {
    return this.host?.proc.pid;
  }

  private fail(reason: string): DomainError {
    return new DomainError("TOKEN_MIDDLEWARE_ERROR", { library: this.library, reason });
  }

  private start(): Host {
    const { command, args } = (this.opts.command ?? hostCommand)(this.opts.kind, this.opts.modulePath);
    // stdout unused (and a pipe there fails under Wine); IPC carries the protocol
    const proc = spawn(command, args, { stdio: ["ignore", "ignore", "pipe", "ipc"], windowsHide: true });
    const host: Host = { proc, pending: new Map(), stderr: "" };
    proc.stderr?.on("data", (chunk: Buffer) => {
      host.stderr = (host.stderr + chunk.toString("utf8")).slice(-400);
    });
    proc.on("message", (message: HostResponse) => {
      const call = host.pending.get(message.id);
      if (!call) return;
      host.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(decode(message.result));
      else call.reject(errorFrom(message.error, this.library));
    });
    const gone = (reason: string) => {
      if (this.host === host) this.host = undefined;
      for (const call of host.pending.values()) {
        clearTimeout(call.timer);
        call.reject(this.fail(reason));
      }
      host.pending.clear();
      this.opts.onEvent?.({ library: this.library, event: "stopped", reason });
    };
    proc.on("exit", (code, signal) => {
      const last = host.stderr.trim().split("\n").pop();
      gone(`${signal ? `stopped by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ""}`);
    });
    proc.on("error", (e) => gone(`could not start: ${e.message}`));
    this.opts.onEvent?.({ library: this.library, event: "started" });
    return host;
  }

  private call<T>(method: Method, args: unknown[], timeout = this.timeouts.call): Promise<T> {
    if (this.retired) return Promise.reject(this.fail(this.retired));
    this.host ??= this.start();
    const host = this.host;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        host.pending.delete(id);
        reject(this.fail(`no answer within ${Math.round(timeout / 1000)} s`));
        // a hung library never returns: only a new process gets the other calls through
        if (this.host === host) this.host = undefined;
        host.proc.kill("SIGKILL");
        this.opts.onEvent?.({ library: this.library, event: "killed", reason: `${method} timed out` });
      }, timeout);
      host.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const request: HostRequest = { id, method, args: encode(args) as unknown[] };
      try {
        host.proc.send(request, (e) => {
          if (!e || !host.pending.has(id)) return;
          host.pending.delete(id);
          clearTimeout(timer);
          reject(this.fail(`not reachable: ${e.message}`));
        });
      } catch (e) {
        host.pending.delete(id);
        clearTimeout(timer);
        reject(this.fail(`not reachable: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /** Loads the library in its child and lists its slots once; resolves to the number of tokens seen. */
  probe(timeout?: number): Promise<number> {
    return this.call<number>("probe", [], timeout);
  }

  /** A library found on disk that cannot be loaded at all: it lists no keys from now on (discover.ts). */
  async retire(reason: string): Promise<void> {
    this.retired = reason;
    await this.close();
  }

  listTokens(): Promise<TokenSummary[]> {
    if (this.retired) return Promise.resolve([]);
    if (this.listHung && Date.now() < this.listHung.until) return Promise.reject(this.listHung.error);
    return this.call<TokenSummary[]>("listTokens", []).then(
      (tokens) => {
        this.listHung = undefined;
        // the child names tokens after its backend kind; here they carry this library's name
        return tokens.map((t) => ({ ...t, id: `${this.name}:${t.serial}`, backend: this.name }));
      },
      (e: DomainError) => {
        if (/^no answer/.test(String(e.details?.reason)))
          this.listHung = { until: Date.now() + this.timeouts.hungListPause, error: e };
        throw e;
      },
    );
  }

  pinStatus(serial: string): Promise<PinStatus> {
    return this.call("pinStatus", [serial]);
  }

  sign(serial: string, args: { certId: string; pin: string; data: Buffer }): Promise<SignResult> {
    return this.call("sign", [serial, args]);
  }

  keygen(serial: string, args: { certId: string; pin: string }): Promise<KeygenResult> {
    return this.call("keygen", [serial, args], this.timeouts.keygen);
  }

  install(serial: string, args: { pin: string; certificates: Buffer[]; envelope?: Buffer }): Promise<InstallResult> {
    return this.call("install", [serial, args], this.timeouts.keygen);
  }

  importEncryptionKeyPair(
    serial: string,
    args: { certId: string; pin: string; envelope: Buffer; certificate?: Buffer },
  ): Promise<{ publicKey: Buffer }> {
    return this.call("importEncryptionKeyPair", [serial, args]);
  }

  async unlock(serial: string, args: { soPin: string; newPin: string; newSoPin: string }): Promise<void> {
    await this.call("unlock", [serial, args]);
  }

  /** Lets the child finalise the library (it exits when the IPC channel closes); killed if it does not. */
  async close(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    if (!host || host.proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        host.proc.kill("SIGKILL");
        resolve();
      }, 3000);
      host.proc.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      host.proc.disconnect();
    });
  }
}
