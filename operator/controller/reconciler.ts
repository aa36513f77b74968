/**
 * One reconcile of one AtlasMigration: the steps in order (spec → target →
 * directory → connect, lock, plan, apply), each failure a reason, the
 * status written from a fresh read, the next attempt decided by the
 * requeue policy. Level-triggered: it compares the cluster and the
 * database with what it remembers, never trusts the event that woke it.
 */
import { approvedPlanOf } from '../api/approval';
import { conditionTrue } from '../api/conditions';
import { CONDITION_TYPES, Reason } from '../api/reasons';
import type { ApplyResult, ExecutionPlan } from '../migrate/apply';
import type { Driver } from '../migrate/dialects/driver';
import type { DialectName } from '../migrate/dialects/syntax';
import { mayResetSession } from '../migrate/session-defaults';
import { decideApproval } from './approval-gate';
import { heldConditionMessage, heldEventMessage } from './approval-messages';
import type { Logger } from './logger';
import { inputsKey, observedHash, resourceIdentity } from './inputs';
import type { AtlasMigrationApi, AtlasMigrationObject } from './kube/resources';
import type { KeyedMutex } from './keyed-mutex';
import type { OperatorMetrics } from './metrics';
import type { PlanLinter } from './plan-linter';
import { reviewPlan, type PlanReview } from './plan-review';
import { planStatus, type PlanStatus } from './plan-status';
import { ProgressingAnnouncement } from './progressing-announcement';
import { ProgressReporter } from './progress-reporter';
import { referencesOf, type ReferenceIndex } from './reference-index';
import { nextStep, type BackoffSettings, type NextStep } from './requeue-policy';
import type { SecretScrubber } from './secret-scrubber';
import { approvalPendingPatch, dryRunPatch, failurePatch, progressingPatch, readyPatch, versionAfter, type PatchBase } from './status-patches';
import type { ComputeStatus, StatusWriter } from './status-writer';
import { ApprovalHeldError } from './steps/approval-held';
import { classify, migrateDatabase } from './steps/migrate-database';
import type { ObjectReader } from './steps/object-reader';
import { readDirectory } from './steps/read-directory';
import type { OciDirectorySource } from './steps/read-oci';
import { readSpec, type ReadSpec } from './steps/read-spec';
import { resolveTarget, type Target } from './steps/resolve-target';
import type { StepError } from './steps/step-error';
import type { EventRecorder } from './event-recorder';

/** Why a key is being reconciled; `change` dominates when several are pending. */
export type Trigger = 'change' | 'retry' | 'resync';

export interface ReconcileResult {
  /** Reconcile again after this delay (a retry). */
  readonly requeueAfterMs?: number;
}

export interface ReconcilerSettings {
  readonly backoff: BackoffSettings;
  readonly progressIntervalMs: number;
  readonly operatorVersion: string;
}

export interface ReconcilerDeps {
  readonly resources: AtlasMigrationApi;
  readonly reader: ObjectReader;
  readonly status: StatusWriter;
  readonly events: EventRecorder;
  /**
   * `reuseSessions`: the run may take a session kept from another run with
   * the same credentials, and keeps its own (false when its files may reset
   * a session parameter to its default: migrate/session-defaults.ts).
   */
  readonly openDriver: (url: string, options: { readonly reuseSessions: boolean }) => Driver;
  /** Lints a plan for the approval gate and status.plan. */
  readonly linter: PlanLinter;
  readonly log: Logger;
  readonly scrubber: SecretScrubber;
  readonly databases: KeyedMutex;
  /**
   * Adds a key to the work queue again. With it, a reconcile whose database
   * is busy (another resource's run) gives its worker slot back and is woken
   * when its turn comes; without it, it waits for the database in place.
   */
  readonly wake?: (key: string, trigger: Trigger) => void;
  /** With `wake`: how a reconcile whose database turn is next waits for the run ahead without a worker (the work queue's `parked`). */
  readonly park?: <T>(wait: Promise<T>) => Promise<T>;
  readonly metrics: OperatorMetrics;
  readonly index: ReferenceIndex;
  /** The registry client for spec.dir.oci (absent: such resources fail with ReadingMigrationData). */
  readonly oci?: OciDirectorySource;
  /** The AtlasMigration as last seen by the watch. */
  readonly cached: (key: string) => AtlasMigrationObject | undefined;
  /** resourceVersion of a referenced object (`Secret/ns/name`) as last seen by the watch; undefined when absent. */
  readonly refVersion: (ref: string) => string | undefined;
  readonly shutdown: AbortSignal;
  readonly settings: ReconcilerSettings;
}

