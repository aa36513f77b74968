/**
 * A small client of kube-apiserver on the control plane's admin certificate:
 * a GET is a few milliseconds, where a kubectl process costs 100+ ms of CPU
 * (the tests poll a lot, several files at once, on two shared cores).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
}

export interface Api {
  /** One request; never throws on an HTTP status (connection errors do throw). */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiAnswer<T>>;
  /** As call(), but a status ≥ 300 throws with the answer. */
  must<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
}

/** The admin's client of the API server at `server`, with the CA and certificate in `pki`. */
export function adminApi(server: string, pki: string, timeoutMs = 10_000): Api {
  const tls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  const url = new URL(server);
  const call = <T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer<T>> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          ...tls,
          // No keep-alive: the API server is restarted by some tests, and a stale pooled socket would fail a request.
          agent: false,
          timeout: timeoutMs,
          headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: kept as text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  return {
    call,
    must: async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
      const r = await call<T>(method, path, body, contentType);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
  };
}


const clients = new WeakMap<object, Api>();

/** The admin's client of a control plane's API server, made once per control plane. */
export function controlPlaneApi(cp: { readonly server: string; readonly pki: string }): Api {
  let api = clients.get(cp);
  if (api === undefined) clients.set(cp, (api = adminApi(cp.server, cp.pki)));
  return api;
}
