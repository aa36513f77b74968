/**
 * The operator's metrics on prom-client: every metric recorded and rendered
 * with its type and labels, Prometheus naming, the pending files
 * cardinality bound, one registry per instance, the /metrics endpoint, and
 * the hooks that feed the metrics (API requests with their status code,
 * queue latency).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { register as globalRegistry } from 'prom-client';
import { startEndpoints } from './http-endpoints';
import { KubeClient } from './kube/api-client';
import { createMetrics, DURATION_BUCKETS, METRIC_PREFIX, type GaugeSources, type OperatorMetrics, valueOf } from './metrics';
import { WorkQueue } from './work-queue';

const ZERO: GaugeSources = { queueDepth: () => 0, activeReconciles: () => 0, resources: () => 0, watchRestarts: () => 0 };

/** `name{labels} value` lines of one metric family (samples only). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\S+)$`, 'm').exec(text)?.[1];
}

describe('metrics', () => {
  it('records and renders every metric of ours with its type and labels', async () => {
    let restarts = 2;
    const m = createMetrics({ queueDepth: () => 3, activeReconciles: () => 1, resources: () => 7, watchRestarts: () => restarts }, { defaultMetrics: false });
    m.reconciles.inc({ result: 'applied' });
    m.reconciles.inc({ result: 'failed' });
    m.reconcileErrors.inc({ reason: 'Migrating' });
    m.reconcileSeconds.observe(0.07);
    m.migrationSeconds.observe({ result: 'applied' }, 12);
    m.filesApplied.inc({}, 2);
    m.statementsApplied.inc();
    m.watchEvents.inc({ resource: 'secrets' });
    m.apiRequest('GET', false, 200);
    m.apiRequest('GET', true, 200);
    m.apiRequest('PATCH', false, 409);
    m.apiRequest('POST', false, undefined);
    m.queueSeconds.observe(0.004);
    m.pendingFiles.set('ns/app', 3);
    m.setLeader(true);
    const text = await m.render();
    const p = METRIC_PREFIX;
    const expect: [string, string, string[]][] = [
      [`${p}reconcile_total`, 'counter', [`${p}reconcile_total{result="applied"} 1`, `${p}reconcile_total{result="failed"} 1`]],
      [`${p}reconcile_errors_total`, 'counter', [`${p}reconcile_errors_total{reason="Migrating"} 1`]],
      [`${p}migration_files_applied_total`, 'counter', [`${p}migration_files_applied_total 2`]],
      [`${p}statements_applied_total`, 'counter', [`${p}statements_applied_total 1`]],
      [`${p}pending_files`, 'gauge', [`${p}pending_files{namespace="ns",name="app"} 3`]],
      [`${p}pending_files_series_dropped_total`, 'counter', [`${p}pending_files_series_dropped_total 0`]],
      [`${p}watch_events_total`, 'counter', [`${p}watch_events_total{resource="secrets"} 1`]],
      [
        `${p}api_requests_total`,
        'counter',
        [`${p}api_requests_total{verb="get",code="200"} 1`, `${p}api_requests_total{verb="watch",code="200"} 1`, `${p}api_requests_total{verb="patch",code="409"} 1`, `${p}api_requests_total{verb="post",code="error"} 1`],
      ],
      [`${p}watch_restarts_total`, 'counter', [`${p}watch_restarts_total 2`]],
      [`${p}workqueue_depth`, 'gauge', [`${p}workqueue_depth 3`]],
      [`${p}reconciles_active`, 'gauge', [`${p}reconciles_active 1`]],
      [`${p}resources`, 'gauge', [`${p}resources 7`]],
      [`${p}leader`, 'gauge', [`${p}leader 1`]],
    ];
    for (const [name, type, lines] of expect) {
      assert.equal(typeOf(text, name), type, name);
      assert.deepEqual(samples(text, name), lines, name);
    }
    for (const [name, value, labels] of [
      [`${p}reconcile_duration_seconds`, 0.07, ''],
      [`${p}migration_duration_seconds`, 12, 'result="applied",'],
      [`${p}workqueue_queue_duration_seconds`, 0.004, ''],
    ] as const) {
      assert.equal(typeOf(text, name), 'histogram', name);
      const buckets = samples(text, `${name}_bucket`);
      assert.deepEqual(
        buckets.map((l) => /le="([^"]+)"/.exec(l)?.[1]),
        [...DURATION_BUCKETS.map(String), '+Inf'],
        name,
      );
      for (const line of buckets) {
        const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
        assert.equal(line.replace(/le="[^"]+",?/, '').replace(/,}/, '}'), `${name}_bucket{${labels.replace(/,$/, '')}} ${line.split(' ')[1]}`, line);
        assert.equal(line.endsWith(` ${le === '+Inf' || value <= Number(le) ? 1 : 0}`), true, line);
      }
      assert.deepEqual(samples(text, `${name}_count`), [`${name}_count{${labels.replace(/,$/, '')}} 1`.replace('{}', '')]);
    }
    // Gauges and the restart counter read their source at each scrape.
    restarts = 5;
    assert.deepEqual(samples(await m.render(), `${p}watch_restarts_total`), [`${p}watch_restarts_total 5`]);
  });

  it('follows Prometheus naming: our prefix, _total counters, _seconds histograms from 5 ms to 10 min', () => {
    const m = createMetrics(ZERO);
    assert.deepEqual([DURATION_BUCKETS[0], DURATION_BUCKETS.at(-1)], [0.005, 600]);
    const all = m.registry.getMetricsAsArray();
    const ours = all.filter((x) => x.name.startsWith(METRIC_PREFIX));
    assert.equal(ours.length, 16);
    for (const x of all) {
      assert.match(x.name, /^(atlas_migrator|process|nodejs)_[a-z0-9_]+$/, x.name);
      if (String(x.type) === 'counter') assert.match(x.name, /_total$/, x.name);
    }
    // (prom-client's own nodejs_active_*_total are gauges; ours keep _total for counters only.)
    for (const x of ours) if (x.name.endsWith('_total')) assert.equal(String(x.type), 'counter', x.name);
    for (const x of ours) if (String(x.type) === 'histogram') assert.match(x.name, /_duration_seconds$/, x.name);
    assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  it('serves prom-client default Node.js metrics (process_*, nodejs_*)', async () => {
    const text = await createMetrics(ZERO).render();
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_heap_size_total_bytes', 'gauge'],
      ['nodejs_external_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
      ['nodejs_heap_space_size_used_bytes', 'gauge'],
      ['nodejs_active_handles_total', 'gauge'],
    ] as const) {
      assert.equal(typeOf(text, name), type, name);
    }
    assert.ok(Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]) > 10_000_000);
  });

  it('keeps a registry per instance, never the global one', async () => {
    const a = createMetrics(ZERO, { defaultMetrics: false });
    const b = createMetrics(ZERO, { defaultMetrics: false });
    a.reconciles.inc({ result: 'applied' });
    assert.equal(await valueOf(a.reconciles, { result: 'applied' }), 1);
    assert.equal(await valueOf(b.reconciles, { result: 'applied' }), undefined);
    assert.ok(!globalRegistry.getMetricsAsArray().some((x) => x.name.startsWith(METRIC_PREFIX)));
  });

  it('leader is 0 until set, then follows setLeader', async () => {
    const m = createMetrics(ZERO, { defaultMetrics: false });
    const leader = async (): Promise<string[]> => samples(await m.render(), `${METRIC_PREFIX}leader`);
    assert.deepEqual(await leader(), [`${METRIC_PREFIX}leader 0`]);
    m.setLeader(true);
    assert.deepEqual(await leader(), [`${METRIC_PREFIX}leader 1`]);
    m.setLeader(false);
    assert.deepEqual(await leader(), [`${METRIC_PREFIX}leader 0`]);
  });
});

describe('pending files: bounded cardinality', () => {
  const name = `${METRIC_PREFIX}pending_files`;
  const series = async (m: OperatorMetrics): Promise<string[]> => samples(await m.render(), name).sort();
  const dropped = async (m: OperatorMetrics): Promise<number | undefined> => {
    const line = samples(await m.render(), `${name}_series_dropped_total`)[0];
    return Number(line?.split(' ')[1]);
  };

  it('a series per resource up to the limit, the rest summed into _other; a series goes when nothing is pending or the resource is deleted', async () => {
    const m = createMetrics(ZERO, { pendingSeriesLimit: 2, defaultMetrics: false });
    m.pendingFiles.set('a/one', 1);
    m.pendingFiles.set('a/two', 2);
    m.pendingFiles.set('b/three', 3);
    m.pendingFiles.set('b/four', 4);
    assert.deepEqual(await series(m), [`${name}{namespace="_other",name="_other"} 7`, `${name}{namespace="a",name="one"} 1`, `${name}{namespace="a",name="two"} 2`]);
    assert.equal(m.pendingFiles.series, 3);
    assert.equal(await dropped(m), 2);
    // An update of a resource already in _other changes the sum, not the drop count.
    m.pendingFiles.set('b/three', 5);
    assert.deepEqual((await series(m))[0], `${name}{namespace="_other",name="_other"} 9`);
    assert.equal(await dropped(m), 2);
    // Deleted: its series goes; the freed slot goes to the next resource reported.
    m.pendingFiles.forget('a/one');
    assert.deepEqual(await series(m), [`${name}{namespace="_other",name="_other"} 9`, `${name}{namespace="a",name="two"} 2`]);
    m.pendingFiles.set('b/four', 4);
    assert.deepEqual(await series(m), [`${name}{namespace="_other",name="_other"} 5`, `${name}{namespace="a",name="two"} 2`, `${name}{namespace="b",name="four"} 4`]);
    // Nothing pending: no series.
    m.pendingFiles.set('a/two', 0);
    m.pendingFiles.set('b/three', 0);
    assert.deepEqual(await series(m), [`${name}{namespace="b",name="four"} 4`]);
    m.pendingFiles.forget('b/four');
    m.pendingFiles.forget('never/seen');
    assert.deepEqual(await series(m), []);
    assert.equal(m.pendingFiles.series, 0);
    assert.equal(await dropped(m), 2);
  });

  it('holds at most limit + 1 series however many resources', async () => {
    const m = createMetrics(ZERO, { pendingSeriesLimit: 1000, defaultMetrics: false });
    for (let i = 0; i < 5000; i++) m.pendingFiles.set(`ns/r${i}`, 1);
    const s = await series(m);
    assert.equal(s.length, 1001);
    assert.ok(s.includes(`${name}{namespace="_other",name="_other"} 4000`));
    assert.equal(await dropped(m), 4000);
    assert.equal(m.pendingFiles.limit, 1000);
  });

  it('limit 0: only the _other series', async () => {
    const m = createMetrics(ZERO, { pendingSeriesLimit: 0, defaultMetrics: false });
    m.pendingFiles.set('ns/a', 2);
    m.pendingFiles.set('ns/b', 1);
    assert.deepEqual(await series(m), [`${name}{namespace="_other",name="_other"} 3`]);
  });
});

describe('/metrics endpoint', () => {
  it('answers with the registry text and its content type; a failed render is a 500', async () => {
    const m = createMetrics(ZERO, { defaultMetrics: false });
    m.reconciles.inc({ result: 'unchanged' });
    let broken = false;
    const e = await startEndpoints({
      healthAddress: '0',
      metricsAddress: '127.0.0.1:0',
      probes: { healthy: () => ({ ok: true, detail: '' }), ready: () => ({ ok: true, detail: '' }) },
      metrics: { contentType: m.contentType, render: () => (broken ? Promise.reject(new Error('collect failed')) : m.render()) },
    });
    try {
      const r = await fetch(`http://127.0.0.1:${e.metricsPort}/metrics`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(await r.text(), await m.render());
      broken = true;
      const bad = await fetch(`http://127.0.0.1:${e.metricsPort}/metrics`);
      assert.deepEqual([bad.status, await bad.text()], [500, 'collect failed\n']);
      assert.equal((await fetch(`http://127.0.0.1:${e.metricsPort}/other`)).status, 404);
    } finally {
      await e.close();
    }
  });
});

describe('metric hooks', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url?.includes('watch=1')) {
        res.writeHead(200);
        res.end();
      } else if (req.url === '/missing') {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }));
      } else res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  function client(at: number, onRequest: ConstructorParameters<typeof KubeClient>[1]): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${at}`, skipTLSVerify: true }, { name: 'u', token: 't' });
    return new KubeClient(kc, onRequest);
  }

  it('the API client reports each request with its verb and status code, watches as watch, no answer as error', async () => {
    const m = createMetrics(ZERO, { defaultMetrics: false });
    const c = client(port, (method, watch, status) => m.apiRequest(method, watch, status));
    await c.json({ method: 'GET', path: '/ok' });
    await c.json({ method: 'PATCH', path: '/ok', body: {} });
    await assert.rejects(c.json({ method: 'GET', path: '/missing' }));
    const watch = await c.open({ method: 'GET', path: '/w?watch=1' });
    watch.resume();
    c.close();
    // Nothing listens on a port just closed: no answer at all.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const d = client(dead, (method, w, status) => m.apiRequest(method, w, status));
    await assert.rejects(d.json({ method: 'DELETE', path: '/x' }));
    d.close();
    assert.deepEqual(samples(await m.render(), `${METRIC_PREFIX}api_requests_total`).sort(), [
      `${METRIC_PREFIX}api_requests_total{verb="delete",code="error"} 1`,
      `${METRIC_PREFIX}api_requests_total{verb="get",code="200"} 1`,
      `${METRIC_PREFIX}api_requests_total{verb="get",code="404"} 1`,
      `${METRIC_PREFIX}api_requests_total{verb="patch",code="200"} 1`,
      `${METRIC_PREFIX}api_requests_total{verb="watch",code="200"} 1`,
    ]);
  });

  it('the work queue reports how long each key waited, from add to start', async () => {
    const waits: number[] = [];
    let done: () => void = () => undefined;
    const both = new Promise<void>((r) => (done = r));
    const processed: string[] = [];
    const q = new WorkQueue<string>(
      (key) => {
        processed.push(key);
        if (processed.length === 2) done();
        return Promise.resolve();
      },
      1,
      (a) => a,
      { error: () => undefined },
      { paused: true, onStart: (s) => waits.push(s) },
    );
    q.add('ns/a', 'x');
    await new Promise((r) => setTimeout(r, 50));
    q.add('ns/b', 'x');
    q.resume();
    await both;
    await q.shutdown();
    assert.equal(waits.length, 2);
    assert.ok((waits[0] ?? 0) >= 0.045 && (waits[0] ?? 0) < 5, String(waits[0]));
    assert.ok((waits[1] ?? 1) < (waits[0] ?? 0), String(waits[1]));
  });
});
