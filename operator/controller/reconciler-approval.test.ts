/**
 * The approval gate through a whole reconcile: a real SQLite database in a
 * temporary folder behind a driver that records what it is asked, an
 * in-memory API server, a recorded event stream, and a stand-in linter
 * (DROP TABLE is DS102), so nothing here depends on the lint rules.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { APPROVAL_ANNOTATION } from '../api/approval';
import type { AtlasMigrationStatus } from '../api/generated/atlasmigration-types';
import type { Driver, Session } from '../migrate/dialects/driver';
import { openDriver } from '../migrate/dialects/registry';
import { directoryFromEntries } from '../migrate/directory';
import type { Finding } from '../migrate/lint/finding';
import { planHash } from '../migrate/plan-hash';
import type { EventRecorder } from './event-recorder';
import type { AtlasMigrationApi, AtlasMigrationObject, StatusPatch } from './kube/resources';
import { KeyedMutex } from './keyed-mutex';
import { createMetrics, valueOf } from './metrics';
import type { PlanLinter } from './plan-linter';
import { Reconciler, type Trigger } from './reconciler';
import { ReferenceIndex } from './reference-index';
import { SecretScrubber } from './secret-scrubber';
import { StatusWriter } from './status-writer';

const FILES = { '1_create.sql': 'CREATE TABLE t (id int);\n', '2_drop.sql': 'CREATE TABLE u (id int);\nDROP TABLE t;\n' };
const SUM = directoryFromEntries(Object.entries(FILES), 'x').computedSum();
const PLAN = planHash(Object.keys(FILES).map((name) => ({ name, hash: SUM.hashOf(name) ?? '' })));

/** Stand-in for migrate lint: DROP TABLE is DS102. */
const linter: PlanLinter = {
  lint: (file, statements) =>
    statements.filter((s) => /^DROP TABLE/i.test(s.text.trim())).map((s): Finding => ({ code: 'DS102', file, line: s.line, statement: s.index + 1, message: 'Dropping table' })),
  matches: (code, patterns) => patterns.some((p) => (p.endsWith('*') ? code.startsWith(p.slice(0, -1)) : code === p)),
  defaultDestructive: ['DS*'],
};

