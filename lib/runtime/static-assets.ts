import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { notModified } from "../pki/http";

/**
 * Next's build output under /_next/static (the pages' scripts and style sheets), answered by the front from memory.
 *
 * Next serves these files itself with `compress: true`, which gzips the file again on every request: ~6 ms of CPU
 * for the largest script (229 KB), ~16 ms for the files of a holder's first page, two thirds of what the renewal API
 * costs for that holder (bench/first-visit.ts: 24 ms of CPU a first visit before, 8 ms now; bench/README.md). The names carry a content hash and Next marks them immutable, so each file
 * is read once per process, compressed once (brotli and gzip, in the thread pool, while the first requests get the
 * file as it is) and answered from memory after that, with the same immutable Cache-Control, a strong ETag and
 * `Vary: Accept-Encoding`. A path that is not a file of the build goes on to Next (its 404).
 */

const PREFIX = "/_next/static/";
const IMMUTABLE = "public, max-age=31536000, immutable";
/** files larger than this are left to Next, not kept in memory (none is near it: the largest is a few hundred KB) */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

const JS = "application/javascript; charset=utf-8";
/** what a build writes under /_next/static: text worth compressing … */
const TEXT: Record<string, string> = {
  ".js": JS,
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
};
/** … and files compressed already */
const BINARY: Record<string, string> = {
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
};
const typeOf = (file: string): { type: string; compress: boolean } | undefined => {
  const ext = path.extname(file).toLowerCase();
  if (TEXT[ext]) return { type: TEXT[ext], compress: true };
  if (BINARY[ext]) return { type: BINARY[ext], compress: false };
  return undefined;
};

type Encoding = "br" | "gzip";

interface Variant {
  body: Buffer;
  /** the whole header list, as node:http takes it fastest */
  headers: string[];
  etag: string;
}

interface Asset {
  identity: Variant;
  encoded: Partial<Record<Encoding, Variant>>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * The codings a request's Accept-Encoding allows, best first (brotli, then gzip); `q=0` refuses one, `*` allows both.
 */
function acceptedEncodings(header: string | string[] | undefined): Encoding[] {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  const q = new Map<string, number>();
  for (const part of value.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const weight = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const allowed = (name: Encoding) => (q.get(name) ?? q.get("*") ?? 0) > 0;
  return (["br", "gzip"] as const).filter(allowed);
}

function variant(body: Buffer, type: string, hash: string, encoding?: Encoding): Variant {
  const etag = `"${hash}${encoding ? `-${encoding}` : ""}"`;
  const headers = [
    "content-type",
    type,
    "cache-control",
    IMMUTABLE,
    "etag",
    etag,
    "vary",
    "accept-encoding",
    "content-length",
    String(body.length),
  ];
  if (encoding) headers.push("content-encoding", encoding);
  return { body, headers, etag };
}

export interface StaticAssets {
  /**
   * Answers a GET or HEAD for a file of the build under /_next/static/ and returns true; anything else (another
   * path or method, a name the build does not have) returns false and is Next's to answer.
   */
  answer(req: IncomingMessage, res: ServerResponse, pathname: string, securityHeaders: string[]): boolean;
}

/** The files under `dir` this module serves, as paths relative to it with "/" between the parts. */
function servedFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && typeOf(d.name))
      .map((d) => path.join(d.parentPath, d.name))
      .filter((full) => statSync(full).size <= MAX_FILE_BYTES)
      .map((full) => path.relative(dir, full).split(path.sep).join("/"));
  } catch {
    return [];
  }
}

/**
 * Serves `<appDir>/.next/static`: the files the build wrote there when the process started (a later build's
 * files go to Next).
 */
export function createStaticAssets(appDir: string): StaticAssets {
  const base = path.resolve(appDir, ".next", "static");
  const known = new Set(servedFiles(base));
  const assets = new Map<string, Asset>();
  const loading = new Map<string, Promise<Asset | null>>();

  async function compress(asset: Asset, body: Buffer, type: string, hash: string): Promise<void> {
    const [br, gz] = await Promise.all([
      brotli(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
      gzip(body, { level: 9 }),
    ]);
    if (br.length < body.length) asset.encoded.br = variant(br, type, hash, "br");
    if (gz.length < body.length) asset.encoded.gzip = variant(gz, type, hash, "gzip");
  }

  async function load(rel: string): Promise<Asset | null> {
    const kind = typeOf(rel)!;
    const body = await readFile(path.join(base, rel)).catch(() => null);
    if (!body) return null;
    const hash = createHash("sha256").update(body).digest("base64url").slice(0, 27);
    const asset: Asset = { identity: variant(body, kind.type, hash), encoded: {} };
    assets.set(rel, asset);
    // compressed once, in the thread pool; until then the file goes out as it is
    if (kind.compress && body.length >= 512) compress(asset, body, kind.type, hash).catch(() => undefined);
    return asset;
  }

  function send(req: IncomingMessage, res: ServerResponse, asset: Asset, security: string[]): void {
    let v = asset.identity;
    for (const e of acceptedEncodings(req.headers["accept-encoding"])) {
      const found = asset.encoded[e];
      if (found) {
        v = found;
        break;
      }
    }
    if (notModified({ ifNoneMatch: req.headers["if-none-match"] }, v.etag, undefined)) {
      res.writeHead(304, [...security, "cache-control", IMMUTABLE, "etag", v.etag, "vary", "accept-encoding"]);
      return void res.end();
    }
    res.writeHead(200, [...security, ...v.headers]);
    res.end(req.method === "HEAD" ? undefined : v.body);
  }

  return {
    answer(req, res, pathname, security) {
      if (!pathname.startsWith(PREFIX) || (req.method !== "GET" && req.method !== "HEAD")) return false;
      let rel: string;
      try {
        rel = decodeURIComponent(pathname.slice(PREFIX.length));
      } catch {
        return false;
      }
      if (!known.has(rel)) return false;
      const ready = assets.get(rel);
      if (ready) {
        send(req, res, ready, security);
        return true;
      }
      // not read yet: this request waits for the file (once per file and process)
      let pending = loading.get(rel);
      if (!pending) {
        pending = load(rel).finally(() => loading.delete(rel));
        loading.set(rel, pending);
      }
      pending.then(
        (asset) => {
          if (asset) send(req, res, asset, security);
          else {
            res.writeHead(404, [...security, "content-type", "text/plain; charset=utf-8", "cache-control", "no-store"]);
            res.end("Not found");
          }
        },
        () => res.destroy(),
      );
      return true;
    },
  };
}
