/**
 * readDirectory beyond the walk-through: binaryData as bytes, each refusal
 * naming the object (and, for a checksum, where the file and atlas.sum
 * live), API failures keeping their kind, and spec.dir.oci without a client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryFromEntries } from '../../migrate/directory';
import { ChecksumMismatchError } from '../../migrate/errors';
import { ApiError } from '../kube/api-client';
import type { ConfigMapObject } from './object-reader';
import { readDirectory } from './read-directory';
import { b64, reader, stepError } from './steps.test-kit';

const FILES = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };
const SUM = directoryFromEntries(Object.entries(FILES), 'x').computedSum().format();
const cm = (data: Record<string, string>, binaryData?: Record<string, string>): ConfigMapObject => ({ data, ...(binaryData === undefined ? {} : { binaryData }) });

describe('readDirectory: sources', () => {
  it('binaryData without .gz is a file as its bytes', async () => {
    const d = await readDirectory({ dir: { configMapRef: { name: 'm' } } }, 'ns', reader({ configMaps: { m: cm({ '1_a.sql': FILES['1_a.sql'], 'atlas.sum': SUM }, { '2_b.sql': b64(FILES['2_b.sql']) }) } }));
    assert.deepEqual(d.directory.files.map((f) => [f.name, f.bytes.toString()]), Object.entries(FILES));
    assert.equal(d.origin.get('2_b.sql'), 'ConfigMap ns/m');
    assert.deepEqual(d.secrets, []);
    assert.equal(d.digest, undefined);
    assert.equal(d.moved, undefined);
  });

  it('spec.dir.local: its files, each from spec.dir.local', async () => {
    const d = await readDirectory({ dir: { local: { ...FILES, 'atlas.sum': SUM } } }, 'ns', reader({}));
    assert.deepEqual(d.directory.files.map((f) => f.name), ['1_a.sql', '2_b.sql']);
    assert.equal(d.origin.get('1_a.sql'), 'spec.dir.local');
  });

  it('reads the ConfigMaps of the resource\'s namespace, each once', async () => {
    const reads: string[] = [];
    await readDirectory({ dir: { configMapRefs: [{ name: 'one' }, { name: 'two' }] } }, 'team', reader({ configMaps: { one: cm({ '1_a.sql': FILES['1_a.sql'], 'atlas.sum': SUM }), two: cm({ '2_b.sql': FILES['2_b.sql'] }) }, reads }));
    assert.deepEqual(reads.sort(), ['ConfigMap team/one', 'ConfigMap team/two']);
  });
});

describe('readDirectory: refusals', () => {
  it('no source at all, or an empty configMapRefs list, says what to set', async () => {
    for (const dir of [{}, { configMapRefs: [] }]) {
      await assert.rejects(readDirectory({ dir }, 'ns', reader({})), stepError('ReadingMigrationData', 'permanent', /^no directory specified: set spec\.dir\.configMapRef, configMapRefs, local or oci$/));
    }
  });

  it('spec.dir.oci in a process without a registry client says so', async () => {
    await assert.rejects(readDirectory({ dir: { oci: { ref: 'r.example/x:1' } } }, 'ns', reader({})), stepError('ReadingMigrationData', 'permanent', /^spec\.dir\.oci: this process has no registry client$/));
  });

  it('a failed ConfigMap read names it and keeps the API\'s kind: a malformed request waits, the rest retry', async () => {
    const s = { dir: { configMapRef: { name: 'm' } } };
    await assert.rejects(readDirectory(s, 'ns', reader({ fail: new ApiError(503, 'ServiceUnavailable', 'apiserver busy') })), stepError('ReadingMigrationData', 'transient', /^reading ConfigMap ns\/m: .*apiserver busy/));
    await assert.rejects(readDirectory(s, 'ns', reader({ fail: new ApiError(422, 'Invalid', 'bad name') })), stepError('ReadingMigrationData', 'permanent', /^reading ConfigMap ns\/m: .*bad name/));
  });

  it('a file edited in another ConfigMap than atlas.sum names both', async () => {
    const configMaps = { one: cm({ '1_a.sql': FILES['1_a.sql'], 'atlas.sum': SUM }), two: cm({ '2_b.sql': 'CREATE TABLE b (id bigint);\n' }) };
    await assert.rejects(
      readDirectory({ dir: { configMapRefs: [{ name: 'one' }, { name: 'two' }] } }, 'ns', reader({ configMaps })),
      stepError('ReadingMigrationData', 'permanent', /^checksum mismatch: L3: 2_b\.sql was edited \(atlas\.sum line 3 in ConfigMap ns\/one; the file is in ConfigMap ns\/two\); re-hash the directory \('atlas migrate hash' or 'atlas-k8s-migrator migrate hash'\) and update ConfigMap ns\/one$/),
    );
  });

  it('a file removed after hashing is named (removed), with no other place to look for it', async () => {
    const without = { '1_a.sql': FILES['1_a.sql'] };
    const err = await readDirectory({ dir: { configMapRef: { name: 'm' } } }, 'ns', reader({ configMaps: { m: cm({ ...without, 'atlas.sum': SUM }) } })).catch((e: unknown) => e);
    assert.ok(stepError('ReadingMigrationData', 'permanent', /^checksum mismatch: L3: 2_b\.sql was removed \(atlas\.sum line 3 in ConfigMap ns\/m\); re-hash/)(err), String(err));
    assert.ok(!(err as Error).message.includes('the file is in'), (err as Error).message);
  });

  it('the underlying error is kept as the cause (API read, gzip, checksum)', async () => {
    const api = new ApiError(503, 'ServiceUnavailable', 'busy');
    const causes = await Promise.all([
      readDirectory({ dir: { configMapRef: { name: 'm' } } }, 'ns', reader({ fail: api })).catch((e: unknown) => (e as Error).cause),
      readDirectory({ dir: { configMapRef: { name: 'a' } } }, 'ns', reader({ configMaps: { a: cm({}, { '1_a.sql.gz': b64('not gzip') }) } })).catch((e: unknown) => (e as Error).cause),
      readDirectory({ dir: { local: { ...FILES, '2_b.sql': 'x', 'atlas.sum': SUM } } }, 'ns', reader({})).catch((e: unknown) => (e as Error).cause),
    ]);
    assert.equal(causes[0], api);
    assert.ok(causes[1] instanceof Error && /incorrect header check/.test(causes[1].message), String(causes[1]));
    assert.ok(causes[2] instanceof ChecksumMismatchError);
    const missing = await readDirectory({ dir: { configMapRef: { name: 'nope' } } }, 'ns', reader({})).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e as Error,
    );
    assert.equal(missing.cause, undefined, 'a refusal of our own has no cause');
  });

  it('an atlas.sum whose own total is wrong: the bare mismatch, and where to update it', async () => {
    const badTotal = SUM.replace(/^h1:[^\n]+/, `h1:${Buffer.alloc(32).toString('base64')}`);
    await assert.rejects(
      readDirectory({ dir: { local: { ...FILES, 'atlas.sum': badTotal } } }, 'ns', reader({})),
      stepError('ReadingMigrationData', 'permanent', /^checksum mismatch; re-hash the directory \('atlas migrate hash' or 'atlas-k8s-migrator migrate hash'\) and update spec\.dir\.local$/),
    );
  });

  it('a file added without re-hash is named (added), in the ConfigMap that holds atlas.sum', async () => {
    await assert.rejects(
      readDirectory({ dir: { configMapRef: { name: 'm' } } }, 'ns', reader({ configMaps: { m: cm({ ...FILES, '3_c.sql': 'SELECT 1;\n', 'atlas.sum': SUM }) } })),
      stepError('ReadingMigrationData', 'permanent', /^checksum mismatch: L4: 3_c\.sql was added \(atlas\.sum line 4 in ConfigMap ns\/m\);/),
    );
  });

  it('other directory errors are prefixed with where the directory comes from: several ConfigMaps joined by +', async () => {
    const configMaps = { one: cm({ '1_a.sql': FILES['1_a.sql'] }), two: cm({ '2_b.sql': FILES['2_b.sql'] }) };
    await assert.rejects(readDirectory({ dir: { configMapRefs: [{ name: 'one' }, { name: 'two' }] } }, 'ns', reader({ configMaps })), stepError('ReadingMigrationData', 'permanent', /^ConfigMap ns\/one\+two: checksum file not found$/));
    await assert.rejects(readDirectory({ dir: { configMapRef: { name: 'one' } } }, 'ns', reader({ configMaps })), stepError('ReadingMigrationData', 'permanent', /^ConfigMap ns\/one: checksum file not found$/));
  });
});
