/**
 * `migrate lint` end to end (in process, SQLite for the database cases):
 * which files are linted, the text and JSON reports, the plan hash, exit
 * codes with default and custom --error-codes, and usage errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readDirectoryFolder } from '../migrate/directory';
import { planHash } from '../migrate/plan-hash';
import { ExitCode } from './io';
import { migrateLintHelp } from './migrate-lint';
import { runCaptured, type CapturedRun } from './run-captured';

const root = mkdtempSync(join(tmpdir(), 'cli-lint-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const run = (...argv: string[]): Promise<CapturedRun> => runCaptured(argv);

const FILES = {
  '1_users.sql': 'CREATE TABLE users (id int, email varchar(50));\nINSERT INTO users VALUES (1, NULL), (2, \'a\'), (3, \'a\');\n',
  '2_posts.sql': 'CREATE TABLE posts (id int);\n',
  '3_drop.sql': '-- cleanup\nCREATE TABLE keep (id int);\n\nDROP TABLE posts;\n',
  '4_unique.sql': 'CREATE UNIQUE INDEX users_email ON users (email);\n',
};

async function project(files: Record<string, string> = FILES) {
  const dir = join(root, `p${n++}`);
  mkdirSync(join(dir, 'm'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, 'm', name), content);
  assert.equal((await run('migrate', 'hash', '--dir', join(dir, 'm'))).code, 0);
  return { path: join(dir, 'm'), dir: `file://${join(dir, 'm')}`, url: `sqlite://${join(dir, 'db.sqlite')}` };
}

interface LintJson {
  dialect: string;
  selection: { kind: string; description: string };
  live: boolean;
  warnings: string[];
  files: { name: string; version: string; statements: number; findings: FindingJson[] }[];
  findings: FindingJson[];
  errors: number;
  planHash: string;
}

interface FindingJson {
  code: string;
  title: string | null;
  file: string;
  line: number;
  statement: number;
  message: string;
  subject: object | null;
  live: string | null;
  error: boolean;
}

async function lintJson(...argv: string[]): Promise<{ code: number; doc: LintJson; err: string }> {
  const r = await run('migrate', 'lint', '--format', 'json', ...argv);
  assert.notEqual(r.code, ExitCode.Usage, r.err);
  return { code: r.code, doc: JSON.parse(r.out) as LintJson, err: r.err };
}

/** The plan hash of these files, from the directory's atlas.sum. */
function expectedHash(path: string, names: readonly string[]): string {
  const sum = readDirectoryFolder(path).computedSum();
  return planHash(names.map((name) => ({ name, hash: sum.hashOf(name) ?? '' })));
}

/** The hash a reviewer can reproduce from atlas.sum alone: its last lines. */
function sumTailHash(path: string, count: number): string {
  const lines = readFileSync(join(path, 'atlas.sum'), 'utf8').split('\n').filter((l) => l !== '').slice(1);
  return planHash(lines.slice(lines.length - count).map((l) => ({ name: l.split(' ')[0] ?? '', hash: (l.split(' h1:')[1] ?? '').trim() })));
}

const names = (doc: LintJson): string[] => doc.files.map((f) => f.name);

