/**
 * Operator benchmark on a real control plane, with the compiled operator
 * (`node dist/operator/cli/main.js run`, as the image runs it) authenticated
 * as its ServiceAccount:
 *
 * 1. create → Ready of the walk-through's AtlasMigration (the seed's files on
 *    a fresh MySQL 8.0 database each time), timed by an API watch, operator
 *    warm. Same-run floors: the API server alone (create an object, see its
 *    watch event) and the engine alone (the same apply in-process, no
 *    Kubernetes).
 * 2. 100 AtlasMigrations on 100 PostgreSQL databases, created at once →
 *    all Ready; the operator's peak RSS during each run (VmHWM, reset first).
 * 3. Idle: RSS once settled, and what one resync of those 100 costs: API
 *    requests by verb (the operator's own counter) and database
 *    transactions (pg_stat_database).
 *
 *   make build && npx tsx bench/operator.bench.ts [--runs 15] [--scale-runs 3]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { startControlPlane, type ControlPlane } from '../e2e/controlplane/launcher';
import { freePort } from '../e2e/databases/free-port';
import { startMySqlFamily } from '../e2e/databases/mysql-family';
import { startPostgres } from '../e2e/databases/postgres';
import { startProcess, waitUntilReady, type TestDatabaseServer } from '../e2e/databases/server-process';
import { type KubeClient, resourcePath } from '../operator/controller/kube/api-client';
import { ListWatch } from '../operator/controller/kube/list-watch';
import { apply } from '../operator/migrate/apply';
import { openDriver } from '../operator/migrate/dialects/registry';
import { directoryFromEntries } from '../operator/migrate/directory';
import { median, sleep, adminClient, readyOf } from './bench-kit';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, 'scale-runs': { type: 'string', default: '3' }, resources: { type: 'string', default: '100' } } });
const RUNS = Number(values.runs);
const SCALE_RUNS = Number(values['scale-runs']);
const RESOURCES = Number(values.resources);
const RESYNC_S = 20;
/** Node flags of the operator process: the Dockerfile's ENTRYPOINT sets the same (OPERATOR_NODE_FLAGS overrides). */
const NODE_FLAGS = (process.env.OPERATOR_NODE_FLAGS ?? '--max-semi-space-size=1 --optimize-for-size').split(' ').filter((f) => f !== '');
const EXTRA_ARGS = (process.env.OPERATOR_ARGS ?? '').split(' ').filter((f) => f !== '');

const ROOT = join(__dirname, '..');
const SEED = join(ROOT, 'operator', 'migrate', 'testdata', 'seed');
const AM = { group: 'db.atlasgo.io', version: 'v1alpha1', plural: 'atlasmigrations' };
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');

/** Resolves, per name, the first time a watched AtlasMigration is seen Ready. */
class ReadyWatcher {
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly seen = new Map<string, number>();
  readonly watch: ListWatch;
  constructor(client: KubeClient, namespace: string | undefined) {
    this.watch = new ListWatch({
      client,
      resource: { ...AM, ...(namespace === undefined ? {} : { namespace }) },
      log: quiet,
      onEvent: (_t, o) => {
        const key = `${o.metadata.namespace}/${o.metadata.name}`;
        if (!readyOf(o) || this.seen.has(key)) return;
        const at = performance.now();
        this.seen.set(key, at);
        this.waiters.get(key)?.(at);
      },
    });
    this.watch.start();
  }
  ready(key: string): Promise<number> {
    const at = this.seen.get(key);
    return at !== undefined ? Promise.resolve(at) : new Promise((resolve) => this.waiters.set(key, resolve));
  }
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** User + system CPU time of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern.source, 'gm'))].reduce((n, m) => n + Number(m[1] ?? 0), 0);
}

interface Operator {
  readonly pid: number;
  readonly metricsPort: number;
  stop(): Promise<void>;
}

