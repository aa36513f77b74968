import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { LONGEST_TIMER_MS, sleep } from './sleep';

it('a wait longer than a Node timer can time still waits (Node would fire it after 1 ms), until aborted', async () => {
  const abort = new AbortController();
  let settled = 'no';
  const wait = sleep(LONGEST_TIMER_MS * 2, abort.signal).then(
    () => (settled = 'resolved'),
    () => (settled = 'aborted'),
  );
  await delay(30);
  assert.equal(settled, 'no');
  abort.abort(new Error('stop'));
  await wait;
  assert.equal(settled, 'aborted');
});
