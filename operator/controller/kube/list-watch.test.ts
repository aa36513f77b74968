/**
 * ListWatch against a scripted HTTP server standing in for the API server:
 * what the framework's watch got wrong (exit on error, crash on an ERROR
 * event, no initial list, nothing after a dead stream) must not happen.
 * The real API server is exercised by the e2e tests.
 *
 * Time is a fake clock the test moves by hand: a backoff or a watchdog
 * happens only when the test fires its timer, so each test says exactly
 * which delays were asked for and what was requested in between; nothing
 * waits for wall-clock time.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './api-client';
import { ListWatch, type KubeObject, type ListWatchOptions, type WatchClock, type WatchEventType } from './list-watch';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let port = 0;
let handle: Handler = (_req, res) => res.end();

before(async () => {
  server = createServer((req, res) => handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function client(at = port): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${at}`, skipTLSVerify: true }, { name: 'u', token: 't' });
  return new KubeClient(kc);
}

function obj(name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv, ...extra } };
}

const line = (value: unknown): string => JSON.stringify(value) + '\n';
const list = (rv: string, items: KubeObject[] | null, cont?: string): string => JSON.stringify({ metadata: { resourceVersion: rv, ...(cont === undefined ? {} : { continue: cont }) }, items });
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/** Sends a watch's headers and keeps the stream open. */
function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
}

function fail(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(status(code, reason, message)));
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

function collector(): { events: string[]; onEvent: (t: WatchEventType, o: KubeObject) => void } {
  const events: string[] = [];
  return { events, onEvent: (t, o) => events.push(`${t} ${o.metadata.name}@${o.metadata.resourceVersion}`) };
}

/** Waits for a condition the code makes true (a request, an event, a timer), yielding to I/O in between; fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets pending I/O and promise callbacks run: enough for a loop that would go on at once to show it. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function within<T>(promise: Promise<T>, what: string, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const TIMEOUT_SECONDS = 5;
/** The watchdog: the server's timeout plus 30 s of slack. */
const WATCHDOG_MS = (TIMEOUT_SECONDS + 30) * 1000;

interface Timer {
  readonly at: number;
  readonly ms: number;
  readonly fn: () => void;
}

/** Time that moves only when the test says so; records every timer asked for. */
class FakeClock implements WatchClock {
  private t = 1_000_000;
  private ids = 0;
  readonly timers = new Map<number, Timer>();
  readonly asked: number[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.ids, { at: this.t + ms, ms, fn });
    this.asked.push(ms);
    return this.ids;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    this.t += ms;
  }

  pending(which: (ms: number) => boolean): Timer[] {
    return [...this.timers.values()].filter((t) => which(t.ms));
  }

  /** Waits until a timer `which` accepts is pending, moves time to it and fires it; returns its delay. */
  async fire(which: (ms: number) => boolean, what: string): Promise<number> {
    const find = () => [...this.timers.entries()].find(([, t]) => which(t.ms));
    await until(() => find() !== undefined, what);
    const [id, timer] = find() as [number, Timer];
    this.timers.delete(id);
    this.t = Math.max(this.t, timer.at);
    timer.fn();
    return timer.ms;
  }
}

const isWatchdog = (ms: number): boolean => ms === WATCHDOG_MS;
const isBackoff = (ms: number): boolean => ms !== WATCHDOG_MS;

