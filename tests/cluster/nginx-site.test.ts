import "@/tests/helpers/env";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { openssl } from "@/tests/helpers/pki";
import { NGINX } from "./nginx";

/**
 * deploy/nginx/certrenew.conf as an operator installs it (the snippet in snippets/, a TLS certificate at the named
 * paths) passes `nginx -t`. Only the paths are moved into a temporary prefix; every directive is the file's own.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-nginx-site-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the production nginx site and proxy snippet are valid nginx configuration", () => {
  const repo = process.cwd();
  mkdirSync(path.join(dir, "snippets"));
  mkdirSync(path.join(dir, "tls"));
  mkdirSync(path.join(dir, "logs"));
  writeFileSync(
    path.join(dir, "snippets", "certrenew-proxy.conf"),
    readFileSync(path.join(repo, "deploy/nginx/certrenew-proxy.conf")),
  );
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=renew.example.cn",
    "-keyout",
    path.join(dir, "tls/privkey.pem"),
    "-out",
    path.join(dir, "tls/fullchain.pem"),
  ]);
  const site = readFileSync(path.join(repo, "deploy/nginx/certrenew.conf"), "utf8")
    .replace(/\/etc\/nginx\/snippets\//g, `${dir}/snippets/`)
    .replace(/\/etc\/ssl\/certrenew\//g, `${dir}/tls/`)
    // unprivileged test ports instead of 80/443
    .replace(/listen (\[::\]:)?80;/g, "listen $1" + "18080;")
    .replace(/listen (\[::\]:)?443 ssl/g, "listen $1" + "18443 ssl");
  writeFileSync(path.join(dir, "site.conf"), site);
  writeFileSync(
    path.join(dir, "nginx.conf"),
    `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/site.conf;\n}\n`,
  );
  const r = spawnSync(
    NGINX,
    ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "logs/error.log")],
    {
      encoding: "utf8",
    },
  );
  expect(`${r.stdout}${r.stderr}`).toContain("syntax is ok");
  expect(r.status, r.stderr).toBe(0);
});