describe('migrate lint: which files', () => {
  it('lints every file without a selection flag', async () => {
    const p = await project();
    const { doc } = await lintJson('--dir', p.dir, '--dialect', 'sqlite');
    assert.deepEqual(names(doc), Object.keys(FILES));
    assert.equal(doc.selection.kind, 'all');
    assert.equal(doc.planHash, expectedHash(p.path, Object.keys(FILES)));
  });

  it('--latest N: the last N files; more than there are: all', async () => {
    const p = await project();
    const two = await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--latest', '2');
    assert.deepEqual(names(two.doc), ['3_drop.sql', '4_unique.sql']);
    assert.equal(two.doc.planHash, expectedHash(p.path, ['3_drop.sql', '4_unique.sql']));
    assert.equal(two.doc.planHash, sumTailHash(p.path, 2));
    const many = await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--latest', '10');
    assert.deepEqual(names(many.doc), Object.keys(FILES));
  });

  it('--current-version V: the files after V, as a linear apply would run them', async () => {
    const p = await project();
    const after2 = await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--current-version', '2');
    assert.deepEqual(names(after2.doc), ['3_drop.sql', '4_unique.sql']);
    assert.equal(after2.doc.selection.kind, 'after-version');
    assert.equal(after2.doc.planHash, expectedHash(p.path, ['3_drop.sql', '4_unique.sql']));
    const atLatest = await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--current-version', '4');
    assert.deepEqual(names(atLatest.doc), []);
    assert.equal(atLatest.code, ExitCode.Ok);
    assert.equal(atLatest.doc.planHash, planHash([]));
  });

  it('--url: the files pending on the database, the dialect from the URL, counts from the live data', async () => {
    const p = await project();
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '2')).code, ExitCode.Ok);
    const { doc } = await lintJson('--dir', p.dir, '--url', p.url, '--error-codes', 'none');
    assert.equal(doc.dialect, 'sqlite');
    assert.equal(doc.selection.kind, 'pending');
    assert.equal(doc.live, true);
    assert.deepEqual(names(doc), ['3_drop.sql', '4_unique.sql']);
    assert.equal(doc.planHash, expectedHash(p.path, ['3_drop.sql', '4_unique.sql']));
    const drop = doc.findings.find((f) => f.code === 'DS102');
    assert.equal(drop?.live, 'holds no rows');
    const text = await run('migrate', 'lint', '--dir', p.dir, '--url', p.url);
    assert.match(text.out, /^Linting files pending on sqlite:\/\/.*db\.sqlite \(2 files, dialect sqlite\)\n/);
    assert.match(text.out, /\n {2}L4: DS102 \[error\]: Dropping table "posts" \(holds no rows\)\n/);
    const unique = doc.findings.find((f) => f.code === 'MF101');
    assert.equal(unique?.live, '1 duplicated value (2 rows)');
  });

  it('--url: a partially applied file is linted from its first unapplied statement', async () => {
    const p = await project({ '1_a.sql': 'CREATE TABLE a (c int);\nDROP TABLE a;\nINSERT INTO nope VALUES (1);\nCREATE TABLE b (c int);\n' });
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--tx-mode', 'none')).code, ExitCode.Failed);
    const { code, doc } = await lintJson('--dir', p.dir, '--url', p.url);
    assert.equal(code, ExitCode.Ok);
    assert.deepEqual(doc.files.map((f) => [f.name, f.statements, f.findings.length]), [['1_a.sql', 2, 0]]);
    assert.equal(doc.planHash, expectedHash(p.path, ['1_a.sql']));
  });

  it('--url: a table the plan creates first "does not exist yet"', async () => {
    const p = await project({ '1_a.sql': 'CREATE TABLE a (id int);\n', '2_b.sql': 'DROP TABLE a;\n' });
    const { doc } = await lintJson('--dir', p.dir, '--url', p.url);
    assert.equal(doc.findings[0]?.live, 'table "a" does not exist yet (an earlier statement creates it)');
    const only = await lintJson('--dir', p.dir, '--url', p.url, '--latest', '1');
    assert.equal(only.doc.findings[0]?.live, 'table "a" does not exist');
  });
});

