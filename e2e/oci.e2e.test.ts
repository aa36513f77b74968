/**
 * spec.dir.oci against a real registry: the CNCF distribution registry with
 * TLS (a CA made here, given to the operator by caSecretRef) and htpasswd
 * auth (a kubernetes.io/dockerconfigjson pull Secret), artifacts pushed by
 * the real oras CLI, the operator reconciling SQLite databases:
 * - 10,000 files (~20 MB) pushed as a folder (one tar+gzip layer) and
 *   applied; the same pulled by the client alone, timed;
 * - 200 files pushed as 201 layers, one per file;
 * - a missing pull Secret named in the reason, Ready once it is created;
 *   no pull Secret at all; no CA;
 * - a blob tampered with in the registry's storage: refused, both digests
 *   named, the database untouched; repaired, applied at the next resync
 *   (no watch sees a registry); a digest the registry does not have;
 * - a tag pushed again: the next resync (one HEAD) applies the new files.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { directoryFromEntries } from '../operator/migrate/directory';
import { OciPuller } from '../operator/oci/puller';
import { usePrivateTmpdir } from './databases/private-tmpdir';
import { startRegistry, type TestRegistry } from './oci-registry';
import { condition, failedWith, getMigration, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';

usePrivateTmpdir();

const NS = 'oci';
const ARTIFACT_TYPE = 'application/vnd.atlas.migrations.v1';
const FOLDER_TYPE = 'application/vnd.atlas.migrations.dir.v1.tar+gzip';

let cluster: OperatorCluster;
let registry: TestRegistry;
const work = mkdtempSync(join(tmpdir(), 'oci-e2e-'));

/** A migrations folder: `count` files of about `bytes` each (a tiny INSERT and incompressible padding), with atlas.sum. */
function writeMigrations(folder: string, count: number, bytes: number, first = 1): Record<string, string> {
  mkdirSync(folder, { recursive: true });
  const files: Record<string, string> = {};
  for (let i = first; i < first + count; i++) {
    let pad = '';
    for (let h = createHash('sha256').update(String(i)).digest('hex'); pad.length < bytes; h = createHash('sha256').update(h).digest('hex')) pad += `-- ${h}\n`;
    const name = `${String(i).padStart(5, '0')}_m.sql`;
    files[name] = `${i === 1 ? 'CREATE TABLE t (id int);\n' : ''}${pad}INSERT INTO t (id) VALUES (${i});\n`;
  }
  return files;
}

function saveFolder(folder: string, files: Record<string, string>): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  writeFileSync(join(folder, 'atlas.sum'), directoryFromEntries(Object.entries(files), folder).computedSum().format());
}

function apply(name: string, oci: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  const db = join(work, `${name}.db`);
  const resource = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace: NS }, spec: { url: `sqlite://${db}`, dir: { oci }, ...spec } };
  cluster.cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
  return db;
}

function ociSpec(repoTag: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ref: `${registry.host}/${repoTag}`, pullSecret: { name: 'registry-creds' }, caSecretRef: { name: 'registry-ca', key: 'ca.crt' }, ...extra };
}

