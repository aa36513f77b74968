/**
 * What a reconcile reports besides the status: the metrics it counts and
 * times, the log lines an operator greps for, the events, and the resync
 * checks (database moved, OCI tag moved) as they log. Also the edges of
 * reading the resource (the watch's copy gone or being deleted between the
 * check and the attempt) and a database busy with another resource's run.
 * Same fakes as reconciler.test.ts (reconciler.test-kit.ts), with a logger
 * that keeps every line.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Histogram } from 'prom-client';
import type { AtlasMigrationSpec } from '../api/generated/atlasmigration-types';
import { Reason } from '../api/reasons';
import { LockTimeoutError } from '../migrate/dialects/errors';
import { makeRevision } from '../migrate/dialects/revision';
import { ApiError } from './kube/api-client';
import type { AtlasMigrationApi, AtlasMigrationObject } from './kube/resources';
import { valueOf } from './metrics';
import { Reconciler, type Trigger } from './reconciler';
import { harness, KEY, localDir, planOf, ready, useTempFolder, type Harness } from './reconciler.test-kit';
import type { OciDirectorySource } from './steps/read-oci';
import { resolveTarget } from './steps/resolve-target';

const SAFE = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };

/** A logger keeping each line's fields (without level, time and msg) by message. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'debug', base: undefined, timestamp: false }, sink);
  const withMessage = (msg: string): Record<string, unknown>[] =>
    lines.filter((l) => l.msg === msg).map(({ msg: _msg, level: _level, ...fields }) => fields);
  return { log, lines, withMessage };
}

/** Observations of a histogram (with these labels): how many, and their sum. */
async function timed(metric: Histogram<string>, labels: Readonly<Record<string, string>> = {}): Promise<{ count: number; sum: number }> {
  const { values } = await metric.get();
  const matching = (suffix: string): number =>
    values.filter((v) => v.metricName?.endsWith(suffix) === true && Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
  return { count: matching('_count'), sum: matching('_sum') };
}

const lockTimeout = (): Error => new LockTimeoutError('atlas_migrate_execute', 10);

/** Whether a wake-up with `trigger` makes an attempt. */
async function attempts(h: Harness, trigger: Trigger): Promise<boolean> {
  const before = h.attempts();
  await h.reconcile(trigger);
  return h.attempts() > before;
}

function remembered(h: Harness): ReadonlyMap<string, unknown> {
  return (h.reconciler as unknown as { memory: ReadonlyMap<string, unknown> }).memory;
}

describe('reconciler: what it reports', () => {
  useTempFolder('reconciler-reports-');

  it('a run that applies: counted, timed, logged and said in an event; one that finds nothing is counted unchanged', async () => {
    const c = capturedLog();
    const h = harness('applied', {}, { files: SAFE, log: c.log });
    await h.reconcile();
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'applied' }), 1);
    assert.equal(await valueOf(h.metrics.filesApplied), 2);
    assert.equal(await valueOf(h.metrics.statementsApplied), 2, 'one per statement done, not per statement started');
    assert.deepEqual([(await timed(h.metrics.migrationSeconds, { result: 'applied' })).count, (await timed(h.metrics.migrationSeconds, { result: 'failed' })).count], [1, 0]);
    const attempt = await timed(h.metrics.reconcileSeconds);
    assert.equal(attempt.count, 1);
    assert.ok(attempt.sum > 0 && attempt.sum < 60, `an attempt is timed in seconds: ${attempt.sum}`);
    assert.deepEqual(c.withMessage('applying'), [{ resource: KEY, target: h.url, from: null, files: 2, plan: planOf(SAFE), findings: 0, approval: 'none' }]);
    assert.deepEqual(c.withMessage('applied'), [{ resource: KEY, version: '2', files: 2 }]);
    assert.deepEqual(h.events, [{ type: 'Normal', reason: Reason.Applied, message: 'Applied 2 migrations, now at 2' }]);

    // Nothing changed: no attempt, counted as unchanged.
    assert.equal(await attempts(h, 'change'), false);
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'unchanged' }), 1);
    // After a restart the attempt finds nothing pending: unchanged again, not timed, no event.
    h.restart();
    assert.equal(await attempts(h, 'change'), true);
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'unchanged' }), 2);
    assert.equal((await timed(h.metrics.migrationSeconds, { result: 'applied' })).count, 1);
    assert.equal(h.events.length, 1);
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'applied' }), 1, 'not counted as applied');
    assert.equal(c.withMessage('applied').length, 1, 'no "applied" line for a run that applied nothing');

    // One more file: from version 2, said in the singular.
    h.cluster.edit((spec) => ({ ...spec, dir: { local: localDir({ ...SAFE, '3_c.sql': 'CREATE TABLE c (id int);\n' }) } }));
    await h.reconcile('change');
    assert.equal(c.withMessage('applying').at(-1)?.from, '2');
    assert.deepEqual(h.events.at(-1), { type: 'Normal', reason: Reason.Applied, message: 'Applied 1 migration, now at 3' });
    assert.equal(await valueOf(h.metrics.filesApplied), 3);
  });

  it('a failed run: counted by reason, timed as failed, logged with what comes next', async () => {
    const c = capturedLog();
    const h = harness('failed', {}, { files: SAFE, log: c.log });
    h.faults.lock = lockTimeout;
    await h.reconcile();
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'failed' }), 1);
    assert.equal(await valueOf(h.metrics.reconcileErrors, { reason: Reason.Migrating }), 1);
    assert.deepEqual([(await timed(h.metrics.migrationSeconds, { result: 'failed' })).count, (await timed(h.metrics.migrationSeconds, { result: 'applied' })).count], [1, 0]);
    assert.deepEqual(c.withMessage('reconcile failed'), [{ resource: KEY, reason: Reason.Migrating, kind: 'transient', failed: 1, trigger: 'change', next: 'retry', err: ready(h)?.message }]);
  });

  it('a dry run: counted, said in an event, never timed as applied, its plan shown unapproved', async () => {
    const h = harness('dry-run', { dryRun: true });
    await h.reconcile();
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'dry_run' }), 1);
    assert.deepEqual(h.events, [{ type: 'Normal', reason: Reason.DryRun, message: 'Dry run: 2 migration file(s) would be applied' }]);
    assert.equal((await timed(h.metrics.migrationSeconds)).count, 0);
    assert.equal(h.cluster.status.plan?.approved, false);
  });

  it('a plan that runs unapproved is published unapproved', async () => {
    const h = harness('unapproved', {});
    await h.reconcile();
    const published = h.cluster.patches.filter((p) => p.plan !== undefined && p.plan !== null);
    assert.ok(published.length > 0, 'a plan with findings is published before it runs');
    assert.ok(published.every((p) => p.plan?.approved === false));
  });

  it('a plan held for approval is not timed as a failed run; a failing status write is retried at the backoff base', async () => {
    const c = capturedLog();
    const h = harness('held', { approval: { policy: 'Always' } }, { files: SAFE, log: c.log });
    h.cluster.rejectPatch = () => true;
    assert.deepEqual(await h.reconcile(), { requeueAfterMs: 1000 });
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'approval_pending' }), 1);
    assert.equal((await timed(h.metrics.migrationSeconds)).count, 0);
    assert.deepEqual(c.withMessage('status write failed').map((l) => l.resource), [KEY]);
    assert.equal(remembered(h).size, 0);
    assert.deepEqual(h.events, [], 'said once the status says it');
  });

  it('a failing status write is logged, after a successful run and after a failed one', async () => {
    const c = capturedLog();
    const h = harness('write-fails', {}, { files: SAFE, log: c.log });
    h.cluster.rejectPatch = () => true;
    await h.reconcile();
    const [afterRun] = c.withMessage('status write after a successful run failed; retrying');
    assert.equal(afterRun?.resource, KEY);
    assert.match(String(afterRun?.err), /etcd is unavailable/);

    h.cluster.edit((spec) => ({ ...spec, dir: { local: localDir({ ...SAFE, '3_c.sql': 'CREATE TABLE c (id int);\n' }) } }));
    h.faults.lock = lockTimeout;
    await h.reconcile('change');
    const [afterFailure] = c.withMessage('status write failed');
    assert.equal(afterFailure?.resource, KEY);
    assert.match(String(afterFailure?.err), /etcd is unavailable/);
  });

  it('a deferred announcement or a progress write that fails is logged, and the run goes on', async () => {
    const c = capturedLog();
    const h = harness('writes-fail-during-run', {}, { files: SAFE, log: c.log, progressIntervalMs: 1 });
    let announced: () => void = () => undefined;
    let progressed: () => void = () => undefined;
    const bothTried = Promise.all([new Promise<void>((resolve) => (announced = resolve)), new Promise<void>((resolve) => (progressed = resolve))]);
    h.cluster.rejectPatch = (p) => {
      if (p.conditions?.some((x) => x.type === 'Ready' && x.reason === Reason.Reconciling) === true) return (announced(), true);
      if (p.progress !== undefined && p.progress !== null) return (progressed(), true);
      return false;
    };
    // The first statement waits until both writes were tried (and refused): the run is still going.
    h.faults.beforeStatement = () => bothTried.then(() => undefined);
    await h.reconcile();
    assert.deepEqual(c.withMessage('status write failed').map((l) => l.resource), [KEY]);
    assert.match(String(c.withMessage('status write failed')[0]?.err), /etcd is unavailable/);
    assert.match(String(c.withMessage('progress write failed')[0]?.err), /etcd is unavailable/);
    assert.equal(c.withMessage('progress write failed')[0]?.resource, KEY);
    assert.deepEqual(await h.tables(), ['a', 'b']);
    assert.equal(ready(h)?.status, 'True');
  });

  describe('the resync check of a Ready resource, as logged', () => {
    it('the database moved: expected and found versions; the revisions gone: found null; a check that fails: its error', async () => {
      const c = capturedLog();
      const h = harness('resync-logs', {}, { files: SAFE, log: c.log });
      await h.reconcile();
      assert.equal(await attempts(h, 'resync'), false);
      assert.deepEqual(c.withMessage('the database moved since the last reconcile'), [], 'nothing said while nothing moved');

      h.faults.lastRevision = (r) => (r === undefined ? r : makeRevision({ ...r, version: '9' }));
      assert.equal(await attempts(h, 'resync'), true);
      h.faults.lastRevision = () => undefined;
      assert.equal(await attempts(h, 'resync'), true);
      assert.deepEqual(c.withMessage('the database moved since the last reconcile'), [
        { resource: KEY, expected: '2', found: '9' },
        { resource: KEY, expected: '2', found: null },
      ]);

      h.faults.lastRevision = () => {
        throw new Error('no such table: atlas_schema_revisions');
      };
      assert.equal(await attempts(h, 'resync'), true);
      assert.deepEqual(c.withMessage('resync check failed; reconciling'), [{ resource: KEY, err: 'no such table: atlas_schema_revisions' }]);
    });

    it('a database without any revision, as the last run left it, has not moved', async () => {
      const h = harness('resync-empty', {}, { files: {} });
      await h.reconcile();
      assert.equal(ready(h)?.message, 'No migration files to execute');
      h.calls.length = 0;
      assert.equal(await attempts(h, 'resync'), false);
      assert.deepEqual(h.calls, ['last']);
    });
  });

  describe('spec.dir.oci by tag', () => {
    const D1 = `sha256:${'1'.repeat(64)}`;
    const D2 = `sha256:${'2'.repeat(64)}`;
    /** A registry stand-in: the tag resolves to `tagged` (or fails with `resolveError`). */
    function ociSource(files: Readonly<Record<string, string>>) {
      const state: { tagged: string; resolveError: Error | undefined; resolves: number } = { tagged: D1, resolveError: undefined, resolves: 0 };
      const source: OciDirectorySource = {
        pull: () =>
          Promise.resolve({
            reference: { registry: 'registry.example', endpoint: 'registry.example', repository: 'team/m', tag: 'v1' },
            digest: state.tagged,
            files: Object.entries(localDir(files)).map(([name, content], i) => ({ name, content: Buffer.from(content), origin: `layer ${i + 1}` })),
            storedBytes: 0,
            cached: false,
          }),
        resolve: () => {
          state.resolves++;
          return state.resolveError === undefined ? Promise.resolve(state.tagged) : Promise.reject(state.resolveError);
        },
      };
      return { source, state };
    }

    it('the digest read is recorded; a resync asks the registry and reconciles when the tag moved or the check failed', async () => {
      const c = capturedLog();
      const h = harness('oci', { dir: { oci: { ref: 'registry.example/team/m:v1' } } }, { files: SAFE, log: c.log });
      const oci = ociSource(SAFE);
      h.reconciler = new Reconciler({ ...h.deps, oci: oci.source });
      await h.reconcile();
      assert.equal(ready(h)?.status, 'True');
      assert.equal(h.cluster.status.observedDirDigest, D1);

      assert.equal(await attempts(h, 'resync'), false);
      assert.equal(oci.state.resolves, 1);
      assert.deepEqual(c.withMessage('the OCI tag names another manifest since the last reconcile'), []);

      oci.state.tagged = D2;
      assert.equal(await attempts(h, 'resync'), true);
      assert.deepEqual(c.withMessage('the OCI tag names another manifest since the last reconcile'), [{ resource: KEY }]);
      assert.equal(h.cluster.status.observedDirDigest, D2);

      oci.state.resolveError = new Error('registry.example: 503 Service Unavailable');
      assert.equal(await attempts(h, 'resync'), true);
      assert.deepEqual(c.withMessage('resync check of the OCI tag failed; reconciling'), [{ resource: KEY, err: 'registry.example: 503 Service Unavailable' }]);
    });

    it('moving from an OCI directory to another source clears observedDirDigest', async () => {
      const h = harness('oci-then-local', { dir: { oci: { ref: 'registry.example/team/m:v1' } } }, { files: SAFE });
      h.reconciler = new Reconciler({ ...h.deps, oci: ociSource(SAFE).source });
      await h.reconcile();
      assert.equal(h.cluster.status.observedDirDigest, D1);
      h.cluster.edit((spec) => ({ ...spec, dir: { local: localDir(SAFE) } }));
      await h.reconcile('change');
      assert.equal(ready(h)?.status, 'True');
      assert.ok(!('observedDirDigest' in h.cluster.status), JSON.stringify(h.cluster.status));
      const local = harness('local-only', {}, { files: SAFE });
      await local.reconcile();
      assert.ok(local.cluster.patches.every((p) => !('observedDirDigest' in p)), 'a resource never read from OCI gets no observedDirDigest at all');
    });
  });

  describe('reading the resource', () => {
    it('gone from the watch\'s cache between the check and the attempt: read from the API server by namespace and name', async () => {
      const h = harness('read-by-get', {}, { files: SAFE });
      const gets: [string, string][] = [];
      let cachedCalls = 0;
      h.reconciler = new Reconciler({
        ...h.deps,
        cached: () => (++cachedCalls === 1 ? h.cluster.object : undefined),
        resources: Object.assign(Object.create(h.deps.resources) as AtlasMigrationApi, {
          get: (namespace: string, name: string) => (gets.push([namespace, name]), h.cluster.api.get(namespace, name)),
        }),
      });
      await h.reconcile();
      assert.deepEqual(gets, [['ns', 'app']]);
      assert.equal(ready(h)?.status, 'True');
    });

    it('being deleted by the time of the attempt: the database is not touched', async () => {
      const h = harness('deleted-at-attempt', {}, { files: SAFE });
      const deleting = (): AtlasMigrationObject => ({ ...h.cluster.object, metadata: { ...h.cluster.object.metadata, deletionTimestamp: '2026-12-04T00:00:00Z' } });
      let cachedCalls = 0;
      h.reconciler = new Reconciler({ ...h.deps, cached: () => (++cachedCalls === 1 ? h.cluster.object : deleting()) });
      assert.deepEqual(await h.reconcile(), {});
      assert.deepEqual(h.calls, []);
      assert.equal(h.cluster.patches.length, 0);
    });

    it('being deleted after a run: what was remembered is forgotten, and nothing is counted', async () => {
      const h = harness('deleted-after-run', {}, { files: SAFE });
      await h.reconcile();
      assert.equal(remembered(h).size, 1);
      h.cluster.object = { ...h.cluster.object, metadata: { ...h.cluster.object.metadata, deletionTimestamp: '2026-12-04T00:00:00Z' } };
      await h.reconcile('change');
      assert.equal(remembered(h).size, 0);
      assert.equal(await valueOf(h.metrics.reconciles, { result: 'unchanged' }), undefined);
    });
  });

  describe('failures that come before the inputs hash', () => {
    /** A reader whose Secret read fails (a 500) while `failing.now` is set. */
    function secretReader(failing: { now: boolean }, url: string) {
      return {
        secret: () => (failing.now ? Promise.reject(new ApiError(500, 'InternalError', 'etcd is unavailable')) : Promise.resolve({ data: { url: Buffer.from(url).toString('base64') } })),
        configMap: () => Promise.resolve(undefined),
      };
    }

    it('keep counting: the hash of the last run is not taken for a change', async () => {
      const failing = { now: false };
      const h = harness('count-before-hash', { url: undefined, urlFrom: { secretKeyRef: { name: 'db', key: 'url' } } }, { files: SAFE });
      h.reconciler = new Reconciler({ ...h.deps, reader: secretReader(failing, h.url) });
      await h.reconcile();
      assert.equal(ready(h)?.status, 'True');
      failing.now = true;
      h.cluster.edit((spec) => spec); // a new generation, so the attempt is not skipped as unchanged
      await h.reconcile('change');
      await h.reconcile('retry');
      assert.equal(h.cluster.status.failed, 2);
      assert.equal(ready(h)?.reason, Reason.ResolvingTarget);
    });

    it('a cluster-side transient failure that gave up is still tried again on a resync', async () => {
      const failing = { now: true };
      const h = harness('give-up-cluster-side', { url: undefined, urlFrom: { secretKeyRef: { name: 'db', key: 'url' } }, backoffLimit: 1 }, { files: SAFE });
      h.reconciler = new Reconciler({ ...h.deps, reader: secretReader(failing, h.url) });
      await h.reconcile();
      await h.reconcile('retry');
      assert.equal(h.cluster.status.conditions?.find((x) => x.type === 'Stalled')?.status, 'True');
      assert.equal(await attempts(h, 'resync'), true);
    });
  });

  it('kept sessions: a run may take one unless its files may reset a session parameter to its default; a resync check never does', async () => {
    const seen: [string, boolean][] = [];
    for (const [name, files] of [
      ['plain', SAFE],
      // SQLite has no RESET: the word in a comment counts all the same (the test errs on the safe side).
      ['resets', { ...SAFE, '3_c.sql': '-- no RESET of anything\nCREATE TABLE c (id int);\n' }],
    ] as const) {
      const h = harness(`sessions-${name}`, {}, { files });
      const r = new Reconciler({ ...h.deps, openDriver: (url, o) => (seen.push([name, o.reuseSessions]), h.deps.openDriver(url, o)) });
      h.reconciler = r;
      await h.reconcile('change');
      assert.equal(ready(h)?.status, 'True', name);
      await h.reconcile('resync');
    }
    assert.deepEqual(seen, [['plain', true], ['plain', false], ['resets', false], ['resets', false]], 'run, then resync check, for each');
  });

  /** A run holding the database (released by hand) and, when `onDeck`, a first waiter already on deck (it runs at once after). */
  async function busyDatabase(h: Harness, onDeck: boolean) {
    const target = await resolveTarget(h.cluster.object.spec as AtlasMigrationSpec, 'ns', h.deps.reader);
    let release: () => void = () => undefined;
    const busy = h.deps.databases.run(target.database, () => new Promise<void>((resolve) => (release = resolve)));
    const first = onDeck ? h.deps.databases.tryRun(target.database, { holder: 'ns/first', wake: () => undefined, prepare: () => Promise.resolve(), run: () => Promise.resolve() }) : undefined;
    return { target, release: async () => (release(), await busy, await first) };
  }

  it('the first to find its database busy logs in while the run ahead goes on, parks without a worker, and runs the moment the database is free', async () => {
    const h = harness('busy-first', {}, { files: SAFE });
    const db = await busyDatabase(h, false);
    const pings: string[] = [];
    const parks: string[] = [];
    const r = new Reconciler({
      ...h.deps,
      openDriver: (url, o) => {
        const d = h.deps.openDriver(url, o);
        return new Proxy(d, { get: (t, prop) => (prop === 'ping' ? () => (pings.push('ping'), t.ping()) : (Reflect.get(t, prop) as unknown)) });
      },
      wake: () => assert.fail('the first waiter is not woken: it waits here'),
      park: async (wait) => (parks.push('parked'), wait),
    });
    let done = false;
    const reconciled = r.reconcile(KEY, 'change').then((x) => ((done = true), x));
    for (let i = 0; i < 50 && parks.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([pings, parks, h.calls, done], [['ping'], ['parked'], [], false], 'logged in and parked; no lock, nothing run');
    await db.release();
    assert.deepEqual(await reconciled, {});
    assert.equal(ready(h)?.status, 'True');
    assert.equal(h.calls[0], 'lock');
  });

  it('stopping by the time its turn comes: the parked resource starts nothing and writes nothing', async () => {
    const h = harness('busy-stopping', {}, { files: SAFE });
    const db = await busyDatabase(h, false);
    const stopping = new AbortController();
    const parks: string[] = [];
    const r = new Reconciler({ ...h.deps, shutdown: stopping.signal, wake: () => undefined, park: async (wait) => (parks.push('parked'), wait) });
    const reconciled = r.reconcile(KEY, 'change');
    for (let i = 0; i < 50 && parks.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    stopping.abort();
    await db.release();
    assert.deepEqual(await reconciled, {});
    assert.deepEqual(h.calls, [], 'no lock, no statement');
    assert.deepEqual(h.cluster.patches, [], 'no status written: not a failure');
  });

  it('a later one gives its worker back, logs why, and is woken when its turn comes', async () => {
    const c = capturedLog();
    const h = harness('busy', {}, { files: SAFE });
    const db = await busyDatabase(h, true);
    let woken: (k: [string, Trigger]) => void = () => undefined;
    const wakeUp = new Promise<[string, Trigger]>((resolve) => (woken = resolve));
    const r = new Reconciler({ ...h.deps, log: c.log, wake: (key, trigger) => woken([key, trigger]) });
    assert.deepEqual(await r.reconcile(KEY, 'retry'), {});
    assert.deepEqual(h.calls, [], 'the database is not touched');
    assert.deepEqual(c.withMessage('another run on the same database: waiting for it, without a worker'), [{ resource: KEY, target: h.url }]);
    await db.release();
    assert.deepEqual(await wakeUp, [KEY, 'retry']);
    await r.reconcile(KEY, 'retry');
    assert.equal(ready(h)?.status, 'True');
  });

  it('a resource that waited reads its Secret once: its turn takes the target resolved while waiting, unless the watch saw the Secret change', async () => {
    for (const changed of [false, true]) {
      const version = { now: '1' };
      const h = harness(`busy-secret-${changed}`, { url: undefined, urlFrom: { secretKeyRef: { name: 'db', key: 'url' } } }, { files: SAFE, refVersion: () => version.now });
      const reads: string[] = [];
      const reader = { secret: () => (reads.push('secret'), Promise.resolve({ data: { url: Buffer.from(h.url).toString('base64') } })), configMap: () => Promise.resolve(undefined) };
      const db = await busyDatabase({ ...h, deps: { ...h.deps, reader } }, true);
      let woken: () => void = () => undefined;
      const wakeUp = new Promise<void>((resolve) => (woken = resolve));
      const r = new Reconciler({ ...h.deps, reader, wake: () => woken() });
      assert.deepEqual(await r.reconcile(KEY, 'change'), {});
      assert.equal(reads.length, 2, 'the test’s own resolve, then the waiting attempt’s');
      await db.release();
      await wakeUp;
      if (changed) version.now = '2';
      await r.reconcile(KEY, 'change');
      assert.equal(ready(h)?.status, 'True');
      assert.equal(reads.length, changed ? 3 : 2, changed ? 'read again: the Secret changed' : 'not read again');
    }
  });

  it('a turn on the database kept for a resource that no longer needs it passes to the next one waiting', { timeout: 10_000 }, async () => {
    const h = harness('busy-then-deleted', {}, { files: SAFE });
    const db = await busyDatabase(h, true);
    let keyWoken: () => void = () => undefined;
    const keyWakeUp = new Promise<void>((resolve) => (keyWoken = resolve));
    const r = new Reconciler({ ...h.deps, wake: () => keyWoken() });
    await r.reconcile(KEY, 'retry');
    let otherWoken: () => void = () => undefined;
    const otherWakeUp = new Promise<void>((resolve) => (otherWoken = resolve));
    const other = (run: () => Promise<string>, wake: () => void) => h.deps.databases.tryRun(db.target.database, { holder: 'ns/other', wake, prepare: () => Promise.resolve(), run });
    assert.equal((await other(() => Promise.resolve('ran'), () => otherWoken())).ran, false);
    await db.release();
    await keyWakeUp; // the turn is kept for ns/app, the first in line
    h.cluster.gone = true;
    assert.deepEqual(await r.reconcile(KEY, 'retry'), {});
    await otherWakeUp; // passed on when ns/app's attempt ended without it (never, if it were kept)
    assert.equal((await other(() => Promise.resolve('ran'), () => undefined)).ran, true);
  });
});
