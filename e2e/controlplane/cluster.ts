/**
 * `make cluster-up` / `make cluster-down`: a control plane for people.
 * `up` starts one in the background (or finds the running one) and prints
 * `export KUBECONFIG=…`; `down` stops it and removes its data. The server
 * process tears everything down on SIGTERM, Ctrl-C or any exit. With NODE=1
 * (root only) the cluster has a node that runs pods, and the operator's image
 * and `mysql:latest` in its registry: `helm install` of manifests/helm runs
 * the operator as a Deployment. `down` also cleans up after a node whose
 * process was killed.
 *
 *   [NODE=1] npx tsx e2e/controlplane/cluster.ts up|down
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../databases/maven-distribution';
import { startPodCluster } from '../pod-cluster';
import { startControlPlane } from './launcher';
import { cleanUpStaleNode } from './node/node-host';
import { alive } from './node/node-lock';

// CLUSTER_STATE_DIR lets tests run their own `up`/`down` beside a developer's cluster.
const STATE_DIR = process.env.CLUSTER_STATE_DIR ?? join(cacheRoot(), 'cluster');
const STATE = join(STATE_DIR, 'state.json');
const KUBECONFIG = join(STATE_DIR, 'kubeconfig');

interface State {
  readonly pid: number;
  readonly server: string;
  readonly node?: string;
}

function readState(): State | undefined {
  if (!existsSync(STATE)) return undefined;
  const state = JSON.parse(readFileSync(STATE, 'utf8')) as State;
  return alive(state.pid) ? state : undefined;
}

async function serve(): Promise<void> {
  const node = process.env.NODE === '1' ? await startPodCluster() : undefined;
  const cp = node?.cp ?? (await startControlPlane());
  copyFileSync(cp.adminKubeconfig, KUBECONFIG);
  chmodSync(KUBECONFIG, 0o600); // an admin identity (with a node: root on this host)
  writeFileSync(STATE, JSON.stringify({ pid: process.pid, server: cp.server, ...(node === undefined ? {} : { node: `${node.nodeName}, registry ${node.registry}` }) }));
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
    const deadline = Date.now() + (process.env.NODE === '1' ? 600_000 : 120_000);
    while (readState() === undefined) {
      if (Date.now() > deadline || (child.exitCode !== null && child.exitCode !== 0)) {
        throw new Error(`the control plane did not start; see ${join(STATE_DIR, 'cluster.log')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const state = readState() as State;
  const node = state.node === undefined ? '' : `# node ${state.node}\n`;
  process.stdout.write(`# kube-apiserver at ${state.server} (pid ${state.pid}); stop with make cluster-down\n${node}export KUBECONFIG=${KUBECONFIG}\n`);
}

async function down(): Promise<void> {
  const state = readState();
  if (state !== undefined) {
    process.kill(state.pid, 'SIGTERM');
    // A node's teardown (pods, mounts, cgroups, iptables) runs in that process's exit; give it time, then make sure.
    for (let i = 0; i < 600 && alive(state.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(state.pid)) process.kill(state.pid, 'SIGKILL');
  }
  rmSync(STATE, { force: true });
  rmSync(KUBECONFIG, { force: true });
  const leftovers = cleanUpStaleNode();
  process.stdout.write(`control plane stopped${leftovers ? '; cleaned up after a node whose process had died' : ''}\n`);
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
