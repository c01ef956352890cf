import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Debian's nginx in front of the test instances, with the production proxy headers (deploy/nginx/certrenew-proxy.conf,
 * included as it is) and the site's upstream shape; plain HTTP on 127.0.0.1 (TLS is nginx's own business). The
 * access log records the address nginx saw for each request and the X-Forwarded-For the client sent.
 */

export const NGINX = "/usr/sbin/nginx";

export interface Nginx {
  base: string;
  accessLog: string;
  /** (remote address, the request's path) per logged request */
  seen(): { addr: string; xff: string; uri: string; status: number; upstream: string }[];
  /** nginx's error log so far */
  errors(): string;
  stop(): Promise<void>;
}

export async function startNginx(dir: string, port: number, upstreams: number[], repo: string): Promise<Nginx> {
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  const accessLog = path.join(dir, "logs", "access.log");
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 2048; }
http {
  log_format cluster '$remote_addr\\t$http_x_forwarded_for\\t$request_uri\\t$status\\t$upstream_addr';
  access_log ${accessLog} cluster;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream certrenew_portal {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=2 fail_timeout=3s;`).join("\n")}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 256k;
    location / {
      proxy_pass http://certrenew_portal;
      include ${path.join(repo, "deploy", "nginx", "certrenew-proxy.conf")};
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", conf, "-e", path.join(dir, "logs", "error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${out}`);
    try {
      await fetch(`${base}/api/health`);
      break;
    } catch {
      if (i > 100) throw new Error(`nginx not listening: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    base,
    accessLog,
    seen() {
      return readFileSync(accessLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [addr, xff, uri, status, upstream] = line.split("\t");
          return { addr, xff, uri, status: Number(status), upstream };
        });
    },
    errors: () => readFileSync(path.join(dir, "logs", "error.log"), "utf8"),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGQUIT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
