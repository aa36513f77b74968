/**
 * The reconcile steps before any database: the spec, the target URL and
 * the directory, against an in-memory stand-in for Secrets and ConfigMaps.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { directoryFromEntries } from '../../migrate/directory';
import { ApiError } from '../kube/api-client';
import { apiFailureKind } from './api-failure';
import { ApprovalHeldError } from './approval-held';
import type { PlanReview } from '../plan-review';
import type { ConfigMapObject, ObjectReader } from './object-reader';
import { CachingObjectReader } from './config-map-cache';
import { readDirectory } from './read-directory';
import { readSpec } from './read-spec';
import { resolveTarget } from './resolve-target';
import { StepError } from './step-error';
import { b64, reader, stepError } from './steps.test-kit';

const FILES = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };
const SUM = directoryFromEntries(Object.entries(FILES), 'x').computedSum().format();

describe('readSpec', () => {
  it('fills the defaults and accepts the walk-through\'s spec', () => {
    const r = readSpec({ spec: { urlFrom: { secretKeyRef: { key: 'url', name: 'mysql-credentials' } }, dir: { configMapRef: { name: 'migrations' } } } }, 'default/atlas-migration');
    assert.deepEqual(r.options, { revisionsSchema: undefined, baseline: undefined, execOrder: 'linear', txMode: 'file', lockTimeoutMs: 10_000, dryRun: false, backoffLimit: 20 });
    assert.deepEqual(r.unused, []);
  });

  it('invalid specs name the resource and the field', () => {
    assert.throws(() => readSpec({ spec: { url: 'x', urlFrom: { secretKeyRef: { key: 'k', name: 's' } }, dir: { local: {} } } }, 'ns/m'), stepError('InvalidSpec', 'permanent', /^ns\/m: invalid spec: spec: exactly one of url, urlFrom or credentials must be set$/));
    assert.throws(() => readSpec({ spec: { url: 'x', execOrder: 'random', dir: { local: {} } } }, 'ns/m'), stepError('InvalidSpec', 'permanent', /spec\.execOrder: must be one of linear, linear-skip, non-linear/));
    assert.throws(() => readSpec({ spec: { urlFrom: { secretKeyRef: { key: 'k' } }, dir: { local: {} } } }, 'ns/m'), stepError('InvalidSpec', 'permanent', /spec\.urlFrom\.secretKeyRef\.name: required/));
    assert.throws(() => readSpec({ spec: { credentials: { scheme: 'mysql' }, dir: { local: {} } } }, 'ns/m'), stepError('InvalidSpec', 'permanent', /host or hostFrom is required/));
  });

  it('fields this operator cannot serve are refused by name; harmless ones are reported as unused', () => {
    assert.throws(
      () => readSpec({ spec: { url: 'x', dir: { remote: { name: 'app' } }, cloud: { project: 'p' }, vars: [{ key: 'a', value: 'b' }] } }, 'ns/m'),
      stepError('UnsupportedField', 'permanent', /spec\.cloud \(Atlas Cloud\), spec\.dir\.remote \(Atlas Cloud directories\), spec\.vars/),
    );
    assert.throws(() => readSpec({ spec: { url: 'x', dir: { local: {} }, protectedFlows: { migrateDown: { allow: true } } } }, 'ns/m'), stepError('UnsupportedField', 'permanent', /down migrations/));
    assert.deepEqual(readSpec({ spec: { url: 'x', dir: { local: {} }, devURL: 'mysql://d', envName: 'k8s' } }, 'ns/m').unused, ['spec.devURL', 'spec.envName']);
  });
});

describe('readSpec: spec.approval', () => {
  const withApproval = (approval: object) => ({ spec: { url: 'x', dir: { local: {} }, approval } });

  it('absent: policy Never and the linter\'s default destructive set', () => {
    assert.deepEqual(readSpec({ spec: { url: 'x', dir: { local: {} } } }, 'ns/m').approval, { policy: 'Never', destructiveCodes: undefined });
    assert.deepEqual(readSpec(withApproval({}), 'ns/m').approval, { policy: 'Never', destructiveCodes: undefined });
  });

  it('keeps the policy and the codes as given', () => {
    const codes = ['DS*', 'CD101', 'BC1*', 'KM10*', '*'];
    assert.deepEqual(readSpec(withApproval({ policy: 'Destructive', destructiveCodes: codes }), 'ns/m').approval, { policy: 'Destructive', destructiveCodes: codes });
  });

  it('an unknown policy or a code that is not a code or prefix is refused, naming the field and the value', () => {
    assert.throws(() => readSpec(withApproval({ policy: 'Sometimes' }), 'ns/m'), stepError('InvalidSpec', 'permanent', /spec\.approval\.policy: must be one of Never, Destructive, Always/));
    assert.throws(
      () => readSpec(withApproval({ policy: 'Destructive', destructiveCodes: ['DS102', 'XX101', 'DS1', ' DS102', ''] }), 'ns/m'),
      stepError(
        'InvalidSpec',
        'permanent',
        /^ns\/m: invalid spec: spec\.approval\.destructiveCodes\[1\]: "XX101" is not a known lint code \(e\.g\. DS102\) or a prefix of one ending in \* \(e\.g\. DS\*\); spec\.approval\.destructiveCodes\[2\]: "DS1" is not .*\[3\]: " DS102" is not .*\[4\]: "" is not/,
      ),
    );
    // Codes match case-insensitively, as in `migrate lint`.
    assert.deepEqual(readSpec(withApproval({ destructiveCodes: ['ds102', 'km*'] }), 'ns/m').approval.destructiveCodes, ['ds102', 'km*']);
  });
});

describe('resolveTarget', () => {
  const spec = (over: object) => ({ dir: { local: {} }, ...over });

  it('reads the URL from its Secret key; the fingerprint and messages never hold the password', async () => {
    const t = await resolveTarget(spec({ urlFrom: { secretKeyRef: { name: 'db', key: 'url' } } }), 'ns', reader({ secrets: { db: { data: { url: b64('mysql://root:s3cret@mysql.default:3306/myapp\n') } } } }));
    assert.equal(t.url, 'mysql://root:s3cret@mysql.default:3306/myapp');
    assert.equal(t.fingerprint, 'mysql://root@mysql.default:3306/myapp?');
    assert.equal(t.database, 'mysql://mysql.default:3306/myapp');
    assert.ok(t.secrets.includes('s3cret'));
  });

  it('assembles credentials from parts and Secrets, escaping the password', async () => {
    const t = await resolveTarget(
      spec({ credentials: { scheme: 'postgres', user: 'app', passwordFrom: { secretKeyRef: { name: 'pw', key: 'p' } }, host: 'pg', port: 5432, database: 'd', parameters: { sslmode: 'disable' } } }),
      'ns',
      reader({ secrets: { pw: { data: { p: b64('p@ss:/w?rd') } } } }),
    );
    assert.equal(t.url, 'postgres://app:p%40ss%3A%2Fw%3Frd@pg:5432/d?sslmode=disable');
    assert.equal(t.parsed.password, 'p@ss:/w?rd');
  });

  it('a missing Secret or key is named with the field that points at it', async () => {
    const s = spec({ urlFrom: { secretKeyRef: { name: 'mysql-credentials', key: 'url' } } });
    await assert.rejects(resolveTarget(s, 'default', reader({})), stepError('ResolvingTarget', 'permanent', /^Secret "mysql-credentials" not found in namespace "default" \(spec\.urlFrom\.secretKeyRef\)$/));
    await assert.rejects(resolveTarget(s, 'default', reader({ secrets: { 'mysql-credentials': { data: { uri: b64('x') } } } })), stepError('ResolvingTarget', 'permanent', /has no key "url" \(spec\.urlFrom\.secretKeyRef\.key\)/));
    await assert.rejects(resolveTarget(s, 'default', reader({ fail: new ApiError(503, 'ServiceUnavailable', 'down') })), stepError('ResolvingTarget', 'transient', /down/));
    // A missing RBAC grant can be fixed without any change the watches would see: retried.
    await assert.rejects(resolveTarget(s, 'default', reader({ fail: new ApiError(403, 'Forbidden', 'no') })), stepError('ResolvingTarget', 'transient', /no/));
    await assert.rejects(resolveTarget(s, 'default', reader({ fail: new ApiError(422, 'Invalid', 'bad name') })), stepError('ResolvingTarget', 'permanent', /bad name/));
  });

  it('a Secret URL that does not parse never shows its password, even with / or ? in it', async () => {
    const bad = 'postgres://admin:S3cr/et!@db:notaport/app';
    const err = await resolveTarget(spec({ urlFrom: { secretKeyRef: { name: 'db', key: 'url' } } }), 'ns', reader({ secrets: { db: { data: { url: b64(bad) } } } })).catch((e: unknown) => e);
    assert.ok(err instanceof StepError);
    assert.ok(!err.message.includes('S3cr'), err.message);
    assert.deepEqual(err.secrets, [bad]);
  });

  it('a bad URL is refused without echoing its password', async () => {
    await assert.rejects(resolveTarget(spec({ url: 'oracle://u:pw@h/x' }), 'ns', reader({})), stepError('ResolvingTarget', 'permanent', /unsupported database URL scheme "oracle"/));
    await assert.rejects(resolveTarget(spec({ url: 'mysql://u:topsecret@/x' }), 'ns', reader({})), (e: unknown) => e instanceof StepError && !e.message.includes('topsecret'));
  });
});

describe('readDirectory', () => {
  const cm = (data: Record<string, string>, binaryData?: Record<string, string>): ConfigMapObject => ({ data, ...(binaryData === undefined ? {} : { binaryData }) });

  it('reads one ConfigMap and verifies atlas.sum', async () => {
    const d = await readDirectory({ dir: { configMapRef: { name: 'm' } } }, 'ns', reader({ configMaps: { m: cm({ ...FILES, 'atlas.sum': SUM }) } }));
    assert.deepEqual(d.directory.files.map((f) => f.name), ['1_a.sql', '2_b.sql']);
  });

  it('reads several ConfigMaps, with gzipped binaryData, as one directory', async () => {
    const d = await readDirectory(
      { dir: { configMapRefs: [{ name: 'one' }, { name: 'two' }] } },
      'ns',
      reader({ configMaps: { one: cm({ '1_a.sql': FILES['1_a.sql'], 'atlas.sum': SUM }), two: cm({}, { '2_b.sql.gz': gzipSync(FILES['2_b.sql']).toString('base64') }) } }),
    );
    assert.deepEqual(d.directory.files.map((f) => [f.name, f.bytes.toString()]), Object.entries(FILES));
    assert.equal(d.origin.get('2_b.sql'), 'ConfigMap ns/two');
  });

  it('a checksum mismatch names the file, the atlas.sum line and where it lives; nothing else is read', async () => {
    const edited = { ...FILES, '2_b.sql': 'CREATE TABLE b (id bigint);\n', 'atlas.sum': SUM };
    await assert.rejects(
      readDirectory({ dir: { configMapRef: { name: 'migrations' } } }, 'default', reader({ configMaps: { migrations: cm(edited) } })),
      stepError('ReadingMigrationData', 'permanent', /^checksum mismatch: L3: 2_b\.sql was edited \(atlas\.sum line 3 in ConfigMap default\/migrations\); re-hash the directory/),
    );
  });

  it('a missing ConfigMap, a file in two ConfigMaps, bad gzip and a missing atlas.sum are each named', async () => {
    await assert.rejects(readDirectory({ dir: { configMapRef: { name: 'nope' } } }, 'ns', reader({})), stepError('ReadingMigrationData', 'permanent', /ConfigMap "nope" not found in namespace "ns"/));
    const twice = reader({ configMaps: { a: cm({ '1_a.sql': 'x' }), b: cm({ '1_a.sql': 'y' }) } });
    await assert.rejects(readDirectory({ dir: { configMapRefs: [{ name: 'a' }, { name: 'b' }] } }, 'ns', twice), stepError('ReadingMigrationData', 'permanent', /"1_a\.sql" appears in both ConfigMap ns\/a and ConfigMap ns\/b/));
    const badGzip = reader({ configMaps: { a: cm({}, { '1_a.sql.gz': b64('not gzip') }) } });
    await assert.rejects(readDirectory({ dir: { configMapRef: { name: 'a' } } }, 'ns', badGzip), stepError('ReadingMigrationData', 'permanent', /binaryData "1_a\.sql\.gz" is not valid gzip/));
    await assert.rejects(readDirectory({ dir: { local: FILES } }, 'ns', reader({})), stepError('ReadingMigrationData', 'permanent', /^spec\.dir\.local: checksum file not found$/));
  });
});

describe('CachingObjectReader', () => {
  it('reuses a ConfigMap while the watch reports the version read; reads again when it moves', async () => {
    let reads = 0;
    let version = '1';
    const inner: ObjectReader = {
      secret: () => Promise.resolve(undefined),
      configMap: () => {
        reads++;
        return Promise.resolve({ metadata: { resourceVersion: version }, data: { 'atlas.sum': version } });
      },
    };
    let watched: string | undefined = undefined;
    const r = new CachingObjectReader(inner, () => watched);
    await r.configMap('ns', 'm');
    watched = '1';
    assert.equal((await r.configMap('ns', 'm'))?.data?.['atlas.sum'], '1');
    assert.equal(reads, 1);
    version = '2';
    watched = '2';
    assert.equal((await r.configMap('ns', 'm'))?.data?.['atlas.sum'], '2');
    assert.deepEqual([reads, r.hits], [2, 1]);
  });
});

describe('CachingObjectReader bounds (64 ConfigMaps, 32 MiB; none over 8 MiB kept)', () => {
  const MiB = 1024 * 1024;
  /** A reader whose ConfigMaps have `sizes[name]` bytes (default 1), all at version 1; counts reads per name. */
  function sized(sizes: Record<string, number> = {}) {
    const reads = new Map<string, number>();
    const inner: ObjectReader = {
      secret: () => Promise.resolve(undefined),
      configMap: (_ns, name) => {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        return Promise.resolve({ metadata: { resourceVersion: '1' }, data: { f: 'x'.repeat(sizes[name] ?? 1) } });
      },
    };
    const r = new CachingObjectReader(inner, () => '1');
    /** Reads `name` and says whether the API server was asked. */
    const read = async (name: string): Promise<boolean> => {
      const before = reads.get(name) ?? 0;
      await r.configMap('ns', name);
      return (reads.get(name) ?? 0) > before;
    };
    return { read };
  }

  it('keeps 64 ConfigMaps: a 65th evicts the oldest only', async () => {
    const c = sized();
    for (let i = 0; i < 65; i++) assert.equal(await c.read(`cm-${i}`), true);
    assert.equal(await c.read('cm-1'), false, 'the second oldest is still kept');
    assert.equal(await c.read('cm-64'), false);
    assert.equal(await c.read('cm-0'), true, 'the oldest was evicted');
  });

  it('keeps at most 32 MiB: a 7 MiB ConfigMap past the budget evicts the oldest, only as many as needed', async () => {
    const c = sized({ a: 7 * MiB, b: 7 * MiB, c: 7 * MiB, d: 7 * MiB, e: 7 * MiB, f: 3 * MiB });
    for (const n of ['a', 'b', 'c', 'd']) await c.read(n); // 28 MiB
    assert.equal(await c.read('a'), false, '28 MiB: all kept');
    await c.read('f'); // 31 MiB
    assert.equal(await c.read('b'), false, '31 MiB: all kept');
    await c.read('e'); // 38 MiB: the oldest (a) goes, 31 MiB left
    assert.equal(await c.read('b'), false);
    assert.equal(await c.read('a'), true, 'the oldest was evicted to stay under 32 MiB');
  });

  it('never keeps a ConfigMap over 8 MiB (a quarter of the budget); one of exactly 8 MiB is kept', async () => {
    const c = sized({ big: 8 * MiB + 1, edge: 8 * MiB });
    await c.read('big');
    assert.equal(await c.read('big'), true);
    await c.read('edge');
    assert.equal(await c.read('edge'), false);
  });

  it('counts binaryData too', async () => {
    let reads = 0;
    const inner: ObjectReader = {
      secret: () => Promise.resolve(undefined),
      configMap: () => {
        reads++;
        return Promise.resolve({ metadata: { resourceVersion: '1' }, binaryData: { f: 'x'.repeat(8 * MiB + 1) } });
      },
    };
    const r = new CachingObjectReader(inner, () => '1');
    await r.configMap('ns', 'bin');
    await r.configMap('ns', 'bin');
    assert.equal(reads, 2, 'over 8 MiB of binaryData: not kept');
  });
});

