import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startEndpoints } from '../controller/http-endpoints';
import { createMetrics } from '../controller/metrics';
import { ExitCode, UsageError } from './io';
import { runCaptured } from './run-captured';
import { DEFAULT_LEASE_NAME, runConfig } from './run';

describe('run flags', () => {
  it('defaults', () => {
    const c = runConfig([]);
    assert.deepEqual(
      [c.namespaces, c.concurrency, c.resyncPeriodMs, c.metricsAddress, c.healthAddress, c.logLevel, c.backoff, c.progressIntervalMs, c.kubeconfig, c.labelSelector, c.metricsPendingSeriesLimit],
      [[], 10, 600_000, ':8080', ':8081', 'info', { baseMs: 5000, maxMs: 300_000 }, 2000, undefined, undefined, 1000],
    );
  });

  it('every flag', () => {
    const c = runConfig([
      '--kubeconfig=/k',
      '--namespace',
      'a, b',
      '--label-selector=team=x',
      '--concurrency=3',
      '--resync-period=1m30s',
      '--metrics-bind-address=0',
      '--health-probe-bind-address=127.0.0.1:9000',
      '--log-level=debug',
      '--backoff-base=1s',
      '--backoff-max=1m',
      '--progress-interval=500ms',
      '--metrics-pending-series-limit=0',
    ]);
    assert.deepEqual(
      [c.kubeconfig, c.namespaces, c.labelSelector, c.concurrency, c.resyncPeriodMs, c.metricsAddress, c.healthAddress, c.logLevel, c.backoff, c.progressIntervalMs, c.metricsPendingSeriesLimit],
      ['/k', ['a', 'b'], 'team=x', 3, 90_000, '0', '127.0.0.1:9000', 'debug', { baseMs: 1000, maxMs: 60_000 }, 500, 0],
    );
  });

  it('--query-timeout: 30s by default, any duration, 0 for none', () => {
    assert.equal(runConfig([]).queryTimeoutMs, 30_000);
    assert.equal(runConfig(['--query-timeout=1m']).queryTimeoutMs, 60_000);
    assert.equal(runConfig(['--query-timeout', '0']).queryTimeoutMs, 0);
    assert.throws(() => runConfig(['--query-timeout=soon']), (e: unknown) => e instanceof UsageError && /--query-timeout "soon": not a duration/.test(e.message));
  });

  it('bad values are usage errors (exit 2) naming the flag', async () => {
    for (const [args, message] of [
      [['--concurrency=0'], /--concurrency "0": must be a positive integer/],
      [['--resync-period=soon'], /--resync-period "soon": not a duration/],
      [['--log-level=loud'], /--log-level "loud": must be one of debug, info, warn, error/],
      [['--metrics-bind-address=x:y'], /--metrics-bind-address: invalid bind address/],
      [['--metrics-pending-series-limit=-1'], /--metrics-pending-series-limit "-1": must be a non-negative integer/],
      [['--nope'], /Unknown option '--nope'/],
    ] as const) {
      const r = await runCaptured(['run', ...args]);
      assert.equal(r.code, ExitCode.Usage, args.join(' '));
      assert.match(r.err, message);
    }
    const help = await runCaptured(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--health-probe-bind-address ADDR/);
  });
});

describe('endpoints and metrics', () => {
  it('serves probes and Prometheus text', async () => {
    let ready = false;
    const metrics = createMetrics({ queueDepth: () => 2, activeReconciles: () => 1, resources: () => 5, watchRestarts: () => 0 });
    metrics.reconciles.inc({ result: 'applied' });
    metrics.reconcileSeconds.observe(0.07);
    const e = await startEndpoints({
      healthAddress: '127.0.0.1:0',
      metricsAddress: '127.0.0.1:0',
      probes: { healthy: () => ({ ok: true, detail: 'fine' }), ready: () => ({ ok: ready, detail: ready ? 'synced' : 'listing' }) },
      metrics,
    });
    try {
      let contentType = '';
      const get = async (port: number, path: string) => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        contentType = r.headers.get('content-type') ?? '';
        return [r.status, await r.text()] as const;
      };
      assert.deepEqual(await get(e.healthPort, '/healthz'), [200, 'ok: fine\n']);
      assert.deepEqual(await get(e.healthPort, '/readyz'), [503, 'not ok: listing\n']);
      ready = true;
      assert.equal((await get(e.healthPort, '/readyz'))[0], 200);
      const [status, text] = await get(e.metricsPort, '/metrics');
      assert.equal(status, 200);
      assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(text, /^atlas_migrator_reconcile_total\{result="applied"\} 1$/m);
      assert.match(text, /^atlas_migrator_reconcile_duration_seconds_bucket\{le="0.1"\} 1$/m);
      assert.match(text, /^atlas_migrator_workqueue_depth 2$/m);
      assert.match(text, /^# TYPE atlas_migrator_reconcile_duration_seconds histogram$/m);
    } finally {
      await e.close();
    }
  });
});

