import { systemClock } from "@/lib/clock";
import { log } from "@/lib/log";
import { assistantConfig } from "./config";
import { Pkcs11Backend } from "./backends/pkcs11";
import type { TokenBackend } from "./backends/types";
import { VirtualBackend } from "./backends/virtual";
import { ASSISTANT_VERSION, startAssistant } from "./server";

async function main(): Promise<void> {
  const config = assistantConfig(process.env);
  const backends: TokenBackend[] = [];
  if (config.pkcs11Module) backends.push(new Pkcs11Backend({ modulePath: config.pkcs11Module }));
  if (config.virtualDir) backends.push(new VirtualBackend({ dir: config.virtualDir, testHooks: config.testHooks }));
  const assistantLog = log.child({ service: "certrenew-assistant" });
  const running = await startAssistant({ backends, origins: config.origins, port: config.port, clock: systemClock, log: assistantLog });
  assistantLog.info(
    { port: running.port, origins: config.origins, backends: backends.map((b) => b.name), virtualDir: config.virtualDir, testHooks: config.testHooks, version: ASSISTANT_VERSION },
    `certificate assistant listening on http://127.0.0.1:${running.port}`,
  );
  const stop = async () => {
    await running.close();
    await Promise.all(backends.map((b) => b.close?.()));
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`certificate assistant failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
