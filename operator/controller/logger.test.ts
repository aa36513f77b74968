import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './logger';
import { SecretScrubber } from './secret-scrubber';

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
});
