/**
 * The reconciler's decisions, each through a whole reconcile: a real SQLite
 * database in a temporary folder behind a recording driver that can be told
 * to fail, an in-memory API server and a recorded event stream (all in
 * reconciler.test-kit.ts). "An attempt" is a reconcile that got past the
 * nothing-changed check (each one ends in a status update; the check makes none).
 * The deferred Reconciling write runs on node:test's mocked setTimeout.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Reason, type FailureKind, type ReasonName } from '../api/reasons';
import {
  ConnectError,
  InvalidUrlError,
  LockError,
  LockTimeoutError,
  QueryError,
  QueryTimeoutError,
  RevisionsTableError,
  UnsupportedSchemeError,
  type DriverError,
  type DriverErrorCode,
} from '../migrate/dialects/errors';
import { MigrateError, type MigrateErrorCode } from '../migrate/errors';
import { ProgressingAnnouncement } from './progressing-announcement';
import { BACKOFF_BASE_MS, conditions, harness, KEY, localDir, PROGRESS_INTERVAL_MS, ready, useTempFolder, type Harness } from './reconciler.test-kit';
import { classify } from './steps/migrate-database';
import { StepError } from './steps/step-error';

/** Files without findings: a run of them is announced late (or not at all when it is quick). */
const SAFE = { '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'CREATE TABLE b (id int);\n' };

const lockTimeout = (): Error => new LockTimeoutError('atlas_migrate_execute', 10);

/** Whether a wake-up with `trigger` makes an attempt. */
async function attempts(h: Harness, trigger: 'change' | 'retry' | 'resync'): Promise<boolean> {
  const before = h.attempts();
  await h.reconcile(trigger);
  return h.attempts() > before;
}

/** What each trigger does now: `true` where it makes an attempt. */
async function wakeUps(h: Harness, triggers: readonly ('change' | 'retry' | 'resync')[]): Promise<Record<string, boolean>> {
  const seen: Record<string, boolean> = {};
  for (const t of triggers) seen[t] = await attempts(h, t);
  return seen;
}

function eventReasons(h: Harness): string[] {
  return h.events.map((e) => e.reason);
}

/** The reconciler's memory of outcomes (no public view of it exists: it only ever saves work). */
function remembered(h: Harness): ReadonlyMap<string, unknown> {
  return (h.reconciler as unknown as { memory: ReadonlyMap<string, unknown> }).memory;
}

/** Patches that said Ready=False/Reconciling (the announcement of a run). */
function announcements(h: Harness): number {
  return h.cluster.patches.filter((p) => p.conditions?.some((c) => c.type === 'Ready' && c.reason === Reason.Reconciling)).length;
}

describe('reconciler', () => {
  useTempFolder('reconciler-');

  describe('failures and the backoff limit', () => {
    it('past backoffLimit a transient failure gives up: Stalled, BackoffLimitExceeded said once, tried again only on resync', async () => {
      const h = harness('give-up', { backoffLimit: 2 });
      h.faults.lock = lockTimeout;
      const first = await h.reconcile();
      assert.ok(first.requeueAfterMs !== undefined && first.requeueAfterMs >= 900 && first.requeueAfterMs <= 1100, String(first.requeueAfterMs));
      assert.deepEqual(conditions(h), ['Ready=False/Migrating', 'Reconciling=True/Retrying', 'Stalled=False/Migrating']);
      const second = await h.reconcile('retry');
      assert.ok(second.requeueAfterMs !== undefined && second.requeueAfterMs >= 1800 && second.requeueAfterMs <= 2200, String(second.requeueAfterMs));
      assert.deepEqual(await h.reconcile('retry'), {});
      assert.equal(h.cluster.status.failed, 3);
      assert.deepEqual(conditions(h), ['Ready=False/Migrating', 'Reconciling=False/Migrating', 'Stalled=True/Migrating']);
      assert.match(ready(h)?.message ?? '', /gave up after 3 attempts, backoffLimit 2/);
      assert.deepEqual(eventReasons(h), ['Migrating', 'Migrating', 'Migrating', 'BackoffLimitExceeded']);
      assert.match(h.events[3]?.message ?? '', /^Gave up after 3 attempts \(backoffLimit 2\): acquiring database lock/);

      // Stalled on a transient failure: only a resync tries again, and the give-up is not announced twice.
      assert.deepEqual(await wakeUps(h, ['retry', 'change', 'resync']), { retry: false, change: false, resync: true });
      assert.equal(h.cluster.status.failed, 4);
      assert.deepEqual(conditions(h), ['Ready=False/Migrating', 'Reconciling=False/Migrating', 'Stalled=True/Migrating']);
      assert.deepEqual(eventReasons(h), ['Migrating', 'Migrating', 'Migrating', 'BackoffLimitExceeded', 'Migrating']);
    });

    it('no requeue while shutting down, and no give-up: the failure is reported as one to retry', async () => {
      const stop = new AbortController();
      const h = harness('shutdown', { backoffLimit: 1 }, { shutdown: stop.signal });
      h.faults.lock = lockTimeout;
      assert.notEqual((await h.reconcile()).requeueAfterMs, undefined);
      stop.abort();
      // Attempt 2 > backoffLimit 1 would give up, but the next process is to try again.
      assert.deepEqual(await h.reconcile('retry'), {});
      assert.equal(h.cluster.status.failed, 2);
      assert.deepEqual(conditions(h), ['Ready=False/Migrating', 'Reconciling=True/Retrying', 'Stalled=False/Migrating']);
      assert.ok(!eventReasons(h).includes('BackoffLimitExceeded'));
    });
  });

  describe('the failure count', () => {
    it('restarts at 1 when the spec changes, and survives an operator restart otherwise (generation)', async () => {
      const h = harness('count-generation', {});
      h.faults.lock = lockTimeout;
      await h.reconcile();
      await h.reconcile('retry');
      assert.equal(h.cluster.status.failed, 2);
      // A new process remembers nothing: the count comes from status.
      h.restart();
      await h.reconcile('change');
      assert.equal(h.cluster.status.failed, 3);
      h.restart();
      // lockTimeout is not part of observed_hash: only the generation says the inputs changed.
      h.cluster.edit((s) => ({ ...s, lockTimeout: '5s' }));
      await h.reconcile('change');
      assert.equal(h.cluster.status.failed, 1);
    });

    it('restarts at 1 when only a referenced Secret changes (inputs key)', async () => {
      let secretVersion = '1';
      const h = harness(
        'count-secret',
        { url: undefined, urlFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
        {
          reader: { secret: () => Promise.resolve({ data: { url: Buffer.from(h.url).toString('base64') } }), configMap: () => Promise.resolve(undefined) },
          refVersion: (ref) => (ref === 'Secret/ns/db' ? secretVersion : undefined),
        },
      );
      h.faults.lock = lockTimeout;
      await h.reconcile();
      await h.reconcile('retry');
      assert.equal(h.cluster.status.failed, 2);
      // Rotated, same URL: the generation and observed_hash stay, the Secret's resourceVersion moves.
      secretVersion = '2';
      await h.reconcile('change');
      assert.equal(h.cluster.status.failed, 1);
    });

    it('restarts at 1 when the directory content changes after an operator restart (observed_hash)', async () => {
      let files: Record<string, string> = localDir(SAFE);
      const h = harness(
        'count-hash',
        { dir: { configMapRef: { name: 'migrations' } } },
        { reader: { secret: () => Promise.resolve(undefined), configMap: () => Promise.resolve({ data: files }) } },
      );
      h.faults.lock = lockTimeout;
      await h.reconcile();
      await h.reconcile('retry');
      assert.equal(h.cluster.status.failed, 2);
      h.restart();
      files = localDir({ ...SAFE, '3_c.sql': 'CREATE TABLE c (id int);\n' });
      await h.reconcile('change');
      assert.equal(h.cluster.status.failed, 1);
    });
  });

  describe('a status write that fails', () => {
    it('after a successful run: not a failure, requeued at the backoff base, and the outcome forgotten', async () => {
      const h = harness('write-after-success', {});
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'Applied');
      // The database looks moved to a resync (a partial row), so it runs; its Ready write fails.
      h.faults.lastRevision = (r) => r && { ...r, applied: r.total - 1 };
      h.cluster.rejectPatch = () => true;
      const events = h.events.length;
      assert.deepEqual(await h.reconcile('resync'), { requeueAfterMs: BACKOFF_BASE_MS });
      assert.equal(h.events.length, events);
      assert.equal(h.cluster.status.failed, 0);
      // The retry must run (not be taken for "nothing changed since Ready") and write the status.
      delete h.faults.lastRevision;
      h.cluster.rejectPatch = () => false;
      assert.equal(await attempts(h, 'retry'), true);
      assert.equal(ready(h)?.message, 'The database is at version 2; nothing to apply');
    });

    it('after a failed run: requeued at the backoff base (not the backoff delay), and the outcome forgotten', async () => {
      const h = harness('write-after-failure', {});
      h.faults.lock = lockTimeout;
      await h.reconcile();
      assert.equal(h.cluster.status.failed, 1);
      h.cluster.rejectPatch = () => true;
      assert.deepEqual(await h.reconcile('retry'), { requeueAfterMs: BACKOFF_BASE_MS });
      assert.equal(h.cluster.status.failed, 1);
      // Remembered as retrying, a resync would be skipped; forgotten, it runs.
      h.cluster.rejectPatch = () => false;
      assert.equal(await attempts(h, 'resync'), true);
      assert.equal(h.cluster.status.failed, 2);
    });
  });

  describe('the Reconciling announcement', () => {
    it('a quick run of a resource that is not Ready costs one status write: the deferred announcement is cancelled', async () => {
      const h = harness('quick', {}, { files: SAFE });
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'Applied');
      assert.equal(announcements(h), 0);
      assert.equal(h.cluster.patches.length, 1);
    });

    it('a resource that is Ready is announced before its first statement', async () => {
      const h = harness('urgent', {}, { files: SAFE });
      await h.reconcile();
      let seenAtFirstStatement = -1;
      h.faults.beforeStatement = () => {
        if (seenAtFirstStatement < 0) seenAtFirstStatement = announcements(h);
        return Promise.resolve();
      };
      h.cluster.edit((s) => ({ ...s, dir: { local: localDir({ ...SAFE, '3_c.sql': 'CREATE TABLE c (id int);\n' }) } }));
      await h.reconcile();
      assert.equal(seenAtFirstStatement, 1);
      assert.equal(ready(h)?.message, 'Applied 1 migration, now at 3');
    });

    describe('on a mocked clock', () => {
      beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
      afterEach(() => mock.timers.reset());

      it('a slow run of a resource that is not Ready is announced after the progress interval', { timeout: 20_000 }, async () => {
        const h = harness('slow', {}, { files: SAFE });
        let release = (): void => undefined;
        const gate = new Promise<void>((r) => (release = r));
        let reached = (): void => undefined;
        const atStatement = new Promise<void>((r) => (reached = r));
        h.faults.beforeStatement = () => (reached(), gate);
        const announced = new Promise<void>((r) => (h.cluster.onPatch = (p) => void (p.conditions?.some((c) => c.reason === Reason.Reconciling) && r())));
        const run = h.reconcile();
        try {
          await atStatement;
          assert.equal(announcements(h), 0);
          mock.timers.tick(PROGRESS_INTERVAL_MS - 1);
          assert.equal(announcements(h), 0);
          mock.timers.tick(1);
          await announced;
          assert.deepEqual(conditions(h), ['Ready=False/Reconciling', 'Reconciling=True/Reconciling', 'Stalled=False/Reconciling']);
          assert.match(ready(h)?.message ?? '', /^Applying 2 migration files from an empty history: 1, 2/);
        } finally {
          release();
        }
        // Progress writes (unguarded) moved the resourceVersion meanwhile: the final write conflicts once and reads again.
        assert.deepEqual(await run, {});
        assert.equal(ready(h)?.reason, 'Applied');
        assert.equal(announcements(h), 1);
      });
    });
  });

  describe('what a wake-up with unchanged inputs does', () => {
    it('retrying: only the retry runs', async () => {
      const h = harness('unchanged-retrying', {});
      h.faults.lock = lockTimeout;
      await h.reconcile();
      assert.deepEqual(await wakeUps(h, ['change', 'resync', 'retry']), { change: false, resync: false, retry: true });
    });

    it('stalled on something in the cluster (a missing Secret): nothing runs, not even a resync', async () => {
      const h = harness('unchanged-cluster', { url: undefined, urlFrom: { secretKeyRef: { name: 'missing', key: 'url' } } });
      await h.reconcile();
      assert.deepEqual(conditions(h), ['Ready=False/ResolvingTarget', 'Reconciling=False/ResolvingTarget', 'Stalled=True/ResolvingTarget']);
      assert.deepEqual(await wakeUps(h, ['change', 'retry', 'resync']), { change: false, retry: false, resync: false });
    });

    it('stalled on something in the database (a permanent failure): a resync tries again', async () => {
      const h = harness('unchanged-database', {});
      h.faults.lock = () => new RevisionsTableError('atlas_schema_revisions has no column "partial_hashes"');
      await h.reconcile();
      assert.deepEqual(conditions(h), ['Ready=False/Migrating', 'Reconciling=False/Migrating', 'Stalled=True/Migrating']);
      assert.deepEqual(await wakeUps(h, ['change', 'retry', 'resync']), { change: false, retry: false, resync: true });
    });

    it('dry run: a resync plans again, nothing else does', async () => {
      const h = harness('unchanged-dry', { dryRun: true });
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'DryRun');
      assert.deepEqual(await wakeUps(h, ['change', 'retry', 'resync']), { change: false, retry: false, resync: true });
      assert.deepEqual(await h.tables(), []);
    });

    it('held for approval: a resync plans again, nothing else does', async () => {
      const h = harness('unchanged-held', { approval: { policy: 'Always' } });
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'ApprovalPending');
      assert.deepEqual(await wakeUps(h, ['change', 'retry', 'resync']), { change: false, retry: false, resync: true });
    });

    it('ready: only a resync looks, with one query, and goes no further while the database has not moved', async () => {
      const h = harness('unchanged-ready', {});
      await h.reconcile();
      h.calls.length = 0;
      assert.deepEqual(await wakeUps(h, ['change', 'retry', 'resync']), { change: false, retry: false, resync: false });
      assert.deepEqual(h.calls, ['last']);
    });
  });

  describe('a resync of a Ready resource', () => {
    async function readyThen(name: string, move: (h: Harness) => Promise<unknown>): Promise<boolean> {
      const h = harness(name, {});
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'Applied');
      await move(h);
      return attempts(h, 'resync');
    }

    it('runs when the last revision is another version', async () => {
      assert.equal(await readyThen('moved-version', (h) => h.sql("DELETE FROM atlas_schema_revisions WHERE version = '2'")), true);
    });

    it('runs when the last revision is partial', async () => {
      assert.equal(await readyThen('moved-partial', (h) => h.sql("UPDATE atlas_schema_revisions SET applied = 1 WHERE version = '2'")), true);
    });

    it('runs when the last revision carries an error', async () => {
      assert.equal(await readyThen('moved-error', (h) => h.sql("UPDATE atlas_schema_revisions SET error = 'boom' WHERE version = '2'")), true);
    });

    it('runs when the revisions cannot be read', async () => {
      const unreadable = (h: Harness): Promise<void> => {
        h.faults.lastRevision = () => {
          throw new QueryError('SQLITE_BUSY: database is locked');
        };
        return Promise.resolve();
      };
      assert.equal(await readyThen('moved-unreadable', unreadable), true);
    });
  });

  describe('the resource itself', () => {
    it('deleted while it runs: the outcome is not remembered', async () => {
      const h = harness('deleted', {});
      // The watch's DELETED event arrives while the Applied event is being recorded.
      h.onEvent = () => {
        h.cluster.gone = true;
        h.reconciler.forget(KEY);
      };
      assert.deepEqual(await h.reconcile(), {});
      assert.equal(eventReasons(h).join(), 'Applied');
      assert.equal(remembered(h).has(KEY), false);
    });

    it('being deleted: the database is not touched and nothing is written', async () => {
      const h = harness('deleting', {});
      h.cluster.object = { ...h.cluster.object, metadata: { ...h.cluster.object.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
      assert.deepEqual(await h.reconcile(), {});
      assert.deepEqual([h.calls, h.cluster.patches, h.attempts()], [[], [], 0]);
    });

    it('created again under the same name (a new uid) is reconciled, not taken for the old one', async () => {
      const h = harness('recreated', {});
      await h.reconcile();
      assert.equal(ready(h)?.reason, 'Applied');
      // Deleted and re-created between two looks of the watch: no DELETED event, so nothing was forgotten.
      h.cluster.recreate('u2');
      assert.equal(await attempts(h, 'change'), true);
      assert.deepEqual(conditions(h), ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']);
      assert.equal(ready(h)?.message, 'The database is at version 2; nothing to apply');
    });

    it('dry run with nothing pending is Ready, said without a DryRun event, and remembered as Ready', async () => {
      const h = harness('dry-nothing', {});
      await h.reconcile();
      h.cluster.edit((s) => ({ ...s, dryRun: true }));
      await h.reconcile();
      assert.deepEqual(conditions(h), ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']);
      assert.equal(ready(h)?.message, 'The database is at version 2; nothing to apply');
      assert.deepEqual(eventReasons(h), ['Applied']);
      // As Ready, a resync only checks the last revision.
      h.calls.length = 0;
      assert.equal(await attempts(h, 'resync'), false);
      assert.deepEqual(h.calls, ['last']);
    });
  });
});

describe('ProgressingAnnouncement', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  /** A write that records itself; `held`: it resolves only when told. */
  function writes(held = false): { count: () => number; write: () => Promise<void>; finish: () => void } {
    let n = 0;
    let finish = (): void => undefined;
    return {
      count: () => n,
      write: () => {
        n++;
        return held ? new Promise<void>((r) => (finish = r)) : Promise.resolve();
      },
      finish: () => finish(),
    };
  }

  const noError = (e: unknown): never => assert.fail(e as Error);
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('writes at once for a resource that is Ready, or when the run may not wait', async () => {
    for (const [urgent, now] of [
      [true, false],
      [false, true],
    ] as const) {
      const w = writes(true);
      const a = new ProgressingAnnouncement(urgent, 1000, noError);
      let announced = false;
      const announcing = a.announce(w.write, now).then(() => (announced = true));
      assert.equal(w.count(), 1);
      // The run waits for this write before its first statement.
      await flush();
      assert.equal(announced, false);
      w.finish();
      await announcing;
      await a.settle();
    }
  });

  it('otherwise writes once the delay has passed', async () => {
    const w = writes();
    const a = new ProgressingAnnouncement(false, 1000, noError);
    await a.announce(w.write);
    mock.timers.tick(999);
    assert.equal(w.count(), 0);
    mock.timers.tick(1);
    assert.equal(w.count(), 1);
    await a.settle();
  });

  it('settle() cancels the write before the delay has passed', async () => {
    const w = writes();
    const a = new ProgressingAnnouncement(false, 1000, noError);
    await a.announce(w.write);
    mock.timers.tick(500);
    await a.settle();
    mock.timers.tick(10_000);
    assert.equal(w.count(), 0);
  });

  it('settle() waits for a write in flight', async () => {
    const w = writes(true);
    const a = new ProgressingAnnouncement(false, 1000, noError);
    const announcing = a.announce(w.write);
    mock.timers.tick(1000);
    assert.equal(w.count(), 1);
    let settled = false;
    const settling = a.settle().then(() => (settled = true));
    await flush();
    assert.equal(settled, false);
    w.finish();
    await Promise.all([announcing, settling]);
    assert.equal(settled, true);
  });

  it('a deferred write that fails goes to onError, and settle() still resolves', async () => {
    const errors: unknown[] = [];
    const a = new ProgressingAnnouncement(false, 1000, (e) => errors.push(e));
    await a.announce(() => Promise.reject(new Error('etcd is unavailable')));
    mock.timers.tick(1000);
    await a.settle();
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['etcd is unavailable'],
    );
  });
});

