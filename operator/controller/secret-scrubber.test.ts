import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubSecret } from '../migrate/dialects/database-url';
import { SecretScrubber } from './secret-scrubber';

function scrubberOf(...values: string[]): SecretScrubber {
  const s = new SecretScrubber();
  s.add(values);
  return s;
}

describe('SecretScrubber', () => {
  it('a short secret is removed where it stands on its own, never from inside another word', () => {
    const s = scrubberOf('pass');
    const table: [string, string][] = [
      ["Access denied for user 'app'@'10.0.0.7' (using password: YES)", "Access denied for user 'app'@'10.0.0.7' (using password: YES)"],
      ['login failed for pass', 'login failed for xxxxx'],
      ['pass', 'xxxxx'],
      ['pass at the start', 'xxxxx at the start'],
      ['{"password":"pass"}', '{"password":"xxxxx"}'],
      ['?user=app&pwd=pass&tls=1', '?user=app&pwd=xxxxx&tls=1'],
      ["quoted 'pass'.", "quoted 'xxxxx'."],
      ['line\npass\n', 'line\nxxxxx\n'],
      ['pass,pass;pass', 'xxxxx,xxxxx;xxxxx'],
      ['bypass passing passpass pass_word pass1 1pass', 'bypass passing passpass pass_word pass1 1pass'],
      ['épass passé пароль-pass', 'épass passé пароль-xxxxx'],
    ];
    for (const [text, want] of table) assert.equal(s.scrub(text), want, text);
  });

  it('a short secret with non-word characters: edges that are not word characters need no boundary, regex syntax is literal', () => {
    const table: [string, string, string][] = [
      ['p@s', 'user p@s here', 'user xxxxx here'],
      ['p@s', 'xp@s p@sx', 'xp@s p@sx'], // both edges are letters: glued to a word, not on its own
      ['@ab!', 'x@ab!y', 'xxxxxxy'], // no edge can continue a word
      ['ab!', 'xab! ab!c', 'xab! xxxxxc'],
      ['a.c', 'abc a.c', 'abc xxxxx'],
      ['a+b', 'aab a+b aaab', 'aab xxxxx aaab'],
      ['(?:', 'x (?: y', 'x xxxxx y'],
      ['$&x', 'a $&x b', 'a xxxxx b'],
      ['[a]', 'q[a]q a', 'qxxxxxq a'],
      ['p ss', 'pwd=p%20ss&x=1 and p ss.', 'pwd=xxxxx&x=1 and xxxxx.'], // URL-encoded too
    ];
    for (const [secret, text, want] of table) assert.equal(scrubberOf(secret).scrub(text), want, `${secret} in ${text}`);
  });

  it('a long secret is removed anywhere, even glued to other text, raw and URL-encoded', () => {
    const s = scrubberOf('s3cr3tL0ng', 'p@ss/w0rd!');
    assert.equal(s.scrub('errs3cr3tL0ngxyz'), 'errxxxxxxyz');
    assert.equal(s.scrub('s3cr3tL0ngs3cr3tL0ng'), 'xxxxxxxxxx');
    assert.equal(s.scrub('dsn=u:p%40ss%2Fw0rd!@h and xp@ss/w0rd!y'), 'dsn=u:xxxxx@h and xxxxxxy');
  });

  it('any secret, however short, is removed from a URL password', () => {
    const s = scrubberOf('ab', 'p@s', 'abc');
    assert.equal(s.scrub('mysql://root:ab@db:3306/app'), 'mysql://root:xxxxx@db:3306/app');
    assert.equal(s.scrub('mysql://root:p%40s@db/app'), 'mysql://root:xxxxx@db/app');
    assert.equal(scrubberOf('é').scrub('mysql://root:%C3%A9@db/app'), 'mysql://root:xxxxx@db/app', 'percent-encoded');
    assert.equal(s.scrub('mysql://root:p@s@db/app'), 'mysql://root:xxxxx@db/app');
    assert.equal(s.scrub('postgres://u:abc@h/d, then postgres://ab:abc@h/d'), 'postgres://u:xxxxx@h/d, then postgres://ab:xxxxx@h/d');
    assert.equal(s.scrub('ab stays: too short to be a secret outside a URL, like mysql://ab@h'), 'ab stays: too short to be a secret outside a URL, like mysql://ab@h');
  });

  it('the longest secret goes first: a short one inside it never leaves the rest printed', () => {
    const s = scrubberOf('hunter', 'hunter-22x');
    assert.equal(s.scrub('pw hunter-22x, or hunter'), 'pw xxxxx, or xxxxx');
    const t = scrubberOf('dbpass', 'my dbpass, 1234');
    assert.equal(t.scrub('value: my dbpass, 1234.'), 'value: xxxxx.');
  });

  it('remembers the newest 2,000 values; a value added again counts as new', () => {
    const value = (i: number): string => `secret-value-${String(i).padStart(4, '0')}`;
    const all = Array.from({ length: 2000 }, (_, i) => value(i));

    const s = scrubberOf(...all);
    assert.equal(s.scrub(value(0)), 'xxxxx');
    assert.equal(s.scrub(value(1999)), 'xxxxx');
    s.add([value(2000)]);
    assert.equal(s.scrub(value(0)), value(0), 'the oldest is forgotten');
    assert.equal(s.scrub(`${value(1)} ${value(2000)}`), 'xxxxx xxxxx');

    const r = scrubberOf(...all);
    r.add([value(0)]); // still in use: refreshed
    r.add([value(2000)]);
    assert.equal(r.scrub(value(0)), 'xxxxx', 'a refreshed value is kept');
    assert.equal(r.scrub(value(1)), value(1), 'the oldest not refreshed goes instead');
    r.add([value(2000), value(2000)]); // adding one already known forgets nothing
    assert.equal(r.scrub(value(2)), 'xxxxx');
  });

  it("the drivers' scrubSecret follows the same rule (one piece of code, migrate/dialects/secret-text.ts)", () => {
    const cases: [string, string][] = [
      ['pass', "Access denied for user 'app'@'h' (using password: YES), login failed for pass"],
      ['pass', 'bypass passing pass_word pass1 1pass épass пароль-pass'],
      ['p@s', 'user p@s here, xp@s p@sx, mysql://root:p%40s@db/app'],
      ['ab', 'mysql://root:ab@db:3306/app; ab stays'],
      ['a+b', 'aab a+b aaab'],
      ['hunter-22x', 'pw hunter-22x, xhunter-22xy'],
      ['p ss', 'pwd=p%20ss&x=1 and p ss.'],
    ];
    for (const [secret, text] of cases) assert.equal(scrubSecret(text, secret), scrubberOf(secret).scrub(text), `${secret} in ${text}`);
  });

  it('ignores empty values and scrubs nothing when it knows nothing', () => {
    const s = scrubberOf('');
    assert.equal(s.scrub('some text'), 'some text');
    assert.equal(s.scrub(''), '');
  });

  it('an empty value takes none of the 2,000 places: it forgets no real one', () => {
    const value = (i: number): string => `secret-value-${String(i).padStart(4, '0')}`;
    const s = scrubberOf(...Array.from({ length: 1999 }, (_, i) => value(i)));
    s.add(['', '', value(1999)]);
    assert.equal(s.scrub(value(0)), 'xxxxx', 'the oldest is still remembered');
    s.add([value(2000)]);
    assert.equal(s.scrub(value(0)), value(0), 'one more real value forgets it');
  });
});
