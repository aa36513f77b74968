/**
 * A control plane with our CRD and chart installed and the operator
 * running as its ServiceAccount, plus helpers to read and wait for an
 * AtlasMigration's status as kubectl would show it.
 */
import { join } from 'node:path';
import type { AtlasMigrationStatus } from '../operator/api/generated/atlasmigration-types';
import { controlPlaneApi } from './controlplane/api-client';
import { startControlPlane, type ControlPlane } from './controlplane/launcher';
import { helm } from './controlplane/helm';
import { startOperator, type OperatorProcess } from './operator-process';

export const ROOT = join(__dirname, '..');
export const OPERATOR_NAMESPACE = 'atlas-k8s-migrator-system';
export const OPERATOR_ACCOUNT = 'atlas-k8s-migrator';

export interface OperatorCluster {
  readonly cp: ControlPlane;
  readonly operator: OperatorProcess;
  /** The operator ServiceAccount's kubeconfig (a real token; only the chart's RBAC). */
  readonly operatorKubeconfig: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** `helm install` of manifests/helm (the walk-through's step 1), or server-side apply of manifests/synth. */
  readonly install: 'helm' | 'apply';
  readonly operatorArgs?: readonly string[];
}

export async function startOperatorCluster(opts: ClusterOptions): Promise<OperatorCluster> {
  const cp = await startControlPlane();
  try {
    if (opts.install === 'helm') {
      helm(cp.adminKubeconfig, ['install', 'atlas-operator', join(ROOT, 'manifests', 'helm')]);
    } else {
      cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
      cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
    }
    cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
    const operatorKubeconfig = cp.kubeconfigFor(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT);
    const operator = await startOperator({ kubeconfig: operatorKubeconfig, args: opts.operatorArgs ?? [] });
    return {
      cp,
      operator,
      operatorKubeconfig,
      stop: async () => {
        await operator.stop();
        await cp.stop();
      },
    };
  } catch (e) {
    await cp.stop();
    throw e;
  }
}

export interface MigrationObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly generation: number; readonly resourceVersion: string };
  readonly spec: Record<string, unknown>;
  readonly status?: AtlasMigrationStatus;
}

export function getMigration(cp: ControlPlane, namespace: string, name: string): MigrationObject {
  return JSON.parse(cp.kubectl(['get', 'atlasmigration', name, '-n', namespace, '-o', 'json'])) as MigrationObject;
}

export function condition(m: MigrationObject, type: string): { status: string; reason: string; message: string } | undefined {
  return m.status?.conditions?.find((c) => c.type === type);
}

/** The resource read by a GET of its own (waits poll a lot: a kubectl process per poll cost a core between the test files). */
export async function readMigration(cp: ControlPlane, namespace: string, name: string): Promise<MigrationObject> {
  return controlPlaneApi(cp).must<MigrationObject>('GET', `/apis/db.atlasgo.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/atlasmigrations/${encodeURIComponent(name)}`);
}

/** Polls until `accept` holds for the resource, or fails showing its last status. */
export async function waitForMigration(cp: ControlPlane, namespace: string, name: string, accept: (m: MigrationObject) => boolean, timeoutMs = 60_000): Promise<MigrationObject> {
  const deadline = Date.now() + timeoutMs;
  let last: MigrationObject | undefined;
  for (;;) {
    last = await readMigration(cp, namespace, name);
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} did not reach the expected state in ${timeoutMs} ms; status:\n${JSON.stringify(last.status, null, 2)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Ready=True for the current generation. */
export function isReady(m: MigrationObject): boolean {
  return condition(m, 'Ready')?.status === 'True' && m.status?.observedGeneration === m.metadata.generation;
}

/** Ready=False with this reason, for the current generation. */
export function failedWith(reason: string): (m: MigrationObject) => boolean {
  return (m) => condition(m, 'Ready')?.status === 'False' && condition(m, 'Ready')?.reason === reason && m.status?.observedGeneration === m.metadata.generation;
}
