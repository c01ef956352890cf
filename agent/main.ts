import path from "node:path";
import { assistantConfig } from "./config";
import { assistantLog } from "./log";
import { loadKoffi } from "./native/koffi";
import { isPackaged } from "./native/sea";
import type { TokenBackend } from "./backends/types";
import { VirtualBackend } from "./backends/virtual";
import { ASSISTANT_VERSION, startAssistant } from "./server";

async function main(): Promise<void> {
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
  if (config.pkcs11Module) {
    // loaded only when configured: pkcs11js is a native add-on that holders without a USB key need not install
    const { Pkcs11Backend } = await import("./backends/pkcs11");
    backends.push(new Pkcs11Backend({ modulePath: config.pkcs11Module }));
  }
  if (config.virtualDir) backends.push(new VirtualBackend({ dir: config.virtualDir, testHooks: config.testHooks }));
  for (const backend of backends) {
    await backend.listTokens().catch((e: unknown) =>
      assistantLog.warn(
        {
          backend: backend.name,
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
      virtualDir: config.virtualDir,
      testHooks: config.testHooks,
      settings: config.settingsFiles,
      version: ASSISTANT_VERSION,
    },
    `certificate assistant listening on http://127.0.0.1:${running.port}`,
  );
  const stop = async () => {
    await running.close();
    await Promise.all(backends.map(async (b) => b.close?.()));
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const hint = /Cannot find (module|package) 'pkcs11js'/.test(message)
    ? "\nUSB keys need the pkcs11js add-on: run `npm install --omit=dev` in the assistant's folder (INSTALL.md, step 2)."
    : "";
  assistantLog.error({ reason: message }, "certificate assistant failed to start");
  console.error(`certificate assistant failed to start: ${message.split("\n")[0]}${hint}`);
  process.exit(1);
});