describe('classify (steps/migrate-database.ts)', () => {
  const driverErrors: Record<DriverErrorCode, [DriverError, ReasonName, FailureKind]> = {
    InvalidUrl: [new InvalidUrlError('bad url'), Reason.ResolvingTarget, 'permanent'],
    UnsupportedScheme: [new UnsupportedSchemeError('oracle', ['sqlite']), Reason.ResolvingTarget, 'permanent'],
    Connect: [new ConnectError('connection refused'), Reason.Connecting, 'transient'],
    LockTimeout: [new LockTimeoutError('atlas_migrate_execute', 10), Reason.Migrating, 'transient'],
    Lock: [new LockError('lock query failed'), Reason.Migrating, 'transient'],
    RevisionsTable: [new RevisionsTableError('wrong columns'), Reason.Migrating, 'permanent'],
    Query: [new QueryError('syntax error'), Reason.Migrating, 'transient'],
    QueryTimeout: [new QueryTimeoutError('reading the revisions table', 30_000), Reason.Migrating, 'transient'],
  };

  it('sorts each driver error into its step and kind', () => {
    for (const [code, [error, reason, kind]] of Object.entries(driverErrors)) {
      assert.equal(error.code, code);
      const s = classify(error);
      assert.deepEqual([s.reason, s.kind, s.message, s.cause], [reason, kind, error.message, error], code);
    }
  });

  /** Only another attempt's luck can get past a failing statement or a cancelled run; the rest need a change. */
  const migrateKinds: Record<MigrateErrorCode, FailureKind> = {
    DirectoryRead: 'permanent',
    InvalidFileName: 'permanent',
    ChecksumNotFound: 'permanent',
    ChecksumFormat: 'permanent',
    ChecksumMismatch: 'permanent',
    StatementScan: 'permanent',
    InvalidDirective: 'permanent',
    BaselineNotFound: 'permanent',
    VersionNotFound: 'permanent',
    HistoryNonLinear: 'permanent',
    MissingMigration: 'permanent',
    NotClean: 'permanent',
    InvalidOption: 'permanent',
    StatementExec: 'transient',
    HistoryChanged: 'permanent',
    ChecksumEntryMissing: 'permanent',
    AmbiguousRevisionTable: 'permanent',
    Cancelled: 'transient',
  };

  class EngineError extends MigrateError {
    constructor(readonly code: MigrateErrorCode) {
      super(`engine: ${code}`);
    }
  }

  it('sorts each engine error into Migrating, transient or permanent', () => {
    for (const [code, kind] of Object.entries(migrateKinds) as [MigrateErrorCode, FailureKind][]) {
      const error = new EngineError(code);
      const s = classify(error);
      assert.deepEqual([s.reason, s.kind, s.message, s.cause], [Reason.Migrating, kind, `engine: ${code}`, error], code);
    }
  });

  it('passes a step error through and takes anything else for a transient Migrating failure', () => {
    const step = new StepError(Reason.Connecting, 'permanent', 'as it was');
    assert.equal(classify(step), step);
    const plain = new TypeError('cannot read properties of undefined');
    assert.deepEqual(
      [classify(plain).reason, classify(plain).kind, classify(plain).message],
      [Reason.Migrating, 'transient', 'cannot read properties of undefined'],
    );
    assert.deepEqual([classify('a string').kind, classify('a string').message], ['transient', 'a string']);
  });
});
