import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TYPES_PATH, generatedTypes } from './codegen/generate';
import { atlasMigrationCrd, resourceSchema } from './crd';
import type { SchemaNode } from './schema-helpers';
import { CEL_MIRRORS, validateAtlasMigration } from './validate';

/** The AtlasMigration of the seed walk-through, as written there. */
const seed = () => ({
  apiVersion: 'db.atlasgo.io/v1alpha1',
  kind: 'AtlasMigration',
  metadata: { name: 'atlas-migration' },
  spec: { urlFrom: { secretKeyRef: { key: 'url', name: 'mysql-credentials' } }, dir: { configMapRef: { name: 'migrations' } } },
});

function walk(node: SchemaNode, at: string, visit: (n: SchemaNode, at: string) => void): void {
  visit(node, at);
  for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${at}.${k}`, visit);
  if (node.items !== undefined) walk(node.items, `${at}[]`, visit);
  if (node.additionalProperties !== undefined && typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${at}{}`, visit);
}

describe('AtlasMigration validation', () => {
  it('accepts the seed walk-through resource and fills defaults', () => {
    const r = seed();
    const result = validateAtlasMigration(r);
    assert.deepEqual(result.errors, []);
    const spec = r.spec as Record<string, unknown>;
    assert.equal(spec.execOrder, 'linear');
    assert.equal(spec.txMode, 'file');
    assert.equal(spec.lockTimeout, '10s');
    assert.equal(spec.backoffLimit, 20);
  });

  const invalid: [string, (r: ReturnType<typeof seed>) => void, RegExp][] = [
    ['both url and urlFrom', (r) => Object.assign(r.spec, { url: 'mysql://h/db' }), /spec: exactly one of url, urlFrom or credentials must be set/],
    ['no database at all', (r) => delete (r.spec as Partial<typeof r.spec>).urlFrom, /spec: exactly one of url, urlFrom or credentials must be set/],
    ['unknown execOrder', (r) => Object.assign(r.spec, { execOrder: 'random' }), /spec\.execOrder: must be one of linear, linear-skip, non-linear/],
    ['wrong type', (r) => Object.assign(r.spec, { backoffLimit: 'many' }), /spec\.backoffLimit: must be integer/],
    ['missing dir', (r) => delete (r.spec as Partial<typeof r.spec>).dir, /spec\.dir: required/],
    ['two directory sources', (r) => Object.assign(r.spec.dir, { local: { '1.sql': 'x' } }), /spec\.dir: dir needs exactly one of/],
    ['a misspelled field', (r) => Object.assign(r.spec, { execorder: 'linear' }), /spec\.execorder: unknown field/],
    ['a bad lock timeout', (r) => Object.assign(r.spec, { lockTimeout: 'ten seconds' }), /spec\.lockTimeout: must match pattern/],
    ['a secret reference without key', (r) => Object.assign(r.spec.urlFrom.secretKeyRef, { key: undefined }), /spec\.urlFrom\.secretKeyRef\.key: required/],
  ];
  for (const [name, mutate, message] of invalid) {
    it(`rejects ${name}`, () => {
      const r = seed();
      mutate(r);
      const result = validateAtlasMigration(JSON.parse(JSON.stringify(r)));
      assert.equal(result.valid, false);
      assert.ok(result.errors.some((e) => message.test(e)), result.errors.join('\n'));
    });
  }

  const oci = (o: Record<string, unknown>) => ({ ...seed(), spec: { url: 'sqlite://x', dir: { oci: o } } });
  it('accepts spec.dir.oci with a tag or a digest, maxSize as bytes or a quantity', () => {
    for (const o of [
      { ref: 'registry.example.com/team/m:v2', pullSecret: { name: 'pull' }, maxSize: '64Mi' },
      { ref: `127.0.0.1:5000/m@sha256:${'a'.repeat(64)}`, insecure: true, maxSize: 1048576 },
      { ref: 'r.example.com/m:v1', caSecretRef: { name: 'ca', key: 'ca.crt' } },
    ]) {
      assert.deepEqual(validateAtlasMigration(oci(o)).errors, [], JSON.stringify(o));
    }
  });
  it('refuses a bad spec.dir.oci', () => {
    const errors = (o: Record<string, unknown>) => validateAtlasMigration(oci(o)).errors.join('\n');
    assert.match(errors({ ref: 'r.example.com/m:v1', insecure: true, caSecretRef: { name: 'ca', key: 'k' } }), /spec\.dir\.oci: insecure \(plain HTTP\) and caSecretRef \(TLS\) exclude each other/);
    assert.match(errors({ ref: 'no spaces/x y' }), /spec\.dir\.oci\.ref: must match pattern/);
    assert.match(errors({ ref: 'r.example.com/m:v1', maxSize: '64MB' }), /spec\.dir\.oci\.maxSize: must match pattern/);
    assert.match(errors({ ref: 'r.example.com/m:v1', maxSize: 0 }), /spec\.dir\.oci\.maxSize: must be >= 1/);
    assert.match(errors({}), /spec\.dir\.oci\.ref: required/);
    const both = { ...seed(), spec: { url: 'sqlite://x', dir: { oci: { ref: 'r.example.com/m:v1' }, local: {} } } };
    assert.match(validateAtlasMigration(both).errors.join('\n'), /spec\.dir: dir needs exactly one of configMapRef, configMapRefs, local, oci or remote/);
  });

  it('accepts credentials and inline directories', () => {
    const r = { ...seed(), spec: { credentials: { scheme: 'postgres', host: 'db', passwordFrom: { secretKeyRef: { name: 's', key: 'p' } } }, dir: { local: { '1.sql': 'SELECT 1;' } } } };
    assert.deepEqual(validateAtlasMigration(r).errors, []);
  });
});

describe('the CRD schema', () => {
  it('is structural: every node typed (or keeping unknown fields) and described', () => {
    walk(resourceSchema(), 'root', (n, at) => {
      assert.ok(n.type !== undefined || n['x-kubernetes-preserve-unknown-fields'] === true || n['x-kubernetes-int-or-string'] === true, `${at} has no type`);
      // metadata is the one node the apiserver forbids describing.
      if (at !== 'root.metadata') assert.ok(typeof n.description === 'string' && n.description.length > 0, `${at} has no description`);
      assert.ok(!(n.properties !== undefined && Object.keys(n.properties).length > 0 && n.additionalProperties !== undefined), `${at} mixes properties and additionalProperties`);
    });
  });

  it('has a TypeScript mirror for every CEL rule', () => {
    walk(resourceSchema(), 'root', (n, at) => {
      for (const v of n['x-kubernetes-validations'] ?? []) assert.ok(CEL_MIRRORS[v.rule] !== undefined, `${at}: no mirror for ${v.rule}`);
    });
  });

  it('declares names, status subresource and printer columns', () => {
    const crd = atlasMigrationCrd() as { metadata: { name: string }; spec: { scope: string; names: { shortNames: string[] }; versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[] } };
    assert.equal(crd.metadata.name, 'atlasmigrations.db.atlasgo.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names.shortNames, ['atlasmig']);
    assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
    assert.deepEqual(crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name), ['Ready', 'Reason', 'Version', 'Pending', 'Age']);
  });
});

it('the generated TypeScript types are up to date (make generate)', async () => {
  assert.equal(readFileSync(TYPES_PATH, 'utf8'), await generatedTypes());
});
