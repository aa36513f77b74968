/**
 * Fakes for reconciler tests (reconciler.test.ts, reconciler-approval.test.ts):
 * a real SQLite database in a temporary folder behind a driver that records
 * what it is asked (and can be told to fail), an in-memory API server for
 * one AtlasMigration, a recorded event stream, and a stand-in linter
 * (DROP TABLE is DS102), so nothing here depends on the lint rules.
 * Not compiled into dist (tsconfig.build.json excludes *.test-kit.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pino from 'pino';
import { APPROVAL_ANNOTATION } from '../api/approval';
import type { AtlasMigrationStatus } from '../api/generated/atlasmigration-types';
import type { Driver, Session } from '../migrate/dialects/driver';
import { openDriver } from '../migrate/dialects/registry';
import type { Revision } from '../migrate/dialects/revision';
import { directoryFromEntries } from '../migrate/directory';
import type { Finding } from '../migrate/lint/finding';
import { planHash } from '../migrate/plan-hash';
import type { EventRecorder, EventType } from './event-recorder';
import { ApiError } from './kube/api-client';
import type { AtlasMigrationApi, AtlasMigrationObject, StatusPatch } from './kube/resources';
import { KeyedMutex } from './keyed-mutex';
import { createMetrics, type OperatorMetrics } from './metrics';
import type { PlanLinter } from './plan-linter';
import { Reconciler, type ReconcileResult, type ReconcilerDeps, type Trigger } from './reconciler';
import { ReferenceIndex } from './reference-index';
import { SecretScrubber } from './secret-scrubber';
import type { ObjectReader } from './steps/object-reader';
import { StatusWriter } from './status-writer';

export const KEY = 'ns/app';

/** Two files; the second drops a table (a destructive finding for the stand-in linter). */
export const FILES: Readonly<Record<string, string>> = { '1_create.sql': 'CREATE TABLE t (id int);\n', '2_drop.sql': 'CREATE TABLE u (id int);\nDROP TABLE t;\n' };

/** The `local` directory for `files`, with its atlas.sum. */
export function localDir(files: Readonly<Record<string, string>> = FILES): Record<string, string> {
  return { ...files, 'atlas.sum': directoryFromEntries(Object.entries(files), 'x').computedSum().format() };
}

/** The plan hash of applying every file of `files` (as status.plan.hash shows it). */
export function planOf(files: Readonly<Record<string, string>> = FILES): string {
  const sum = directoryFromEntries(Object.entries(files), 'x').computedSum();
  return planHash(Object.keys(files).map((name) => ({ name, hash: sum.hashOf(name) ?? '' })));
}

/** Stand-in for migrate lint: DROP TABLE is DS102. */
export const linter: PlanLinter = {
  lint: (file, statements) =>
    statements.filter((s) => /^DROP TABLE/i.test(s.text.trim())).map((s): Finding => ({ code: 'DS102', file, line: s.line, statement: s.index + 1, message: 'Dropping table' })),
  matches: (code, patterns) => patterns.some((p) => (p.endsWith('*') ? code.startsWith(p.slice(0, -1)) : code === p)),
  defaultDestructive: ['DS*'],
};

/** What the recording driver is told to do differently; each hook may be changed between reconciles. */
export interface DriverFaults {
  /** An error for `lock` to throw instead of locking. */
  lock?: () => Error | undefined;
  /** Replaces (or throws instead of) what `readLastRevision` read. */
  lastRevision?: (read: Revision | undefined) => Revision | undefined;
  /** Awaited before each statement runs: a test can hold a run in the middle. */
  beforeStatement?: (sql: string) => Promise<void>;
}

function bind(s: Session): Session {
  return { execute: (q) => s.execute(q), begin: () => s.begin(), commit: () => s.commit(), rollback: () => s.rollback(), writeRevision: (r) => s.writeRevision(r), release: () => s.release() };
}

