import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger';
import { SecretScrubber } from './secret-scrubber';

/** A logger writing into an array (pino writes each line synchronously to a plain Writable). */
function capture(...secrets: string[]) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const scrubber = new SecretScrubber();
  scrubber.add(secrets);
  const log = createLogger('debug', scrubber, sink);
  return { log, scrubber, out: () => lines.join(''), last: () => JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown> };
}

const SECRET = 'p@ss/w0rd';

describe('logger and SecretScrubber', () => {
  it('no secret value reaches a log line, wherever it is quoted', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const scrubber = new SecretScrubber();
    scrubber.add(['p@ss/w0rd', 'ab']);
    const log = createLogger('debug', scrubber, sink);
    log.warn({ err: 'login failed for p@ss/w0rd', nested: { text: 'url mysql://u:p%40ss%2Fw0rd@h/db' }, password: 'anything' }, 'failed with p@ss/w0rd');
    log.info(new Error('boom p@ss/w0rd'));
    const out = lines.join('');
    assert.ok(!out.includes('p@ss/w0rd') && !out.includes('p%40ss%2Fw0rd'), out);
    assert.match(out, /login failed for xxxxx/);
    assert.match(out, /"password":"xxxxx"/);
    assert.match(out, /"level":"warn"/);
    assert.equal(scrubber.scrub('ab stays: too short to be a secret'), 'ab stays: too short to be a secret');
  });

  it('a secret nested at any depth never prints: objects, arrays, Maps, Sets, keys, toJSON', () => {
    const c = capture(SECRET);
    c.log.warn({ a: { b: { c: { d: `x ${SECRET}` } } } }, 'deep');
    assert.deepEqual(c.last().a, { b: { c: { d: 'x xxxxx' } } });
    c.log.warn({ list: [[[[[`in ${SECRET}`]]]]], rows: [{ x: { y: [{ z: SECRET }] } }] }, 'arrays');
    assert.deepEqual(c.last().list, [[[[['in xxxxx']]]]]);
    assert.deepEqual(c.last().rows, [{ x: { y: [{ z: 'xxxxx' }] } }]);
    c.log.warn({ m: new Map<unknown, unknown>([['k', { v: `m ${SECRET}` }], [SECRET, 1]]), s: new Set([`s ${SECRET}`]) }, 'collections');
    assert.deepEqual(c.last().m, { k: { v: 'm xxxxx' }, xxxxx: 1 }, 'a Map prints its entries (JSON would print {})');
    assert.deepEqual(c.last().s, ['s xxxxx']);
    c.log.warn({ o: { [`key ${SECRET}`]: true }, j: { toJSON: () => ({ inner: SECRET }) }, at: new Date(0) }, 'keys');
    assert.deepEqual(c.last().o, { 'key xxxxx': true });
    assert.deepEqual(c.last().j, { inner: 'xxxxx' });
    assert.equal(c.last().at, '1970-01-01T00:00:00.000Z', 'a Date still prints as a date');
    c.log.info('format %s and %o and %j', `s ${SECRET}`, { deep: { er: { x: SECRET } } }, [{ y: SECRET }]);
    assert.ok(!c.out().includes(SECRET) && !c.out().includes('w0rd'), c.out());
  });

  it('credentials are censored by field name at any depth, even values the scrubber never saw', () => {
    const c = capture();
    c.log.warn({ config: { db: { conn: { password: 'never-seen-1', token: 'never-seen-2', user: 'app' } } }, password: 'never-seen-3' }, 'censored');
    assert.deepEqual(c.last().config, { db: { conn: { password: 'xxxxx', token: 'xxxxx', user: 'app' } } });
    assert.ok(!c.out().includes('never-seen'), c.out());
  });

  it('an Error prints its message, stack, cause chain and own fields, all scrubbed, at any depth', () => {
    const c = capture(SECRET);
    const root = Object.assign(new Error(`connect with ${SECRET} failed`), { code: 'ER_ACCESS_DENIED', sql: `SET PASSWORD = '${SECRET}'` });
    const middle = new Error('opening the pool', { cause: root });
    const top = new Error('reconcile failed', { cause: middle });
    top.stack = `Error: reconcile failed\n    at connect (mysql://u:${SECRET}@h/db)`;
    c.log.error({ error: top, nested: { list: [new AggregateError([new TypeError(`bad ${SECRET}`)], 'many')] } }, 'failed');
    const out = c.out();
    assert.ok(!out.includes(SECRET) && !out.includes('w0rd'), out);
    const err = c.last().error as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(err.type, 'Error');
    assert.equal(err.message, 'reconcile failed');
    assert.equal(err.stack, 'Error: reconcile failed\n    at connect (mysql://u:xxxxx@h/db)');
    assert.equal(err.cause?.message, 'opening the pool');
    assert.equal(err.cause?.cause?.message, 'connect with xxxxx failed');
    assert.equal(err.cause?.cause?.code, 'ER_ACCESS_DENIED');
    assert.equal(err.cause?.cause?.sql, "SET PASSWORD = 'xxxxx'");
    assert.match(String(err.cause?.cause?.stack), /^Error: connect with xxxxx failed\n +at /);
    assert.match(out, /"errors":\[\{"type":"TypeError","message":"bad xxxxx"/);
    // Under `err`, pino's own error serializer reshapes what we scrubbed (causes folded into the message).
    c.log.error({ err: top }, 'failed');
    assert.equal((c.last().err as Record<string, unknown>).message, 'reconcile failed: opening the pool: connect with xxxxx failed');
    c.log.info(Object.assign(new Error(`top-level ${SECRET}`), { detail: { deeper: { still: SECRET } } }));
    assert.equal(c.last().message, 'top-level xxxxx');
    assert.deepEqual(c.last().detail, { deeper: { still: 'xxxxx' } });
    assert.ok(!c.out().includes(SECRET), c.out());
  });

  it('cycles and absurd depth neither throw nor let a secret out', () => {
    const c = capture(SECRET);
    const loop: Record<string, unknown> = { name: `loop ${SECRET}` };
    loop.self = loop;
    loop.list = [loop, { back: loop }];
    const e = new Error(`cyclic ${SECRET}`) as Error & { self?: unknown };
    e.self = e;
    const shared = { v: `shared ${SECRET}` };
    c.log.warn({ loop, e, twice: [shared, shared] }, 'cycles');
    const line = c.last();
    assert.deepEqual(line.loop, { name: 'loop xxxxx', self: '[Circular]', list: ['[Circular]', { back: '[Circular]' }] });
    assert.equal((line.e as Record<string, unknown>).self, '[Circular]');
    assert.deepEqual(line.twice, [{ v: 'shared xxxxx' }, { v: 'shared xxxxx' }], 'an object met twice, not in a cycle, prints twice');

    let deep: Record<string, unknown> = { bottom: SECRET };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    assert.doesNotThrow(() => c.log.warn({ deep }, 'deep'));
    assert.match(c.out(), /"\[too deep\]"/);
    assert.ok(!c.out().includes(SECRET), 'nothing below the cut is printed');
  });

  it('each line names the component; a child logger\'s bindings (which skip the scrubbing hook) are censored by name', () => {
    const c = capture();
    c.log.info('hello');
    assert.equal(c.last().component, 'atlas-k8s-migrator');
    c.log.child({ password: 'never-seen-1', db: { token: 'never-seen-2', user: 'app' } }).info('child');
    assert.equal(c.last().password, 'xxxxx');
    assert.deepEqual(c.last().db, { token: 'xxxxx', user: 'app' });
    assert.ok(!c.out().includes('never-seen'), c.out());
  });

  it('a credential field that is absent (undefined) stays absent, not shown as censored', () => {
    const c = capture();
    c.log.info({ password: undefined, user: 'app' }, 'absent');
    assert.ok(!('password' in c.last()), JSON.stringify(c.last()));
    assert.equal(c.last().user, 'app');
  });

  it('the depth cut is exactly 100 levels: the 100th nested object prints, the 101st is dropped', () => {
    const c = capture(SECRET);
    const nest = (levels: number): Record<string, unknown> => {
      let o: Record<string, unknown> = { leaf: `at the bottom ${SECRET}` };
      for (let i = 0; i < levels; i++) o = { d: o };
      return o;
    };
    const bottom = (line: Record<string, unknown>, levels: number): unknown => {
      let o: unknown = line;
      for (let i = 0; i < levels; i++) o = (o as Record<string, unknown>).d;
      return o;
    };
    // The logged object is level 0 (its fields are the line's); with 99 wrappers the leaf's object is level 99.
    c.log.warn(nest(99), 'deepest printed');
    assert.deepEqual(bottom(c.last(), 99), { leaf: 'at the bottom xxxxx' });
    c.log.warn(nest(100), 'one too deep');
    assert.equal(bottom(c.last(), 100), '[too deep]');
  });
});
