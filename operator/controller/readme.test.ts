/**
 * The README documents every condition reason, metric and `run` flag
 * (users read them there, and so do alerting rules and runbooks).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Reason } from '../api/reasons';
import { runHelp } from '../cli/run';
import { createMetrics } from './metrics';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('lists every condition reason in the reasons table', () => {
    for (const reason of Object.values(Reason)) assert.match(README, new RegExp(`^\\| \`${reason}\` \\|`, 'm'), reason);
  });

  it('lists every metric', () => {
    const text = createMetrics({ queueDepth: () => 0, activeReconciles: () => 0, resources: () => 0, watchRestarts: () => 0 }).render();
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] ?? '');
    assert.ok(names.length >= 10);
    for (const name of names) assert.ok(README.includes(`\`${name}`), name);
  });

  it('lists every run flag', () => {
    const flags = [...runHelp.matchAll(/--([a-z-]+)/g)].map((m) => m[1] ?? '');
    assert.ok(flags.length >= 11);
    for (const flag of new Set(flags)) assert.match(README, new RegExp(`^\\| \`--${flag}\` \\|`, 'm'), flag);
  });
});
