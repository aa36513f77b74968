import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubSecret } from './database-url';

describe('scrubSecret: a database message without its URL password (the rule of secret-text.ts)', () => {
  it("a short password leaves MySQL's and PostgreSQL's messages readable, and never prints on its own", () => {
    const mysql = "Access denied for user 'app'@'10.0.0.7' (using password: YES)";
    const pg = 'password authentication failed for user "app"';
    for (const secret of ['pass', 'word', 'ass']) {
      assert.equal(scrubSecret(mysql, secret), mysql, secret);
      assert.equal(scrubSecret(pg, secret), pg, secret);
    }
    assert.equal(scrubSecret(mysql, 'using'), "Access denied for user 'app'@'10.0.0.7' (xxxxx password: YES)");
    assert.equal(
      scrubSecret('login failed: pass; url mysql://app:pass@db/app, pwd=pass, "pass".', 'pass'),
      'login failed: xxxxx; url mysql://app:xxxxx@db/app, pwd=xxxxx, "xxxxx".',
    );
    assert.equal(scrubSecret('bypass passing pass_word pass1 1pass épass', 'pass'), 'bypass passing pass_word pass1 1pass épass');
  });

  it('a long password is removed anywhere, raw and URL-encoded, even inside a word', () => {
    assert.equal(scrubSecret('dsn=u:p%40ss%2Fw0rd!@h and xp@ss/w0rd!y (using password: YES)', 'p@ss/w0rd!'), 'dsn=u:xxxxx@h and xxxxxxy (using password: YES)');
    assert.equal(scrubSecret('errs3cr3tL0ngxyz', 's3cr3tL0ng'), 'errxxxxxxyz');
  });

  it('any password, however short, is removed as the password of a URL (only there)', () => {
    assert.equal(scrubSecret('mysql://root:ab@db:3306/app; ab stays', 'ab'), 'mysql://root:xxxxx@db:3306/app; ab stays');
    assert.equal(scrubSecret('mysql://root:p%40s@db/app and p@s', 'p@s'), 'mysql://root:xxxxx@db/app and xxxxx');
  });

  it('no password, an empty one: the text as it was', () => {
    assert.equal(scrubSecret('using password: YES', undefined), 'using password: YES');
    assert.equal(scrubSecret('using password: YES', ''), 'using password: YES');
  });
});
