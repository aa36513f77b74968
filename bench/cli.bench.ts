/**
 * The CLI side by side with the Atlas CLI on a 1,000-file directory already
 * applied to PostgreSQL 15: `migrate status` and a no-op `migrate apply`,
 * whole processes timed from spawn to exit (start-up included, as a person
 * or a CI job meets it). Ours runs compiled (`node dist/operator/cli/main.js`).
 *
 * The Atlas CLI is not a dependency: point ATLAS_BIN at a binary built from
 * ariga/atlas (`cmd/atlas`); without it only our figures are printed.
 *
 *   make build && ATLAS_BIN=/path/to/atlas npx tsx bench/cli.bench.ts [--runs 11]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { startPostgres } from '../e2e/databases/postgres';
import { apply } from '../operator/migrate/apply';
import { openDriver } from '../operator/migrate/dialects/registry';
import { readDirectoryFolder } from '../operator/migrate/directory';
import { median } from './bench-kit';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' }, files: { type: 'string', default: '1000' } } });
const RUNS = Number(values.runs);
const FILES = Number(values.files);
const OURS = [join(__dirname, '..', 'dist', 'operator', 'cli', 'main.js')];
const ATLAS = process.env.ATLAS_BIN;


function generate(root: string): string {
  const dir = join(root, 'migrations');
  mkdirSync(dir);
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(dir, `${String(i).padStart(6, '0')}_t${i}.sql`), `CREATE TABLE t${i} (id int NOT NULL, name varchar(64), PRIMARY KEY (id));\nCREATE INDEX t${i}_name ON t${i} (name);\n`);
  }
  writeFileSync(join(dir, 'atlas.sum'), readDirectoryFolder(dir).computedSum().format());
  return dir;
}

/** Runs a command to completion; returns its wall time in ms (throws on failure). */
function timed(command: string, args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return ms;
}

interface Tool {
  readonly name: string;
  readonly command: string;
  readonly prefix: readonly string[];
}

/** Times every tool on one command; the first round warms the page cache and is not counted; the order alternates. */
function compare(what: string, args: readonly string[], tools: readonly Tool[]): string {
  const times = new Map<string, number[]>(tools.map((t) => [t.name, []]));
  for (let run = 0; run < RUNS + 1; run++) {
    const order = run % 2 === 0 ? tools : [...tools].reverse();
    const round = order.map((t) => [t.name, timed(t.command, [...t.prefix, ...args])] as const);
    if (run > 0) for (const [name, ms] of round) times.get(name)?.push(ms);
  }
  const ours = median(times.get('ours') ?? []);
  const atlas = ATLAS === undefined ? undefined : median(times.get('atlas') ?? []);
  const line = `${what}, ${FILES} files: ours median ${ours.toFixed(0)} ms`;
  return atlas === undefined ? `${line} (set ATLAS_BIN to compare)` : `${line}, atlas median ${atlas.toFixed(0)} ms, ours/atlas ${(ours / atlas).toFixed(2)} (target ≤ 1.0; ${RUNS} runs each)`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const pg = await startPostgres();
  try {
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE cli');
    await admin.end();
    const url = pg.urlFor('cli', 'sslmode=disable&search_path=public');
    const dir = generate(root);
    const driver = openDriver(url);
    await apply(driver, readDirectoryFolder(dir), { operatorVersion: 'bench' });
    await driver.close();
    const tools: Tool[] = [{ name: 'ours', command: process.execPath, prefix: OURS }];
    if (ATLAS !== undefined) tools.push({ name: 'atlas', command: ATLAS, prefix: [] });
    const commands: [string, string[]][] = [
      ['migrate status', ['migrate', 'status', '--url', url, '--dir', `file://${dir}`]],
      ['migrate apply (nothing to do)', ['migrate', 'apply', '--url', url, '--dir', `file://${dir}`]],
      ['version (start-up alone)', ['version']],
    ];
    for (const [what, args] of commands) console.log(compare(what, args, tools));
  } finally {
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
