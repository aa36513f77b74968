/**
 * The operator as a process, the way e2e tests and the demo run it beside a
 * control plane: `run` with a kubeconfig holding its ServiceAccount's token
 * (so only the synthesized RBAC applies), JSON logs collected, health and
 * metrics on free loopback ports. Killed with everything else when the
 * test process exits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownsListeningPort, startOnFreePorts } from './databases/free-port';
import { programArgs } from './operator-command';
import { startProcess, waitUntilReady, type ServerProcess } from './databases/server-process';


export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly time: string;
  readonly [field: string]: unknown;
}

export interface OperatorProcess {
  readonly process: ServerProcess;
  readonly healthPort: number;
  readonly metricsPort: number;
  /** Every JSON log line so far. */
  logs(): LogLine[];
  /** The raw output (for "no password anywhere" checks). */
  output(): string;
  /** Waits for a log line matching `match`. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** GET an endpoint: `/metrics` on the metrics port, anything else on the health port. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface OperatorOptions {
  readonly kubeconfig: string;
  readonly args?: readonly string[];
  /** Added to the environment (e.g. POD_NAME, the leader election identity's prefix). */
  readonly env?: Readonly<Record<string, string>>;
  /** Resolve once /readyz answers 200 (default); false: once /healthz does (the endpoints are up), for an operator that is expected never to be ready. */
  readonly waitUntilReady?: boolean;
}

function parseLogs(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the output limit
    }
  }
  return lines;
}

export async function startOperator(opts: OperatorOptions): Promise<OperatorProcess> {
  // The ports can be taken between freePort() and the operator's bind: started again on new ones then.
  const { proc, healthPort, metricsPort } = await startOnFreePorts(2, async ([healthPort = 0, metricsPort = 0]) => {
    const proc = startProcess(process.execPath, programArgs([
      'run',
      '--kubeconfig',
      opts.kubeconfig,
      `--health-probe-bind-address=127.0.0.1:${healthPort}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      ...(opts.args ?? []),
    ]), {
      dataDir: mkdtempSync(join(tmpdir(), 'operator-')),
      logLimit: 20_000_000,
      ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
    });
    try {
      await waitUntilReady(
        proc,
        async () => {
          const r = await fetch(`http://127.0.0.1:${healthPort}${opts.waitUntilReady === false ? '/healthz' : '/readyz'}`);
          if (r.status !== 200) throw new Error(await r.text());
          // Another test's operator on a port taken meanwhile answers as well: the answer must be this process's.
          if (!ownsListeningPort(proc.child.pid, healthPort)) throw new Error(`port ${healthPort} answers, but not from this operator`);
        },
        'operator',
        60_000,
      );
    } catch (e) {
      await proc.stop();
      throw e;
    }
    return { proc, healthPort, metricsPort };
  });
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const port = path === '/metrics' ? metricsPort : healthPort;
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: r.status, body: await r.text() };
  };
  return {
    process: proc,
    healthPort,
    metricsPort,
    logs: () => parseLogs(proc.log()),
    output: () => proc.log(),
    get,
    waitForLog: async (match, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = parseLogs(proc.log()).find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching operator log line within ${timeoutMs} ms; last lines:\n${proc.log().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: async () => {
      const child = proc.child;
      const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
      await proc.stop();
      return exited;
    },
  };
}
