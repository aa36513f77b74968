import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { SessionCache } from './session-cache';

describe('SessionCache', () => {
  afterEach(() => mock.timers.reset());

  const tracked = () => {
    const closed: string[] = [];
    return { closed, close: (s: { id: string }) => void closed.push(s.id) };
  };

  it('hands a kept session to the next run of the same key only, newest first', () => {
    const c = new SessionCache<{ id: string }>();
    const t = tracked();
    c.keep('k1', { id: 'a' }, t.close);
    c.keep('k1', { id: 'b' }, t.close);
    c.keep('k2', { id: 'c' }, t.close);
    assert.equal(c.take('k3'), undefined);
    assert.deepEqual(c.take('k1'), { id: 'b' });
    assert.deepEqual(c.take('k1'), { id: 'a' });
    assert.equal(c.take('k1'), undefined);
    assert.equal(c.size, 1);
    assert.equal(c.reused, 2);
    assert.deepEqual(t.closed, []);
  });

  it('closes a session idle for idleMs, and not one taken before', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const c = new SessionCache<{ id: string }>({ idleMs: 1000 });
    const t = tracked();
    c.keep('k', { id: 'a' }, t.close);
    mock.timers.tick(600);
    c.keep('k', { id: 'b' }, t.close);
    mock.timers.tick(400);
    assert.deepEqual(t.closed, ['a']);
    assert.deepEqual(c.take('k'), { id: 'b' });
    mock.timers.tick(5000);
    assert.deepEqual(t.closed, ['a'], 'b was taken: its timer is gone');
  });

  it('keeps at most perKey per key and total over all keys, closing the oldest', () => {
    const c = new SessionCache<{ id: string }>({ perKey: 2, total: 3 });
    const t = tracked();
    c.keep('k1', { id: 'a' }, t.close);
    c.keep('k1', { id: 'b' }, t.close);
    c.keep('k1', { id: 'c' }, t.close);
    assert.deepEqual(t.closed, ['a'], 'per key');
    c.keep('k2', { id: 'd' }, t.close);
    c.keep('k3', { id: 'e' }, t.close);
    assert.deepEqual(t.closed, ['a', 'b'], 'over all keys');
    assert.equal(c.size, 3);
  });

  it('a session is wanted only while another driver of its key is open; the last to close ends the key’s idle sessions', () => {
    const c = new SessionCache<{ id: string }>();
    const t = tracked();
    const a = c.opened('k');
    assert.equal(c.wanted('k'), false, 'alone');
    const b = c.opened('k');
    const other = c.opened('j');
    assert.equal(c.wanted('k'), true);
    c.keep('k', { id: 'a' }, t.close);
    c.keep('j', { id: 'x' }, t.close);
    a();
    a(); // said twice: counted once
    assert.equal(c.wanted('k'), false);
    assert.deepEqual(t.closed, []);
    b();
    assert.deepEqual(t.closed, ['a'], 'k closed for good: its session ended; j’s stays');
    other();
    assert.deepEqual(t.closed, ['a', 'x']);
    c.opened('k');
    c.opened('k');
    c.closeAll();
    assert.equal(c.wanted('k'), false, 'not after closeAll');
  });

  it('closeAll closes every idle session and keeps none after', () => {
    const c = new SessionCache<{ id: string }>();
    const t = tracked();
    c.keep('k', { id: 'a' }, t.close);
    c.keep('j', { id: 'b' }, t.close);
    c.closeAll();
    c.keep('k', { id: 'c' }, t.close);
    assert.deepEqual(t.closed, ['a', 'b', 'c']);
    assert.equal(c.size, 0);
    assert.equal(c.take('k'), undefined);
  });
});
