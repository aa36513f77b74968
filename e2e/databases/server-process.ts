import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Map<ChildProcess, string>();

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
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Output so far, for error messages when start-up fails. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts a server process whose data lives in `dataDir`; stop() kills it and removes the directory. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions & { dataDir: string }): ServerProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  running.set(child, options.dataDir);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
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
