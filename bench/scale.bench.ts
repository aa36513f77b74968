/**
 * Scale benchmark: schema-per-tenant AtlasMigrations on one PostgreSQL 15
 * server (`search_path` in each URL, one Secret each, one shared
 * ConfigMap of two files), on a real kube-apiserver + etcd, reconciled by
 * the compiled operator with the image's node flags, authenticated as its
 * ServiceAccount.
 *
 * 1. The curve, for each size N (default 100, 1,000, 10,000), a fresh
 *    operator watching only that size's namespace: N AtlasMigrations
 *    created at once → all Ready (time, the operator's peak RSS, its CPU,
 *    its API requests by verb, the most PostgreSQL connections open at
 *    once); idle RSS once settled; then one resync period measured whole:
 *    API requests by verb (writes must be 0), revisions-table reads per
 *    resource (pg_stat_user_tables), PostgreSQL transactions, the most
 *    connections open at once, and how the checks spread over the period
 *    (the busiest second against the average).
 * 2. Memory steps: idle RSS of the operator on the 100-resource namespace,
 *    started `--memory-runs` times per variant (rounds interleaved, median):
 *    builds of earlier commits (`--builds name=commit,…`, compiled into
 *    bench/out/builds/) and node flags / environment variants of this one.
 *
 *   make build && npx tsx bench/scale.bench.ts [--sizes 100,1000,10000] [--resync-periods 60,120,600] [--resync-window 120]
 *       [--memory-runs 5] [--builds baseline=<commit>,…] [--variants name=flags|ENV=v flags,…]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { startControlPlane, type ControlPlane } from '../e2e/controlplane/launcher';
import { freePort } from '../e2e/databases/free-port';
import { startPostgres } from '../e2e/databases/postgres';
import { startProcess, waitUntilReady, type TestDatabaseServer } from '../e2e/databases/server-process';
import { type KubeClient, resourcePath } from '../operator/controller/kube/api-client';
import { ListWatch } from '../operator/controller/kube/list-watch';
import { directoryFromEntries } from '../operator/migrate/directory';
import { median, sleep, adminClient, readyOf } from './bench-kit';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000' },
    /** Resync period per size, seconds (each size's own operator runs with it). */
    'resync-periods': { type: 'string', default: '60,120,600' },
    /** Longest resync window measured, seconds: a longer period is measured over this part of it. */
    'resync-window': { type: 'string', default: '120' },
    'memory-runs': { type: 'string', default: '5' },
    /** Earlier commits to compare, name=commit: by default the last one before the memory work (bench/README.md, Scale). */
    builds: { type: 'string', default: 'before=ca54b50' },
    /** Node flags and environment of this build to compare, name=words (VAR=value words are environment). */
    variants: { type: 'string', default: 'no flags=' },
    'ready-timeout': { type: 'string', default: '900' },
    /** Earlier commits whose operator also runs the curve, name=commit (after this tree's, each size): a baseline from the same run. */
    'curve-builds': { type: 'string', default: '' },
    /** Skip the resync measurement (quicker curve runs while comparing builds). */
    'no-resync': { type: 'boolean', default: false },
  },
});
const SIZES = values.sizes.split(',').filter((s) => s !== '').map(Number);
const RESYNC_PERIODS_S = values['resync-periods'].split(',').map(Number);
const RESYNC_WINDOW_S = Number(values['resync-window']);
/** The resync period of the `i`-th size (the last one given for those beyond). */
const resyncOf = (i: number): number => RESYNC_PERIODS_S[Math.min(i, RESYNC_PERIODS_S.length - 1)] ?? 600;
const MEMORY_RUNS = Number(values['memory-runs']);
const READY_TIMEOUT_MS = Number(values['ready-timeout']) * 1000;
/** The Dockerfile's ENTRYPOINT flags (OPERATOR_NODE_FLAGS overrides). */
const NODE_FLAGS = (process.env.OPERATOR_NODE_FLAGS ?? '--max-semi-space-size=1 --optimize-for-size').split(' ').filter((f) => f !== '');
const ROOT = join(__dirname, '..');
const OUT = join(__dirname, 'out');
const AM = { group: 'db.atlasgo.io', version: 'v1alpha1', plural: 'atlasmigrations' };
const DATABASE = 'tenants';
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const WRITE_VERBS = ['post', 'put', 'patch', 'delete'];
const VERBS = ['get', 'watch', ...WRITE_VERBS];

