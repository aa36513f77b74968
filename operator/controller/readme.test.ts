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
import { describeMetrics, metricsTable, NAMED_DEFAULTS } from './metrics-table';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('lists every condition reason in the reasons table', () => {
    for (const reason of Object.values(Reason)) assert.match(README, new RegExp(`^\\| \`${reason}\` \\|`, 'm'), reason);
  });

  it('holds the metrics table generated from the registry (npx tsx operator/controller/metrics-table.ts)', () => {
    const section = README.slice(README.indexOf('### Metrics and probes'));
    const start = section.indexOf('| metric |');
    assert.ok(start >= 0, 'no metrics table under "Metrics and probes"');
    const table = section.slice(start).split('\n');
    const rows = table.slice(0, table.findIndex((l) => !l.startsWith('|')));
    assert.equal(rows.join('\n') + '\n', metricsTable());
  });

  it('the default metrics row is true: every other metric is process_* or nodejs_*, and the named ones exist', () => {
    const names = describeMetrics().map((m) => m.name);
    for (const name of names) assert.match(name, /^(atlas_migrator_|process_|nodejs_)/);
    for (const name of NAMED_DEFAULTS) assert.ok(names.includes(name), name);
  });

  it('lists every run flag', () => {
    const flags = [...runHelp.matchAll(/--([a-z-]+)/g)].map((m) => m[1] ?? '');
    assert.ok(flags.length >= 11);
    for (const flag of new Set(flags)) assert.match(README, new RegExp(`^\\| \`--${flag}\` \\|`, 'm'), flag);
  });
});
