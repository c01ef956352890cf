import net from "node:net";

/**
 * A TCP proxy in front of a real upstream, for the faults that happen on the way (outside the CA):
 * - `pass`: bytes both ways;
 * - `cut`: the request reaches the upstream, its answer is dropped and the connection reset (the CA issued, the
 *   portal never hears of it: "dies after issuing, before answering");
 * - `slow`: the answer is held back `delayMs` before it goes on;
 * - `hold`: the answer is held back until `release()` (a request certainly in flight, however busy the machine);
 * - `garbage`: the upstream is not reached, the proxy answers HTTP 200 with bytes that are no CA answer;
 * - `error`: the upstream is not reached, the proxy answers HTTP 502 with an HTML page, as a broken gateway does.
 */
export type ProxyMode = "pass" | "cut" | "slow" | "hold" | "garbage" | "error";

export interface TcpProxy {
  url: string;
  mode: ProxyMode;
  delayMs: number;
  /** resolves when the next request's bytes have been passed on to the upstream */
  arrived(): Promise<void>;
  /** lets the answers `hold` kept back go on, and the rest of them as they come */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(listenPort: number, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let waiting: (() => void)[] = [];
  let held: (() => void)[] = [];
  let released = false;
  const state: TcpProxy = {
    url: `http://127.0.0.1:${listenPort}`,
    mode: "pass",
    delayMs: 0,
    arrived: () => new Promise<void>((r) => waiting.push(r)),
    release() {
      released = true;
      for (const write of held) write();
      held = [];
    },
    close: async () => {},
  };
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
        else if (mode === "hold" && !released) held.push(() => client.writable && client.write(chunk));
        else client.write(chunk);
      });
      return u;
    };
    client.on("close", () => upstream?.destroy());
    client.on("data", (chunk: Buffer) => {
      mode = state.mode;
      if (mode === "hold") released = false;
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
      for (const r of waiting) r();
      waiting = [];
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
