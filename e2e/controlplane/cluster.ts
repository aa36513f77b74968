/**
 * `make cluster-up` / `make cluster-down`: a control plane for people.
 * `up` starts one in the background (or finds the running one) and prints
 * `export KUBECONFIG=…`; `down` stops it and removes its data. The server
 * process tears everything down on SIGTERM, Ctrl-C or any exit.
 *
 *   npx tsx e2e/controlplane/cluster.ts up|down
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from './launcher';

const STATE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'atlas-k8s-migrator', 'cluster');
const STATE = join(STATE_DIR, 'state.json');
const KUBECONFIG = join(STATE_DIR, 'kubeconfig');

interface State {
  readonly pid: number;
  readonly server: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(): State | undefined {
  if (!existsSync(STATE)) return undefined;
  const state = JSON.parse(readFileSync(STATE, 'utf8')) as State;
  return alive(state.pid) ? state : undefined;
}

async function serve(): Promise<void> {
  const cp = await startControlPlane();
  copyFileSync(cp.adminKubeconfig, KUBECONFIG);
  writeFileSync(STATE, JSON.stringify({ pid: process.pid, server: cp.server }));
  // Runs until signalled; the process handlers stop etcd and kube-apiserver and remove their data.
  setInterval(() => undefined, 1 << 30);
}

async function up(): Promise<void> {
  mkdirSync(STATE_DIR, { recursive: true });
  if (readState() === undefined) {
    rmSync(STATE, { force: true });
    const log = openSync(join(STATE_DIR, 'cluster.log'), 'w');
    const child = spawn(process.execPath, [...process.execArgv, __filename, 'serve'], { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    const deadline = Date.now() + 120_000;
    while (readState() === undefined) {
      if (Date.now() > deadline || (child.exitCode !== null && child.exitCode !== 0)) {
        throw new Error(`the control plane did not start; see ${join(STATE_DIR, 'cluster.log')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const state = readState() as State;
  process.stdout.write(`# kube-apiserver at ${state.server} (pid ${state.pid}); stop with make cluster-down\nexport KUBECONFIG=${KUBECONFIG}\n`);
}

async function down(): Promise<void> {
  const state = readState();
  if (state !== undefined) {
    process.kill(state.pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(state.pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(STATE, { force: true });
  rmSync(KUBECONFIG, { force: true });
  process.stdout.write('control plane stopped\n');
}

const command = process.argv[2];
const run = command === 'up' ? up : command === 'down' ? down : command === 'serve' ? serve : undefined;
if (run === undefined) {
  process.stderr.write('usage: cluster.ts up|down\n');
  process.exitCode = 2;
} else {
  run().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
