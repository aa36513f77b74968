/**
 * One node per machine: the kubelet and kube-proxy use fixed host paths,
 * sysctls and iptables chains that two nodes would fight over. The lock file
 * (root's only) holds the owner's pid and start time and what is needed to
 * clean up after it (its folder, the host snapshot taken before it started,
 * the modules it loaded), so a node whose process died without cleaning up is
 * cleaned up by the next one, or by `make cluster-down`.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostSnapshot } from './host-state';

const LOCK = '/run/atlas-k8s-migrator/node.json';

export interface NodeLockState {
  readonly pid: number;
  /** The owner's start time (field 22 of /proc/<pid>/stat): a reused pid is not the owner. */
  readonly startTime: string;
  readonly base: string;
  readonly bridge: string;
  readonly loadedModules: readonly string[];
  readonly snapshot: HostSnapshot;
}

export class NodeTakenError extends Error {
  constructor(readonly pid: number) {
    super(`a test node already runs on this machine (process ${pid}, lock ${LOCK}); only one can: stop it (make cluster-down, or end that test run) and try again`);
    this.name = 'NodeTakenError';
  }
}

/** Start time of a running (not zombie) process, or undefined when there is none. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (a zombie does not). */
export function alive(pid: number): boolean {
  return processStartTime(pid) !== undefined;
}

/** The state left by a node whose process is gone (to be cleaned up), or undefined. Throws when a live process (this one included) holds the lock. */
export function staleNode(): NodeLockState | undefined {
  if (!existsSync(LOCK)) return undefined;
  let state: NodeLockState;
  try {
    state = JSON.parse(readFileSync(LOCK, 'utf8')) as NodeLockState;
  } catch {
    rmSync(LOCK, { force: true }); // written half by a process that died: nothing to clean up from it
    return undefined;
  }
  if (processStartTime(state.pid) === state.startTime) throw new NodeTakenError(state.pid);
  return state;
}

/** Takes the lock; throws NodeTakenError when another process took it first. */
export function takeNodeLock(state: Omit<NodeLockState, 'pid' | 'startTime'>): void {
  mkdirSync(dirname(LOCK), { recursive: true, mode: 0o700 });
  const full: NodeLockState = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', ...state };
  const temporary = `${LOCK}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify(full), { mode: 0o600 });
  try {
    // A hard link fails if the lock exists: only one process wins, and the file is whole when it appears.
    linkSync(temporary, LOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new NodeTakenError((JSON.parse(readFileSync(LOCK, 'utf8')) as { pid: number }).pid);
    throw e;
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function releaseNodeLock(): void {
  rmSync(LOCK, { force: true });
}