/** Wraps a driver, recording sessions, statements, locks and unlocks. */
function recording(driver: Driver, calls: string[]): Driver {
  const session = async (schema: string): Promise<Session> => {
    calls.push('session');
    const s = await driver.session(schema);
    return { ...bind(s), execute: (sql: string) => (calls.push(`execute ${sql.trim()}`), s.execute(sql)) };
  };
  const lock = async (name: string, timeoutMs: number, signal?: AbortSignal) => {
    calls.push('lock');
    const unlock = await driver.lock(name, timeoutMs, signal);
    return (): Promise<void> => (calls.push('unlock'), unlock());
  };
  return new Proxy(driver, {
    get: (target, prop, receiver) => {
      if (prop === 'session') return session;
      if (prop === 'lock') return lock;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function bind(s: Session): Session {
  return { execute: (q) => s.execute(q), begin: () => s.begin(), commit: () => s.commit(), rollback: () => s.rollback(), writeRevision: (r) => s.writeRevision(r), release: () => s.release() };
}

/** One AtlasMigration in an in-memory API server: status merge patches, resourceVersion checks. */
class FakeCluster {
  object: AtlasMigrationObject;
  readonly patches: StatusPatch[] = [];
  private version = 1;

  constructor(spec: object) {
    this.object = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'app', namespace: 'ns', uid: 'u1', generation: 1, resourceVersion: '1' }, spec };
  }

  annotate(value: string): void {
    this.object = { ...this.object, metadata: { ...this.object.metadata, annotations: { [APPROVAL_ANNOTATION]: value }, resourceVersion: String(++this.version) } } as AtlasMigrationObject;
  }

  get status(): AtlasMigrationStatus {
    return this.object.status ?? {};
  }

  readonly api = {
    get: () => Promise.resolve(this.object),
    patchStatus: (_ns: string, _name: string, patch: StatusPatch, resourceVersion?: string) => {
      if (resourceVersion !== undefined && resourceVersion !== this.object.metadata.resourceVersion) return Promise.reject(new Error('conflict'));
      this.patches.push(patch);
      const status: Record<string, unknown> = { ...this.object.status };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete status[k];
        else status[k] = v;
      }
      this.object = { ...this.object, status, metadata: { ...this.object.metadata, resourceVersion: String(++this.version) } };
      return Promise.resolve(this.object);
    },
  } as unknown as AtlasMigrationApi;
}

interface Harness {
  readonly cluster: FakeCluster;
  readonly calls: string[];
  readonly events: { type: string; reason: string; message: string }[];
  readonly metrics: ReturnType<typeof createMetrics>;
  reconcile(trigger?: Trigger): Promise<{ requeueAfterMs?: number }>;
  tables(): Promise<string[]>;
}

let folder = '';

function harness(name: string, spec: object): Harness {
  const url = `sqlite://${join(folder, `${name}.db`)}`;
  const cluster = new FakeCluster({ url, dir: { local: { ...FILES, 'atlas.sum': SUM.format() } }, ...spec });
  const calls: string[] = [];
  const events: Harness['events'] = [];
  const metrics = createMetrics({ queueDepth: () => 0, activeReconciles: () => 0, resources: () => 0, watchRestarts: () => 0 });
  const reconciler = new Reconciler({
    resources: cluster.api,
    reader: { secret: () => Promise.resolve(undefined), configMap: () => Promise.resolve(undefined) },
    status: new StatusWriter(cluster.api),
    events: { record: (_r, type, reason, message) => (events.push({ type, reason, message }), Promise.resolve()) } as EventRecorder,
    openDriver: (u) => recording(openDriver(u), calls),
    linter,
    log: pino({ level: 'silent' }),
    scrubber: new SecretScrubber(),
    databases: new KeyedMutex(),
    metrics,
    index: new ReferenceIndex(),
    cached: () => cluster.object,
    refVersion: () => undefined,
    shutdown: new AbortController().signal,
    settings: { backoff: { baseMs: 1000, maxMs: 10_000 }, progressIntervalMs: 60_000, operatorVersion: 'test' },
  });
  return {
    cluster,
    calls,
    events,
    metrics,
    reconcile: (trigger = 'change') => reconciler.reconcile('ns/app', trigger),
    tables: async () => {
      const d = openDriver(url);
      try {
        const rows = (d as unknown as { knex: { raw(q: string): Promise<{ name: string }[]> } }).knex;
        return (await rows.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'atlas%' ORDER BY name")).map((r) => r.name);
      } finally {
        await d.close();
      }
    },
  };
}

function ready(h: Harness): { status: string; reason: string; message: string } | undefined {
  return h.cluster.status.conditions?.find((c) => c.type === 'Ready');
}

function conditions(h: Harness): string[] {
  return (h.cluster.status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
}

describe('reconciler: the approval gate', () => {
  const savedTmp = process.env.TMPDIR;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'approval-'));
    // The SQLite lock file lives in the temporary folder: a private one keeps parallel test files apart.
    process.env.TMPDIR = folder;
  });
  after(() => {
    process.env.TMPDIR = savedTmp;
    rmSync(folder, { recursive: true, force: true });
  });

  it('holds a destructive plan without executing anything, says so once, and applies it once approved', async () => {
    const h = harness('destructive', { approval: { policy: 'Destructive' } });
    assert.deepEqual(await h.reconcile(), {});
    assert.deepEqual(conditions(h), ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending']);
    assert.ok(!h.calls.includes('session') && !h.calls.some((c) => c.startsWith('execute')), h.calls.join(', '));
    assert.equal(h.calls.at(-1), 'unlock');
    assert.deepEqual(await h.tables(), []);
    const plan = h.cluster.status.plan;
    assert.equal(plan?.hash, PLAN);
    assert.deepEqual([plan?.approved, plan?.destructive, plan?.findingsTotal, plan?.filesTotal, plan?.truncated, plan?.from], [false, 1, 1, 2, false, undefined]);
    assert.deepEqual(plan?.findings, [{ code: 'DS102', file: '2_drop.sql', line: 2, statement: 2, message: 'Dropping table' }]);
    assert.deepEqual(plan?.files?.map((f) => [f.name, f.statements, f.findings]), [['1_create.sql', 1, 0], ['2_drop.sql', 2, 1]]);
    assert.deepEqual([h.cluster.status.failed, h.cluster.status.pendingCount, h.cluster.status.pendingVersions], [0, 2, ['1', '2']]);
    assert.equal(h.events.length, 1);
    assert.equal(h.events[0]?.reason, 'ApprovalPending');
    assert.match(h.events[0]?.message ?? '', new RegExp(`Plan ${PLAN} .*DS102 2_drop\\.sql:2 Dropping table.*${APPROVAL_ANNOTATION}=${PLAN}`));
    assert.equal(await valueOf(h.metrics.reconciles, { result: 'approval_pending' }), 1);
    assert.match(await h.metrics.render(), /^atlas_migrator_pending_files\{namespace="ns",name="app"\} 2$/m);

    // A resync re-plans (the database may have moved) but says nothing new.
    h.calls.length = 0;
    await h.reconcile('resync');
    assert.ok(h.calls.includes('lock') && !h.calls.includes('session'));
    assert.equal(h.events.length, 1);
    // Any other wake-up with unchanged inputs costs nothing.
    h.calls.length = 0;
    await h.reconcile('retry');
    assert.equal(h.calls.length, 0);

    // An approval of another plan is ignored, and said so.
    h.cluster.annotate('0123456789abcdef0123');
    await h.reconcile();
    assert.match(ready(h)?.message ?? '', new RegExp(`^The approved plan 0123456789ab… is not the current plan ${PLAN.slice(0, 12)}…; approve again\\.`));
    assert.equal(h.events.length, 2);
    assert.match(h.events[1]?.message ?? '', /is not the current plan/);
    assert.deepEqual(await h.tables(), []);

    h.cluster.annotate(PLAN.toUpperCase());
    h.calls.length = 0;
    await h.reconcile();
    assert.deepEqual(conditions(h), ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']);
    assert.ok(h.calls.includes('execute DROP TABLE t;'), h.calls.join(', '));
    assert.deepEqual(await h.tables(), ['u']);
    assert.equal(h.cluster.status.plan, undefined);
    const metrics = await h.metrics.render();
    assert.doesNotMatch(metrics, /^atlas_migrator_pending_files\{/m);
    assert.match(metrics, /^atlas_migrator_migration_duration_seconds_count\{result="applied"\} 1$/m);
    // The plan had findings: it was published, approved, before the first statement.
    const published = h.cluster.patches.find((p) => p.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Reconciling'));
    assert.deepEqual([published?.plan?.hash, published?.plan?.approved], [PLAN, true]);
  });

  it('policy Always holds any pending plan; Never (the default) applies without asking', async () => {
    const always = harness('always', { approval: { policy: 'Always', destructiveCodes: [] } });
    await always.reconcile();
    assert.equal(ready(always)?.reason, 'ApprovalPending');
    assert.match(ready(always)?.message ?? '', /policy Always/);
    const never = harness('never', {});
    await never.reconcile();
    assert.equal(ready(never)?.reason, 'Applied');
    assert.deepEqual(await never.tables(), ['u']);
    assert.equal(never.events.filter((e) => e.reason === 'ApprovalPending').length, 0);
  });

  it('a dry run reports the plan with its findings and is never held', async () => {
    const h = harness('dry', { dryRun: true, approval: { policy: 'Always' } });
    await h.reconcile();
    assert.equal(ready(h)?.reason, 'DryRun');
    assert.deepEqual([h.cluster.status.plan?.hash, h.cluster.status.plan?.findingsTotal], [PLAN, 1]);
    assert.ok(!h.calls.some((c) => c.startsWith('execute')), h.calls.join(', '));
    assert.deepEqual(await h.tables(), []);
  });

  it('a destructive set without a match does not hold', async () => {
    const h = harness('other-codes', { approval: { policy: 'Destructive', destructiveCodes: ['MF*'] } });
    await h.reconcile();
    assert.equal(ready(h)?.reason, 'Applied');
  });
});