const mb = (kb: number): string => (kb / 1024).toFixed(0);

function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU (ms) used so far by the machine's processes of one kind, exited children included (a postmaster's backends). */
function cpuByKind(): Record<'apiserver' | 'etcd' | 'postgres' | 'machine', number> {
  const out = { apiserver: 0, etcd: 0, postgres: 0, machine: 0 };
  const tick = 1000 / 100;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime: fields 14-17 of stat (11-14 after the name).
      const own = (Number(f[11]) + Number(f[12])) * tick;
      const children = (Number(f[13]) + Number(f[14])) * tick;
      if (comm === 'kube-apiserver') out.apiserver += own;
      else if (comm === 'etcd') out.etcd += own;
      else if (comm === 'postgres') out.postgres += own + children;
    } catch {
      // The process exited while we looked.
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  // user, nice, system, (idle, iowait excluded), irq, softirq, steal.
  out.machine = ((cpu[0] ?? 0) + (cpu[1] ?? 0) + (cpu[2] ?? 0) + (cpu[5] ?? 0) + (cpu[6] ?? 0) + (cpu[7] ?? 0)) * tick;
  return out;
}

function cpuShares(before: ReturnType<typeof cpuByKind>, after: ReturnType<typeof cpuByKind>, operatorMs: number, wallMs: number, n: number): string {
  const per = (k: keyof typeof before): string => `${((after[k] - before[k]) / n).toFixed(1)}`;
  const cores = (after.machine - before.machine) / wallMs;
  return `machine busy ${cores.toFixed(2)} of ${cpus().length} cores; CPU ms per resource: operator ${(operatorMs / n).toFixed(1)}, kube-apiserver ${per('apiserver')}, etcd ${per('etcd')}, postgres ${per('postgres')}, all ${per('machine')}`;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

// ---------------------------------------------------------------- the operator

interface Operator {
  readonly pid: number;
  readonly metricsPort: number;
  readonly resyncS: number;
  /** When /readyz first answered (performance.now()): its resync schedule starts then. */
  readonly readyAt: number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

interface OperatorBuild {
  readonly name: string;
  /** dist/ folder of the build. */
  readonly dist: string;
  readonly flags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const THIS_BUILD: OperatorBuild = { name: 'this tree', dist: join(ROOT, 'dist'), flags: NODE_FLAGS, env: {} };

async function startOperator(cp: ControlPlane, build: OperatorBuild, namespace: string, resyncS = 600): Promise<Operator> {
  const [health, metricsPort] = [await freePort(), await freePort()];
  const kubeconfig = cp.kubeconfigFor('atlas-k8s-migrator-system', 'atlas-k8s-migrator');
  const proc = startProcess(
    process.execPath,
    [...build.flags, join(build.dist, 'operator', 'cli', 'main.js'), 'run', '--kubeconfig', kubeconfig, `--namespace=${namespace}`,
      `--health-probe-bind-address=127.0.0.1:${health}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, `--resync-period=${resyncS}s`, '--log-level=warn'],
    { dataDir: mkdtempSync(join(tmpdir(), 'bench-scale-')), env: { ...process.env, ...build.env } },
  );
  await waitUntilReady(proc, async () => {
    const r = await fetch(`http://127.0.0.1:${health}/readyz`);
    if (r.status !== 200) throw new Error(await r.text());
  }, 'operator', 120_000);
  const readyAt = performance.now();
  return {
    pid: proc.child.pid ?? 0,
    metricsPort,
    resyncS,
    readyAt,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    stop: () => proc.stop(),
  };
}

function sumMetric(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, 'gm'))].reduce((n, m) => n + Number(m[1] ?? 0), 0);
}

