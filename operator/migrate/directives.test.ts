import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileDirectives, headerComments, matchDirective } from './directives';

describe('directive pattern', () => {
  const table: [string, { prefix: string; name: string; args: string } | undefined][] = [
    ['-- atlas:txmode none', { prefix: '-- ', name: 'txmode', args: 'none' }],
    ['# atlas:txmode none', { prefix: '# ', name: 'txmode', args: 'none' }],
    ['atlas:checkpoint', { prefix: '', name: 'checkpoint', args: '' }],
    ['-- atlas:checkpoint v4', { prefix: '-- ', name: 'checkpoint', args: 'v4' }],
    ['-- atlas:nolint  DS101 BC102', { prefix: '-- ', name: 'nolint', args: 'DS101 BC102' }],
    ['-- atlas:txmode none ', { prefix: '-- ', name: 'txmode', args: 'none ' }],
    ['-- atlas:sum  ', { prefix: '-- ', name: 'sum', args: ' ' }],
    ['-- atlas:txmode none\r', { prefix: '-- ', name: 'txmode', args: 'none\r' }],
    ['-- atlas:foo x -- atlas:sum ignore', { prefix: '-- atlas:foo x -- ', name: 'sum', args: 'ignore' }],
    ['-- atlas:sum-x', { prefix: '-- ', name: 'sum', args: '' }],
    ['-- atlas: none', undefined],
    ['\t-- atlas:txmode none', undefined],
    ['SELECT 1;\n-- atlas:txmode none', undefined],
  ];
  for (const [text, expected] of table) {
    it(JSON.stringify(text), () => assert.deepEqual(matchDirective(text), expected));
  }
});

describe('header directives', () => {
  it('need a blank line after the header block', () => {
    assert.deepEqual(fileDirectives('-- atlas:txmode none\nCREATE TABLE t (c int);', 'txmode'), []);
    assert.deepEqual(fileDirectives('-- atlas:txmode none\n\nCREATE TABLE t (c int);', 'txmode'), ['none']);
    assert.deepEqual(fileDirectives('-- atlas:txmode none\n \t\nCREATE TABLE t (c int);', 'txmode'), ['none']);
  });

  it('count in a comments-only file that ends with a newline', () => {
    assert.deepEqual(fileDirectives('-- atlas:checkpoint\n', 'checkpoint'), ['']);
    assert.deepEqual(fileDirectives('-- atlas:checkpoint', 'checkpoint'), []);
  });

  it('collect every header line, trimmed, with # and -- prefixes', () => {
    assert.deepEqual(headerComments('-- a  \n# b\n--c\n\nSELECT 1;'), ['-- a', '# b', '--c']);
    assert.deepEqual(fileDirectives('-- atlas:txmode none\n# atlas:txmode file\n\nx', 'txmode'), ['none', 'file']);
  });

  it('ignore comments that do not start at column one', () => {
    assert.deepEqual(headerComments(' -- atlas:txmode none\n\nx'), []);
  });

  it('do not apply in CRLF files: "\\r\\n" is not the blank line Atlas looks for', () => {
    assert.deepEqual(fileDirectives('-- atlas:txmode none\r\n\r\nSELECT 1;', 'txmode'), []);
    // A comments-only CRLF file keeps them (each line is trimmed of its "\\r").
    assert.deepEqual(fileDirectives('-- atlas:checkpoint\r\n', 'checkpoint'), ['']);
  });
});