describe('leader election flags', () => {
  const outside = { env: {}, namespaceFile: join(tmpdir(), 'no-such-dir', 'namespace') };

  it('is off by default', () => {
    assert.equal(runConfig([], outside).leaderElection, undefined);
    assert.equal(runConfig(['--leader-elect=false'], outside).leaderElection, undefined);
  });

  it('--leader-elect: client-go defaults, the Lease named, identity = pod name + random suffix', () => {
    const c = runConfig(['--leader-elect', '--leader-election-namespace=ops'], { ...outside, env: { POD_NAME: 'op-7d9f-x2v', HOSTNAME: 'h' } });
    const e = c.leaderElection;
    assert.deepEqual([e?.namespace, e?.leaseName, e?.leaseDurationMs, e?.renewDeadlineMs, e?.retryPeriodMs], ['ops', DEFAULT_LEASE_NAME, 15_000, 10_000, 2_000]);
    assert.match(e?.identity ?? '', /^op-7d9f-x2v_[0-9a-f-]{36}$/);
    const again = runConfig(['--leader-elect', '--leader-election-namespace=ops'], { ...outside, env: { POD_NAME: 'op-7d9f-x2v' } });
    assert.notEqual(again.leaderElection?.identity, e?.identity, 'two processes of one pod are two candidates');
    assert.match(runConfig(['--leader-elect', '--leader-election-namespace=ops'], { ...outside, env: { HOSTNAME: 'host-1' } }).leaderElection?.identity ?? '', /^host-1_/);
  });

  it('every flag, and Go-style --leader-elect=true', () => {
    const c = runConfig(
      ['--leader-elect=true', '--leader-election-id=my-lease', '--leader-election-namespace', 'ops', '--leader-elect-lease-duration=3s', '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=500ms'],
      outside,
    );
    const e = c.leaderElection;
    assert.deepEqual([e?.namespace, e?.leaseName, e?.leaseDurationMs, e?.renewDeadlineMs, e?.retryPeriodMs], ['ops', 'my-lease', 3_000, 2_000, 500]);
  });

  it('the namespace defaults to the pod\'s own (the ServiceAccount namespace file, else POD_NAMESPACE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    try {
      const file = join(dir, 'namespace');
      writeFileSync(file, 'atlas-k8s-migrator-system\n');
      assert.equal(runConfig(['--leader-elect'], { env: { POD_NAMESPACE: 'other' }, namespaceFile: file }).leaderElection?.namespace, 'atlas-k8s-migrator-system');
      assert.equal(runConfig(['--leader-elect', '--leader-election-namespace=x'], { env: {}, namespaceFile: file }).leaderElection?.namespace, 'x');
      assert.equal(runConfig(['--leader-elect'], { env: { POD_NAMESPACE: 'from-env' }, namespaceFile: join(dir, 'absent') }).leaderElection?.namespace, 'from-env');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad values are usage errors naming the flags', () => {
    for (const [args, message] of [
      [['--leader-elect'], /--leader-elect needs --leader-election-namespace when not running in a cluster/],
      [['--leader-elect=maybe'], /--leader-elect "maybe": must be true or false/],
      [['--leader-elect', '--leader-election-namespace=ops', '--leader-election-id=Not_A_Name'], /--leader-election-id "Not_A_Name": not a valid object name/],
      [['--leader-elect', '--leader-election-namespace=ops', '--leader-elect-lease-duration=10s'], /renew deadline must be shorter than the lease duration/],
      [['--leader-elect', '--leader-election-namespace=ops', '--leader-elect-retry-period=10s'], /retry period must be shorter than the renew deadline/],
      [['--leader-elect', '--leader-election-namespace=ops', '--leader-elect-lease-duration=15500ms'], /whole number of seconds/],
      [['--leader-elect', '--leader-election-namespace=ops', '--leader-elect-retry-period=soon'], /--leader-elect-retry-period "soon": not a duration/],
    ] as const) {
      assert.throws(() => runConfig(args, outside), (e: Error) => e instanceof UsageError && message.test(e.message), args.join(' '));
    }
  });

  it('exit 2 from the command line', async () => {
    const r = await runCaptured(['run', '--leader-elect', '--leader-election-namespace=ops', '--leader-elect-renew-deadline=20s']);
    assert.equal(r.code, ExitCode.Usage);
    assert.match(r.err, /renew deadline must be shorter than the lease duration/);
  });
});
