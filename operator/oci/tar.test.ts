/** The tar reader against archives GNU tar writes (gnu and pax formats, long names, links) and broken ones. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OciError } from './errors';
import { tarOf } from './fake-registry.test-kit';
import { readTar } from './tar';

describe('readTar', () => {
  const root = mkdtempSync(join(tmpdir(), 'tar-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const long = `${'v'.repeat(150)}.sql`;
  mkdirSync(join(root, 'migrations', 'sub'), { recursive: true });
  writeFileSync(join(root, 'migrations', '1_a.sql'), 'SELECT 1;\n');
  writeFileSync(join(root, 'migrations', long), 'SELECT 2;\n');
  writeFileSync(join(root, 'migrations', 'sub', 'x.sql'), '');
  writeFileSync(join(root, 'migrations', 'é.sql'), 'SELECT 3;\n');
  symlinkSync('1_a.sql', join(root, 'migrations', 'link.sql'));

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`reads GNU tar's ${format} format`, () => {
      const args = ['-c', `--format=${format}`, '-C', root, ...(format === 'ustar' ? ['--exclude', long] : []), 'migrations'];
      const entries = readTar(execFileSync('tar', args, { maxBuffer: 1 << 24 }));
      const byPath = new Map(entries.map((e) => [e.path.replace(/\/$/, ''), e]));
      assert.equal(byPath.get('migrations/1_a.sql')?.content.toString(), 'SELECT 1;\n');
      assert.equal(byPath.get('migrations/é.sql')?.content.toString(), 'SELECT 3;\n');
      assert.equal(byPath.get('migrations/sub')?.type, 'directory');
      assert.equal(byPath.get('migrations/sub/x.sql')?.type, 'file');
      assert.equal(byPath.get('migrations/link.sql')?.type, 'link');
      if (format !== 'ustar') assert.equal(byPath.get(`migrations/${long}`)?.content.toString(), 'SELECT 2;\n');
    });
  }

  it('reads PAX long names as Go writes them', () => {
    const entries = readTar(tarOf([{ path: `m/${long}`, content: 'x' }, { path: 'm/1.sql', content: 'y' }]));
    assert.deepEqual(entries.map((e) => [e.path, e.content.toString()]), [[`m/${long}`, 'x'], ['m/1.sql', 'y']]);
  });

  it('refuses a bad checksum and a cut archive', () => {
    const archive = tarOf([{ path: '1.sql', content: 'SELECT 1;' }]);
    const corrupt = Buffer.from(archive);
    corrupt[0] = 0x41;
    assert.throws(() => readTar(corrupt), (e: unknown) => e instanceof OciError && /bad header checksum at byte 0/.test(e.message));
    assert.throws(() => readTar(archive.subarray(0, 515)), (e: unknown) => e instanceof OciError && /cut short/.test(e.message));
  });
});