interface Request {
  readonly kind: 'list' | 'watch';
  /** Index among requests of its kind. */
  readonly n: number;
  readonly params: URLSearchParams;
  readonly rv: string;
  /** Fake time when it arrived. */
  readonly at: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** Plays the API server: `respond` answers each request; returns every request, in order. */
function script(clock: FakeClock, respond: (r: Request) => void): Request[] {
  const requests: Request[] = [];
  handle = (req, res) => {
    const params = new URL(req.url ?? '', 'http://x').searchParams;
    const kind = params.get('watch') === '1' ? 'watch' : 'list';
    const r: Request = { kind, n: requests.filter((x) => x.kind === kind).length, params, rv: params.get('resourceVersion') ?? '', at: clock.now(), req, res };
    requests.push(r);
    respond(r);
  };
  return requests;
}

const summary = (requests: Request[]): string[] => requests.map((r) => (r.kind === 'list' ? `list${r.params.has('continue') ? ' ' + String(r.params.get('continue')) : ''}` : `watch ${r.rv}`));

interface Warning {
  readonly err: string;
  readonly retryInMs?: number;
}

const started: ListWatch[] = [];

/** A ListWatch of ConfigMaps on the fake clock, its events and warnings collected. */
function watcher(clock: FakeClock, extra: Partial<ListWatchOptions> = {}) {
  const c = collector();
  const warnings: Warning[] = [];
  const infos: string[] = [];
  const w = new ListWatch({
    client: client(),
    resource: { group: '', version: 'v1', plural: 'configmaps' },
    onEvent: c.onEvent,
    log: { ...quiet, info: (_o, msg) => infos.push(msg), warn: (o) => warnings.push(o as Warning) },
    timeoutSeconds: TIMEOUT_SECONDS,
    backoff: { initialMs: 1000, maxMs: 1_000_000 },
    clock,
    ...extra,
  });
  started.push(w);
  w.start();
  return { w, events: c.events, warnings, infos };
}

describe('ListWatch', () => {
  afterEach(async () => {
    await within(Promise.all(started.splice(0).map((w) => w.stop())), 'stopping the watches');
    server.closeAllConnections();
    handle = (_req, res) => res.end();
  });

  it('lists first, then watches from the list\'s resourceVersion; bookmarks move it on; a torn last line is dropped', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '5'), obj('b', '7')]));
      if (n === 0) {
        res.write(line({ type: 'MODIFIED', object: obj('a', '11') }));
        res.write(line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } }));
        res.end(JSON.stringify({ type: 'DELETED', object: obj('b', '12') }).slice(0, 10)); // a torn last line is ignored
        return;
      }
      openStream(res);
      res.write(line({ type: 'ADDED', object: obj('c', '16') })); // a torn line glued to this one would break it
    });
    const { w, events, warnings } = watcher(clock);
    await w.synced;
    await until(() => events.length >= 4, 'the second stream\'s event');
    assert.deepEqual(events, ['ADDED a@5', 'ADDED b@7', 'MODIFIED a@11', 'ADDED c@16']);
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 15']);
    assert.equal(w.get('ns/a')?.metadata.resourceVersion, '11');
    assert.equal(w.get('ns/b')?.metadata.resourceVersion, '7', 'the torn DELETED was never applied');
    assert.equal(w.restarts, 0, 'a stream the server ends is not an error, nor is a torn last line');
    assert.deepEqual(warnings, []);
    assert.deepEqual(clock.asked.filter(isBackoff), [], 'the stream is re-opened at once, without backoff');
    const watch = requests[1]?.params;
    assert.equal(watch?.get('allowWatchBookmarks'), 'true');
    assert.equal(watch?.get('timeoutSeconds'), String(TIMEOUT_SECONDS));
    assert.equal(requests[0]?.params.get('limit'), '500');
  });

  it('an ERROR event with 410 Gone re-lists and reports what changed meanwhile, deletions included', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') {
        const items = n === 0 ? [obj('a', '1'), obj('b', '2')] : [obj('a', '30'), obj('c', '31')];
        return res.end(list(String((n + 1) * 100), items));
      }
      if (n === 0) res.end(line({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') }));
      else openStream(res);
    });
    const { w, events, infos } = watcher(clock);
    await until(() => requests.length >= 4, 'a watch after the re-list');
    assert.deepEqual(events, ['ADDED a@1', 'ADDED b@2', 'DELETED b@2', 'MODIFIED a@30', 'ADDED c@31']);
    assert.deepEqual(summary(requests), ['list', 'watch 100', 'list', 'watch 200']);
    assert.equal(w.restarts, 0, 'an expired watch is not an error');
    assert.deepEqual(clock.asked.filter(isBackoff), [], 'listing again is not delayed');
    assert.deepEqual(infos, ['watch expired; listing again']);
  });

  it('410 Gone when opening the watch re-lists at once, from the new list\'s resourceVersion', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list(n === 0 ? '10' : '20', [obj('a', n === 0 ? '1' : '2')]));
      if (n === 0) fail(res, 410, 'Expired', 'too old resource version: 10 (15)');
      else openStream(res);
    });
    const { w, events, warnings } = watcher(clock);
    await until(() => requests.length >= 4, 'a watch after the re-list');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'list', 'watch 20']);
    assert.deepEqual(events, ['ADDED a@1', 'MODIFIED a@2']);
    assert.equal(w.restarts, 0);
    assert.deepEqual(warnings, []);
    assert.deepEqual(clock.asked.filter(isBackoff), []);
  });

  it('an ERROR event other than 410 reconnects with backoff from the same resourceVersion, without listing', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      if (n === 0) res.end(line({ type: 'ERROR', object: status(500, 'InternalError', 'etcd leader changed') }));
      else openStream(res);
    });
    const { w, warnings } = watcher(clock);
    const delay = await clock.fire(isBackoff, 'a backoff');
    await until(() => requests.length >= 3, 'the second watch');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 10']);
    assert.equal(w.restarts, 1);
    assert.match(warnings[0]?.err ?? '', /^watch configmaps: etcd leader changed$/);
    assert.equal(warnings[0]?.retryInMs, delay);
    assert.equal((requests[2]?.at ?? 0) - (requests[1]?.at ?? 0), delay, 'reconnected after the backoff, not before');
  });

  it('a DELETED event removes the object from the cache and reports its last state', async () => {
    const clock = new FakeClock();
    let expire: () => void = () => undefined;
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list(n === 0 ? '10' : '20', n === 0 ? [obj('a', '1'), obj('b', '2')] : [obj('a', '1')]));
      openStream(res);
      if (n > 0) return;
      res.write(line({ type: 'DELETED', object: obj('b', '12') }));
      expire = () => res.end(line({ type: 'ERROR', object: status(410, 'Expired', 'too old') }));
    });
    const { w, events } = watcher(clock);
    await until(() => events.length >= 3, 'the deletion');
    assert.deepEqual(events, ['ADDED a@1', 'ADDED b@2', 'DELETED b@12']);
    assert.equal(w.get('ns/b'), undefined);
    assert.deepEqual(w.objects().map((o) => o.metadata.name), ['a']);
    expire();
    await until(() => requests.length >= 4, 'the re-list and its watch');
    assert.deepEqual(events, ['ADDED a@1', 'ADDED b@2', 'DELETED b@12'], 'the re-list finds nothing to report: b was already gone');
  });

  it('follows `continue` through every page of a list before watching', async () => {
    const clock = new FakeClock();
    const pages: Record<string, string> = {
      '': list('50', [obj('a', '1')], 'tok-1'),
      'tok-1': list('50', [obj('b', '2')], 'tok-2'),
      'tok-2': list('50', [obj('c', '3')], ''),
    };
    const requests = script(clock, ({ kind, params, res }) => {
      if (kind === 'list') return res.end(pages[params.get('continue') ?? ''] ?? fail(res, 400, 'BadRequest', 'unknown continue token'));
      openStream(res);
    });
    const { w, events } = watcher(clock, { labelSelector: 'team=db' });
    await w.synced;
    assert.deepEqual(events, ['ADDED a@1', 'ADDED b@2', 'ADDED c@3'], 'synced only once every page is in');
    await until(() => requests.length >= 4, 'the watch');
    assert.deepEqual(summary(requests), ['list', 'list tok-1', 'list tok-2', 'watch 50']);
    for (const r of requests.slice(0, 3)) {
      assert.equal(r.params.get('limit'), '500');
      assert.equal(r.params.get('labelSelector'), 'team=db');
    }
    assert.equal(requests[3]?.params.get('labelSelector'), 'team=db');
  });

  it('server errors retry with capped exponential backoff and never end the loop', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list' && n < 3) return fail(res, 503, 'ServiceUnavailable', 'etcd is down');
      if (kind === 'list') return res.end(list('1', [obj('a', '1')]));
      openStream(res);
    });
    const { w, events, warnings } = watcher(clock, { backoff: { initialMs: 1000, maxMs: 3000 } });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await until(() => warnings.length > i, `failure ${i + 1}`);
      await settle();
      assert.equal(requests.length, i + 1, 'nothing is sent again before the backoff ends');
      delays.push(await clock.fire(isBackoff, `backoff ${i + 1}`));
    }
    await w.synced;
    assert.equal(w.restarts, 3);
    assert.match(warnings[0]?.err ?? '', /503 ServiceUnavailable: etcd is down/);
    assert.deepEqual(events, ['ADDED a@1']);
    assert.deepEqual(warnings.map((x) => x.retryInMs), delays);
    const [d1 = 0, d2 = 0, d3 = 0] = delays;
    assert.ok(d1 >= 500 && d1 <= 1000, `first delay ${d1}: 1 s, jittered down to half`);
    assert.ok(d2 >= 1000 && d2 <= 2000, `second delay ${d2}: doubled`);
    assert.ok(d3 >= 1500 && d3 <= 3000, `third delay ${d3}: capped at 3 s`);
    assert.deepEqual(requests.slice(1, 4).map((r, i) => r.at - (requests[i]?.at ?? 0)), delays, 'each request comes exactly one backoff after the failure');
  });

  it('refused connections retry with capped backoff until the server comes up', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const freePort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const clock = new FakeClock();
    const warnings: Warning[] = [];
    const c = collector();
    const w = new ListWatch({
      client: client(freePort),
      resource: { group: '', version: 'v1', plural: 'configmaps' },
      onEvent: c.onEvent,
      log: { ...quiet, warn: (o) => warnings.push(o as Warning) },
      timeoutSeconds: TIMEOUT_SECONDS,
      backoff: { initialMs: 1000, maxMs: 1500 },
      clock,
    });
    started.push(w);
    w.start();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await until(() => warnings.length > i, `refusal ${i + 1}`);
      await settle();
      assert.equal(warnings.length, i + 1, 'no new attempt before the backoff ends');
      if (i < 2) delays.push(await clock.fire(isBackoff, `backoff ${i + 1}`));
    }
    const late = createServer((req, res) => (new URL(req.url ?? '', 'http://x').searchParams.get('watch') === '1' ? openStream(res) : res.end(list('1', [obj('a', '1')]))));
    await new Promise<void>((r) => late.listen(freePort, '127.0.0.1', r));
    try {
      delays.push(await clock.fire(isBackoff, 'backoff 3'));
      await within(w.synced, 'the list once the server is up');
      assert.deepEqual(c.events, ['ADDED a@1']);
      assert.equal(w.restarts, 3);
      assert.match(warnings[0]?.err ?? '', /ECONNREFUSED/);
      assert.deepEqual(warnings.map((x) => x.retryInMs), delays);
      const [d1 = 0, d2 = 0, d3 = 0] = delays;
      assert.ok(d1 >= 500 && d1 <= 1000, `first delay ${d1}`);
      assert.ok(d2 >= 750 && d2 <= 1500, `second delay ${d2}: doubled, then capped at 1.5 s`);
      assert.ok(d3 >= 750 && d3 <= 1500, `third delay ${d3}: still capped`);
    } finally {
      await within(w.stop(), 'stop');
      late.closeAllConnections();
      late.close();
    }
  });

  it('after three failed watches in a row the resourceVersion is dropped and the list read again', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list(n === 0 ? '10' : '20', n === 0 ? [obj('a', '1')] : [obj('a', '1'), obj('b', '2')]));
      if (n < 3) return fail(res, 500, 'InternalError', 'cannot serve this resourceVersion');
      openStream(res);
    });
    const { w, events } = watcher(clock);
    for (let i = 0; i < 3; i++) await clock.fire(isBackoff, `backoff ${i + 1}`);
    await until(() => requests.length >= 6, 'the watch after the re-list');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 10', 'watch 10', 'list', 'watch 20']);
    assert.deepEqual(events, ['ADDED a@1', 'ADDED b@2']);
    assert.equal(w.restarts, 3);
  });

  it('a watchdog aborts a stream that goes silent, re-armed by every chunk, and reconnects from the last resourceVersion', async () => {
    const clock = new FakeClock();
    let send: (s: string) => void = () => undefined;
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      openStream(res);
      if (n === 0) send = (s) => void res.write(s);
    });
    const { w, events, warnings } = watcher(clock);
    await until(() => requests.length >= 2 && clock.pending(isWatchdog).length === 1, 'the watch and its watchdog');
    clock.advance(20_000);
    send(line({ type: 'ADDED', object: obj('c', '11') }));
    await until(() => events.length >= 2, 'the event');
    const armed = clock.pending(isWatchdog);
    assert.equal(armed.length, 1, 'one watchdog per stream');
    assert.equal(armed[0]?.at, clock.now() + WATCHDOG_MS, 're-armed from the last chunk');
    assert.equal(w.lastActivity, clock.now());
    await clock.fire(isWatchdog, 'the watchdog');
    await clock.fire(isBackoff, 'the backoff');
    await until(() => requests.length >= 3, 'a new watch');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 11']);
    assert.equal(w.restarts, 1);
    assert.match(warnings[0]?.err ?? '', /silent for too long/);
  });

  it('a watch request the server never answers is aborted by the watchdog too', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      if (n > 0) openStream(res); // the first: no headers, ever
    });
    const { w, warnings } = watcher(clock);
    await until(() => requests.length >= 2, 'the watch');
    await clock.fire(isWatchdog, 'the watchdog');
    await clock.fire(isBackoff, 'the backoff');
    await until(() => requests.length >= 3, 'a new watch');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 10']);
    assert.equal(w.restarts, 1);
    assert.match(warnings[0]?.err ?? '', /silent for too long/);
  });

  it('a stream that ends at once with nothing in it backs off instead of reconnecting in a tight loop', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      openStream(res);
      res.end();
    });
    const { w, warnings } = watcher(clock);
    await until(() => clock.pending(isBackoff).length === 1, 'a backoff');
    await settle();
    assert.deepEqual(summary(requests), ['list', 'watch 10']);
    assert.equal(w.restarts, 1);
    assert.match(warnings[0]?.err ?? '', /closed at once with no events/);
    await clock.fire(isBackoff, 'the backoff');
    await until(() => requests.length >= 3 && clock.pending(isBackoff).length === 1, 'the next backoff');
    await settle();
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 10']);
    assert.equal(w.restarts, 2);
  });

  it('a quiet stream the server ends after its timeout is re-opened at once, not counted as a failure', async () => {
    const clock = new FakeClock();
    let end: () => void = () => undefined;
    const requests = script(clock, ({ kind, n, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      openStream(res);
      if (n === 0) end = () => res.end();
    });
    const { w, warnings } = watcher(clock);
    await until(() => requests.length >= 2, 'the watch');
    clock.advance(TIMEOUT_SECONDS * 1000);
    end();
    await until(() => requests.length >= 3, 'the next watch');
    assert.deepEqual(summary(requests), ['list', 'watch 10', 'watch 10']);
    assert.equal(w.restarts, 0);
    assert.deepEqual(warnings, []);
    assert.deepEqual(clock.asked.filter(isBackoff), []);
  });

  it('stop() during a backoff ends the loop at once, with nothing sent after', async () => {
    const clock = new FakeClock();
    const requests = script(clock, ({ kind, res }) => {
      if (kind === 'list') return res.end(list('10', [obj('a', '1')]));
      fail(res, 500, 'InternalError', 'boom');
    });
    const { w } = watcher(clock, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await until(() => clock.pending(isBackoff).length === 1, 'a backoff');
    await within(w.stop(), 'stop() during a backoff');
    assert.deepEqual(clock.pending(() => true), [], 'the backoff timer is cleared');
    await settle();
    assert.deepEqual(summary(requests), ['list', 'watch 10']);
  });

  it('stop() during a list the server never answers ends the loop at once', async () => {
    const clock = new FakeClock();
    const requests = script(clock, () => undefined);
    const { w } = watcher(clock);
    await until(() => requests.length >= 1, 'the list');
    await within(w.stop(), 'stop() during a list');
    await settle();
    assert.equal(requests.length, 1);
  });

  it('a handler that throws does not stop the stream', async () => {
    const clock = new FakeClock();
    script(clock, ({ kind, res }) => {
      if (kind === 'list') res.end(list('1', [obj('a', '1'), obj('b', '2')]));
      else openStream(res);
    });
    const seen: string[] = [];
    const w = new ListWatch({
      client: client(),
      resource: { group: '', version: 'v1', plural: 'configmaps' },
      onEvent: (_t, o) => {
        seen.push(o.metadata.name);
        if (o.metadata.name === 'a') throw new Error('handler bug');
      },
      log: quiet,
      clock,
    });
    started.push(w);
    w.start();
    await w.synced;
    await w.stop();
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('metadata-only watches ask for PartialObjectMetadata and keep no annotations (they can hold Secret content)', async () => {
    const accepts: string[] = [];
    const clock = new FakeClock();
    script(clock, ({ kind, req, res }) => {
      accepts.push(String(req.headers.accept));
      const secret = { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 's', namespace: 'ns', resourceVersion: '3', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"url":"c2VjcmV0"}}' } } };
      if (kind === 'list') res.end(JSON.stringify({ metadata: { resourceVersion: '3' }, items: null }));
      else res.end(JSON.stringify({ type: 'ADDED', object: secret }) + '\n');
    });
    const kept: KubeObject[] = [];
    const w = new ListWatch({ client: client(), resource: { group: '', version: 'v1', plural: 'secrets' }, metadataOnly: true, onEvent: (_t, o) => kept.push(o), log: quiet, clock });
    started.push(w);
    w.start();
    await until(() => kept.length > 0, 'an event');
    await w.stop();
    assert.match(accepts[0] ?? '', /^application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1/);
    assert.match(accepts[1] ?? '', /^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
    assert.deepEqual(kept[0], { metadata: { name: 's', namespace: 'ns', resourceVersion: '3' } });
    assert.ok(!JSON.stringify(w.objects()).includes('c2VjcmV0'));
  });
  it('full watches keep the object without managedFields and kubectl\'s last-applied-configuration; other annotations stay', async () => {
    const clock = new FakeClock();
    const managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
    const am = (name: string, rv: string, annotations: Record<string, string>) => ({
      apiVersion: 'db.atlasgo.io/v1alpha1',
      kind: 'AtlasMigration',
      metadata: { name, namespace: 'ns', resourceVersion: rv, uid: `u-${name}`, generation: 1, managedFields, annotations },
      spec: { url: 'sqlite://x' },
      status: { conditions: [] },
    });
    script(clock, ({ kind, res }) => {
      if (kind === 'list') res.end(list('3', [am('a', '2', { [lastApplied]: '{}' })]));
      else res.end(line({ type: 'ADDED', object: am('b', '4', { [lastApplied]: '{}', 'db.atlasgo.io/approved-plan': 'h1' }) }));
    });
    const kept: KubeObject[] = [];
    const w = new ListWatch({ client: client(), resource: { group: 'db.atlasgo.io', version: 'v1alpha1', plural: 'atlasmigrations' }, onEvent: (_t, o) => kept.push(o), log: quiet, clock });
    started.push(w);
    w.start();
    await until(() => kept.length > 1, 'two events');
    await w.stop();
    assert.deepEqual(kept[0], { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'a', namespace: 'ns', resourceVersion: '2', uid: 'u-a', generation: 1 }, spec: { url: 'sqlite://x' }, status: { conditions: [] } });
    assert.deepEqual(w.get('ns/b')?.metadata, { name: 'b', namespace: 'ns', resourceVersion: '4', uid: 'u-b', generation: 1, annotations: { 'db.atlasgo.io/approved-plan': 'h1' } });
  });
});