describe('migrate lint: reports and exit codes', () => {
  it('prints each file with its findings, a summary and the plan hash', async () => {
    const p = await project();
    const r = await run('migrate', 'lint', '--dir', p.dir, '--dialect', 'sqlite', '--latest', '2');
    assert.equal(r.code, ExitCode.Failed);
    const hash = expectedHash(p.path, ['3_drop.sql', '4_unique.sql']);
    assert.equal(
      r.out,
      'Linting the latest 2 files (2 files, dialect sqlite)\n\n' +
        '3_drop.sql\n  L4: DS102 [error]: Dropping table "posts"\n\n' +
        '4_unique.sql\n  L1: MF101: Adding unique index "users_email" on column "email" of existing table "users"\n\n' +
        `2 files, 2 findings, 1 error\nPlan hash: ${hash}\n`,
    );
    assert.equal(r.err, 'Error: 1 error-level finding (see --error-codes)\n');
  });

  it('says so for a file without findings', async () => {
    const p = await project();
    const r = await run('migrate', 'lint', '--dir', p.dir, '--dialect', 'sqlite', '--latest', '3', '--error-codes', 'none');
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.match(r.out, /\n2_posts\.sql\n {2}no findings\n/);
  });

  it('JSON: the documented shape, findings per file and in one list', async () => {
    const p = await project();
    const { code, doc } = await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--latest', '2');
    assert.equal(code, ExitCode.Failed);
    assert.deepEqual(Object.keys(doc), ['dialect', 'selection', 'live', 'warnings', 'files', 'findings', 'errors', 'planHash']);
    assert.deepEqual(
      doc.files.map((f) => [f.name, f.version, f.statements, f.findings.map((x) => x.code)]),
      [
        ['3_drop.sql', '3', 2, ['DS102']],
        ['4_unique.sql', '4', 1, ['MF101']],
      ],
    );
    assert.deepEqual(doc.findings, doc.files.flatMap((f) => f.findings));
    const drop = doc.findings[0];
    assert.deepEqual(Object.keys(drop ?? {}), ['code', 'title', 'file', 'line', 'statement', 'message', 'subject', 'live', 'error']);
    assert.equal(drop?.file, '3_drop.sql');
    assert.equal(drop?.line, 4);
    assert.equal(drop?.statement, 2);
    assert.equal(drop?.live, null);
    assert.equal(drop?.error, true);
    assert.equal(doc.findings[1]?.error, false);
    assert.equal(doc.errors, 1);
    assert.equal(doc.live, false);
    assert.match(doc.planHash, /^[0-9a-f]{64}$/);
  });

  it('--error-codes replaces the default set; none never fails', async () => {
    const p = await project();
    const base = ['--dir', p.dir, '--dialect', 'sqlite', '--latest', '2'];
    assert.equal((await lintJson(...base, '--error-codes', 'none')).code, ExitCode.Ok);
    const mf = await lintJson(...base, '--error-codes', 'MF101');
    assert.equal(mf.code, ExitCode.Failed);
    assert.deepEqual(mf.doc.findings.map((f) => [f.code, f.error]), [['DS102', false], ['MF101', true]]);
    assert.equal((await lintJson(...base, '--error-codes', 'KM*,CD101')).code, ExitCode.Ok);
    assert.equal((await lintJson(...base, '--error-codes', 'ds*')).code, ExitCode.Failed);
    assert.equal((await lintJson('--dir', p.dir, '--dialect', 'sqlite', '--latest', '1')).code, ExitCode.Ok);
  });

  it('a checksum error exits 1 with the checksum banner', async () => {
    const p = await project();
    writeFileSync(join(p.path, '2_posts.sql'), 'CREATE TABLE posts (id bigint);\n');
    const r = await run('migrate', 'lint', '--dir', p.dir, '--dialect', 'sqlite');
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /\tL3: 2_posts\.sql was edited\n/);
  });

  it('a scan error names the file, line and column', async () => {
    const p = await project({ '1_bad.sql': "SELECT 1;\nSELECT 'oops;\n" });
    const r = await run('migrate', 'lint', '--dir', p.dir, '--dialect', 'postgres');
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /scanning statements from "1_bad\.sql": 2:8: unclosed quote/);
  });

  it('never prints the password of a database it cannot reach', async () => {
    const p = await project();
    const url = 'postgres://app:s3cr3t-pw@127.0.0.1:1/app?sslmode=disable&connect_timeout=1';
    const r = await run('migrate', 'lint', '--dir', p.dir, '--url', url);
    assert.equal(r.code, ExitCode.Failed);
    assert.doesNotMatch(r.out + r.err, /s3cr3t/);
  });
});

describe('migrate lint: usage errors exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown dialect', ['--dialect', 'oracle'], /--dialect "oracle": must be one of mysql, postgres, sqlite/],
    ['no dialect and no URL', [], /required flag "dialect" not set/],
    ['--latest 0', ['--dialect', 'mysql', '--latest', '0'], /--latest "0": must be a positive integer/],
    ['--latest abc', ['--dialect', 'mysql', '--latest', 'abc'], /--latest "abc": must be a positive integer/],
    ['--latest with --current-version', ['--dialect', 'mysql', '--latest', '1', '--current-version', '2'], /cannot be used together/],
    ['an unknown error code', ['--dialect', 'mysql', '--error-codes', 'DS102,XX999'], /unknown lint code "XX999"/],
    ['a bad live timeout', ['--dialect', 'mysql', '--live-timeout', 'soon'], /--live-timeout "soon": not a duration/],
    ['a dialect the URL contradicts', ['--dialect', 'mysql', '--url', 'sqlite://x.db'], /--dialect mysql does not match the --url database \(sqlite\)/],
    ['an unknown format', ['--dialect', 'mysql', '--format', 'yaml'], /--format "yaml"/],
    ['an unknown flag', ['--dialect', 'mysql', '--dev-url', 'x'], /Unknown option '--dev-url'/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const p = await project();
      const r = await run('migrate', 'lint', '--dir', p.dir, ...args);
      assert.equal(r.code, ExitCode.Usage, r.err);
      assert.match(r.err, message);
    });
  }
});

describe('migrate lint --help', () => {
  it('is printed and every flag is in the README', async () => {
    const r = await run('migrate', 'lint', '--help');
    assert.equal(r.code, ExitCode.Ok);
    assert.equal(r.out, migrateLintHelp);
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const lintSection = readme.slice(readme.indexOf('### `migrate lint`'));
    const flags = new Set([...migrateLintHelp.matchAll(/--([a-z-]+)/g)].map((m) => m[1] ?? ''));
    for (const flag of flags) assert.match(lintSection, new RegExp(`\\| \`(-u, )?--${flag}\\b`), flag);
  });
});
