import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { directoryFromEntries, readDirectoryFolder } from './directory';
import { DirectoryReadError, InvalidFileNameError } from './errors';

const root = mkdtempSync(join(tmpdir(), 'dir-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const path = join(root, name);
  mkdirSync(path);
  for (const [file, content] of Object.entries(files)) writeFileSync(join(path, file), content);
  return path;
}

describe('reading a folder', () => {
  it('lists only top-level *.sql files, dot-files included, in byte order', () => {
    const path = folder('mixed', {
      '2.sql': 'b',
      '10.sql': 'c',
      '1_a.sql': 'a',
      '.hidden.sql': 'h',
      'UPPER.SQL': 'x',
      'notes.txt': 'x',
      'atlas.sum': 'h1:x\n',
    });
    mkdirSync(join(path, 'sub'));
    writeFileSync(join(path, 'sub', '0.sql'), 'nested');
    const dir = readDirectoryFolder(path);
    assert.deepEqual(
      dir.files.map((f) => f.name),
      ['.hidden.sql', '10.sql', '1_a.sql', '2.sql'],
    );
    assert.equal(dir.sumContent?.toString(), 'h1:x\n');
  });

  it('has no atlas.sum when the file is absent', () => {
    const dir = readDirectoryFolder(folder('nosum', { '1.sql': 'x' }));
    assert.equal(dir.sumContent, undefined);
  });

  it('fails on a sub-directory named like a migration, naming it', () => {
    const path = folder('dirsql', {});
    mkdirSync(join(path, 'foo.sql'));
    assert.throws(() => readDirectoryFolder(path), (e: unknown) => e instanceof DirectoryReadError && e.file === 'foo.sql' && /read file "foo.sql"/.test(e.message));
  });

  it('fails clearly on a missing folder', () => {
    assert.throws(() => readDirectoryFolder(join(root, 'absent')), (e: unknown) => e instanceof DirectoryReadError && /absent/.test(e.message));
  });

  it('keeps bytes exactly (BOM, CRLF)', () => {
    const dir = readDirectoryFolder(folder('bytes', { '1.sql': '\ufeffSELECT 1;\r\n' }));
    assert.deepEqual([...(dir.files[0]?.bytes ?? [])].slice(0, 3), [0xef, 0xbb, 0xbf]);
  });
});

describe('a directory from name → content entries', () => {
  it('separates atlas.sum from migrations and ignores other keys', () => {
    const dir = directoryFromEntries(
      [
        ['b.sql', 'x'],
        ['a.sql', 'y'],
        ['atlas.sum', 'h1:z\n'],
        ['README', 'r'],
      ],
      'configmap/default/migrations',
    );
    assert.deepEqual(
      dir.files.map((f) => f.name),
      ['a.sql', 'b.sql'],
    );
    assert.equal(dir.sumContent?.toString(), 'h1:z\n');
    assert.equal(dir.source, 'configmap/default/migrations');
  });

  it('accepts binary content', () => {
    const dir = directoryFromEntries([['1.sql', new Uint8Array([0xff, 0x3b])]], 'x');
    assert.deepEqual([...(dir.files[0]?.bytes ?? [])], [0xff, 0x3b]);
  });

  it('refuses names with a slash, naming the key', () => {
    assert.throws(() => directoryFromEntries([['sub/1.sql', 'x']], 'x'), (e: unknown) => e instanceof InvalidFileNameError && e.file === 'sub/1.sql');
  });
});

describe('directory views', () => {
  const dir = directoryFromEntries(
    [
      ['1_a.sql', 'a;'],
      ['2_ck.sql', '-- atlas:checkpoint v2\n\nCREATE TABLE a (c int);'],
      ['3_b.sql', 'b;'],
      ['3_c.sql', 'c;'],
    ],
    'x',
  );

  it('finds checkpoints and their tags', () => {
    assert.deepEqual(
      dir.files.map((f) => f.isCheckpoint),
      [false, true, false, false],
    );
    assert.equal(dir.files[1]?.checkpointTag, 'v2');
    assert.deepEqual(
      dir.migrations().map((f) => f.name),
      ['1_a.sql', '3_b.sql', '3_c.sql'],
    );
    assert.deepEqual(
      dir.filesFromLastCheckpoint().map((f) => f.name),
      ['2_ck.sql', '3_b.sql', '3_c.sql'],
    );
  });

  it('reports duplicate versions', () => {
    assert.deepEqual(dir.duplicateVersions(), [{ version: '3', files: ['3_b.sql', '3_c.sql'] }]);
  });
});
