import { DomainError } from "@/lib/errors";
import type { TokenBackend } from "../backends/types";
import type { ModuleKind } from "./known";
import { decode, encode, errorOf, METHODS, type HostRequest, type HostResponse } from "./protocol";

/**
 * A module host: the child process that loads ONE middleware library and runs a backend on it, so a library
 * that crashes (abort, access violation) or hangs takes down only this process. The assistant starts it with
 * MODULE_HOST_FLAG (see hostCommand in isolated.ts) and talks to it over IPC (protocol.ts).
 */

export const MODULE_HOST_FLAG = "--certrenew-module-host";

async function openBackend(kind: ModuleKind, modulePath: string): Promise<TokenBackend> {
  if (kind === "pkcs11") {
    const { Pkcs11Backend } = await import("../backends/pkcs11");
    return new Pkcs11Backend({ modulePath });
  }
  const { SkfBackend } = await import("../backends/skf");
  return new SkfBackend({ modulePath });
}

/** Runs the host when argv holds `MODULE_HOST_FLAG <kind> <library path>`; returns false otherwise. */
export function runModuleHostIfAsked(argv: string[] = process.argv): boolean {
  const at = argv.indexOf(MODULE_HOST_FLAG);
  if (at < 0) return false;
  const kind = argv[at + 1] as ModuleKind;
  const modulePath = argv[at + 2];
  const send = process.send?.bind(process);
  if (!send || !modulePath || (kind !== "pkcs11" && kind !== "skf")) {
    process.stderr.write(`usage: ${MODULE_HOST_FLAG} pkcs11|skf <library> (started by the assistant, with IPC)\n`);
    process.exit(2);
  }
  let backend: Promise<TokenBackend> | undefined;
  process.on("message", (message: HostRequest) => {
    const reply = (response: HostResponse) => send(response);
    void (async () => {
      try {
        if (!METHODS.includes(message.method)) throw new Error(`unknown method ${String(message.method)}`);
        backend ??= openBackend(kind, modulePath).catch((e: unknown) => {
          backend = undefined;
          throw e;
        });
        const b = await backend;
        const args = decode(message.args) as never[];
        const fn = message.method === "probe" ? undefined : b[message.method];
        // a library without SM2 containers (PKCS#11) has no enveloped-key import
        if (message.method !== "probe" && !fn)
          throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: "SM2 (enveloped encryption key)" });
        const result =
          message.method === "probe"
            ? (await b.listTokens()).length
            : await (fn as (...a: never[]) => Promise<unknown>).apply(b, args);
        reply({ id: message.id, ok: true, result: encode(result ?? null) });
      } catch (e) {
        reply({ id: message.id, ok: false, error: errorOf(e) });
      }
    })();
  });
  // the assistant went away or closes the library: finalise it and leave
  process.on("disconnect", () => {
    void (async () => {
      try {
        await (await backend)?.close?.();
      } finally {
        process.exit(0);
      }
    })();
  });
  return true;
}
