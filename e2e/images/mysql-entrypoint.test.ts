/**
 * The MySQL image's entrypoint writes the password and names it is given into
 * SQL; its quoting helpers (POSIX sh, run by dash as in the image) must keep
 * any value a literal or an identifier.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const script = readFileSync(join(__dirname, 'mysql', 'docker-entrypoint.sh'), 'utf8');
const helpers = script.slice(script.indexOf('double() {'), script.indexOf('\n', script.indexOf('identifier() {')) + 1);

function quote(fn: 'literal' | 'identifier', value: string): string {
  const r = spawnSync('dash', ['-c', `${helpers}\n${fn} "$1"`, 'entrypoint', value], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('docker-entrypoint.sh quoting', () => {
  it('makes any password a MySQL string literal', () => {
    assert.equal(quote('literal', 'pass'), "'pass'");
    assert.equal(quote('literal', "it's"), "'it''s'");
    assert.equal(quote('literal', 'a\\b'), "'a\\\\b'");
    assert.equal(quote('literal', "'\\'"), "'''\\\\'''");
    assert.equal(quote('literal', '$HOME `id` "x" %s'), '\'$HOME `id` "x" %s\'');
    assert.equal(quote('literal', ''), "''");
  });

  it('makes any database name a quoted identifier', () => {
    assert.equal(quote('identifier', 'myapp'), '`myapp`');
    assert.equal(quote('identifier', 'my`app'), '`my``app`');
    assert.equal(quote('identifier', "o'k"), "`o'k`");
  });
});
