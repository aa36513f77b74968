/**
 * The host side of a node: the tools it needs, the checks before it starts
 * (root, free address ranges), the bridge and bridge netfilter, and the
 * teardown that kills its processes and undoes its host changes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { ensurePackages } from '../../databases/packages';
import { mountPoints, restoreHost, setSysctl } from './host-state';
import { releaseNodeLock, staleNode, type NodeLockState } from './node-lock';
import { SERVICE_CIDR } from '../launcher';
import { BRIDGE, NODE_IP, POD_CIDR } from './node-config';

/** Each command the node runs, and the Debian package that brings it (only missing ones are installed). */
const HOST_TOOLS: ReadonlyArray<[string, string]> = [
  ['containerd', 'containerd'], ['runc', 'runc'], ['/usr/lib/cni/bridge', 'containernetworking-plugins'], ['iptables', 'iptables'],
  ['nft', 'nftables'], ['conntrack', 'conntrack'], ['ip', 'iproute2'], ['setpriv', 'util-linux'],
];

function present(tool: string): boolean {
  return tool.startsWith('/') ? existsSync(tool) : spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

/** Root, the tools (installed with apt when missing), and address ranges no host network uses. */
export function prepareNodeHost(): void {
  if (process.getuid?.() !== 0) throw new Error('a test node needs root (containerd, mounts, iptables); run as root, or use the process-mode tests and demo');
  for (const [tool, pkg] of HOST_TOOLS) {
    if (!present(tool)) ensurePackages([pkg], () => present(tool));
  }
  const routes = execFileSync('ip', ['-o', '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (const cidr of [POD_CIDR, SERVICE_CIDR]) {
    const prefix = cidr.split('.').slice(0, 3).join('.');
    if (routes.split('\n').some((r) => r.startsWith(`${prefix}.`) && !r.includes(BRIDGE))) {
      throw new Error(`the node's range ${cidr} is in use on this host (ip route: ${prefix}.…); pods and Services could not be told apart from it`);
    }
  }
}

/** The kernel modules the node will load (recorded in the lock before, unloaded at the end). */
export function modulesToLoad(): string[] {
  return existsSync('/proc/sys/net/bridge') ? [] : ['br_netfilter'];
}

/** Pod-to-Service traffic between two pods on the bridge must pass kube-proxy's iptables rules. */
export function bridgeNetfilter(): void {
  for (const module of modulesToLoad()) spawnSync('modprobe', [module]);
  if (modulesToLoad().length > 0) throw new Error('the node needs the br_netfilter kernel module (modprobe br_netfilter failed): pods could not reach Services');
  setSysctl('net.bridge.bridge-nf-call-iptables', '1');
}

export function bridgeUp(): void {
  execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE]);
  execFileSync('ip', ['link', 'set', BRIDGE, 'up']);
}

/**
 * Every process of the node: its daemons and containerd's shims (which
 * outlive containerd by design) carry the node's folder in their command line.
 */
function killNodeProcesses(base: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(base)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Undoes everything a node did; synchronous, so it can run in an exit
 * handler. The lock (with the snapshot) is kept when something could not be
 * undone, so a later start or `make cluster-down` tries again.
 */
export function cleanUpNode(state: Pick<NodeLockState, 'base' | 'bridge' | 'loadedModules' | 'snapshot'>): string[] {
  const problems = restoreHost(state.snapshot, state, () => killNodeProcesses(state.base));
  if (mountPoints().some((m) => m.startsWith(`${state.base}/`))) {
    problems.push(`mounts remain under ${state.base}; it was not removed`);
  } else {
    rmSync(state.base, { recursive: true, force: true });
  }
  if (problems.length === 0) releaseNodeLock();
  return problems;
}

/** Undoes what a node whose process died left behind; true when there was one. Throws if a live node runs, or if something could not be undone. */
export function cleanUpStaleNode(): boolean {
  const stale = staleNode();
  if (stale === undefined) return false;
  const problems = cleanUpNode(stale);
  if (problems.length > 0) throw new Error(`could not clean up after the node of process ${stale.pid}: ${problems.join('; ')}`);
  return true;
}