describe('apiFailureKind', () => {
  it('only a malformed request (400, 422) is permanent; RBAC, throttling, server and connection errors pass by themselves', () => {
    const kind = (status: number): string => apiFailureKind(new ApiError(status, 'Reason', `status ${status}`));
    assert.deepEqual([400, 422].map(kind), ['permanent', 'permanent']);
    assert.deepEqual([401, 403, 404, 409, 429, 500, 503].map(kind), Array(7).fill('transient'));
    assert.equal(apiFailureKind(new Error('socket hang up')), 'transient');
  });
});

describe('ApprovalHeldError', () => {
  it('names the plan hash and why it is held (policy Always, or destructive findings)', () => {
    const review = { hash: 'h1' } as PlanReview;
    assert.equal(new ApprovalHeldError(review, { kind: 'held', why: 'always' }).message, 'plan h1 waits for approval (policy Always)');
    assert.equal(new ApprovalHeldError(review, { kind: 'held', why: 'destructive' }).message, 'plan h1 waits for approval (destructive findings)');
  });
});

describe('StepError', () => {
  it('starts with no secrets to scrub and as a failure inside the cluster (which a watch sees fixed)', () => {
    const e = new StepError('ResolvingTarget', 'permanent', 'Secret "db" not found');
    assert.deepEqual(e.secrets, []);
    assert.equal(e.outsideCluster, false);
    assert.equal(e.code, 'Step');
    assert.equal(e.message, 'Secret "db" not found');
  });
});