async function startCompiledOperator(cp: ControlPlane): Promise<Operator> {
  const [health, metricsPort] = [await freePort(), await freePort()];
  const kubeconfig = cp.kubeconfigFor('atlas-k8s-migrator-system', 'atlas-k8s-migrator');
  const proc = startProcess(
    process.execPath,
    [...NODE_FLAGS, join(ROOT, 'dist', 'operator', 'cli', 'main.js'), 'run', '--kubeconfig', kubeconfig, `--health-probe-bind-address=127.0.0.1:${health}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, `--resync-period=${RESYNC_S}s`, '--log-level=warn', ...EXTRA_ARGS],
    { dataDir: mkdtempSync(join(tmpdir(), 'bench-operator-')) },
  );
  await waitUntilReady(proc, async () => {
    const r = await fetch(`http://127.0.0.1:${health}/readyz`);
    if (r.status !== 200) throw new Error(await r.text());
  }, 'operator');
  return { pid: proc.child.pid ?? 0, metricsPort, stop: () => proc.stop() };
}

const seedFiles = (): Record<string, string> =>
  Object.fromEntries(['20230316085611.sql', '20230316090502.sql', 'atlas.sum'].map((f) => [f, readFileSync(join(SEED, f), 'utf8')]));

function migration(namespace: string, name: string, secret: string): object {
  return { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace }, spec: { urlFrom: { secretKeyRef: { key: 'url', name: secret } }, dir: { configMapRef: { name: 'migrations' } } } };
}

async function create(client: KubeClient, path: string, body: object): Promise<void> {
  await client.json({ method: 'POST', path, body });
}

async function namespaceWith(client: KubeClient, ns: string, configMap: Record<string, string>): Promise<void> {
  await create(client, '/api/v1/namespaces', { metadata: { name: ns } });
  await create(client, `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'migrations' }, data: configMap });
}

async function secret(client: KubeClient, ns: string, name: string, url: string): Promise<void> {
  await create(client, `/api/v1/namespaces/${ns}/secrets`, { metadata: { name }, stringData: { url } });
}

/** 1. create → Ready on MySQL 8, and the two floors. */
async function latency(cp: ControlPlane, client: KubeClient, mysql: TestDatabaseServer): Promise<string> {
  const admin = await createConnection(mysql.url);
  const watcher = new ReadyWatcher(client, undefined);
  await watcher.watch.synced;
  const ours: number[] = [];
  const apiFloor: number[] = [];
  const engineFloor: number[] = [];
  const seed = seedFiles();
  const dir = directoryFromEntries(Object.entries(seed), 'seed');
  for (let i = -2; i < RUNS; i++) {
    const ns = `latency-${i + 2}`;
    await admin.query(`CREATE DATABASE myapp_${i + 2}`);
    await admin.query(`CREATE DATABASE floor_${i + 2}`);
    await namespaceWith(client, ns, seed);
    await secret(client, ns, 'mysql-credentials', mysql.urlFor(`myapp_${i + 2}`));
    const t0 = performance.now();
    await create(client, resourcePath({ ...AM, namespace: ns }), migration(ns, 'atlas-migration', 'mysql-credentials'));
    const t1 = await watcher.ready(`${ns}/atlas-migration`);
    // API floor: an object created and its watch event seen, no operator involved.
    const apiSeen = new Promise<number>((resolve) => {
      const w = new ListWatch({ client, resource: { group: '', version: 'v1', plural: 'configmaps', namespace: ns }, log: quiet, onEvent: (_t, o) => o.metadata.name === 'probe' && resolve(performance.now()) });
      w.start();
      void w.synced.then(async () => {
        const a0 = performance.now();
        await create(client, `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'probe' } });
        apiFloor.push((await apiSeen) - a0);
        await w.stop();
      });
    });
    await apiSeen;
    await sleep(20);
    // Engine floor: the same apply in-process on a fresh database.
    const e0 = performance.now();
    const driver = openDriver(mysql.urlFor(`floor_${i + 2}`));
    await apply(driver, dir, { operatorVersion: 'bench' });
    await driver.close();
    const e1 = performance.now();
    if (i >= 0) {
      ours.push(t1 - t0);
      engineFloor.push(e1 - e0);
    }
  }
  await watcher.watch.stop();
  await admin.end();
  const o = median(ours);
  return (
    `create → Ready (walk-through, MySQL 8.0, operator warm): median ${o.toFixed(0)} ms [${fmt(ours)}] (target ≤ 100 ms; Atlas Operator v0.7.37 anchor 137 ms)\n` +
    `  floors, same run: API create → watch event median ${median(apiFloor.slice(2)).toFixed(1)} ms; engine alone (same apply, in-process) median ${median(engineFloor).toFixed(0)} ms [${fmt(engineFloor)}]; ours/engine ${(o / median(engineFloor)).toFixed(2)}`
  );
}

