/**
 * A control plane with a node, the operator's image and `mysql:latest` in
 * its registry, and what is needed to run the walk-through's commands against
 * it (kubectl and helm on PATH, KUBECONFIG). Shared by the in-cluster e2e
 * tests and `make demo`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { controlPlaneBinaries } from './controlplane/launcher';
import { helmBinary } from './controlplane/helm';
import { startNodeCluster, type NodeCluster } from './controlplane/node/node';
import { IMAGE_CACHE, mysqlImage } from './images/cluster-images';
import type { WrittenImage } from './images/oci-image';
import { buildOperatorImage } from './images/operator-image';

export const ROOT = join(__dirname, '..');
export const SEED_DIR = join(ROOT, 'operator', 'migrate', 'testdata', 'seed');

export interface PodCluster extends NodeCluster {
  readonly operatorImage: WrittenImage;
  readonly mysqlImage: WrittenImage;
  /** Environment for kubectl/helm commands: KUBECONFIG and PATH. */
  readonly env: NodeJS.ProcessEnv;
}

/** Images are built before the node starts (the build needs the CPU more than the node does). */
export async function startPodCluster(): Promise<PodCluster> {
  const operatorImage = buildOperatorImage(IMAGE_CACHE);
  const mysql = mysqlImage();
  const node = await startNodeCluster();
  try {
    node.push(operatorImage);
    node.push(mysql);
  } catch (e) {
    await node.stop();
    throw e;
  }
  const path = [controlPlaneBinaries(), dirname(helmBinary()), process.env.PATH ?? ''].join(':');
  const helmHome = mkdtempSync(join(tmpdir(), 'helm-home-'));
  return {
    ...node,
    stop: async () => {
      rmSync(helmHome, { recursive: true, force: true });
      await node.stop();
    },
    operatorImage,
    mysqlImage: mysql,
    env: { ...process.env, KUBECONFIG: node.cp.adminKubeconfig, PATH: path, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
  };
}

/** Runs the walk-through's commands (e2e/walkthrough/steps.sh); resolves with its output, rejects with it on failure. */
export function runWalkthroughSteps(cluster: PodCluster, work: string, echo = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(__dirname, 'walkthrough', 'steps.sh')], {
      env: { ...cluster.env, CHART: join(ROOT, 'manifests', 'helm'), SEED_DIR, WORK: work },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`the walk-through's commands failed (exit ${code}):\n${output}\n${diagnose(cluster)}`))));
  });
}

/** Pods, recent events and the logs of pods that are not ready: what a failed step needs to be understood. */
export function diagnose(cluster: PodCluster): string {
  const k = (args: readonly string[]): string => {
    const r = cluster.cp.tryKubectl(args);
    return r.stdout + r.stderr;
  };
  const notReady = k(['get', 'pods', '-A', '-o', 'jsonpath={range .items[?(@.status.containerStatuses[0].ready==false)]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'])
    .split('\n')
    .filter(Boolean);
  return [
    `--- pods\n${k(['get', 'pods', '-A', '-o', 'wide'])}`,
    `--- events\n${k(['get', 'events', '-A', '--sort-by=.lastTimestamp'])}`,
    ...notReady.map((p) => {
      const [ns = '', name = ''] = p.split('/');
      return `--- logs ${p}\n${k(['logs', '-n', ns, name, '--tail=50'])}`;
    }),
  ].join('\n');
}
