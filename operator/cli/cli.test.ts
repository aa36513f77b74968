/**
 * The command-line program end to end (in process): flags, output, files
 * written and exit codes.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from './io';
import { runCaptured, type CapturedRun } from './run-captured';

const SEED = join(__dirname, '..', 'migrate', 'testdata', 'seed');
const root = mkdtempSync(join(tmpdir(), 'cli-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function seedCopy(): string {
  const dir = join(root, `seed-${counter++}`);
  cpSync(SEED, dir, { recursive: true });
  return dir;
}

const run = (...argv: string[]): Promise<CapturedRun> => runCaptured(argv);

describe('migrate hash', () => {
  it('writes the seed atlas.sum byte for byte', async () => {
    const dir = seedCopy();
    const expected = readFileSync(join(dir, 'atlas.sum'));
    rmSync(join(dir, 'atlas.sum'));
    const r = await run('migrate', 'hash', '--dir', dir);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.deepEqual(readFileSync(join(dir, 'atlas.sum')), expected);
  });

  it('accepts Atlas-style file:// URLs', async () => {
    const dir = seedCopy();
    const r = await run('migrate', 'hash', '--dir', `file://${dir}`);
    assert.equal(r.code, ExitCode.Ok, r.err);
  });
});

describe('migrate validate', () => {
  it('passes on the seed', async () => {
    const r = await run('migrate', 'validate', '--dir', seedCopy(), '--dialect', 'mysql');
    assert.equal(r.code, ExitCode.Ok, r.err);
  });

  it('fails after a one-byte change, naming the file and its atlas.sum line', async () => {
    const dir = seedCopy();
    const file = join(dir, '20230316090502.sql');
    const bytes = readFileSync(file);
    bytes[5] = bytes[5] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bytes);
    const r = await run('migrate', 'validate', '--dir', dir);
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /\tL3: 20230316090502\.sql was edited\n/);
    assert.match(r.err, /Error: checksum mismatch\n$/);
  });

  it('fails without atlas.sum', async () => {
    const dir = seedCopy();
    rmSync(join(dir, 'atlas.sum'));
    const r = await run('migrate', 'validate', '--dir', dir);
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /Error: checksum file not found\n$/);
  });

  it('reports scan errors with file, line and column', async () => {
    const dir = seedCopy();
    writeFileSync(join(dir, '20240101000000_bad.sql'), "SELECT 1;\nSELECT 'oops;\n");
    await run('migrate', 'hash', '--dir', dir);
    const r = await run('migrate', 'validate', '--dir', dir, '--dialect', 'postgres');
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /scanning statements from "20240101000000_bad.sql": 2:8: unclosed quote/);
  });

  it('reports bad txmode directives', async () => {
    const dir = seedCopy();
    writeFileSync(join(dir, '20240101000000_tx.sql'), '-- atlas:txmode all\n\nSELECT 1;\n');
    await run('migrate', 'hash', '--dir', dir);
    const r = await run('migrate', 'validate', '--dir', dir);
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /txmode "all" is not allowed in file directive "20240101000000_tx.sql"/);
  });
});

describe('migrate inspect', () => {
  it('prints a documented JSON shape', async () => {
    const r = await run('migrate', 'inspect', '--dir', seedCopy(), '--dialect', 'mysql', '--json');
    assert.equal(r.code, ExitCode.Ok, r.err);
    const report = JSON.parse(r.out) as {
      dialect: string;
      sum: { total: string; valid: boolean; error: null };
      files: { name: string; version: string; hash: string; txMode: null; statements: { index: number; line: number; text: string; partialHash: string }[] }[];
    };
    assert.equal(report.dialect, 'mysql');
    assert.deepEqual(report.sum, { total: 'h1:XBXbh+rzLis8gknjlIqnxXLBkOZ+sN2v2p7KjyVFYYM=', valid: true, error: null, detail: null });
    assert.equal(report.files.length, 2);
    const [users] = report.files;
    assert.equal(users?.version, '20230316085611');
    assert.equal(users?.hash, 'h1:br6W6LPEnnsejlz/7hRm9zthwStCzjN2vZkqVPxlmvo=');
    assert.equal(users?.statements.length, 1);
    assert.equal(users?.statements[0]?.line, 2);
    assert.match(users?.statements[0]?.text ?? '', /^CREATE TABLE `users`/);
    assert.match(users?.statements[0]?.partialHash ?? '', /^h1:[A-Za-z0-9+/]{43}=$/);
  });

  it('prints text for people, and still exits 1 on a broken directory', async () => {
    const dir = seedCopy();
    writeFileSync(join(dir, '20240101000000_new.sql'), 'SELECT 1;\n');
    const r = await run('migrate', 'inspect', '--dir', dir, '--dialect', 'sqlite');
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.out, /atlas\.sum: checksum mismatch \(L4: 20240101000000_new\.sql was added\)/);
    assert.match(r.out, /^20240101000000_new\.sql$/m);
  });
});

describe('usage errors', () => {
  const cases: [string[], RegExp][] = [
    [['migrate', 'inspect', '--dir', '.'], /required flag "dialect" not set/],
    [['migrate', 'inspect', '--dialect', 'oracle'], /--dialect "oracle": must be one of mysql, postgres, sqlite/],
    [['migrate', 'hash', '--bogus'], /Unknown option '--bogus'/],
    [['migrate', 'nope'], /unknown migrate command "nope"/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['migrate', 'hash', '--dir', 'atlas://remote'], /only local directories/],
    [['migrate', 'hash', '--dir', 'file://x?format=flyway'], /only the atlas directory format/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(...argv);
      assert.equal(r.code, ExitCode.Usage);
      assert.match(r.err, message);
    });
  }

  it('prints usage and the version', async () => {
    assert.equal((await run()).code, ExitCode.Usage);
    assert.match((await run('version')).out, /^atlas-k8s-migrator v\d+\.\d+\.\d+\n$/);
    assert.match((await run('migrate', 'inspect', '--help')).out, /Usage: migrate inspect/);
  });

  it('reports a missing directory as a failure, not a crash', async () => {
    const r = await run('migrate', 'validate', '--dir', join(root, 'does-not-exist'));
    assert.equal(r.code, ExitCode.Failed);
    assert.match(r.err, /^Error: .*does-not-exist/m);
  });
});
