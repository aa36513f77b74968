import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

const running = new Map<ChildProcess, string>();

/** util-linux's setpriv, where there is one (it execs the server, so the pid stays the server's). */
const PDEATHSIG = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Kills every server still running and removes its data, synchronously (safe in an exit handler). */
function killAll(): void {
  for (const [child, dataDir] of running) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  running.clear();
}

// Whatever happens to this process (normal exit, Ctrl-C, kill), no server outlives it.
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface TestDatabaseServer {
  /** Admin URL, with the password. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A URL for another database/schema on the same server. */
  urlFor(database: string, params?: string): string;
  stop(): Promise<void>;
  /** Stops the server, keeping its data (clients get "connection refused"). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it accepts logins. */
  resume(): Promise<void>;
}

export interface ServerProcess {
  /** The running process (a new one after restart()). */
  readonly child: ChildProcess;
  /** Output so far (the last `logLimit` characters), for error messages and log checks. */
  log(): string;
  /** Kills the process and removes its data directory. */
  stop(): Promise<void>;
  /** Kills the process, keeping its data: a database that went down. */
  halt(): Promise<void>;
  /** Starts the same command again on the same data (after halt()). */
  restart(): void;
}

export interface ProcessOptions extends SpawnOptions {
  readonly dataDir: string;
  /** Characters of output kept. Default 20,000. */
  readonly logLimit?: number;
}

/** Starts a server process whose data lives in `dataDir`; stop() kills it and removes the directory. */
export function startProcess(command: string, args: readonly string[], options: ProcessOptions): ServerProcess {
  const limit = options.logLimit ?? 20_000;
  let output = '';
  let child: ChildProcess;
  let exited: Promise<void>;
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-limit);
  };
  const launch = (): void => {
    // Under setpriv the kernel kills the server when this process dies, even by SIGKILL (no exit handler runs then).
    child = PDEATHSIG === undefined ? spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(PDEATHSIG, ['--pdeathsig', 'KILL', '--', command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    running.set(child, options.dataDir);
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A server never keeps the test process alive (a failed before() would hang it); the exit handler kills it.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  };
  const halt = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.ref(); // keep this process alive until the exit is seen
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
  };
  launch();
  return {
    get child() {
      return child;
    },
    log: () => output,
    halt,
    restart: launch,
    stop: async () => {
      await halt();
      rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it resolves, the process dies, or the deadline passes. */
export async function waitUntilReady(server: ServerProcess, probe: () => Promise<void>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${what} exited during start-up:\n${server.log()}`);
    try {
      await probe();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${String(last)}\n${server.log()}`);
}
