import { AssistantError, createAssistantClient, localNetworkPermission } from "@/lib/token/client";

/** Bundled for the browser by lna-chromium.test.ts: what the portal page does before and on its first call. */
(window as unknown as { probe: (baseUrl: string) => Promise<unknown> }).probe = async (baseUrl) => {
  const before = await localNetworkPermission();
  try {
    const info = await createAssistantClient({ baseUrl, timeoutMs: 5000 }).info();
    return { before, version: info.version };
  } catch (e) {
    return { before, code: e instanceof AssistantError ? e.code : String(e) };
  }
};
