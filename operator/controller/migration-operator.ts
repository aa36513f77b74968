/**
 * The operator: a subclass of @dot-i/k8s-operator's Operator. The framework
 * provides the lifecycle (start → init, stop) and the KubeConfig (a
 * kubeconfig file, or the pod's in-cluster token, re-read as it rotates).
 * Its watch is replaced behind `watchResource` by our ListWatch (see
 * kube/list-watch.ts for why), and its serial event queue and status
 * writes are not used: events only add keys to our WorkQueue, and the
 * Reconciler writes status from fresh reads.
 */
// First: stand-ins for modules our libraries load but the operator does not use (deferred-modules.ts).
import './deferred-modules';
import Operator, { ResourceEventType, type ResourceEvent, type ResourceMeta } from '@dot-i/k8s-operator';
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, PLURAL } from '../api/atlasmigration-schema';
import { openDriver } from '../migrate/dialects/registry';
import { SessionCache } from '../migrate/dialects/session-cache';
import { OciPuller } from '../oci/puller';
import { PROGRAM_NAME, PROGRAM_VERSION } from '../version';
import { EventRecorder } from './event-recorder';
import { resourceIdentity } from './inputs';
import { KeyedMutex } from './keyed-mutex';
import { KubeClient } from './kube/api-client';
import { kubeLeaseApi, LeaderElector, type LeaderElectionTimings } from './kube/leader-election';
import { ListWatch, type KubeObject, type WatchEventType } from './kube/list-watch';
import { AtlasMigrationApi, CoreObjectReader, type AtlasMigrationObject } from './kube/resources';
import type { Logger } from './logger';
import { createMetrics, type OperatorMetrics } from './metrics';
import { migrateLint } from './plan-linter';
import { Reconciler, type Trigger } from './reconciler';
import { refKey, ReferenceIndex, type ReferencedKind } from './reference-index';
import type { BackoffSettings } from './requeue-policy';
import { ResyncSchedule } from './resync-schedule';
import type { SecretScrubber } from './secret-scrubber';
import { StatusWriter } from './status-writer';
import { CachingObjectReader } from './steps/config-map-cache';
import { WorkQueue } from './work-queue';

export interface OperatorSettings {
  /** A kubeconfig file; otherwise the framework's default (KUBECONFIG, ~/.kube/config, in-cluster). */
  readonly kubeconfig?: string;
  /** Namespaces to watch; empty = all. */
  readonly namespaces: readonly string[];
  readonly labelSelector?: string;
  readonly concurrency: number;
  readonly resyncPeriodMs: number;
  readonly backoff: BackoffSettings;
  /** Minimum time between two progress writes of one run. */
  readonly progressIntervalMs: number;
  /** Bound of each query the engine makes itself (not of migration statements); 0: none; default 30 s. */
  readonly queryTimeoutMs?: number;
  /** Server-side watch timeout (the watch is then re-opened). */
  readonly watchTimeoutSeconds: number;
  /** Reconcile only while holding this Lease (`--leader-elect`); absent: always. */
  readonly leaderElection?: LeaderElectionSettings;
  /** Per-resource series of the pending files metric at most (default 1000). */
  readonly metricsPendingSeriesLimit?: number;
}

export interface LeaderElectionSettings extends LeaderElectionTimings {
  /** Namespace and name of the Lease. */
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica's holderIdentity: pod name, `_`, a random suffix. */
  readonly identity: string;
}

export interface WatchOptions {
  readonly labelSelector?: string;
  readonly metadataOnly?: boolean;
}

const TRIGGER_RANK: Readonly<Record<Trigger, number>> = { resync: 0, retry: 1, change: 2 };

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function metaOf(plural: string, o: KubeObject): ResourceMeta {
  const { name, namespace, resourceVersion, uid } = o.metadata;
  return { name, ...(namespace === undefined ? {} : { namespace }), id: uid ?? `${plural}/${keyOf(o)}`, resourceVersion, apiVersion: o.apiVersion ?? '', kind: o.kind ?? '' };
}

