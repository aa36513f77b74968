/**
 * Follows one object by name with the least access: a GET, then a watch
 * narrowed by fieldSelector=metadata.name from the object's
 * resourceVersion (RBAC's get and watch verbs; no list, so a Role limited
 * by resourceNames is enough). A missing object is a state, not an error:
 * the watch then reports its creation. Connection failures and server
 * errors re-read and re-watch with a capped backoff; 401 and 403 end the
 * watch (they do not heal by retrying).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, apiError, isNotFound, readBody, resourcePath, type KubeClient, type ResourceRef } from '../controller/kube/api-client';
import { CodedError } from '../migrate/dialects/coded-error';

export interface ObjectWatchOptions {
  readonly client: KubeClient;
  /** The object's collection (namespace set) and its name. */
  readonly resource: ResourceRef & { readonly namespace: string; readonly name: string };
  /** Aborting ends the watch; watchObject then resolves. */
  readonly signal: AbortSignal;
  /** The object as it is now, or undefined when it does not exist; called after every read and watch event. */
  readonly onChange: (object: unknown) => void;
  /** A failure that will be retried (for "last seen" messages). */
  readonly onRetry: (error: Error) => void;
  /** Server-side timeout of one watch request. Default 60 s. */
  readonly watchTimeoutSeconds?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** The resourceVersion is too old (410 Gone): read the object again. */
class GoneError extends CodedError<'Gone'> {
  readonly code = 'Gone';
}

/** The stream stayed silent past the server's own timeout: it is dead. */
class SilentWatchError extends CodedError<'SilentWatch'> {
  readonly code = 'SilentWatch';
}

interface WatchEvent {
  readonly type: string;
  readonly object: { metadata?: { resourceVersion?: string }; code?: number; reason?: string; message?: string };
}

function isFatal(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}

function versionOf(object: unknown): string | undefined {
  const rv = (object as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

class ObjectWatch {
  /** Where the next watch starts; undefined watches from "now", with the current object as a first ADDED. */
  private resourceVersion: string | undefined;
  private failures = 0;

  constructor(private readonly opts: ObjectWatchOptions) {}

  private get collection(): ResourceRef {
    const { group, version, plural, namespace } = this.opts.resource;
    return { group, version, plural, namespace };
  }

  async run(): Promise<void> {
    while (!this.opts.signal.aborted) {
      try {
        await this.read();
        while (!this.opts.signal.aborted) await this.watchOnce();
      } catch (e) {
        if (this.opts.signal.aborted) return;
        if (isFatal(e)) throw e;
        if (e instanceof GoneError) continue;
        this.opts.onRetry(e as Error);
        await sleep(this.delay(++this.failures), this.opts.signal);
      }
    }
  }

  private delay(failures: number): number {
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 15_000 };
    return Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20));
  }

  private async read(): Promise<void> {
    let object: unknown;
    try {
      object = await this.opts.client.json<unknown>({ method: 'GET', path: resourcePath(this.opts.resource), signal: this.opts.signal });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.resourceVersion = versionOf(object);
    this.opts.onChange(object);
  }

  /** One watch request, until the server ends it; throws on errors. */
  private async watchOnce(): Promise<void> {
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 60;
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    this.opts.signal.addEventListener('abort', stop, { once: true });
    const path = resourcePath(this.collection, {
      watch: '1',
      fieldSelector: `metadata.name=${this.opts.resource.name}`,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
    });
    let silent = false;
    const watchdog = setTimeout(() => {
      silent = true;
      abort.abort();
    }, (timeoutSeconds + 30) * 1000);
    try {
      const res = await this.opts.client.open({ method: 'GET', path, signal: abort.signal });
      await this.consume(res);
    } catch (e) {
      throw silent ? new SilentWatchError(`watch of ${this.opts.resource.name} silent for more than ${timeoutSeconds + 30}s`) : e;
    } finally {
      clearTimeout(watchdog);
      this.opts.signal.removeEventListener('abort', stop);
    }
  }

  private async consume(res: IncomingMessage): Promise<void> {
    if (res.statusCode !== 200) {
      const err = apiError(res.statusCode ?? 0, await readBody(res), `watch ${this.opts.resource.plural} ${this.opts.resource.name}`);
      throw err.status === 410 ? new GoneError(err.message) : err;
    }
    this.failures = 0;
    let buffered = '';
    for await (const chunk of res) {
      buffered += (chunk as Buffer).toString('utf8');
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') this.handle(JSON.parse(line) as WatchEvent);
      }
    }
  }

  private handle(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const { code, reason, message } = event.object;
      if (code === 410) throw new GoneError(message ?? 'resource version expired');
      throw new ApiError(code ?? 500, reason ?? '', `watch ${this.opts.resource.name}: ${message ?? 'error event'}`);
    }
    this.resourceVersion = versionOf(event.object) ?? this.resourceVersion;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.opts.onChange(event.object);
    else if (event.type === 'DELETED') this.opts.onChange(undefined);
  }
}

/** Follows the object until `signal` aborts (resolves) or the API refuses access (rejects with the ApiError). */
export function watchObject(opts: ObjectWatchOptions): Promise<void> {
  return new ObjectWatch(opts).run();
}
