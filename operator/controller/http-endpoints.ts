/**
 * The operator's HTTP endpoints: `/healthz` and `/readyz` on the health
 * probe address (for the kubelet), `/metrics` on the metrics address.
 * An address of `0` turns an endpoint off.
 */
import { createServer, type Server } from 'node:http';

export interface Probes {
  /** Alive: the watches have shown activity recently (a dead stream would never recover otherwise). */
  readonly healthy: () => { ok: boolean; detail: string };
  /** Ready: the initial lists are complete and the operator is not shutting down. */
  readonly ready: () => { ok: boolean; detail: string };
}

/** `:8081`, `127.0.0.1:8081` or `8081` → host and port; `0` → off. */
export function parseBindAddress(text: string): { host: string; port: number } | undefined {
  if (text === '0' || text === '') return undefined;
  const m = /^(?:(.*):)?(\d+)$/.exec(text);
  if (m === null) throw new Error(`invalid bind address ${JSON.stringify(text)}: expected [host]:port or 0`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(m[2]) };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly type?: string;
}

function listen(address: string, routes: Readonly<Record<string, () => Answer | Promise<Answer>>>): Promise<Server | undefined> {
  const bind = parseBindAddress(address);
  if (bind === undefined) return Promise.resolve(undefined);
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0] ?? '/'];
    const send = (answer: Answer): void => {
      res.writeHead(answer.status, { 'Content-Type': answer.type ?? 'text/plain; charset=utf-8' });
      res.end(answer.body);
    };
    Promise.resolve(route === undefined ? { status: 404, body: 'not found\n' } : route()).then(send, (e: unknown) => send({ status: 500, body: `${e instanceof Error ? e.message : String(e)}\n` }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => resolve(server));
  });
}

export interface Endpoints {
  /** The port each server listens on (0 when off), useful when bound to port 0 in tests. */
  readonly healthPort: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

function portOf(s: Server | undefined): number {
  const a = s?.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

/** What `/metrics` serves: a prom-client registry's text and its content type. */
export interface MetricsSource {
  render(): Promise<string>;
  readonly contentType: string;
}

export async function startEndpoints(opts: { healthAddress: string; metricsAddress: string; probes: Probes; metrics: MetricsSource }): Promise<Endpoints> {
  const probe = (p: () => { ok: boolean; detail: string }) => () => {
    const r = p();
    return { status: r.ok ? 200 : 503, body: `${r.ok ? 'ok' : 'not ok'}: ${r.detail}\n` };
  };
  const health = await listen(opts.healthAddress, { '/healthz': probe(opts.probes.healthy), '/livez': probe(opts.probes.healthy), '/readyz': probe(opts.probes.ready) });
  const metrics = await listen(opts.metricsAddress, { '/metrics': async () => ({ status: 200, body: await opts.metrics.render(), type: opts.metrics.contentType }) });
  return {
    healthPort: portOf(health),
    metricsPort: portOf(metrics),
    close: async () => {
      const servers = [health, metrics].filter((s): s is Server => s !== undefined);
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
