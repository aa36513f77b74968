/** What several benchmarks share: the median they quote, and an admin client that sees AtlasMigrations turn Ready. */
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../e2e/controlplane/launcher';
import { KubeClient } from '../operator/controller/kube/api-client';
import type { KubeObject } from '../operator/controller/kube/list-watch';

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client with the control plane's admin credentials (the benchmark's own side, not the operator's). */
export function adminClient(cp: ControlPlane): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.adminKubeconfig);
  return new KubeClient(kc);
}

export function readyOf(o: KubeObject): boolean {
  const s = (o as { status?: { conditions?: { type: string; status: string }[] } }).status;
  return s?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