function rows(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

async function resolve(repoTag: string): Promise<string> {
  return (await registry.oras(['resolve', `${registry.host}/${repoTag}`])).trim();
}

function secretArgs(name: string): string[] {
  return ['create', 'secret', 'docker-registry', name, '-n', NS, `--docker-server=${registry.host}`, `--docker-username=${registry.username}`, `--docker-password=${registry.password}`];
}

before(async () => {
  registry = await startRegistry();
  cluster = await startOperatorCluster({ install: 'apply', operatorArgs: ['--resync-period=3s'] });
  cluster.cp.kubectl(['create', 'namespace', NS]);
  cluster.cp.kubectl(secretArgs('registry-creds'));
  cluster.cp.kubectl(['create', 'secret', 'generic', 'registry-ca', '-n', NS, `--from-file=ca.crt=${registry.caFile}`]);
});

after(async () => {
  await cluster?.stop();
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('spec.dir.oci with a real registry and oras', () => {
  it('applies 10,000 files (~20 MB) pushed as a folder (one tar+gzip layer)', async () => {
    const folder = join(work, 'big', 'migrations');
    const files = writeMigrations(folder, 10_000, 2000);
    saveFolder(folder, files);
    let started = Date.now();
    await registry.oras(['push', '--artifact-type', ARTIFACT_TYPE, `${registry.host}/team/big:v1`, `migrations:${FOLDER_TYPE}`], join(work, 'big'));
    const pushMs = Date.now() - started;
    const digest = await resolve('team/big:v1');
    const total = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
    // The client alone, as the operator uses it, for the pull's own time.
    const puller = new OciPuller();
    started = Date.now();
    const pulled = await puller.pull({ reference: `${registry.host}/team/big:v1`, ca: registry.ca, credentials: { username: registry.username, password: registry.password }, maxBytes: 64 * 1024 * 1024 });
    const pullMs = Date.now() - started;
    puller.close();
    assert.equal(pulled.digest, digest);
    assert.equal(pulled.files.length, 10_001);
    started = Date.now();
    // One transaction for the run: the apply of 10,000 one-row files stays short (the pull is what is measured).
    const db = apply('big', ociSpec('team/big:v1'), { txMode: 'all' });
    const m = await waitForMigration(cluster.cp, NS, 'big', isReady, 600_000);
    const readyMs = Date.now() - started;
    assert.equal(m.status?.lastAppliedVersion, '10000');
    assert.equal(m.status?.observedDirDigest, digest);
    assert.equal(rows(db), 10_000);
    console.log(`10,000 files, ${(total / 1e6).toFixed(1)} MB (layer ${(pulled.storedBytes / 1e6).toFixed(1)} MB gzipped): oras push ${pushMs} ms, pull ${pullMs} ms, resource created → Ready ${readyMs} ms`);
  });

  it('applies 200 files pushed one layer per file', async () => {
    const folder = join(work, 'layers');
    const files = writeMigrations(folder, 200, 500);
    saveFolder(folder, files);
    await registry.oras(['push', '--artifact-type', ARTIFACT_TYPE, `${registry.host}/team/layers:v1`, ...Object.keys(files), 'atlas.sum'], folder);
    const manifest = JSON.parse(await registry.oras(['manifest', 'fetch', `${registry.host}/team/layers:v1`])) as { layers: unknown[] };
    assert.equal(manifest.layers.length, 201);
    const db = apply('layers', ociSpec('team/layers:v1'));
    const m = await waitForMigration(cluster.cp, NS, 'layers', isReady, 120_000);
    assert.equal(m.status?.lastAppliedVersion, '00200');
    assert.equal(m.status?.observedDirDigest, await resolve('team/layers:v1'));
    assert.equal(rows(db), 200);
  });

  it('names the missing pull Secret, and applies once it is created; says what to set without one or without the CA', async () => {
    const folder = join(work, 'creds', 'migrations');
    saveFolder(folder, writeMigrations(folder, 2, 100));
    await registry.oras(['push', '--artifact-type', ARTIFACT_TYPE, `${registry.host}/team/creds:v1`, `migrations:${FOLDER_TYPE}`], join(work, 'creds'));
    apply('creds', ociSpec('team/creds:v1', { pullSecret: { name: 'late-creds' } }));
    let m = await waitForMigration(cluster.cp, NS, 'creds', failedWith('ReadingMigrationData'));
    assert.equal(condition(m, 'Ready')?.message, `Secret "late-creds" not found in namespace "${NS}" (spec.dir.oci.pullSecret)`);
    cluster.cp.kubectl(secretArgs('late-creds'));
    m = await waitForMigration(cluster.cp, NS, 'creds', isReady);
    assert.equal(m.status?.lastAppliedVersion, '00002');

    apply('anonymous', ociSpec('team/creds:v1', { pullSecret: undefined }));
    m = await waitForMigration(cluster.cp, NS, 'anonymous', failedWith('ReadingMigrationData'));
    assert.match(condition(m, 'Ready')?.message ?? '', /^spec.dir.oci 127.0.0.1:\d+\/team\/creds:v1: manifest .*: the registry requires credentials \(401\); no pull Secret is set: name a kubernetes.io\/dockerconfigjson Secret in spec.dir.oci.pullSecret$/);
    apply('no-ca', ociSpec('team/creds:v1', { caSecretRef: undefined }));
    m = await waitForMigration(cluster.cp, NS, 'no-ca', failedWith('ReadingMigrationData'));
    assert.match(condition(m, 'Ready')?.message ?? '', /TLS to 127.0.0.1:\d+ failed: .*give the registry's CA in spec.dir.oci.caSecretRef/);
    assert.ok(!cluster.operator.output().includes(registry.password), 'the registry password appears in the operator output');
  });

  it('refuses a blob tampered with in the registry, naming it and both digests, and applies at a resync once it is repaired; refuses a digest the registry does not have', async () => {
    const folder = join(work, 'tamper');
    const files = writeMigrations(folder, 3, 100);
    saveFolder(folder, files);
    await registry.oras(['push', `${registry.host}/team/tamper:v1`, ...Object.keys(files), 'atlas.sum'], folder);
    const digest = await resolve('team/tamper:v1');
    const manifest = JSON.parse(await registry.oras(['manifest', 'fetch', `${registry.host}/team/tamper:v1`])) as { layers: { digest: string; annotations: Record<string, string> }[] };
    const layer = manifest.layers.find((l) => l.annotations['org.opencontainers.image.title'] === '00002_m.sql');
    assert.ok(layer !== undefined);
    const hex = layer.digest.slice('sha256:'.length);
    const data = join(registry.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const original = readFileSync(data);
    const evil = Buffer.from('DROP TABLE t;\n'.padEnd(statSync(data).size, ' '));
    writeFileSync(data, evil);
    const evilDigest = `sha256:${createHash('sha256').update(evil).digest('hex')}`;
    apply('tampered', ociSpec(`team/tamper@${digest}`));
    const m = await waitForMigration(cluster.cp, NS, 'tampered', failedWith('ReadingMigrationData'));
    assert.match(condition(m, 'Ready')?.message ?? '', new RegExp(`blob of layer \\d+ \\("00002_m.sql", ${layer.digest}\\): the registry sent content with digest ${evilDigest}, expected ${layer.digest}`));
    assert.equal(m.status?.observedDirDigest, undefined, 'only a directory read whole is recorded');
    assert.deepEqual(readdirSync(work).filter((f) => f === 'tampered.db'), [], 'nothing connected to the database');
    // Nothing in the cluster changes when the registry is repaired: the resync tries again.
    writeFileSync(data, original);
    const repaired = await waitForMigration(cluster.cp, NS, 'tampered', isReady, 30_000);
    assert.equal(repaired.status?.observedDirDigest, digest);
    assert.equal(rows(join(work, 'tampered.db')), 3);

    const other = `sha256:${'0'.repeat(64)}`;
    apply('unknown-digest', ociSpec(`team/tamper@${other}`));
    const u = await waitForMigration(cluster.cp, NS, 'unknown-digest', (x) => condition(x, 'Ready')?.reason === 'ReadingMigrationData');
    assert.match(condition(u, 'Ready')?.message ?? '', new RegExp(`^spec.dir.oci 127.0.0.1:\\d+/team/tamper@${other}: manifest .*: not found \\(404: MANIFEST_UNKNOWN: manifest unknown\\)$`));
  });

  it('applies a moved tag at the next resync', async () => {
    const folder = join(work, 'moving', 'migrations');
    const files = writeMigrations(folder, 2, 100);
    saveFolder(folder, files);
    await registry.oras(['push', '--artifact-type', ARTIFACT_TYPE, `${registry.host}/team/moving:v1`, `migrations:${FOLDER_TYPE}`], join(work, 'moving'));
    const first = await resolve('team/moving:v1');
    const db = apply('moving', ociSpec('team/moving:v1'));
    let m = await waitForMigration(cluster.cp, NS, 'moving', isReady);
    assert.equal(m.status?.observedDirDigest, first);
    assert.equal(m.status?.lastAppliedVersion, '00002');
    saveFolder(folder, { ...files, ...writeMigrations(join(work, 'moving', 'more'), 1, 100, 3) });
    await registry.oras(['push', '--artifact-type', ARTIFACT_TYPE, `${registry.host}/team/moving:v1`, `migrations:${FOLDER_TYPE}`], join(work, 'moving'));
    const second = await resolve('team/moving:v1');
    assert.notEqual(second, first);
    const pushed = Date.now();
    // What the operator said about this resource since the push, for any failure below.
    const story = (): string =>
      cluster.operator
        .logs()
        .filter((l) => l.resource === `${NS}/moving` && Date.parse(l.time) >= pushed - 1_000)
        .map((l) => `${l.time} ${l.msg}${l.err === undefined ? '' : `: ${JSON.stringify(l.err)}`}`)
        .join('\n');
    try {
      m = await waitForMigration(cluster.cp, NS, 'moving', (x) => x.status?.lastAppliedVersion === '00003' && isReady(x), 30_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nthe operator's lines for ${NS}/moving:\n${story()}`);
    }
    assert.equal(m.status?.observedDirDigest, second);
    assert.equal(rows(db), 3);
    assert.ok(cluster.operator.logs().some((l) => l.msg === 'the OCI tag names another manifest since the last reconcile' && l.resource === `${NS}/moving`), `the resync noticed the tag; the operator's lines for ${NS}/moving:\n${story()}`);
    assert.equal(getMigration(cluster.cp, NS, 'moving').status?.failed, 0);
  });
});
