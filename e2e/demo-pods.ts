/**
 * `make demo` (default): the seed walk-through as published, with pods. A
 * control plane and a node (kubelet + containerd) on this machine, the
 * operator's image from `make image` and `mysql:latest` served by a local
 * registry; then the walk-through's own commands (e2e/walkthrough/steps.sh):
 * helm install, kubectl apply -f mysql.yaml, the ConfigMap, the
 * AtlasMigration, kubectl wait, and `kubectl exec … mysql -e "describe …"`.
 * Everything is removed at the end, host changes included.
 *
 *   npx tsx e2e/demo-pods.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWalkthroughSteps, startPodCluster, type PodCluster } from './pod-cluster';

async function main(): Promise<void> {
  process.stdout.write('== building or reusing the node, the operator image and mysql:latest; starting a control plane with a node\n');
  const started = Date.now();
  const cluster: PodCluster = await startPodCluster();
  process.stdout.write(
    `node ${cluster.nodeName} Ready with cluster DNS in ${cluster.startSeconds.toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(1)} s with the images)\n` +
      `operator image ${cluster.operatorImage.name} ${cluster.operatorImage.digest}\n\n`,
  );
  const work = mkdtempSync(join(tmpdir(), 'demo-pods-'));
  try {
    await runWalkthroughSteps(cluster, work, true);
    process.stdout.write('\n== the walk-through ran as published; stopping the node and the control plane\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
    await cluster.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
