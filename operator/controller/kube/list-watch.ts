/**
 * List, then watch from the list's resourceVersion, forever: the piece of
 * @dot-i/k8s-operator that could not be made safe (its watch has no
 * initial list and no resourceVersion, calls process.exit(1) on any error,
 * crashes on a watch ERROR event and never notices a silently dead stream).
 *
 * Here an error never leaves this loop: connection failures reconnect with
 * a capped exponential backoff from the last resourceVersion; 410 Gone (or
 * an ERROR event) re-lists and reports what changed in between, deletions
 * included; bookmarks keep the resourceVersion fresh; a watchdog aborts a
 * stream that stays silent past the server's own timeout.
 */
import type { IncomingMessage } from 'node:http';
import { CodedError } from '../../migrate/dialects/coded-error';
import { ApiError, apiError, readBody, resourcePath, type KubeClient, type ResourceRef } from './api-client';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly resourceVersion: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly labels?: Record<string, string>;
  readonly deletionTimestamp?: string;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
}

export interface WatchLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ListWatchOptions {
  readonly client: KubeClient;
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  /** Receive only metadata (PartialObjectMetadata): Secrets and ConfigMaps are never transferred or kept whole. */
  readonly metadataOnly?: boolean;
  /** Called for every change; must not block. */
  readonly onEvent: (type: WatchEventType, object: KubeObject) => void;
  readonly log: WatchLogger;
  /** Server-side watch timeout; the stream is then re-opened from the last resourceVersion. Default 300 s. */
  readonly timeoutSeconds?: number;
  /** Reconnect backoff. Default 200 ms doubling to 30 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Time and timers (backoff, watchdog); tests drive them by hand. Default the real ones. */
  readonly clock?: WatchClock;
}

export interface WatchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: WatchClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The resourceVersion is too old (410 Gone): list again. */
class GoneError extends CodedError<'Gone'> {
  readonly code = 'Gone';
}

const PAGE_SIZE = '500';
/**
 * A watch that ends sooner than this having delivered nothing is a failure,
 * not the server's timeout (client-go's rule): a proxy or server closing
 * every watch at once would otherwise be re-opened in a tight loop.
 */
const SHORTEST_WATCH_MS = 1000;

function keyOf(meta: ObjectMeta): string {
  return meta.namespace === undefined ? meta.name : `${meta.namespace}/${meta.name}`;
}

/**
 * What a metadata-only watch keeps: identity and version. Annotations can
 * hold a Secret's content (kubectl's last-applied-configuration), so they
 * are never kept or passed on.
 */
function slim(obj: KubeObject): KubeObject {
  const { name, namespace, resourceVersion, uid } = obj.metadata;
  return { metadata: { name, resourceVersion, ...(namespace === undefined ? {} : { namespace }), ...(uid === undefined ? {} : { uid }) } };
}

/** kubectl's copy of the whole object as last applied (client-side apply). */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What a full watch keeps: the object without `metadata.managedFields`
 * and kubectl's last-applied-configuration annotation, which nothing here
 * reads and which are most of a small object's size (with 10,000
 * AtlasMigrations cached, about 1.5 KB each). The object is changed in
 * place: it was just parsed and nothing else holds it.
 */
function trimmed(obj: KubeObject): KubeObject {
  const meta = obj.metadata as ObjectMeta & { managedFields?: unknown; annotations?: Record<string, string> };
  delete meta.managedFields;
  if (meta.annotations !== undefined && LAST_APPLIED in meta.annotations) {
    const rest = Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => k !== LAST_APPLIED));
    if (Object.keys(rest).length === 0) delete meta.annotations;
    else meta.annotations = rest;
  }
  return obj;
}

function isObject(value: unknown): value is KubeObject {
  const meta = (value as { metadata?: Partial<ObjectMeta> } | null)?.metadata;
  return typeof meta?.name === 'string' && typeof meta.resourceVersion === 'string';
}

export class ListWatch {
  private readonly cache = new Map<string, KubeObject>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private current: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private markSynced: () => void = () => undefined;
  private readonly clock: WatchClock;
  /** Lines received on any stream (events, bookmarks, errors). */
  private lines = 0;
  /** Resolves after the first complete list. */
  readonly synced: Promise<void>;
  /** When the stream last proved alive (list, event or bookmark), ms since the epoch. */
  lastActivity = 0;
  /** Times the watch was re-opened after an error (not counting normal server-side timeouts). */
  restarts = 0;

