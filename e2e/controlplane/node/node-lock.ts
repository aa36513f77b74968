/**
 * One node per machine: the kubelet and kube-proxy use fixed host paths,
 * sysctls and iptables chains that two nodes would fight over. The lock file
 * holds the owner's pid and the host snapshot taken before it started, so a
 * node whose process died without cleaning up is cleaned up by the next one.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostSnapshot } from './host-state';

const LOCK = '/run/atlas-k8s-migrator/node.json';

export interface NodeLockState {
  readonly pid: number;
  readonly base: string;
  readonly snapshot: HostSnapshot;
}

export class NodeTakenError extends Error {
  constructor(readonly pid: number) {
    super(`a test node already runs on this machine (process ${pid}, lock ${LOCK}); only one can: stop it (make cluster-down, or end that test run) and try again`);
    this.name = 'NodeTakenError';
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The state left by a node whose process is gone (to be cleaned up), or undefined. Throws when a live process (this one included) holds the lock. */
export function staleNode(): NodeLockState | undefined {
  if (!existsSync(LOCK)) return undefined;
  const state = JSON.parse(readFileSync(LOCK, 'utf8')) as NodeLockState;
  if (alive(state.pid)) throw new NodeTakenError(state.pid);
  return state;
}

export function takeNodeLock(state: NodeLockState): void {
  mkdirSync(dirname(LOCK), { recursive: true });
  writeFileSync(LOCK, JSON.stringify(state), { flag: 'w' });
}

export function releaseNodeLock(): void {
  rmSync(LOCK, { force: true });
}