export class MigrationOperator extends Operator {
  readonly client: KubeClient;
  readonly metrics: OperatorMetrics;
  private readonly watches = new Map<string, ListWatch>();
  /** `uid/generation` (and the approved plan) last seen per key: a change of any (an edit, a re-creation, an approval) is work. */
  private readonly generations = new Map<string, string>();
  private readonly queue: WorkQueue<Trigger>;
  private readonly reconciler: Reconciler;
  private readonly index = new ReferenceIndex();
  private readonly stopping = new AbortController();
  /** Aborted when this replica loses the Lease: running migrations stop between statements, as on shutdown. */
  private readonly leadership = new AbortController();
  /** PostgreSQL sessions kept between runs with the same credentials (many tenant schemas on one server log in once). */
  private readonly sessions = new SessionCache<object>();
  private readonly elector: LeaderElector | undefined;
  /** Each resource once per resync period, at its own offset in it (resync-schedule.ts). */
  private readonly resyncs: ResyncSchedule;
  private initialized = false;
  private working = false;
  private markLost: () => void = () => undefined;
  /**
   * Resolves if this replica loses the Lease (never without
   * `--leader-elect`). By then no reconcile starts and running ones are
   * stopping; the process is expected to shut down and exit non-zero, to
   * come back as a follower.
   */
  readonly leadershipLost = new Promise<void>((resolve) => (this.markLost = resolve));