  constructor(private readonly opts: ListWatchOptions) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    this.clock = opts.clock ?? realClock;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    await this.loop;
  }

  /** The object last seen for `namespace/name`. */
  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  objects(): KubeObject[] {
    return [...this.cache.values()];
  }

  private get what(): string {
    const r = this.opts.resource;
    return `${r.plural}${r.group === '' ? '' : '.' + r.group}${r.namespace === undefined ? '' : ` in ${r.namespace}`}`;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        if (this.stopped) return;
        await this.watchOnce();
        failures = 0;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof GoneError) {
          this.opts.log.info({ resource: this.what }, 'watch expired; listing again');
          this.resourceVersion = undefined;
          continue;
        }
        failures++;
        this.restarts++;
        // A resourceVersion the server keeps refusing (say, after an etcd restore) is dropped: list again.
        if (failures >= 3) this.resourceVersion = undefined;
        const delay = this.delay(failures);
        this.opts.log.warn({ resource: this.what, err: (e as Error).message, retryInMs: delay }, 'watch failed; reconnecting');
        await this.sleep(delay);
      }
    }
  }

  private delay(failures: number): number {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 200, maxMs: 30_000 };
    const d = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20));
    return Math.round(d / 2 + Math.random() * (d / 2));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const abort = new AbortController();
      this.current = abort;
      const t = this.clock.setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
  }

  private keep(obj: KubeObject): KubeObject {
    return this.opts.metadataOnly === true ? slim(obj) : trimmed(obj);
  }

  private accept(list: boolean): string | undefined {
    if (this.opts.metadataOnly !== true) return undefined;
    return `application/json;as=PartialObjectMetadata${list ? 'List' : ''};g=meta.k8s.io;v=v1,application/json`;
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    try {
      this.opts.onEvent(type, object);
    } catch (e) {
      this.opts.log.warn({ resource: this.what, err: (e as Error).message }, 'event handler failed');
    }
  }

  /** Lists every object (paginated) and reports the differences with what was known before. */
  private async relist(): Promise<void> {
    const seen = new Map<string, KubeObject>();
    let cont: string | undefined;
    let listVersion = '';
    // stop() aborts a list too: an API server that hangs must not hold shutdown for the request timeout.
    const abort = new AbortController();
    this.current = abort;
    do {
      const path = resourcePath(this.opts.resource, { labelSelector: this.opts.labelSelector, limit: PAGE_SIZE, continue: cont });
      const page = await this.opts.client.json<{ metadata: { resourceVersion: string; continue?: string }; items: KubeObject[] | null }>({
        method: 'GET',
        path,
        signal: abort.signal,
        ...(this.accept(true) === undefined ? {} : { accept: this.accept(true) }),
      });
      for (const item of page.items ?? []) if (isObject(item)) seen.set(keyOf(item.metadata), this.keep(item));
      cont = page.metadata.continue;
      listVersion = page.metadata.resourceVersion;
    } while (cont !== undefined && cont !== '');
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('DELETED', old);
      }
    }
    for (const [key, obj] of seen) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (old === undefined) this.emit('ADDED', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('MODIFIED', obj);
    }
    this.resourceVersion = listVersion;
    this.lastActivity = this.clock.now();
    this.markSynced();
  }

  /** One watch stream, until the server ends it; throws on errors. */
  private async watchOnce(): Promise<void> {
    const timeoutSeconds = this.opts.timeoutSeconds ?? 300;
    const abort = new AbortController();
    this.current = abort;
    // A stream silent past the server's timeout (plus slack) is dead: abort it and reconnect.
    // Armed before the request: a server that never answers the watch is as dead as one that stops talking.
    const silentMs = (timeoutSeconds + 30) * 1000;
    let watchdog = this.clock.setTimeout(() => abort.abort(), silentMs);
    const openedAt = this.clock.now();
    const linesBefore = this.lines;
    let buffered = '';
    try {
      const res = await this.openWatch(timeoutSeconds, abort.signal);
      for await (const chunk of res) {
        this.clock.clearTimeout(watchdog);
        watchdog = this.clock.setTimeout(() => abort.abort(), silentMs);
        buffered = this.handleLines(buffered + (chunk as Buffer).toString('utf8'));
      }
    } catch (e) {
      throw abort.signal.aborted && !this.stopped ? new Error('watch stream silent for too long', { cause: e }) : e;
    } finally {
      this.clock.clearTimeout(watchdog);
    }
    if (abort.signal.aborted && !this.stopped) throw new Error('watch stream silent for too long');
    if (this.lines === linesBefore && this.clock.now() - openedAt < SHORTEST_WATCH_MS) throw new Error('watch closed at once with no events');
  }

  /** Opens the stream from the last resourceVersion; an answer other than 200 is thrown (410 as GoneError). */
  private async openWatch(timeoutSeconds: number, signal: AbortSignal): Promise<IncomingMessage> {
    const path = resourcePath(this.opts.resource, {
      watch: '1',
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      labelSelector: this.opts.labelSelector,
    });
    const res = await this.opts.client.open({ method: 'GET', path, signal, ...(this.accept(false) === undefined ? {} : { accept: this.accept(false) }) });
    if (res.statusCode !== 200) {
      const err = apiError(res.statusCode ?? 0, await readBody(res), `watch ${this.what}`);
      throw err.status === 410 ? new GoneError(err.message) : err;
    }
    return res;
  }

  /** Handles every complete line; returns the incomplete rest. */
  private handleLines(text: string): string {
    let rest = text;
    for (let newline = rest.indexOf('\n'); newline >= 0; newline = rest.indexOf('\n')) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (line.trim() !== '') this.handleLine(line);
    }
    return rest;
  }

  private handleLine(line: string): void {
    this.lines++;
    const event = JSON.parse(line) as { type: string; object: unknown };
    if (event.type === 'ERROR') throw this.errorEvent(event.object as { code?: number; reason?: string; message?: string });
    // Only events and bookmarks prove the stream healthy (liveness); an ERROR event does not.
    this.lastActivity = this.clock.now();
    if (event.type === 'BOOKMARK') {
      // A bookmark carries only a resourceVersion (no name).
      const rv = (event.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
      if (rv !== undefined) this.resourceVersion = rv;
      return;
    }
    if (!isObject(event.object)) return;
    const obj = this.keep(event.object);
    this.resourceVersion = obj.metadata.resourceVersion;
    const key = keyOf(obj.metadata);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('DELETED', obj);
    } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      this.cache.set(key, obj);
      this.emit(event.type, obj);
    }
  }

  /** A watch ERROR event (a Status object): 410 means list again, anything else reconnects. */
  private errorEvent(status: { code?: number; reason?: string; message?: string }): Error {
    if (status.code === 410) return new GoneError(status.message ?? 'resource version expired');
    return new ApiError(status.code ?? 500, status.reason ?? '', `watch ${this.what}: ${status.message ?? 'error event'}`);
  }
}
