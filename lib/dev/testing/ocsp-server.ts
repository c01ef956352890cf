import http from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../../clock";
import type { OpenDb } from "../../db";
import type { Ca } from "../../pki/ca";
import { answerOcspHttp } from "../../pki/ocsp-http";

/**
 * A bare node:http OCSP responder around the portal's own answerOcspHttp, on 127.0.0.1: what openssl (tests)
 * and autocannon (bench/ocsp.ts, the harness figure) are pointed at. `port` 0 picks a free one.
 */
export async function serveOcsp(db: OpenDb, ca: Ca, port = 0): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void answerOcspHttp(
        { db: db.prisma, ca, clock: systemClock },
        {
          method: req.method ?? "GET",
          path: (req.url ?? "").replace(/^\/ocsp\/?/, ""),
          body: Buffer.concat(chunks),
          contentType: req.headers["content-type"],
        },
      ).then((a) => {
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      });
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp` };
}
