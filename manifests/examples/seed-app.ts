/**
 * An example of authoring resources in TypeScript with the classes
 * `cdk8s import` generated from our CRD: the seed walk-through's ConfigMap
 * (built from a migrations folder, atlas.sum included) and AtlasMigration.
 *
 *   npx tsx manifests/examples/seed-app.ts <migrations-folder> <outdir>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { AtlasMigration } from '../../imports/db.atlasgo.io';

/** The folder's migration files and atlas.sum, as a ConfigMap's data. */
export function migrationsData(folder: string): Record<string, string> {
  const names = readdirSync(folder).filter((n) => n.endsWith('.sql') || n === 'atlas.sum').sort();
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(folder, n), 'utf8')]));
}

export function buildSeedApp(folder: string, outdir?: string): App {
  const app = new App(outdir === undefined ? {} : { outdir });
  const chart = new Chart(app, 'seed');
  new k8s.KubeConfigMap(chart, 'migrations', { metadata: { name: 'migrations' }, data: migrationsData(folder) });
  new AtlasMigration(chart, 'atlas-migration', {
    metadata: { name: 'atlas-migration' },
    spec: {
      urlFrom: { secretKeyRef: { key: 'url', name: 'mysql-credentials' } },
      dir: { configMapRef: { name: 'migrations' } },
    },
  });
  return app;
}

if (require.main === module) {
  const [folder = 'migrations', outdir] = process.argv.slice(2);
  buildSeedApp(folder, outdir).synth();
}
