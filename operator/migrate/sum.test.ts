import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { directoryFromEntries, readDirectoryFolder } from './directory';
import { ChecksumFormatError, ChecksumMismatchError, ChecksumNotFoundError } from './errors';
import { computeSum, parseSum, SumFile, validateSum } from './sum';
import type { MigrationFile } from './migration-file';

const SEED = join(__dirname, 'testdata', 'seed');
const EMPTY_SUM = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';

/** Files in directory order (validation expects the directory's sorted list). */
function files(entries: Record<string, string | Buffer>): readonly MigrationFile[] {
  return directoryFromEntries(Object.entries(entries), 'test').files;
}

function sumOf(entries: Record<string, string | Buffer>): string {
  return directoryFromEntries(Object.entries(entries), 'test').computedSum().format();
}

function mismatch(fn: () => void): ChecksumMismatchError['detail'] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ChecksumMismatchError, `expected a checksum mismatch, got ${String(e)}`);
    return e.detail;
  }
  assert.fail('expected a checksum mismatch');
}

describe('atlas.sum: computing', () => {
  it('reproduces the seed walk-through atlas.sum byte for byte', () => {
    const dir = readDirectoryFolder(SEED);
    assert.equal(dir.computedSum().format(), readFileSync(join(SEED, 'atlas.sum'), 'utf8'));
  });

  it('depends on each file keeping its final newline', () => {
    const dir = readDirectoryFolder(SEED);
    const trimmed = dir.files.map((f) => [f.name, f.bytes.subarray(0, -1)] as const);
    assert.notEqual(sumOf(Object.fromEntries(trimmed)), dir.computedSum().format());
  });

  it('gives the hash of nothing for an empty directory', () => {
    assert.equal(sumOf({}), EMPTY_SUM);
  });

  it('chains hashes: editing an early file changes every later entry', () => {
    const before = computeSum(files({ '1.sql': 'a;', '2.sql': 'b;' })).entries;
    const after = computeSum(files({ '1.sql': 'A;', '2.sql': 'b;' })).entries;
    assert.notEqual(before[0]?.hash, after[0]?.hash);
    assert.notEqual(before[1]?.hash, after[1]?.hash);
  });

  it('renaming a file changes the hashes even with the same content', () => {
    const a = computeSum(files({ '1.sql': 'a;' })).entries[0]?.hash;
    const b = computeSum(files({ '2.sql': 'a;' })).entries[0]?.hash;
    assert.notEqual(a, b);
  });

  it('hashes raw bytes: CRLF, BOM and non-UTF-8 content all count', () => {
    const lf = computeSum(files({ '1.sql': 'a;\n' })).total;
    assert.notEqual(computeSum(files({ '1.sql': 'a;\r\n' })).total, lf);
    assert.notEqual(computeSum(files({ '1.sql': '\ufeffa;\n' })).total, lf);
    const latin1 = computeSum(files({ '1.sql': Buffer.from([0x61, 0xe9, 0x3b]) }));
    const replaced = computeSum(files({ '1.sql': 'a\ufffd;' }));
    assert.notEqual(latin1.total, replaced.total);
  });

  it('an empty file is a migration with an entry', () => {
    const sum = computeSum(files({ '1.sql': '' }));
    assert.equal(sum.entries.length, 1);
  });

  describe('atlas:sum ignore', () => {
    const cases: [string, string, boolean][] = [
      ['plain', '-- atlas:sum ignore\nSELECT 1;', true],
      ['hash prefix', '# atlas:sum ignore\n', true],
      ['no prefix', 'atlas:sum ignore', true],
      ['trailing space', '-- atlas:sum ignore \n', false],
      ['CRLF', '-- atlas:sum ignore\r\nSELECT 1;', false],
      ['second line', 'SELECT 1;\n-- atlas:sum ignore\n', false],
      ['last token on the line wins', '-- atlas:foo x -- atlas:sum ignore\n', true],
      ['a later token hides it', '-- atlas:sum ignore -- atlas:foo x\n', false],
      ['other argument', '-- atlas:sum check\n', false],
    ];
    for (const [name, content, ignored] of cases) {
      it(`${name}: ${ignored ? 'ignored' : 'hashed'}`, () => {
        const sum = computeSum(files({ '1.sql': content, '2.sql': 'SELECT 2;' }));
        assert.equal(sum.hashOf('1.sql') === undefined, ignored);
      });
    }
    it('the ignored file name still enters the chain', () => {
      const withIgnored = computeSum(files({ '1.sql': '-- atlas:sum ignore\n', '2.sql': 'x' }));
      const without = computeSum(files({ '2.sql': 'x' }));
      assert.notEqual(withIgnored.hashOf('2.sql'), without.hashOf('2.sql'));
    });
  });
});

