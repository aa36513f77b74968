/**
 * Apply benchmark: 1,000 generated files (CREATE TABLE, CREATE INDEX, an
 * INSERT of 10 rows) applied by us to PostgreSQL, MySQL 8 and MariaDB, against the
 * floor measured in the same run: the same statements through `psql -f` /
 * the `mariadb` client in one session. Reports medians, ours/floor, the
 * per-file overhead and our peak RSS.
 *
 *   npx tsx bench/apply.bench.ts [--files 1000] [--runs 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServers, type TestDatabase, type TestServers } from '../e2e/databases/targets';
import { readDirectoryFolder } from '../operator/migrate/directory';
import { median } from './bench-kit';

const { values } = parseArgs({ options: { files: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' } } });
const FILES = Number(values.files);
const RUNS = Number(values.runs);

function fileSql(i: number): string {
  const rows = Array.from({ length: 10 }, (_, r) => `(${r}, 'row ${r} of t${i}')`).join(', ');
  return `CREATE TABLE t${i} (id int NOT NULL, name varchar(64) NOT NULL, PRIMARY KEY (id));\nCREATE INDEX t${i}_name ON t${i} (name);\nINSERT INTO t${i} (id, name) VALUES ${rows};\n`;
}

function generate(root: string): { dir: string; all: string } {
  const dir = join(root, 'migrations');
  mkdirSync(dir);
  let all = '';
  for (let i = 0; i < FILES; i++) {
    const sql = fileSql(i);
    writeFileSync(join(dir, `${String(i).padStart(6, '0')}_t${i}.sql`), sql);
    all += sql;
  }
  writeFileSync(join(dir, 'atlas.sum'), readDirectoryFolder(dir).computedSum().format());
  const allPath = join(root, 'all.sql');
  writeFileSync(allPath, all);
  return { dir, all: allPath };
}

function ours(db: TestDatabase, dir: string): { ms: number; maxRssKb: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'apply-child.ts'), db.url, dir], { encoding: 'utf8' });
  const r = JSON.parse(out) as { ms: number; files: number; maxRssKb: number };
  if (r.files !== FILES) throw new Error(`applied ${r.files} files, expected ${FILES}`);
  return r;
}

function floor(db: TestDatabase, servers: TestServers, allPath: string): number {
  const name = new URL(db.url).pathname.slice(1);
  const started = process.hrtime.bigint();
  const server = db.target === 'sqlite' ? undefined : servers.server(db.target);
  if (server === undefined) throw new Error('no floor client for SQLite');
  const r =
    db.dialect === 'postgres'
      ? spawnSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-f', allPath, server.urlFor(name)], { encoding: 'utf8' })
      : spawnSync('mariadb', ['--default-character-set=utf8mb4', '-h', server.host, '-P', String(server.port), '-u', server.user, `-p${server.password}`, name], {
          input: readFileSync(allPath),
          encoding: 'utf8',
        });
  if (r.status !== 0) throw new Error(`floor client failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}


const BENCH_TARGETS = ['postgres', 'mysql8', 'mariadb10'] as const;
type BenchTarget = (typeof BENCH_TARGETS)[number];

interface Sample {
  readonly ours: number;
  readonly floor: number;
  readonly rssMb: number;
}

/** One run on two fresh databases; the order alternates so neither side always meets a warmer server. */
async function sample(servers: TestServers, target: BenchTarget, dir: string, all: string, oursFirst: boolean): Promise<Sample> {
  const a = await servers.fresh(target);
  const b = await servers.fresh(target);
  try {
    const first = oursFirst ? ours(b, dir) : undefined;
    const f = floor(a, servers, all);
    const o = first ?? ours(b, dir);
    return { ours: o.ms, floor: f, rssMb: o.maxRssKb / 1024 };
  } finally {
    await a.close();
    await b.close();
  }
}

async function measure(servers: TestServers, target: BenchTarget, dir: string, all: string): Promise<string> {
  const samples: Sample[] = [];
  for (let run = 0; run < RUNS; run++) samples.push(await sample(servers, target, dir, all, run % 2 === 1));
  const o = median(samples.map((s) => s.ours));
  const f = median(samples.map((s) => s.floor));
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
  return (
    `${target}: ${FILES} files x 3 statements; ours median ${o.toFixed(0)} ms [${list(samples.map((s) => s.ours))}], ` +
    `floor median ${f.toFixed(0)} ms [${list(samples.map((s) => s.floor))}], ours/floor ${(o / f).toFixed(2)} (target <= 2.0), ` +
    `overhead ${((o - f) / FILES).toFixed(2)} ms/file, peak RSS median ${median(samples.map((s) => s.rssMb)).toFixed(0)} MB (target <= 150)`
  );
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-apply-'));
  const servers = await startTestServers(BENCH_TARGETS);
  try {
    const { dir, all } = generate(root);
    for (const target of BENCH_TARGETS) console.log(await measure(servers, target, dir, all));
  } finally {
    await servers.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
