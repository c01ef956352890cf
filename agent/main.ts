import path from "node:path";
import { assistantConfig } from "./config";
import { assistantLog } from "./log";
import { loadKoffi } from "./native/koffi";
import { isPackaged } from "./native/sea";
import type { TokenBackend } from "./backends/types";
import { VirtualBackend } from "./backends/virtual";
import { ASSISTANT_VERSION, startAssistant } from "./server";
import { findModules, probeModules, type FoundModule } from "./middleware/discover";
import { runModuleHostIfAsked } from "./middleware/host";
import { IsolatedBackend } from "./middleware/isolated";

async function main(): Promise<void> {
  // SM2 in the assistant is the virtual token's (demo), in sm-crypto-v2: lib/crypto's OpenSSL path finds no koffi
  // in node_modules inside the single executable and would only print its fallback line
  process.env.SM2_IMPL ??= "js";
  if (process.argv.includes("--check-native")) {
    // support and tests: the FFI add-on loads on this machine (inside the single executable: from its asset)
    const koffi = loadKoffi();
    const pid =
      process.platform === "win32"
        ? koffi.load("kernel32.dll").func("uint32_t __stdcall GetCurrentProcessId()")
        : koffi.load(process.platform === "darwin" ? "libc.dylib" : "libc.so.6").func("int getpid()");
    const ffi = (pid() as number) === process.pid;
    const result = { ffi, platform: process.platform, packaged: isPackaged() };
    assistantLog.info(result, "native check");
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  // installed: portal.json (the stamped portal origin) sits next to certrenew-assistant(.exe)
  const config = assistantConfig(process.env, { programDir: isPackaged() ? path.dirname(process.execPath) : null });
  const backends: TokenBackend[] = [];
  // middleware libraries: the configured ones, then the known vendor libraries found on disk, each in its own process
  const found = findModules({
    configured: [
      ...(config.pkcs11Module ? [{ kind: "pkcs11" as const, path: config.pkcs11Module }] : []),
      ...(config.modules ?? []),
    ],
    discover: config.discoverModules,
  });
  const hosted: { backend: IsolatedBackend; module: FoundModule }[] = [];
  for (const module of found) {
    // ASSISTANT_PKCS11_MODULE keeps its token ids (`pkcs11:<serial>`)
    const name = module.configured && module.path === config.pkcs11Module ? "pkcs11" : module.name;
    const backend = new IsolatedBackend({ name, kind: module.kind, modulePath: module.path });
    hosted.push({ backend, module: { ...module, name } });
    backends.push(backend);
  }
  if (config.virtualDir) {
    const virtual = new VirtualBackend({ dir: config.virtualDir, testHooks: config.testHooks });
    backends.push(virtual);
    await virtual.listTokens().catch((e: unknown) =>
      assistantLog.warn(
        {
          backend: virtual.name,
          reason: e instanceof Error ? e.message : String(e),
          details: (e as { details?: unknown }).details,
        },
        "token backend not usable yet",
      ),
    );
  }
  const running = await startAssistant({
    backends,
    origins: config.origins,
    port: config.port,
    clock: { now: () => new Date() },
    log: assistantLog,
  });
  assistantLog.info(
    {
      port: running.port,
      origins: config.origins,
      backends: backends.map((b) => b.name),
      modules: hosted.map((h) => ({ name: h.module.name, vendor: h.module.vendor, path: h.module.path })),
      virtualDir: config.virtualDir,
      testHooks: config.testHooks,
      settings: config.settingsFiles,
      version: ASSISTANT_VERSION,
    },
    `certificate assistant listening on http://127.0.0.1:${running.port}`,
  );
  // the load attempt of each library runs once the assistant answers (start-up stays fast)
  void probeModules(hosted, assistantLog);
  const stop = async () => {
    await running.close();
    await Promise.all(backends.map(async (b) => b.close?.()));
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

// the same executable also runs the module hosts: one child process per middleware library (middleware/host.ts)
if (!runModuleHostIfAsked()) {
  main().catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    assistantLog.error({ reason: message }, "certificate assistant failed to start");
    console.error(`certificate assistant failed to start: ${message.split("\n")[0]}`);
    process.exit(1);
  });
}
