/**
 * `migrate apply` and `migrate status` end to end on SQLite (a real
 * database, no server needed): Atlas's report format, exit codes, JSON.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from './io';
import { runCaptured, type CapturedRun } from './run-captured';
import { usePrivateTmpdir } from '../../e2e/databases/private-tmpdir';

// Atlas's SQLite lock file lives in the temporary directory: this file's runs must not share it with other test files'.
usePrivateTmpdir();

const root = mkdtempSync(join(tmpdir(), 'cli-apply-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const run = (...argv: string[]): Promise<CapturedRun> => runCaptured(argv);

async function project(files: Record<string, string>) {
  const dir = join(root, `p${n++}`);
  mkdirSync(join(dir, 'm'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, 'm', name), content);
  assert.equal((await run('migrate', 'hash', '--dir', join(dir, 'm'))).code, 0);
  return { dir: `file://${join(dir, 'm')}`, url: `sqlite://${join(dir, 'db.sqlite')}` };
}

/** Durations vary; everything else is compared exactly. */
const masked = (text: string) => text.replace(/\d+(\.\d+)?(ns|µs|ms|s)\b/g, 'T');

describe('migrate apply / status (SQLite)', () => {
  it('prints Atlas\'s report and status', async () => {
    const p = await project({ '1_a.sql': 'CREATE TABLE a (c int);\nINSERT INTO a VALUES (1);\n', '2_b.sql': '-- b\nCREATE TABLE b (\n  c int\n);\n' });
    const before = await run('migrate', 'status', '--url', p.url, '--dir', p.dir);
    assert.equal(before.out, 'Migration Status: PENDING\n  -- Current Version: No migration applied yet\n  -- Next Version:    1\n  -- Executed Files:  0\n  -- Pending Files:   2\n');
    const r = await run('migrate', 'apply', '--url', p.url, '--dir', p.dir);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.equal(
      masked(r.out),
      'Migrating to version 2 (2 migrations in total):\n\n  -- migrating version 1\n    -> CREATE TABLE a (c int);\n    -> INSERT INTO a VALUES (1);\n  -- ok (T)\n\n' +
        '  -- migrating version 2\n    -> CREATE TABLE b (\n         c int\n       );\n  -- ok (T)\n\n  -------------------------\n  -- T\n  -- 2 migrations\n  -- 3 sql statements\n',
    );
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir)).out, 'No migration files to execute\n');
    const after = await run('migrate', 'status', '--url', p.url, '--dir', p.dir);
    assert.equal(after.out, 'Migration Status: OK\n  -- Current Version: 2\n  -- Next Version:    Already at latest version\n  -- Executed Files:  2\n  -- Pending Files:   0\n');
  });

  it('reports a failing statement, exits 1 and shows it in status', async () => {
    const p = await project({ '1_a.sql': 'CREATE TABLE a (c int);\nINSERT INTO nope VALUES (1);\nCREATE TABLE z (c int);\n' });
    const r = await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--tx-mode', 'none');
    assert.equal(r.code, ExitCode.Failed);
    assert.equal(
      masked(r.out),
      'Migrating to version 1 (1 migrations in total):\n\n  -- migrating version 1\n    -> CREATE TABLE a (c int);\n    -> INSERT INTO nope VALUES (1);\n    no such table: nope\n\n' +
        '  -------------------------\n  -- T\n  -- 1 migration with errors\n  -- 1 sql statement ok, 1 with errors\n',
    );
    assert.match(r.err, /^Error: sql\/migrate: executing statement "INSERT INTO nope VALUES \(1\);" from version "1": no such table: nope \(1_a\.sql: statement 2, line 2\)\n$/);
    const s = await run('migrate', 'status', '--url', p.url, '--dir', p.dir);
    // Atlas's own wording: with every file pending (the only one is partial) it says nothing is applied yet.
    assert.equal(
      s.out,
      'Migration Status: PENDING\n  -- Current Version: No migration applied yet (1 statements applied)\n  -- Next Version:    1 (2 statements left)\n  -- Executed Files:  1 (last one partially)\n  -- Pending Files:   1\n\n' +
        'Last migration attempt had errors:\n  -- SQL:   INSERT INTO nope VALUES (1);\n  -- ERROR: no such table: nope\n',
    );
  });

  it('dry-run and --format json', async () => {
    const p = await project({ '1_a.sql': 'CREATE TABLE a (c int);\n' });
    const dry = await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--dry-run', '--format', 'json');
    assert.equal(dry.code, ExitCode.Ok, dry.err);
    const doc = JSON.parse(dry.out) as { Message: string; Pending: { Name: string }[]; Applied: { Applied: string[] }[] };
    assert.equal(doc.Message, 'Migrated to version 1 (1 migrations in total)');
    assert.deepEqual(doc.Applied.map((a) => a.Applied), [['CREATE TABLE a (c int);']]);
    const still = await run('migrate', 'status', '--url', p.url, '--dir', p.dir, '--format', '{{ json . }}');
    assert.equal((JSON.parse(still.out) as { Status: string }).Status, 'PENDING');
  });

  it('flags: usage errors exit 2; bad database input exits 1 without the password', async () => {
    const p = await project({ '1_a.sql': 'SELECT 1;\n' });
    assert.equal((await run('migrate', 'apply', '--dir', p.dir)).code, ExitCode.Usage);
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--tx-mode', 'some')).code, ExitCode.Usage);
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--lock-timeout', 'soon')).code, ExitCode.Usage);
    // Past what a Node timer can time (it would fire at once): refused, saying the limit.
    const long = await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, '--lock-timeout', '1000h');
    assert.equal(long.code, ExitCode.Usage);
    assert.match(long.err, /--lock-timeout "1000h": longer than 596h31m23\.647s, the longest wait this program can time/);
    assert.equal((await run('migrate', 'apply', '--url', p.url, '--dir', p.dir, 'x')).code, ExitCode.Usage);
    const bad = await run('migrate', 'apply', '--url', 'postgres://u:hunter22@127.0.0.1:1/db?sslmode=disable', '--dir', p.dir);
    assert.equal(bad.code, ExitCode.Failed);
    assert.ok(!bad.err.includes('hunter22') && !bad.out.includes('hunter22'), bad.err);
    assert.match(bad.err, /connecting to postgres:\/\/u:xxxxx@127\.0\.0\.1:1\/db/);
  });
});
