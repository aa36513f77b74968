import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateAtlasMigration } from '../../operator/api/validate';
import { buildSeedApp } from './seed-app';

const SEED_DIR = join(__dirname, '..', '..', 'operator', 'migrate', 'testdata', 'seed');

it('synthesizes the seed walk-through\'s ConfigMap and AtlasMigration from TypeScript', () => {
  const app = buildSeedApp(SEED_DIR, Testing.app().outdir);
  const docs = Testing.synth(app.charts[0] as never) as { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: unknown }[];
  const configMap = docs.find((d) => d.kind === 'ConfigMap');
  const migration = docs.find((d) => d.kind === 'AtlasMigration');
  assert.equal(configMap?.metadata.name, 'migrations');
  assert.deepEqual(Object.keys(configMap?.data ?? {}), ['20230316085611.sql', '20230316090502.sql', 'atlas.sum']);
  assert.equal(configMap?.data?.['atlas.sum'], readFileSync(join(SEED_DIR, 'atlas.sum'), 'utf8'));
  const expected = parse(readFileSync(join(__dirname, 'seed-atlas-migration.yaml'), 'utf8')) as { metadata: unknown; spec: unknown };
  assert.deepEqual(migration?.metadata, expected.metadata);
  assert.deepEqual(migration?.spec, expected.spec);
  assert.deepEqual(validateAtlasMigration(migration).errors, []);
});

it('the seed\'s AtlasMigration YAML, as written there, passes our validator', () => {
  assert.deepEqual(validateAtlasMigration(parse(readFileSync(join(__dirname, 'seed-atlas-migration.yaml'), 'utf8'))).errors, []);
});