const apiByVerb = (text: string): Record<string, number> =>
  Object.fromEntries(VERBS.map((v) => [v, sumMetric(text, new RegExp(`^atlas_migrator_api_requests_total\\{verb="${v}",code="[^"]*"\\} (\\d+)$`))]));
const reconciles = (text: string, result = '[^"]*'): number => sumMetric(text, new RegExp(`^atlas_migrator_reconcile_total\\{result="${result}"\\} (\\d+)$`));
const busy = (text: string): number => sumMetric(text, /^atlas_migrator_workqueue_depth (\d+)$/) + sumMetric(text, /^atlas_migrator_reconciles_active (\d+)$/);
const verbDelta = (a: Record<string, number>, b: Record<string, number>): string => VERBS.map((v) => `${v} ${(b[v] ?? 0) - (a[v] ?? 0)}`).join(', ');
const writes = (a: Record<string, number>, b: Record<string, number>): number => WRITE_VERBS.reduce((n, v) => n + (b[v] ?? 0) - (a[v] ?? 0), 0);

// ---------------------------------------------------------------- the cluster side

/** Counts the AtlasMigrations of a namespace seen Ready; resolves when `n` are. */
function readyCounter(client: KubeClient, namespace: string): { watch: ListWatch; all(n: number, timeoutMs: number): Promise<number> } {
  const ready = new Set<string>();
  let wake: () => void = () => undefined;
  const watch = new ListWatch({
    client,
    resource: { ...AM, namespace },
    log: quiet,
    onEvent: (_t, o) => {
      if (readyOf(o)) ready.add(o.metadata.name);
      wake();
    },
  });
  watch.start();
  const all = async (n: number, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    while (ready.size < n) {
      if (performance.now() > deadline) throw new Error(`${namespace}: ${ready.size} of ${n} Ready after ${timeoutMs / 1000} s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1000);
      });
    }
    return performance.now();
  };
  return { watch, all };
}

const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int NOT NULL, user_name varchar(255) NOT NULL, PRIMARY KEY (id));\n',
  '2_posts.sql': 'CREATE TABLE posts (id int NOT NULL, user_id int NOT NULL REFERENCES users (id), title varchar(255) NOT NULL, PRIMARY KEY (id));\n',
};

/** A namespace with the shared ConfigMap, N Secrets (one tenant schema each) and N schemas. */
async function prepare(client: KubeClient, pg: TestDatabaseServer, admin: Client, ns: string, n: number): Promise<void> {
  const files = { ...FILES, 'atlas.sum': directoryFromEntries(Object.entries(FILES), 'x').computedSum().format() };
  await client.json({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: ns } } });
  await client.json({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: { metadata: { name: 'migrations' }, data: files } });
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i += 500) await admin.query(ids.slice(i, i + 500).map((j) => `CREATE SCHEMA ${ns.replaceAll('-', '_')}_${j};`).join('\n'));
  await pool(ids, 50, async (i) => {
    const url = pg.urlFor(DATABASE, `sslmode=disable&search_path=${ns.replaceAll('-', '_')}_${i}`);
    await client.json({ method: 'POST', path: `/api/v1/namespaces/${ns}/secrets`, body: { metadata: { name: `db-${i}` }, stringData: { url } } });
  });
}

const migration = (ns: string, i: number): object => ({
  apiVersion: 'db.atlasgo.io/v1alpha1',
  kind: 'AtlasMigration',
  metadata: { name: `m-${i}`, namespace: ns },
  spec: { urlFrom: { secretKeyRef: { key: 'url', name: `db-${i}` } }, dir: { configMapRef: { name: 'migrations' } } },
});

/**
 * The most connections to the tenants database open at once, sampled every 100 ms until stopped,
 * from a session on another database (its own queries are not counted as the tenants' transactions).
 */
function connectionSampler(admin: Client): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [DATABASE]);
      max = Math.max(max, Number(r.rows[0]?.n ?? 0));
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

/** Reads of the tenants' revisions tables (each resync check is one) and transactions in the tenants database. */
async function databaseCounters(admin: Client): Promise<{ reads: number; xacts: number }> {
  const reads = await admin.query<{ n: string }>("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) AS n FROM pg_stat_user_tables WHERE relname = 'atlas_schema_revisions'");
  const xacts = await admin.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [DATABASE]);
  return { reads: Number(reads.rows[0]?.n ?? 0), xacts: Number(xacts.rows[0]?.n ?? 0) };
}

/** Waits until the operator has had nothing to do for `quietMs`. */
async function settle(op: Operator, quietMs: number): Promise<void> {
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    await sleep(500);
    if (busy(await op.metrics()) > 0) since = performance.now();
  }
}

// ---------------------------------------------------------------- 1. the curve

interface SizeResult {
  readonly build: string;
  readonly n: number;
  readonly readyMs: number;
  readonly line: string;
}

// eslint-disable-next-line max-params
async function size(cp: ControlPlane, client: KubeClient, pg: TestDatabaseServer, db: { admin: Client; sampler: Client }, n: number, resyncS: number, build: OperatorBuild = THIS_BUILD, ns = `scale-${n}`): Promise<SizeResult> {
  const { admin, sampler } = db;
  const p0 = performance.now();
  await prepare(client, pg, admin, ns, n);
  const prepared = performance.now() - p0;
  const op = await startOperator(cp, build, ns, resyncS);
  try {
    const startRss = procKb(op.pid, 'VmRSS');
    const counter = readyCounter(client, ns);
    await counter.watch.synced;
    writeFileSync(`/proc/${op.pid}/clear_refs`, '5'); // resets the peak RSS (VmHWM)
    const [api0, cpu0] = [apiByVerb(await op.metrics()), cpuMs(op.pid)];
    const connections = connectionSampler(sampler);
    const machine0 = cpuByKind();
    const t0 = performance.now();
    await pool(Array.from({ length: n }, (_, i) => i), 100, async (i) => void (await client.json({ method: 'POST', path: resourcePath({ ...AM, namespace: ns }), body: migration(ns, i) })));
    const created = performance.now();
    const t1 = await counter.all(n, READY_TIMEOUT_MS);
    const machine1 = cpuByKind();
    const [peak, cpu1, api1, maxConnections] = [procKb(op.pid, 'VmHWM'), cpuMs(op.pid), apiByVerb(await op.metrics()), await connections.stop()];
    await counter.watch.stop();
    await settle(op, 5000);
    await sleep(10_000);
    const idle = procKb(op.pid, 'VmRSS');
    const settled = await op.metrics();
    const heap = sumMetric(settled, /^nodejs_heap_size_used_bytes (\d+)$/) / 1048576;
    const runs = sumMetric(settled, /^atlas_migrator_migration_duration_seconds_count\{result="applied"\} (\d+)$/);
    const runSeconds = sumMetric(settled, /^atlas_migrator_migration_duration_seconds_sum\{result="applied"\} ([\d.e+-]+)$/);
    // An earlier build is the baseline of the time to Ready; its resync is not measured.
    const resync = values['no-resync'] || build !== THIS_BUILD ? 'resync not measured' : await oneResync(op, db, n, created);
    return {
      build: build.name,
      n,
      readyMs: t1 - t0,
      line:
        `[${build.name}] ${n} AtlasMigrations (schema per tenant, one PostgreSQL server; prepared in ${(prepared / 1000).toFixed(0)} s): created in ${((created - t0) / 1000).toFixed(1)} s, all Ready in ${((t1 - t0) / 1000).toFixed(1)} s\n` +
        `  operator: RSS at start ${mb(startRss)} MB, peak ${mb(peak)} MB, idle ${mb(idle)} MB (heap used ${heap.toFixed(0)} MB); CPU ${((cpu1 - cpu0) / 1000).toFixed(1)} s (${((cpu1 - cpu0) / n).toFixed(2)} ms per resource)\n` +
        `  ${cpuShares(machine0, machine1, cpu1 - cpu0, t1 - t0, n)}\n` +
        `  API requests until all Ready: ${verbDelta(api0, api1)}; PostgreSQL connections open at most: ${maxConnections}; migrate runs ${runs}, ${((runSeconds / Math.max(runs, 1)) * 1000).toFixed(0)} ms each on average (one at a time: one database)\n` +
        `  ${resync}`,
    };
  } finally {
    await op.stop();
  }
}

/**
 * One whole resync period, from a moment when every resource is in the
 * schedule (the first period start after the last create): each resource
 * is checked exactly once in any window of one period from then on.
 */
async function oneResync(op: Operator, db: { admin: Client; sampler: Client }, n: number, lastCreate: number): Promise<string> {
  const { admin, sampler } = db;
  const period = op.resyncS * 1000;
  const windowMs = Math.min(period, RESYNC_WINDOW_S * 1000);
  const firstFull = op.readyAt + Math.ceil((lastCreate + 2000 - op.readyAt) / period) * period;
  if (performance.now() < firstFull) await sleep(firstFull - performance.now());
  const [m0, db0] = [await op.metrics(), await databaseCounters(admin)];
  const [api0, u0, cpu0] = [apiByVerb(m0), reconciles(m0), cpuMs(op.pid)];
  const connections = connectionSampler(sampler);
  const perSecond: number[] = [];
  let last = u0;
  const end = performance.now() + windowMs;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    const now = reconciles(await op.metrics());
    perSecond.push(now - last);
    last = now;
  }
  // The window is exactly one period: each resource checked once. Checks go on after it, so the
  // database's counters are compared with the reconciles counted at the same moment, a little later
  // (the statistics of a session reach pg_stat_* when its backend exits).
  const [m1, maxConnections, cpu1] = [await op.metrics(), await connections.stop(), cpuMs(op.pid)];
  await sleep(1500);
  const [m2, db1] = [await op.metrics(), await databaseCounters(admin)];
  const [api1, u1, u2] = [apiByVerb(m1), reconciles(m1), reconciles(m2)];
  const average = n / op.resyncS;
  return (
    `resync period ${op.resyncS} s, measured over ${windowMs / 1000} s (expected ${Math.round((n * windowMs) / period)} checks): ${u1 - u0} reconciles (${reconciles(m1, 'unchanged') - reconciles(m0, 'unchanged')} unchanged); API requests ${verbDelta(api0, api1)} (writes ${writes(api0, api1)}); ` +
    `revisions-table reads ${((db1.reads - db0.reads) / (u2 - u0)).toFixed(2)} per check, PostgreSQL transactions ${((db1.xacts - db0.xacts) / (u2 - u0)).toFixed(2)} per check; ` +
    `connections open at most ${maxConnections}; checks per second: average ${average.toFixed(1)}, busiest ${Math.max(...perSecond)}, quietest ${Math.min(...perSecond)}; operator CPU ${((cpu1 - cpu0) / 1000).toFixed(1)} s`
  );
}

// ---------------------------------------------------------------- 2. memory steps

/** Compiles `commit`'s operator into bench/out/builds/<commit>/dist (once), against this checkout's node_modules. */
function buildAt(commit: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', commit], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(OUT, 'builds', sha);
  if (existsSync(join(dir, 'dist', 'operator', 'cli', 'main.js'))) return join(dir, 'dist');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', sha, 'operator', 'imports', 'tsconfig.json', 'tsconfig.build.json', 'package.json'], { cwd: ROOT, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  return join(dir, 'dist');
}

function parseVariants(): OperatorBuild[] {
  const builds = values.builds.split(',').filter((s) => s !== '').map((spec): OperatorBuild => {
    const [name = spec, commit = spec] = spec.split('=');
    return { name, dist: buildAt(commit), flags: NODE_FLAGS, env: {} };
  });
  const flagVariants = values.variants.split(',').filter((s) => s !== '').map((spec): OperatorBuild => {
    const [name = spec, rest = ''] = spec.split('=', 2).length === 2 ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, ''];
    const words = rest.split(' ').filter((w) => w !== '');
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    return { name, dist: THIS_BUILD.dist, flags: words.filter((w) => !/^[A-Z_]+=/.test(w)), env };
  });
  return [...builds, { ...THIS_BUILD, name: 'this tree, image flags' }, ...flagVariants];
}

/** Idle RSS with `ns`'s resources (all Ready already): start, reconcile each once, settle, read. */
async function idleOnce(cp: ControlPlane, build: OperatorBuild, ns: string, n: number): Promise<{ startKb: number; idleKb: number; heapMb: number }> {
  const op = await startOperator(cp, build, ns);
  try {
    const startKb = procKb(op.pid, 'VmRSS');
    const deadline = performance.now() + 120_000;
    while (reconciles(await op.metrics()) < n && performance.now() < deadline) await sleep(250);
    await settle(op, 2000);
    await sleep(10_000);
    const heapMb = sumMetric(await op.metrics(), /^nodejs_heap_size_used_bytes (\d+)$/) / 1048576;
    return { startKb, idleKb: procKb(op.pid, 'VmRSS'), heapMb };
  } finally {
    await op.stop();
  }
}

async function memorySteps(cp: ControlPlane, ns: string, n: number): Promise<string> {
  const variants = parseVariants();
  const results = new Map<string, { startKb: number; idleKb: number; heapMb: number }[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < MEMORY_RUNS; round++) {
    for (const v of variants) results.get(v.name)?.push(await idleOnce(cp, v, ns, n));
  }
  const base = median(results.get(variants[0]?.name ?? '')?.map((r) => r.idleKb) ?? [0]);
  const rows = variants.map((v) => {
    const rs = results.get(v.name) ?? [];
    const idle = median(rs.map((r) => r.idleKb));
    const flags = [...Object.entries(v.env).map(([k, x]) => `${k}=${x}`), ...v.flags].join(' ');
    return `| ${v.name} | \`${flags}\` | ${mb(median(rs.map((r) => r.startKb)))} MB | ${mb(idle)} MB [${rs.map((r) => mb(r.idleKb)).join(', ')}] | ${median(rs.map((r) => r.heapMb)).toFixed(1)} MB | ${idle - base > 0 ? '+' : ''}${mb(idle - base)} MB |`;
  });
  return [`idle RSS with ${n} Ready resources, median of ${MEMORY_RUNS} starts per variant (rounds interleaved):`, '| variant | node flags | RSS after start | idle RSS | heap used | vs first |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const [cp, pg] = await Promise.all([startControlPlane(), startPostgres()]);
  try {
    cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml'), '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
    cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io']);
    const setup = new Client({ connectionString: pg.url });
    await setup.connect();
    await setup.query(`CREATE DATABASE ${DATABASE}`);
    await setup.end();
    const admin = new Client({ connectionString: pg.urlFor(DATABASE) });
    await admin.connect();
    const sampler = new Client({ connectionString: pg.url });
    await sampler.connect();
    const client = adminClient(cp);
    const curve: SizeResult[] = [];
    const baselines = values['curve-builds'].split(',').filter((x) => x !== '').map((spec): OperatorBuild => {
      const [name = spec, commit = spec] = spec.split('=');
      return { name, dist: buildAt(commit), flags: NODE_FLAGS, env: {} };
    });
    for (const [i, n] of SIZES.entries()) {
      for (const [j, build] of [THIS_BUILD, ...baselines].entries()) {
        const r = await size(cp, client, pg, { admin, sampler }, n, resyncOf(i), build, j === 0 ? `scale-${n}` : `scale-${n}-b${j}`);
        console.log(r.line);
        curve.push(r);
      }
    }
    const first = curve[0];
    for (const build of [THIS_BUILD, ...baselines]) {
      const mine = curve.filter((r) => r.build === build.name);
      console.log(`curve, ${build.name} (all Ready): ${mine.map((r) => `${r.n}: ${(r.readyMs / 1000).toFixed(1)} s (${(r.readyMs / r.n).toFixed(1)} ms per resource)`).join('; ')}`);
    }
    if (MEMORY_RUNS > 0 && first !== undefined) console.log(await memorySteps(cp, `scale-${first.n}`, first.n));
    await admin.end();
    await sampler.end();
    client.close();
  } finally {
    await cp.stop();
    await pg.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