/** Wraps a driver, recording sessions, statements, locks, unlocks and resync reads (`last`); applies `faults`. */
export function recording(driver: Driver, calls: string[], faults: DriverFaults = {}): Driver {
  const session = async (schema: string): Promise<Session> => {
    calls.push('session');
    const s = await driver.session(schema);
    const execute = async (sql: string): Promise<void> => {
      calls.push(`execute ${sql.trim()}`);
      await faults.beforeStatement?.(sql);
      return s.execute(sql);
    };
    return { ...bind(s), execute };
  };
  const lock = async (name: string, timeoutMs: number, signal?: AbortSignal): Promise<() => Promise<void>> => {
    calls.push('lock');
    const refused = faults.lock?.();
    if (refused !== undefined) throw refused;
    const unlock = await driver.lock(name, timeoutMs, signal);
    return (): Promise<void> => (calls.push('unlock'), unlock());
  };
  const readLastRevision = async (schema: string): Promise<Revision | undefined> => {
    calls.push('last');
    const read = await driver.readLastRevision(schema);
    return faults.lastRevision === undefined ? read : faults.lastRevision(read);
  };
  const wrapped: Partial<Driver> = { session, lock, readLastRevision };
  return new Proxy(driver, {
    get: (target, prop, receiver) => {
      if (typeof prop === 'string' && prop in wrapped) return wrapped[prop as keyof typeof wrapped];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** One AtlasMigration in an in-memory API server: status merge patches, resourceVersion checks, deletion. */
export class FakeCluster {
  object: AtlasMigrationObject;
  readonly patches: StatusPatch[] = [];
  /** Deleted: absent from the watch's cache, GET finds nothing, a status write is 404. */
  gone = false;
  /** Status patches for which this returns true fail with a 500 (an API server that cannot write). */
  rejectPatch: (patch: StatusPatch) => boolean = () => false;
  /** Called with each status patch written (a test can wait for one). */
  onPatch: (patch: StatusPatch) => void = () => undefined;
  private version = 1;

  constructor(spec: object) {
    this.object = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'app', namespace: 'ns', uid: 'u1', generation: 1, resourceVersion: '1' }, spec };
  }

  annotate(value: string): void {
    this.object = { ...this.object, metadata: { ...this.object.metadata, annotations: { [APPROVAL_ANNOTATION]: value }, resourceVersion: String(++this.version) } } as AtlasMigrationObject;
  }

  /** A spec edit: the generation moves. */
  edit(change: (spec: Record<string, unknown>) => Record<string, unknown>): void {
    const { metadata: m, spec } = this.object;
    this.object = { ...this.object, spec: change({ ...(spec as Record<string, unknown>) }), metadata: { ...m, generation: (m.generation ?? 0) + 1, resourceVersion: String(++this.version) } };
  }

  /** Deleted and created again under the same name: a new uid, generation 1, no status. */
  recreate(uid: string): void {
    const { metadata } = this.object;
    this.object = { ...this.object, status: undefined, metadata: { ...metadata, uid, generation: 1, resourceVersion: String(++this.version) } };
  }

  get status(): AtlasMigrationStatus {
    return this.object.status ?? {};
  }

  readonly api = {
    get: () => Promise.resolve(this.gone ? undefined : this.object),
    patchStatus: (_ns: string, _name: string, patch: StatusPatch, resourceVersion?: string) => {
      if (this.gone) return Promise.reject(new ApiError(404, 'NotFound', 'atlasmigrations "app" not found'));
      if (this.rejectPatch(patch)) return Promise.reject(new ApiError(500, 'InternalError', 'etcd is unavailable'));
      if (resourceVersion !== undefined && resourceVersion !== this.object.metadata.resourceVersion) {
        return Promise.reject(new ApiError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'));
      }
      this.patches.push(patch);
      const status: Record<string, unknown> = { ...this.object.status };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete status[k];
        else status[k] = v;
      }
      this.object = { ...this.object, status, metadata: { ...this.object.metadata, resourceVersion: String(++this.version) } };
      this.onPatch(patch);
      return Promise.resolve(this.object);
    },
  } as unknown as AtlasMigrationApi;
}

export interface RecordedEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface HarnessOptions {
  readonly files?: Readonly<Record<string, string>>;
  readonly shutdown?: AbortSignal;
  readonly reader?: ObjectReader;
  readonly refVersion?: (ref: string) => string | undefined;
  readonly progressIntervalMs?: number;
  /** The reconciler's logger (default: silent). */
  readonly log?: ReconcilerDeps['log'];
}

export interface Harness {
  readonly cluster: FakeCluster;
  readonly url: string;
  /** Driver calls: `lock`, `unlock`, `session`, `execute <sql>`, `last` (a resync's readLastRevision). */
  readonly calls: string[];
  readonly faults: DriverFaults;
  readonly events: RecordedEvent[];
  /** Called after each event is recorded. */
  onEvent: (e: RecordedEvent) => void;
  readonly metrics: OperatorMetrics;
  readonly deps: ReconcilerDeps;
  /** The reconciler; `restart()` replaces it with one that remembers nothing (an operator restart). */
  reconciler: Reconciler;
  reconcile(trigger?: Trigger): Promise<ReconcileResult>;
  restart(): void;
  /**
   * Grows with each reconcile that got past the "nothing changed" check (it counts
   * status updates, computed even when nothing is sent; a run may make more than one).
   * Independent of the metrics library on purpose.
   */
  attempts(): number;
  /** Runs SQL on the database, on a connection of its own. */
  sql<T = unknown>(query: string): Promise<T[]>;
  tables(): Promise<string[]>;
}

let folder = '';

/** A private temporary folder for the suite's databases and SQLite lock files (TMPDIR), removed after it. */
export function useTempFolder(prefix: string): void {
  const savedTmp = process.env.TMPDIR;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), prefix));
    // The SQLite lock file lives in the temporary folder: a private one keeps parallel test files apart.
    process.env.TMPDIR = folder;
  });
  after(() => {
    process.env.TMPDIR = savedTmp;
    rmSync(folder, { recursive: true, force: true });
  });
}

