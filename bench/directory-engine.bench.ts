/**
 * Directory engine benchmark: read + hash + validate + split + plan a
 * generated directory of 10,000 files with about 20 statements each.
 *
 * Baseline, measured in the same run: reading the same files and computing
 * one SHA-256 over them (the I/O and hashing floor no engine can beat).
 * Prints the median of several runs for both and their ratio.
 *
 *   npx tsx bench/directory-engine.bench.ts [--files N] [--runs N] [--dialect postgres]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeRevision, type Revision } from '../operator/migrate/dialects/revision';
import { SQL_SYNTAX, isDialectName } from '../operator/migrate/dialects/syntax';
import { readDirectoryFolder } from '../operator/migrate/directory';
import { plan } from '../operator/migrate/planner';
import { fileStatements } from '../operator/migrate/statements';
import { computeSum } from '../operator/migrate/sum';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '7' },
    dialect: { type: 'string', default: 'postgres' },
  },
});
const FILES = Number(values.files);
const RUNS = Number(values.runs);
const DIALECT = values.dialect ?? 'postgres';
if (!isDialectName(DIALECT)) throw new Error(`unknown dialect ${DIALECT}`);

function fileContent(i: number): string {
  const t = `t${i}`;
  const lines = [
    `-- Migration ${i}: create ${t} and seed it`,
    `CREATE TABLE "${t}" (`,
    `  "id" bigint NOT NULL,`,
    `  "name" varchar(255) NOT NULL DEFAULT 'unnamed; really',`,
    `  "note" text NULL, -- free text`,
    `  PRIMARY KEY ("id")`,
    `);`,
    `CREATE INDEX "${t}_name" ON "${t}" ("name");`,
  ];
  for (let r = 0; r < 16; r++) {
    lines.push(`INSERT INTO "${t}" ("id", "name", "note") VALUES (${r}, 'row ${r} of ${t}', 'it''s (${r}); fine');`);
  }
  lines.push(`/* a block comment; with a delimiter */`, `ALTER TABLE "${t}" ADD COLUMN "extra" int NULL;`);
  lines.push(`COMMENT ON TABLE "${t}" IS 'generated';`);
  return lines.join('\n') + '\n';
}

function version(i: number): string {
  return String(20240000000000 + i);
}

function generate(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `${version(i)}_create_t${i}.sql`), fileContent(i));
}

function revisionsForHalf(): Revision[] {
  return Array.from({ length: FILES / 2 }, (_, i) => makeRevision({ version: version(i), description: `create_t${i}`, applied: 20, total: 20 }));
}

function engine(dir: string, revisions: readonly Revision[]): Promise<number> {
  const directory = readDirectoryFolder(dir);
  directory.validate();
  let statements = 0;
  for (const f of directory.files) statements += fileStatements(f, SQL_SYNTAX[DIALECT as keyof typeof SQL_SYNTAX]).length;
  const p = plan(directory, { revisions });
  if (p.pending.length !== FILES / 2) throw new Error(`unexpected plan: ${p.pending.length} pending`);
  return Promise.resolve(statements);
}

/** The floor: the same reads the engine does (synchronous, the fastest here) and one SHA-256. */
function floor(dir: string): Promise<number> {
  const names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  const sha = createHash('sha256');
  let bytes = 0;
  for (const n of names) {
    const b = readFileSync(join(dir, n));
    sha.update(b);
    bytes += b.length;
  }
  sha.digest();
  return Promise.resolve(bytes);
}

async function timed(fn: () => Promise<number>): Promise<[number, number]> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-dir-'));
  const dir = join(root, 'migrations');
  try {
    generate(dir);
    // atlas.sum for the generated files, so validation does real work.
    const initial = readDirectoryFolder(dir);
    writeFileSync(join(dir, 'atlas.sum'), computeSum(initial.files).format());
    const revisions = revisionsForHalf();
    const engineMs: number[] = [];
    const floorMs: number[] = [];
    let statements = 0;
    let bytes = 0;
    // Interleave so both see the same machine load; the first pair warms caches and the JIT.
    for (let run = 0; run <= RUNS; run++) {
      const [e, s] = await timed(() => engine(dir, revisions));
      const [f, b] = await timed(() => floor(dir));
      if (run === 0) continue;
      engineMs.push(e);
      floorMs.push(f);
      statements = s;
      bytes = b;
    }
    const eMed = median(engineMs);
    const fMed = median(floorMs);
    console.log(`directory: ${FILES} files, ${statements} statements, ${(bytes / 1e6).toFixed(1)} MB, dialect ${DIALECT}`);
    console.log(`engine (read+hash+validate+split+plan): median ${eMed.toFixed(0)} ms over ${RUNS} runs [${engineMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`floor (read+sha256 only):                median ${fMed.toFixed(0)} ms over ${RUNS} runs [${floorMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`ratio engine/floor: ${(eMed / fMed).toFixed(2)}; target: engine <= 1000 ms -> ${eMed <= 1000 ? 'met' : 'NOT met'}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
