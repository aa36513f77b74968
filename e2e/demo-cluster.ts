/**
 * `make demo`, cluster part: the walk-through's steps 1, 4 and 5 on a real
 * kube-apiserver + etcd (built from the Go module proxy): install our CRD and
 * operator manifests, create the migrations ConfigMap from the folder, the
 * credentials Secret and the AtlasMigration, and list it. Waiting for Ready
 * (the rest of step 5) needs the reconciler, which has not landed yet.
 */
import { join } from 'node:path';
import { startControlPlane } from './controlplane/launcher';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const cp = await startControlPlane();
  const show = (title: string, args: string[], input?: string): void => {
    console.log(`\n$ kubectl ${args.join(' ')}${title === '' ? '' : `   # ${title}`}`);
    process.stdout.write(cp.kubectl(args, input === undefined ? {} : { input }));
  };
  try {
    console.log(`== a real kube-apiserver at ${cp.server}`);
    show('step 1: install (CRD + operator chart)', ['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml'), '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
    show('', ['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
    show('step 2: the database credentials', ['create', 'secret', 'generic', 'mysql-credentials', '--from-literal=url=mysql://root:pass@mysql:3306/myapp']);
    show('step 4: the migration directory', ['create', 'configmap', 'migrations', `--from-file=${join(ROOT, 'operator', 'migrate', 'testdata', 'seed')}`]);
    show('step 5: the AtlasMigration', ['apply', '-f', join(ROOT, 'manifests', 'examples', 'seed-atlas-migration.yaml')]);
    show('', ['get', 'atlasmigrations']);
    console.log('\n== step 5 (kubectl wait --for=condition=Ready): not yet — the reconciler is a later issue.');
  } finally {
    await cp.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