  constructor(
    private readonly settings: OperatorSettings,
    private readonly log: Logger,
    scrubber: SecretScrubber,
  ) {
    super({
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    });
    if (settings.kubeconfig !== undefined) this.kubeConfig.loadFromFile(settings.kubeconfig);
    this.client = new KubeClient(this.kubeConfig, (method, watch, status) => this.metrics.apiRequest(method, watch, status));
    this.queue = new WorkQueue<Trigger>((key, trigger) => this.process(key, trigger), settings.concurrency, (a, b) => (TRIGGER_RANK[a] >= TRIGGER_RANK[b] ? a : b), log, {
      paused: true,
      onStart: (waited) => this.metrics.queueSeconds.observe(waited),
    });
    this.metrics = createMetrics(
      {
        queueDepth: () => this.queue.depth,
        activeReconciles: () => this.queue.active,
        resources: () => this.migrationKeys().length,
        watchRestarts: () => [...this.watches.values()].reduce((n, w) => n + w.restarts, 0),
      },
      settings.metricsPendingSeriesLimit === undefined ? {} : { pendingSeriesLimit: settings.metricsPendingSeriesLimit },
    );
    this.resyncs = new ResyncSchedule({ periodMs: settings.resyncPeriodMs, keys: () => this.migrationKeys(), enqueue: (key) => this.enqueue(key, 'resync') });
    // Without --leader-elect the only replica leads; with it, the elector's callbacks say (below).
    this.metrics.setLeader(true);
    const resources = new AtlasMigrationApi(this.client);
    this.reconciler = new Reconciler({
      resources,
      reader: new CachingObjectReader(new CoreObjectReader(this.client), (ns, name) => this.refVersion(refKey('ConfigMap', ns, name))),
      status: new StatusWriter(resources),
      events: new EventRecorder(this.client, log),
      openDriver: (url, { reuseSessions }) =>
        openDriver(url, { ...(settings.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: settings.queryTimeoutMs }), ...(reuseSessions ? { sessions: this.sessions } : {}) }),
      linter: migrateLint,
      log,
      scrubber,
      databases: new KeyedMutex(),
      // A reconcile whose database is busy gives its worker back and comes back here when its turn comes,
      // at the head of the queue: the database is kept for it meanwhile.
      wake: (key, trigger) => this.queue.addFirst(key, trigger),
      // The resource whose turn is next connects, then waits for the run ahead without a worker.
      park: (wait) => this.queue.parked(wait),
      metrics: this.metrics,
      index: this.index,
      // spec.dir.oci: pulled directories cached by manifest digest (256 MiB at most).
      oci: new OciPuller(),
      cached: (key) => this.cachedMigration(key),
      refVersion: (ref) => this.refVersion(ref),
      // Shutdown or lost leadership: either way a running migration stops between two statements.
      shutdown: AbortSignal.any([this.stopping.signal, this.leadership.signal]),
      settings: { backoff: settings.backoff, progressIntervalMs: settings.progressIntervalMs, operatorVersion: `${PROGRAM_NAME} v${PROGRAM_VERSION}` },
    });
    const election = settings.leaderElection;
    if (election !== undefined) {
      this.elector = new LeaderElector({
        api: kubeLeaseApi(this.client),
        namespace: election.namespace,
        name: election.leaseName,
        identity: election.identity,
        leaseDurationMs: election.leaseDurationMs,
        renewDeadlineMs: election.renewDeadlineMs,
        retryPeriodMs: election.retryPeriodMs,
        log,
        callbacks: { onStartedLeading: () => this.onStartedLeading(), onStoppedLeading: () => this.onStoppedLeading() },
      });
      this.reportLeader(false);
    }
  }

  /** The leader gauge (`setLeader` on the metrics object): 1 while this replica may reconcile. */
  private reportLeader(leader: boolean): void {
    this.metrics.setLeader(leader);
  }

  /** Whether this replica may start reconciles now: watches synced, not stopping, and leading when electing. */
  private mayWork(): boolean {
    return this.initialized && !this.stopping.signal.aborted && !this.leadership.signal.aborted && (this.elector === undefined || this.elector.isLeader);
  }

  /** Starts the work queue once every watch has listed and (with leader election) the Lease is ours. */
  private startWork(): void {
    if (this.working || !this.mayWork()) return;
    this.working = true;
    this.queue.resume();
    if (this.elector !== undefined) this.log.info({ identity: this.elector.identity, resources: this.migrationKeys().length }, 'leading: reconciles start');
  }

  private onStartedLeading(): void {
    this.reportLeader(true);
    if (!this.initialized) this.log.info({}, 'leading: reconciles start once the watches have listed');
    this.startWork();
  }

  /** The Lease is lost: start nothing more, stop running migrations between statements, and let the process exit. */
  private onStoppedLeading(): void {
    this.reportLeader(false);
    this.leadership.abort(new Error('leadership lost'));
    this.log.error({ running: this.queue.active }, 'leadership lost: no reconcile starts; running migrations stop between statements; exiting');
    void this.queue.shutdown().then(() => this.sessions.closeAll());
    this.markLost();
  }

  private namespaces(): (string | undefined)[] {
    return this.settings.namespaces.length === 0 ? [undefined] : [...this.settings.namespaces];
  }

  protected async init(): Promise<void> {
    const labelSelector = this.settings.labelSelector;
    // Every replica campaigns and watches at once: a follower keeps its caches warm, so a takeover needs no list.
    this.elector?.start();
    for (const ns of this.namespaces()) {
      await this.watchResource(API_GROUP, API_VERSION, PLURAL, (e) => this.onMigration(e), ns, labelSelector === undefined ? {} : { labelSelector });
      await this.watchResource('', 'v1', 'secrets', (e) => this.onReferenced('Secret', e), ns, { metadataOnly: true });
      await this.watchResource('', 'v1', 'configmaps', (e) => this.onReferenced('ConfigMap', e), ns, { metadataOnly: true });
    }
    await Promise.all([...this.watches.values()].map((w) => w.synced));
    this.initialized = true;
    this.log.info({ namespaces: this.settings.namespaces.length === 0 ? 'all' : this.settings.namespaces, resources: this.migrationKeys().length }, 'watches synced');
    // Reconciles start once every watch has listed (before that, a Secret not yet seen would look absent), and only on the leader.
    this.startWork();
    if (!this.working && this.elector !== undefined && !this.leadership.signal.aborted) {
      this.log.info({ identity: this.elector.identity, leader: this.elector.leader === '' ? null : this.elector.leader }, 'following: reconciles start when this replica acquires the lease');
    }
    // Not every key at once: each at the offset its hash gives it in the period, so the checks (one database
    // read each) arrive at a steady rate and at most `concurrency` connections are open for them at any time.
    this.resyncs.start();
  }

  /**
   * Replaces the framework's watch (same signature, plus options): list,
   * then watch from the list's resourceVersion, reconnecting and
   * re-listing as needed; never exits the process.
   */
  // The framework's five parameters, plus our options.
  // eslint-disable-next-line max-params
  protected override watchResource(
    group: string,
    version: string,
    plural: string,
    onEvent: (event: ResourceEvent) => Promise<void>,
    namespace?: string,
    options: WatchOptions = {},
  ): Promise<void> {
    const id = `${plural}${group === '' ? '' : '.' + group}@${namespace ?? '*'}`;
    const watch = new ListWatch({
      client: this.client,
      resource: { group, version, plural, ...(namespace === undefined ? {} : { namespace }) },
      ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
      metadataOnly: options.metadataOnly === true,
      timeoutSeconds: this.settings.watchTimeoutSeconds,
      log: this.log,
      onEvent: (type: WatchEventType, object: KubeObject) => {
        this.metrics.watchEvents.inc({ resource: plural });
        const event: ResourceEvent = { type: type as ResourceEventType, meta: metaOf(plural, object), object: object as KubernetesObject };
        onEvent(event).catch((e: unknown) => this.log.error({ watch: id, err: (e as Error).message }, 'event handler failed'));
      },
    });
    this.watches.set(id, watch);
    watch.start();
    return Promise.resolve();
  }

  private watchFor(plural: string, namespace: string): ListWatch | undefined {
    const group = plural === PLURAL ? `.${API_GROUP}` : '';
    return this.watches.get(`${plural}${group}@${namespace}`) ?? this.watches.get(`${plural}${group}@*`);
  }

  private cachedMigration(key: string): AtlasMigrationObject | undefined {
    const namespace = key.slice(0, key.indexOf('/'));
    return this.watchFor(PLURAL, namespace)?.get(key) as AtlasMigrationObject | undefined;
  }

  private refVersion(ref: string): string | undefined {
    const [kind, namespace = '', ...name] = ref.split('/');
    const watch = this.watchFor(kind === 'Secret' ? 'secrets' : 'configmaps', namespace);
    return watch?.get(`${namespace}/${name.join('/')}`)?.metadata.resourceVersion;
  }

  private migrationKeys(): string[] {
    return [...this.watches.entries()].filter(([id]) => id.startsWith(`${PLURAL}.`)).flatMap(([, w]) => w.objects().map(keyOf));
  }

  private enqueue(key: string, trigger: Trigger): void {
    this.queue.add(key, trigger);
  }

  private onMigration(event: ResourceEvent): Promise<void> {
    const key = keyOf(event.object as KubeObject);
    if (event.type === ResourceEventType.Deleted) {
      this.generations.delete(key);
      this.queue.forget(key);
      this.reconciler.forget(key);
      return Promise.resolve();
    }
    const meta = (event.object as KubeObject).metadata;
    const identity = resourceIdentity(meta);
    const before = this.generations.get(key);
    this.generations.set(key, identity);
    // Status writes (ours included) change the resourceVersion but not the generation: nothing to do for them.
    // The approval annotation is part of the identity: `kubectl annotate` wakes exactly that resource.
    if (before !== identity || meta.deletionTimestamp !== undefined) this.enqueue(key, 'change');
    return Promise.resolve();
  }

  private onReferenced(kind: ReferencedKind, event: ResourceEvent): Promise<void> {
    const o = event.object as KubeObject;
    for (const owner of this.index.dependents(refKey(kind, o.metadata.namespace ?? '', o.metadata.name))) this.enqueue(owner, 'change');
    return Promise.resolve();
  }

  private async process(key: string, trigger: Trigger): Promise<void> {
    // The renew deadline may have passed before its timer ran: a replica that is not surely leading starts nothing.
    if (!this.mayWork()) return;
    const result = await this.reconciler.reconcile(key, trigger);
    if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs, 'retry');
  }

  /** Liveness: every watch showed activity within its timeout plus slack. */
  healthy(): { ok: boolean; detail: string } {
    const limit = (this.settings.watchTimeoutSeconds + 90) * 1000;
    const stale = [...this.watches.entries()].filter(([, w]) => w.lastActivity > 0 && Date.now() - w.lastActivity > limit).map(([id]) => id);
    return stale.length === 0 ? { ok: true, detail: `${this.watches.size} watches alive` } : { ok: false, detail: `no watch activity: ${stale.join(', ')}` };
  }

  ready(): { ok: boolean; detail: string } {
    if (this.stopping.signal.aborted) return { ok: false, detail: 'shutting down' };
    return this.initialized ? { ok: true, detail: 'watches synced' } : { ok: false, detail: 'initial lists in progress' };
  }

  override stop(): void {
    void this.shutdown();
  }

  /**
   * Stops the watches, lets running migrations stop between statements,
   * waits for them, then releases the Lease if this replica holds it (so a
   * follower takes over on its next retry, not after the lease expires).
   */
  async shutdown(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.resyncs.stop();
    // The queue closes first: no reconcile starts after the abort; running ones stop between statements.
    // The leader keeps renewing until they have, and releases only then.
    const drained = this.queue.shutdown().then(() => this.elector?.stop());
    await Promise.all([drained, ...[...this.watches.values()].map((w) => w.stop())]);
    this.sessions.closeAll();
    this.reportLeader(false);
    this.client.close();
  }
}