const PORTABLE = {
  '1_users.sql': 'CREATE TABLE users (id int NOT NULL, user_name varchar(255) NOT NULL, email varchar(255) NOT NULL, PRIMARY KEY (id));\n',
  '2_posts.sql': 'CREATE TABLE posts (id int NOT NULL, user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE, title varchar(255) NOT NULL, body text NOT NULL, PRIMARY KEY (id));\n',
};

/** 2. RESOURCES AtlasMigrations on as many PostgreSQL databases, created at once. */
async function scale(client: KubeClient, pg: TestDatabaseServer, op: Operator, run: number): Promise<{ ms: number; peakMb: number }> {
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  const ns = `scale-${run}`;
  const files = { ...PORTABLE, 'atlas.sum': directoryFromEntries(Object.entries(PORTABLE), 'x').computedSum().format() };
  await namespaceWith(client, ns, files);
  for (let i = 0; i < RESOURCES; i++) {
    await admin.query(`CREATE DATABASE scale_${run}_${i}`);
    await secret(client, ns, `db-${i}`, pg.urlFor(`scale_${run}_${i}`, 'sslmode=disable&search_path=public'));
  }
  await admin.end();
  const watcher = new ReadyWatcher(client, ns);
  await watcher.watch.synced;
  writeFileSync(`/proc/${op.pid}/clear_refs`, '5'); // reset the peak RSS (VmHWM)
  const cpu0 = cpuMs(op.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: RESOURCES }, (_, i) => create(client, resourcePath({ ...AM, namespace: ns }), migration(ns, `m-${i}`, `db-${i}`))));
  const done = await Promise.all(Array.from({ length: RESOURCES }, (_, i) => watcher.ready(`${ns}/m-${i}`)));
  const ms = Math.max(...done) - t0;
  const peakMb = rssKb(op.pid, 'VmHWM') / 1024;
  if (process.env.BENCH_DEBUG !== undefined) console.log(`  operator CPU during the run: ${(cpuMs(op.pid) - cpu0).toFixed(0)} ms`);
  await watcher.watch.stop();
  return { ms, peakMb };
}