const BACKOFF = { baseMs: 1000, maxMs: 10_000 };
export const BACKOFF_BASE_MS = BACKOFF.baseMs;
export const PROGRESS_INTERVAL_MS = 60_000;

/** Counts status updates: every attempt ends in one (sent only if it changes something); "nothing changed" makes none. */
class CountingStatusWriter extends StatusWriter {
  updates = 0;
  override update(...args: Parameters<StatusWriter['update']>): ReturnType<StatusWriter['update']> {
    this.updates++;
    return super.update(...args);
  }
}

/**
 * A reconciler for one AtlasMigration `ns/app` whose spec is `{ url, dir: { local }, ...spec }`
 * (a key set to undefined in `spec` is left out), on database `<name>.db`.
 */
export function harness(name: string, spec: object, options: HarnessOptions = {}): Harness {
  const url = `sqlite://${join(folder, `${name}.db`)}`;
  const cluster = new FakeCluster(Object.fromEntries(Object.entries({ url, dir: { local: localDir(options.files) }, ...spec }).filter(([, v]) => v !== undefined)));
  const calls: string[] = [];
  const faults: DriverFaults = {};
  const events: RecordedEvent[] = [];
  const status = new CountingStatusWriter(cluster.api);
  const metrics = createMetrics({ queueDepth: () => 0, activeReconciles: () => 0, resources: () => 0, watchRestarts: () => 0 });
  const deps: ReconcilerDeps = {
    resources: cluster.api,
    reader: options.reader ?? { secret: () => Promise.resolve(undefined), configMap: () => Promise.resolve(undefined) },
    status,
    events: {
      record: (_r, type, reason, message) => {
        const e = { type, reason, message };
        events.push(e);
        h.onEvent(e);
        return Promise.resolve();
      },
    } as EventRecorder,
    openDriver: (u) => recording(openDriver(u), calls, faults),
    linter,
    log: options.log ?? pino({ level: 'silent' }),
    scrubber: new SecretScrubber(),
    databases: new KeyedMutex(),
    metrics,
    index: new ReferenceIndex(),
    cached: () => (cluster.gone ? undefined : cluster.object),
    refVersion: options.refVersion ?? (() => undefined),
    shutdown: options.shutdown ?? new AbortController().signal,
    settings: { backoff: BACKOFF, progressIntervalMs: options.progressIntervalMs ?? PROGRESS_INTERVAL_MS, operatorVersion: 'test' },
  };
  const h: Harness = {
    cluster,
    url,
    calls,
    faults,
    events,
    onEvent: () => undefined,
    metrics,
    deps,
    reconciler: new Reconciler(deps),
    reconcile: (trigger = 'change') => h.reconciler.reconcile(KEY, trigger),
    restart: () => {
      h.reconciler = new Reconciler(deps);
    },
    attempts: () => status.updates,
    sql: async <T>(query: string): Promise<T[]> => {
      const d = openDriver(url);
      try {
        return await (d as unknown as { knex: { raw(q: string): Promise<T[]> } }).knex.raw(query);
      } finally {
        await d.close();
      }
    },
    tables: async () =>
      (await h.sql<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'atlas%' ORDER BY name")).map((r) => r.name),
  };
  return h;
}

export function ready(h: Harness): { status: string; reason: string; message: string } | undefined {
  return h.cluster.status.conditions?.find((c) => c.type === 'Ready');
}

/** `Type=Status/Reason` of each condition. */
export function conditions(h: Harness): string[] {
  return (h.cluster.status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
}