describe('atlas.sum: parsing', () => {
  it('round-trips what it writes', () => {
    const sum = computeSum(files({ '1_a.sql': 'x', '2_b.sql': 'y' }));
    assert.deepEqual(parseSum(Buffer.from(sum.format())).entries, sum.entries);
  });

  it('tolerates CRLF line ends', () => {
    const text = computeSum(files({ '1.sql': 'x' })).format().replaceAll('\n', '\r\n');
    assert.equal(parseSum(Buffer.from(text)).entries.length, 1);
  });

  it('rejects a line without h1: naming its line', () => {
    const text = computeSum(files({ '1.sql': 'x' })).format() + '\n';
    assert.throws(() => parseSum(Buffer.from(text + 'junk\n')), (e: unknown) => e instanceof ChecksumFormatError && e.line === 3);
  });

  it('rejects an empty line in the middle', () => {
    const [head, ...rest] = computeSum(files({ '1.sql': 'x', '2.sql': 'y' })).format().split('\n');
    const text = [head, '', ...rest].join('\n');
    assert.throws(() => parseSum(Buffer.from(text)), ChecksumFormatError);
  });

  it('reports a bare mismatch when the recorded total is wrong', () => {
    const text = computeSum(files({ '1.sql': 'x' })).format().replace(/^h1:./, 'h1:Z');
    assert.equal(mismatch(() => parseSum(Buffer.from(text))), undefined);
  });

  it('an empty atlas.sum is a mismatch', () => {
    assert.throws(() => parseSum(Buffer.alloc(0)), ChecksumMismatchError);
  });

  it('reads a last line without its newline, as Go\'s line scanner does', () => {
    const sum = computeSum(files({ '1.sql': 'x', '2.sql': 'y' }));
    assert.deepEqual(parseSum(Buffer.from(sum.format().slice(0, -1))).entries, sum.entries);
  });

  it('strips h1: from the total only at the start of the line', () => {
    const total = computeSum(files({ '1.sql': 'x' })).format();
    const moved = total.replace(/^h1:(.)/, '$1h1:'); // "4h1:7DEQ…": h1: inside the total
    assert.throws(() => parseSum(Buffer.from(moved)), ChecksumMismatchError);
  });
});

describe('atlas.sum: validating a directory', () => {
  const base = { '1_a.sql': 'a;', '2_b.sql': 'b;', '3_c.sql': 'c;' };
  const sum = Buffer.from(sumOf(base));

  it('accepts a matching directory', () => {
    validateSum(files(base), sum);
  });

  it('accepts a missing atlas.sum only without files', () => {
    validateSum([], undefined);
    assert.throws(() => validateSum(files(base), undefined), ChecksumNotFoundError);
  });

  it('names an edited file and its line', () => {
    assert.deepEqual(mismatch(() => validateSum(files({ ...base, '2_b.sql': 'B;' }), sum)), {
      line: 3,
      file: '2_b.sql',
      reason: 'edited',
    });
  });

  it('names the first file when the first is edited (later hashes follow)', () => {
    assert.deepEqual(mismatch(() => validateSum(files({ ...base, '1_a.sql': 'A;' }), sum)), {
      line: 2,
      file: '1_a.sql',
      reason: 'edited',
    });
  });

  it('names a removed file', () => {
    const rest = Object.fromEntries(Object.entries(base).filter(([name]) => name !== '2_b.sql'));
    assert.deepEqual(mismatch(() => validateSum(files(rest), sum)), { line: 3, file: '2_b.sql', reason: 'removed' });
  });

  it('names a file added in the middle', () => {
    assert.deepEqual(mismatch(() => validateSum(files({ ...base, '1_z.sql': 'z;' }), sum)), {
      line: 3,
      file: '1_z.sql',
      reason: 'added',
    });
  });

  it('names a file added at the end', () => {
    assert.deepEqual(mismatch(() => validateSum(files({ ...base, '4_d.sql': 'd;' }), sum)), {
      line: 5,
      file: '4_d.sql',
      reason: 'added',
    });
  });

  it('names a renamed entry (its hash kept, the total rewritten to match) as removed', () => {
    const renamed = new SumFile(computeSum(files(base)).entries.map((e) => (e.name === '2_b.sql' ? { ...e, name: '2_x.sql' } : e)));
    assert.deepEqual(mismatch(() => validateSum(files(base), Buffer.from(renamed.format()))), {
      line: 3,
      file: '2_x.sql',
      reason: 'removed',
    });
  });

  it('a one-byte change in the seed is reported as edited at its atlas.sum line', () => {
    const seed = readDirectoryFolder(SEED);
    const changed = seed.files.map((f) => [f.name, f.name === '20230316090502.sql' ? Buffer.from(f.bytes.toString().replace('posts', 'Posts')) : f.bytes] as const);
    const dir = directoryFromEntries([...changed, ['atlas.sum', seed.sumContent ?? Buffer.alloc(0)]], 'seed');
    assert.deepEqual(mismatch(() => dir.validate()), { line: 3, file: '20230316090502.sql', reason: 'edited' });
  });
});