/** 3. What one resync of the scale runs' resources costs, once everything is Ready. */
async function idleResync(pg: TestDatabaseServer, op: Operator, counts: { all: number; postgres: number }): Promise<string> {
  const resources = counts.all;
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  const commits = async (): Promise<number> =>
    Number((await admin.query<{ n: string }>("SELECT sum(xact_commit + xact_rollback) AS n FROM pg_stat_database WHERE datname LIKE 'scale\\_%'")).rows[0]?.n ?? 0);
  const verbs = ['get', 'patch', 'post', 'put', 'delete'];
  const api = async (): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(verbs.map(async (v) => [v, await metric(op.metricsPort, new RegExp(`^atlas_migrator_api_requests_total\\{verb="${v}",code="[^"]*"\\} (\\d+)$`))] as const)));
  const unchanged = (): Promise<number> => metric(op.metricsPort, /^atlas_migrator_reconcile_total\{result="unchanged"\} (\d+)$/);
  // Wait for a quiet moment right after a resync has passed, then measure exactly one period.
  const u0 = await unchanged();
  while ((await unchanged()) < u0 + resources) await sleep(200);
  await sleep(2000);
  const [c0, a0, n0] = [await commits(), await api(), await unchanged()];
  while ((await unchanged()) < n0 + resources) await sleep(200);
  await sleep(2000);
  const [c1, a1, n1] = [await commits(), await api(), await unchanged()];
  await admin.end();
  const apiDelta = verbs.map((v) => `${v} ${(a1[v] ?? 0) - (a0[v] ?? 0)}`).join(', ');
  // pg_stat_database counts our reads and its own statistics reads alike; per resource is what matters.
  return `idle resync of ${n1 - n0} resources: API requests ${apiDelta}; PostgreSQL transactions ${c1 - c0} for its ${counts.postgres} resources (${((c1 - c0) / counts.postgres).toFixed(2)} per resource)`;
}

async function main(): Promise<void> {
  const [cp, mysql, pg] = await Promise.all([startControlPlane(), startMySqlFamily('mysql8'), startPostgres()]);
  let op: Operator | undefined;
  try {
    cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml'), '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
    cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io']);
    op = await startCompiledOperator(cp);
    const client = adminClient(cp);
    const startRss = rssKb(op.pid, 'VmRSS') / 1024;
    console.log(await latency(cp, client, mysql));
    const runs: { ms: number; peakMb: number }[] = [];
    for (let r = 0; r < SCALE_RUNS; r++) runs.push(await scale(client, pg, op, r));
    console.log(
      `${RESOURCES} AtlasMigrations on ${RESOURCES} PostgreSQL databases, created at once → all Ready: median ${median(runs.map((r) => r.ms)).toFixed(0)} ms [${fmt(runs.map((r) => r.ms))}] (target ≤ 4000 ms; Atlas Operator anchor 8500-9100 ms)\n` +
        `  operator peak RSS during the runs: median ${median(runs.map((r) => r.peakMb)).toFixed(0)} MB [${fmt(runs.map((r) => r.peakMb))}] (target ≤ 120 MB); RSS after start-up ${startRss.toFixed(0)} MB`,
    );
    for (const wait of [5, 10, 15]) {
      await sleep(wait * 1000);
      if (process.env.BENCH_DEBUG !== undefined) {
        const heap = (await metric(op.metricsPort, /^nodejs_heap_size_used_bytes (\d+)$/)) / 1048576;
        const total = (await metric(op.metricsPort, /^nodejs_heap_size_total_bytes (\d+)$/)) / 1048576;
        const external = (await metric(op.metricsPort, /^nodejs_external_memory_bytes (\d+)$/)) / 1048576;
        console.log(`  ${wait}s later: RSS ${(rssKb(op.pid, 'VmRSS') / 1024).toFixed(0)} MB, heap used ${heap.toFixed(0)} / total ${total.toFixed(0)} MB, external ${external.toFixed(1)} MB`);
      }
    }
    if (process.env.BENCH_HEAPSNAPSHOT !== undefined) {
      process.kill(op.pid, 'SIGUSR2');
      await sleep(8000);
    }
    console.log(`idle RSS with ${RESOURCES * SCALE_RUNS + RUNS + 2} resources: ${(rssKb(op.pid, 'VmRSS') / 1024).toFixed(0)} MB (target ≤ 80 MB)`);
    console.log(await idleResync(pg, op, { all: RESOURCES * SCALE_RUNS + RUNS + 2, postgres: RESOURCES * SCALE_RUNS }));
    client.close();
  } finally {
    await op?.stop();
    await cp.stop();
    await mysql.stop();
    await pg.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
