import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DialectName } from '../dialects/syntax';
import { tokenize } from './tokens';

function kinds(sql: string, dialect: DialectName): string[] {
  return tokenize(sql, dialect).map((t) => `${t.kind}:${t.value}`);
}

describe('tokenize', () => {
  it('reads words, numbers and punctuation, with upper-cased keywords', () => {
    const tokens = tokenize('drop Table t1 (a = 1.5e3, b);', 'postgres');
    assert.deepEqual(
      tokens.map((t) => `${t.kind}:${t.text}`),
      ['word:drop', 'word:Table', 'word:t1', 'punct:(', 'word:a', 'punct:=', 'number:1.5e3', 'punct:,', 'word:b', 'punct:)', 'punct:;'],
    );
    assert.equal(tokens[1]?.keyword, 'TABLE');
    assert.equal(tokens[6]?.keyword, '');
  });

  it('unquotes identifiers the way each dialect writes them', () => {
    assert.deepEqual(kinds('"a""b" `c`', 'postgres'), ['quoted:a"b', 'operator:`', 'word:c', 'operator:`']);
    assert.deepEqual(kinds('`a``b` "c"', 'mysql'), ['quoted:a`b', 'string:c']);
    assert.deepEqual(kinds('"a""b" `c``d` [e f]', 'sqlite'), ['quoted:a"b', 'quoted:c`d', 'quoted:e f']);
  });

  it('reads string literals with their escapes', () => {
    assert.deepEqual(kinds("'it''s'", 'postgres'), ["string:it's"]);
    assert.deepEqual(kinds("'a\\' DROP'", 'mysql'), ["string:a' DROP"]);
    // PostgreSQL: a backslash escapes only in E'…' strings.
    assert.deepEqual(kinds("E'it\\'s' 'x\\'", 'postgres'), ["string:it's", 'string:x\\']);
  });

  it('keeps a dollar-quoted body as one token, and $1 as a parameter', () => {
    assert.deepEqual(kinds('$$ DROP TABLE t; $$ $fn$ a $$ b $fn$ $1', 'postgres'), [
      'dollar: DROP TABLE t; ',
      'dollar: a $$ b ',
      'operator:$',
      'number:1',
    ]);
  });

  it('drops comments of each dialect', () => {
    assert.deepEqual(kinds('a -- DROP\nb /* DROP */ c', 'sqlite'), ['word:a', 'word:b', 'word:c']);
    assert.deepEqual(kinds('a # DROP\nb', 'mysql'), ['word:a', 'word:b']);
    assert.deepEqual(kinds('a # b', 'postgres'), ['word:a', 'operator:#', 'word:b']);
    // Only PostgreSQL nests block comments.
    assert.deepEqual(kinds('a /* x /* y */ DROP */ b', 'postgres'), ['word:a', 'word:b']);
    assert.deepEqual(kinds('a /* x /* y */ c */', 'sqlite'), ['word:a', 'word:c', 'operator:*', 'operator:/']);
    // MySQL needs white space after `--`.
    assert.deepEqual(kinds('2--1', 'mysql'), ['number:2', 'operator:-', 'operator:-', 'number:1']);
  });

  it('reads the content of MySQL executable comments as SQL', () => {
    assert.deepEqual(kinds('DROP /*!32312 TEMPORARY */ TABLE t', 'mysql'), ['word:DROP', 'word:TEMPORARY', 'word:TABLE', 'word:t']);
  });

  it('counts the newlines before each token, across strings and comments', () => {
    const tokens = tokenize("a\n'x\ny'\n/* c\n */ b\r\n  c", 'postgres');
    assert.deepEqual(
      tokens.map((t) => [t.value, t.line]),
      [
        ['a', 0],
        ['x\ny', 1],
        ['b', 4],
        ['c', 5],
      ],
    );
  });

  it('runs an unclosed quote, comment or body to the end without throwing', () => {
    assert.deepEqual(kinds("a 'open", 'mysql'), ['word:a', 'string:open']);
    assert.deepEqual(kinds('a "open', 'postgres'), ['word:a', 'quoted:open']);
    assert.deepEqual(kinds('a [open', 'sqlite'), ['word:a', 'quoted:open']);
    assert.deepEqual(kinds('a $$ open', 'postgres'), ['word:a', 'dollar: open']);
    assert.deepEqual(kinds('a /* open', 'postgres'), ['word:a']);
    assert.deepEqual(kinds("a 'x\\", 'mysql'), ['word:a', 'string:x']);
  });
});