/** What the last attempt on a resource established, to keep idle resyncs cheap. */
interface Remembered {
  readonly inputsKey: string;
  /** `held`: the plan waits for approval (re-planned on a resync: the database may have moved). */
  readonly outcome: 'ready' | 'dry-run' | 'retrying' | 'stalled' | 'held';
  /** Only for `ready`: where to look, and what the last revision should be. */
  readonly url?: string;
  readonly schema?: string;
  readonly lastVersion?: string;
  /** Only for `held`: the condition message written (its event is said once per message). */
  readonly heldMessage?: string;
  /** Stalled on something only a change in the cluster can fix (spec, Secret, ConfigMap). */
  readonly waitsForCluster?: boolean;
  /** Only for `ready` from spec.dir.oci by tag: whether the tag names another manifest now. */
  readonly dirMoved?: () => Promise<boolean>;
}

const CLUSTER_SIDE: ReadonlySet<string> = new Set([Reason.InvalidSpec, Reason.UnsupportedField, Reason.ResolvingTarget, Reason.ReadingMigrationData]);

/** Stalled on what only a change in the cluster can fix: a permanent failure of a cluster-side step that is not a registry's answer. */
function waitsForCluster(next: NextStep, error: StepError): boolean {
  return next.action === 'wait-for-change' && CLUSTER_SIDE.has(error.reason) && !error.outsideCluster;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

interface Attempt {
  readonly resource: AtlasMigrationObject;
  /** The resource as last read or written by this attempt (the base of the next status write). */
  latest: AtlasMigrationObject;
  readonly key: string;
  readonly inputsKey: string;
  spec?: ReadSpec;
  target?: Target;
  hash?: string;
  /** Failed attempts carried into this one (0 after an input change). */
  failed?: number;
  /** The plan as reviewed under the lock, once known. */
  reviewed?: { readonly review: PlanReview; readonly approved: boolean };
  /** status.observedDirDigest once the directory is read: the OCI manifest digest, null for other sources. */
  dirDigest?: string | null;
  dirMoved?: () => Promise<boolean>;
}

/** What a run of the migrate step needs, established by the earlier steps. */
interface MigrateInputs {
  readonly spec: ReadSpec;
  readonly target: Target;
  readonly hash: string;
  readonly directory: Parameters<typeof migrateDatabase>[0]['directory'];
  readonly failed: number;
}

/** What a run of the migrate step gives back. */
interface MigrateRun {
  readonly result: ApplyResult;
  /** Where the revisions table is (the resync check reads it). */
  readonly schema: string;
}

/** What beforeExecute works with, besides the attempt. */
interface PlanContext {
  readonly plan: ExecutionPlan;
  readonly dialect: DialectName;
  readonly progressing: ProgressingAnnouncement;
}

export class Reconciler {
  private readonly memory = new Map<string, Remembered>();
  /**
   * The target a resource waiting for its database turn resolved, with the
   * inputs it was resolved from: taken when its turn comes if the watches
   * saw no change meanwhile, so a waiting resource reads its Secret once,
   * not once per attempt (10,000 tenants created at once each wait).
   */
  private readonly waitingTargets = new Map<string, { readonly inputsKey: string; readonly target: Target }>();

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Remembers an outcome, unless the resource was deleted while it ran. */
  private remember(key: string, what: Remembered): void {
    if (this.deps.cached(key) !== undefined) this.memory.set(key, what);
  }

  forget(key: string): void {
    this.memory.delete(key);
    this.waitingTargets.delete(key);
    this.deps.index.remove(key);
    this.deps.metrics.pendingFiles.forget(key);
  }

  async reconcile(key: string, trigger: Trigger): Promise<ReconcileResult> {
    const since = this.deps.databases.mark();
    try {
      return await this.reconcileKey(key, trigger);
    } finally {
      // A database turn kept for this key and not taken passes to the next resource waiting for it.
      this.deps.databases.settle(key, since);
    }
  }

  private async reconcileKey(key: string, trigger: Trigger): Promise<ReconcileResult> {
    const cached = this.deps.cached(key);
    if (cached === undefined || cached.metadata.deletionTimestamp !== undefined) {
      // Deleting a resource never touches its database.
      this.forget(key);
      return {};
    }
    const refs = referencesOf(cached.metadata.namespace, cached.spec as never);
    this.deps.index.set(key, refs);
    const inputs = inputsKey(resourceIdentity(cached.metadata), refs, this.deps.refVersion);
    const mem = this.memory.get(key);
    if (mem !== undefined && mem.inputsKey === inputs && (await this.unchanged(key, mem, trigger))) {
      this.deps.metrics.reconciles.inc({ result: 'unchanged' });
      this.waitingTargets.delete(key);
      return {};
    }
    return this.attempt(key, inputs, trigger);
  }

  /** True when nothing needs doing: the inputs are the same and the database has not moved. */
  private async unchanged(key: string, mem: Remembered, trigger: Trigger): Promise<boolean> {
    switch (mem.outcome) {
      case 'retrying':
        return trigger !== 'retry';
      case 'stalled':
        return mem.waitsForCluster === true || trigger !== 'resync';
      case 'dry-run':
      case 'held':
        return trigger !== 'resync';
      case 'ready':
        return trigger !== 'resync' || ((await this.dirUnmoved(key, mem)) && (await this.databaseUnmoved(key, mem)));
    }
  }

  /** The resync check of a directory pulled by tag: one HEAD; a failure reconciles (and reports it). */
  private async dirUnmoved(key: string, mem: Remembered): Promise<boolean> {
    if (mem.dirMoved === undefined) return true;
    try {
      const moved = await mem.dirMoved();
      if (moved) this.deps.log.info({ resource: key }, 'the OCI tag names another manifest since the last reconcile');
      return !moved;
    } catch (e) {
      this.deps.log.info({ resource: key, err: this.deps.scrubber.scrub((e as Error).message) }, 'resync check of the OCI tag failed; reconciling');
      return false;
    }
  }

  /** The resync check: one query for the last revision, compared with what the last run left. */
  private async databaseUnmoved(key: string, mem: Remembered): Promise<boolean> {
    if (mem.url === undefined || mem.schema === undefined) return false;
    // A check is one query on its own: a kept session would cost a round trip to bind (set_config) and
    // is rarely there to take (checks are spread over the period).
    const driver = this.deps.openDriver(mem.url, { reuseSessions: false });
    try {
      const last = await driver.readLastRevision(mem.schema);
      const moved = last === undefined ? mem.lastVersion !== undefined : last.version !== mem.lastVersion || last.applied < last.total || last.error !== '';
      if (moved) this.deps.log.info({ resource: key, expected: mem.lastVersion ?? null, found: last?.version ?? null }, 'the database moved since the last reconcile');
      return !moved;
    } catch (e) {
      this.deps.log.info({ resource: key, err: (e as Error).message }, 'resync check failed; reconciling');
      return false;
    } finally {
      await driver.close();
    }
  }

  private async attempt(key: string, inputs: string, trigger: Trigger): Promise<ReconcileResult> {
    const [namespace, name] = splitKey(key);
    const started = performance.now();
    // The watch's copy is as fresh as a GET in all but a race; status writes are guarded by its
    // resourceVersion, so a stale copy ends in 409 Conflict and a real GET (status-writer.ts).
    const fresh = this.deps.cached(key) ?? (await this.deps.resources.get(namespace, name));
    if (fresh === undefined || fresh.metadata.deletionTimestamp !== undefined) {
      this.forget(key);
      return {};
    }
    const a: Attempt = { resource: fresh, latest: fresh, key, inputsKey: inputs };
    try {
      return await this.run(a, trigger);
    } catch (e) {
      if (e instanceof ApprovalHeldError) return await this.hold(a, e);
      return await this.fail(a, classify(e), trigger);
    } finally {
      this.deps.metrics.reconcileSeconds.observe((performance.now() - started) / 1000);
    }
  }

  /** A status write based on the attempt's latest view of the resource; the view moves to what was written. */
  private async writeStatus(a: Attempt, compute: ComputeStatus): Promise<void> {
    const { namespace, name } = a.resource.metadata;
    const digest = a.dirDigest;
    const withDigest: ComputeStatus = digest === undefined ? compute : (fresh) => ({ ...compute(fresh), observedDirDigest: digest });
    const written = await this.deps.status.update(namespace, name, withDigest, a.latest);
    if (written.object !== undefined) a.latest = written.object;
    this.deps.metrics.pendingFiles.set(a.key, written.object?.status?.pendingCount ?? 0);
  }

  private base(a: Attempt): PatchBase {
    return { generation: a.resource.metadata.generation, previous: a.resource.status?.conditions, now: new Date(), scrub: (t) => this.deps.scrubber.scrub(t) };
  }

  /** Whether the inputs differ from those of the last recorded attempt (a change resets the failure count). */
  private inputsChanged(a: Attempt): boolean {
    const s = a.resource.status;
    if (s?.observedGeneration !== a.resource.metadata.generation) return true;
    if (a.hash !== undefined && s.observed_hash !== a.hash) return true;
    const mem = this.memory.get(a.key);
    return mem !== undefined && mem.inputsKey !== a.inputsKey;
  }

  private async run(a: Attempt, trigger: Trigger): Promise<ReconcileResult> {
    const { namespace } = a.resource.metadata;
    a.spec = readSpec(a.resource, a.key);
    a.target = this.targetResolvedWhileWaiting(a) ?? (await resolveTarget(a.spec.spec, namespace, this.deps.reader));
    this.deps.scrubber.add(a.target.secrets);
    const read = await readDirectory(a.spec.spec, namespace, this.deps.reader, this.deps.oci && { source: this.deps.oci, signal: this.deps.shutdown });
    const { directory } = read;
    this.deps.scrubber.add(read.secrets);
    // status.observedDirDigest: the digest read; cleared (null) only when a previous OCI source left one.
    a.dirDigest = read.digest ?? (a.resource.status?.observedDirDigest === undefined ? undefined : null);
    a.dirMoved = read.moved;
    a.hash = observedHash(a.target, directory, a.spec.options, read.digest);
    const failed = this.inputsChanged(a) ? 0 : (a.resource.status?.failed ?? 0);
    a.failed = failed;
    const { spec, target, hash } = a as Required<Attempt>;
    const ran = await this.onDatabase(a, { trigger, reuseSessions: !mayResetSession(directory) }, (driver) => this.migrate(a, driver, { spec, target, hash, directory, failed }));
    if (ran === undefined) return {};
    const { result, schema } = ran;
    try {
      await this.finish(a, result, schema);
    } catch (e) {
      // The database is migrated; only the report failed. Not a failed attempt: write it again soon.
      this.deps.log.warn({ resource: a.key, err: this.deps.scrubber.scrub((e as Error).message) }, 'status write after a successful run failed; retrying');
      this.memory.delete(a.key);
      return { requeueAfterMs: this.deps.settings.backoff.baseMs };
    }
    return {};
  }

  /**
   * `work` on a connected driver, in the database's turn; undefined when
   * the database is busy and the resource waits in line (woken when its
   * turn comes), or when the operator is stopping by the time a turn it
   * waited for comes. Connecting needs no turn: the resource whose turn is next
   * logs in while the run ahead finishes, and logs out after handing on.
   */
  private async onDatabase(a: Attempt, how: { trigger: Trigger; reuseSessions: boolean }, work: (driver: Driver) => Promise<MigrateRun>): Promise<MigrateRun | undefined> {
    const { target } = a as Required<Attempt>;
    const { trigger, reuseSessions } = how;
    let driver: Driver | undefined;
    const connect = async (): Promise<Driver> => {
      driver = this.deps.openDriver(target.url, { reuseSessions });
      if (!this.deps.shutdown.aborted) await driver.ping();
      return driver;
    };
    const { wake, park, shutdown } = this.deps;
    let waited = false;
    const parked = <T>(wait: Promise<T>): Promise<T> => ((waited = true), park === undefined ? wait : park(wait));
    // Stopping (SIGTERM, a lost Lease) by the time a turn it waited for comes: nothing starts and nothing
    // is reported, as when a waiter is not woken at all (the next leader or start reconciles it).
    const run = (driver: Driver): Promise<MigrateRun | undefined> => (waited && shutdown.aborted ? Promise.resolve(undefined) : work(driver));
    try {
      if (wake === undefined) return await this.deps.databases.run(target.database, async () => run(await connect()));
      const turn = await this.deps.databases.tryRun(target.database, { holder: a.key, wake: () => wake(a.key, trigger), prepare: connect, run, park: parked });
      if (turn.ran) return turn.value;
      this.waitingTargets.set(a.key, { inputsKey: a.inputsKey, target });
      this.deps.log.debug({ resource: a.key, target: target.parsed.redacted }, 'another run on the same database: waiting for it, without a worker');
      return undefined;
    } finally {
      await driver?.close();
    }
  }

  /** What this resource resolved while it waited, if nothing it depends on changed since (used once). */
  private targetResolvedWhileWaiting(a: Attempt): Target | undefined {
    const kept = this.waitingTargets.get(a.key);
    this.waitingTargets.delete(a.key);
    return kept?.inputsKey === a.inputsKey ? kept.target : undefined;
  }

  /** Under the database's turn: the engine's run on a connected driver (closed by the caller). */
  private async migrate(a: Attempt, driver: Driver, r: MigrateInputs): Promise<MigrateRun> {
    const { namespace, name } = a.resource.metadata;
    const progressing = new ProgressingAnnouncement(conditionTrue(a.latest.status, CONDITION_TYPES.Ready), this.deps.settings.progressIntervalMs, (e) =>
      this.deps.log.warn({ resource: a.key, err: (e as Error).message }, 'status write failed'),
    );
    const reporter = new ProgressReporter((patch) => this.deps.status.progress(namespace, name, patch), this.deps.settings.progressIntervalMs, new Date(), (e) =>
      this.deps.log.warn({ resource: a.key, err: (e as Error).message }, 'progress write failed'),
    );
    const timer = this.deps.metrics.migrationSeconds.startTimer();
    try {
      const result = await migrateDatabase({
        driver,
        directory: r.directory,
        options: r.spec.options,
        operatorVersion: this.deps.settings.operatorVersion,
        onEvent: (e) => {
          reporter.onEvent(e);
          if (e.type === 'statement-done') this.deps.metrics.statementsApplied.inc();
        },
        beforeExecute: (plan) => this.beforeExecute(a, r, { plan, dialect: driver.dialect, progressing }),
        signal: this.deps.shutdown,
      });
      if (!r.spec.options.dryRun && result.files.length > 0) timer({ result: 'applied' });
      return { result, schema: r.spec.options.revisionsSchema ?? driver.defaultRevisionsSchema() };
    } catch (e) {
      if (!(e instanceof ApprovalHeldError)) timer({ result: 'failed' });
      throw e;
    } finally {
      await progressing.settle();
      await reporter.close();
    }
  }

  /**
   * Under the lock, before the first statement: review the plan (lint, plan
   * hash), then hold it (throw; apply releases the lock having changed
   * nothing) or announce the run with status.plan. A dry run is reviewed
   * and never held.
   */
  private async beforeExecute(a: Attempt, r: MigrateInputs, at: PlanContext): Promise<void> {
    const { approval, options } = r.spec;
    const review = reviewPlan(at.plan, { dialect: at.dialect, linter: this.deps.linter, destructiveCodes: approval.destructiveCodes ?? this.deps.linter.defaultDestructive });
    const approvedPlan = approvedPlanOf(a.resource.metadata);
    a.reviewed = { review, approved: approvedPlan === review.hash };
    if (options.dryRun) return;
    const decision = decideApproval({ policy: approval.policy, filesPending: review.files.length, destructive: review.destructive.length, planHash: review.hash, approvedPlan });
    if (decision.kind === 'held') throw new ApprovalHeldError(review, decision);
    const log = { resource: a.key, target: r.target.parsed.redacted, from: at.plan.current ?? null, files: at.plan.files.length, plan: review.hash, findings: review.findings.length, approval: decision.kind };
    this.deps.log.info(log, 'applying');
    const shown = planStatus(review, a.reviewed.approved);
    // A plan with findings is published before anything runs, so a reviewer always sees what ran.
    const now = review.findings.length > 0;
    await at.progressing.announce(() => this.writeStatus(a, (fresh) => progressingPatch({ ...this.base(a), previous: fresh.status?.conditions }, at.plan, r.hash, r.failed, shown)), now);
  }

  /** The plan waits for approval: not a failure (no count, no backoff); said once per plan in an event. */
  private async hold(a: Attempt, held: ApprovalHeldError): Promise<ReconcileResult> {
    const { namespace, name } = a.resource.metadata;
    const { review, decision } = held;
    const message = this.deps.scrubber.scrub(heldConditionMessage({ namespace, name }, review, decision));
    const said = a.resource.status?.conditions?.find((c) => c.type === CONDITION_TYPES.Ready);
    // The message names the plan and any stale approval: the same message means the same news. What
    // this process said last counts too: the watch's copy of the resource can still predate that write.
    const saidHere = this.memory.get(a.key)?.heldMessage === message;
    const news = !saidHere && (said?.reason !== Reason.ApprovalPending || said.message !== message);
    this.deps.metrics.reconciles.inc({ result: 'approval_pending' });
    this.deps.log.info({ resource: a.key, plan: review.hash, findings: review.findings.length, destructive: review.destructive.length, staleApproval: decision.staleApproval ?? null }, 'waiting for approval');
    try {
      const waiting = { message, review, hash: a.hash ?? '', failed: a.failed ?? 0 };
      await this.writeStatus(a, (fresh) => approvalPendingPatch({ ...this.base(a), previous: fresh.status?.conditions }, waiting));
    } catch (e) {
      this.deps.log.warn({ resource: a.key, err: (e as Error).message }, 'status write failed');
      this.memory.delete(a.key);
      return { requeueAfterMs: this.deps.settings.backoff.baseMs };
    }
    if (news) await this.deps.events.record(a.resource, 'Warning', Reason.ApprovalPending, this.deps.scrubber.scrub(heldEventMessage({ namespace, name }, review, decision)));
    this.remember(a.key, { inputsKey: a.inputsKey, outcome: 'held', heldMessage: message });
    return {};
  }

  private async finish(a: Attempt, result: ApplyResult, schema: string): Promise<void> {
    const { spec, target, hash } = a as Required<Attempt>;
    const dry = spec.options.dryRun && result.files.length > 0;
    const version = versionAfter(result);
    const applied = !dry && result.files.length > 0;
    // The files are applied whether or not the status write below succeeds: log and count them first.
    // (Found by e2e/faults: with kube-apiserver down at the end of a run the write failed, the retry
    // found nothing pending, and the run that applied every file left no 'applied' line and no count.)
    if (applied) {
      this.deps.metrics.reconciles.inc({ result: 'applied' });
      this.deps.metrics.filesApplied.inc({}, result.files.length);
      this.deps.log.info({ resource: a.key, version: version ?? null, files: result.files.length }, 'applied');
    }
    await this.writeStatus(a, (fresh) => {
      const base = { ...this.base(a), previous: fresh.status?.conditions };
      return dry ? dryRunPatch(base, result, hash, this.reviewedPlan(a)) : readyPatch(base, result, hash, spec.unused);
    });
    if (dry) {
      this.deps.metrics.reconciles.inc({ result: 'dry_run' });
      await this.deps.events.record(a.resource, 'Normal', Reason.DryRun, `Dry run: ${result.files.length} migration file(s) would be applied`);
    } else if (applied) {
      await this.deps.events.record(a.resource, 'Normal', Reason.Applied, `Applied ${result.files.length} migration${result.files.length === 1 ? '' : 's'}, now at ${version ?? '?'}`);
    } else {
      this.deps.metrics.reconciles.inc({ result: 'unchanged' });
    }
    this.remember(a.key, {
      inputsKey: a.inputsKey,
      outcome: dry ? 'dry-run' : 'ready',
      url: target.url,
      schema,
      ...(version === undefined ? {} : { lastVersion: version }),
      ...(a.dirMoved === undefined ? {} : { dirMoved: a.dirMoved }),
    });
  }

  private reviewedPlan(a: Attempt): PlanStatus | undefined {
    return a.reviewed === undefined ? undefined : planStatus(a.reviewed.review, a.reviewed.approved);
  }

  private async fail(a: Attempt, error: StepError, trigger: Trigger): Promise<ReconcileResult> {
    const failed = (this.inputsChanged(a) ? 0 : (a.resource.status?.failed ?? 0)) + 1;
    const backoffLimit = a.spec?.options.backoffLimit ?? 20;
    const shuttingDown = this.deps.shutdown.aborted;
    const next: NextStep = shuttingDown ? { action: 'retry', afterMs: 0 } : nextStep(error.kind, failed, backoffLimit, this.deps.settings.backoff);
    this.deps.scrubber.add(error.secrets);
    const message = this.deps.scrubber.scrub(error.message);
    this.deps.metrics.reconciles.inc({ result: 'failed' });
    this.deps.metrics.reconcileErrors.inc({ reason: error.reason });
    this.deps.log.warn({ resource: a.key, reason: error.reason, kind: error.kind, failed, trigger, next: next.action, err: message }, 'reconcile failed');
    try {
      await this.writeStatus(a, (fresh) => failurePatch({ ...this.base(a), previous: fresh.status?.conditions }, { error, failed, next, backoffLimit, hash: a.hash }));
    } catch (e) {
      this.deps.log.warn({ resource: a.key, err: (e as Error).message }, 'status write failed');
      this.memory.delete(a.key);
      return { requeueAfterMs: this.deps.settings.backoff.baseMs };
    }
    await this.recordFailure(a, error, { message, failed, backoffLimit, next });
    const outcome = next.action === 'retry' ? 'retrying' : 'stalled';
    this.remember(a.key, { inputsKey: a.inputsKey, outcome, waitsForCluster: waitsForCluster(next, error) });
    return next.action === 'retry' && !shuttingDown ? { requeueAfterMs: next.afterMs } : {};
  }

  /** A Warning per failure; one more when the backoff limit is first reached. */
  private async recordFailure(a: Attempt, error: StepError, f: { message: string; failed: number; backoffLimit: number; next: NextStep }): Promise<void> {
    await this.deps.events.record(a.resource, 'Warning', error.reason, f.message);
    if (f.next.action === 'give-up' && !conditionTrue(a.resource.status, CONDITION_TYPES.Stalled)) {
      await this.deps.events.record(a.resource, 'Warning', Reason.BackoffLimitExceeded, `Gave up after ${f.failed} attempts (backoffLimit ${f.backoffLimit}): ${f.message}`);
    }
  }
}
