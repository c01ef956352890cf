import net from "node:net";

/**
 * A TCP proxy in front of a real upstream, for the faults that happen on the way (outside the CA):
 * - `pass`: bytes both ways;
 * - `cut`: the request reaches the upstream, its answer is dropped and the connection reset (the CA issued, the
 *   portal never hears of it: "dies after issuing, before answering");
 * - `slow`: the answer is held back `delayMs` before it goes on;
 * - `garbage`: the upstream is not reached, the proxy answers HTTP 200 with bytes that are no CA answer;
 * - `error`: the upstream is not reached, the proxy answers HTTP 502 with an HTML page, as a broken gateway does.
 */
export type ProxyMode = "pass" | "cut" | "slow" | "garbage" | "error";

export interface TcpProxy {
  url: string;
  mode: ProxyMode;
  delayMs: number;
  close(): Promise<void>;
}

export async function startTcpProxy(listenPort: number, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const state: TcpProxy = { url: `http://127.0.0.1:${listenPort}`, mode: "pass", delayMs: 0, close: async () => {} };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    // the mode of the request in flight on this (keep-alive) connection, taken when its bytes arrive
    let mode: ProxyMode = state.mode;
    let upstream: net.Socket | undefined;
    const connectUpstream = () => {
      const u = net.connect(target.port, target.host);
      sockets.add(u);
      u.on("close", () => {
        sockets.delete(u);
        client.destroy();
      });
      u.on("error", () => client.destroy());
      u.on("data", (chunk: Buffer) => {
        if (mode === "cut") {
          client.resetAndDestroy();
          u.destroy();
        } else if (mode === "slow") setTimeout(() => client.writable && client.write(chunk), state.delayMs);
        else client.write(chunk);
      });
      return u;
    };
    client.on("close", () => upstream?.destroy());
    client.on("data", (chunk: Buffer) => {
      mode = state.mode;
      if (mode === "garbage" || mode === "error") {
        upstream?.destroy();
        const body = mode === "garbage" ? "\u0000\u00ffnot a CA answer{" : "<html><body>502 Bad Gateway</body></html>";
        const status = mode === "garbage" ? "200 OK" : "502 Bad Gateway";
        client.end(
          `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
        return;
      }
      upstream ??= connectUpstream();
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolve());
  });
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
