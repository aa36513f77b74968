/**
 * The README's conditions table (section "Conditions") against the real
 * readers: every outcome's status is written with `conditionsFor`, as a
 * reconcile writes it, and read by kstatus (sigs.k8s.io/cli-utils'
 * status.Compute) and by Argo CD's own health.lua for AtlasMigration, run
 * with gopher-lua (e2e/controlplane/readers, built by build-readers.sh).
 * The table is the expectation: each outcome must match exactly one row,
 * each row at least one outcome, and both readers must answer what the row
 * says. The row "as last written" covers a status whose observedGeneration
 * is behind the resource's generation.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { conditionsFor, type Condition, type Outcome } from '../operator/api/conditions';
import { CONDITION_TYPES, Reason, type ReasonName } from '../operator/api/reasons';
import { buildScriptOutput } from './controlplane/launcher';

const ROOT = join(__dirname, '..');
const HEADER = ['situation', 'Ready', 'Reconciling', 'Stalled', 'kstatus', 'Argo CD'];
const AS_WRITTEN = 'as last written';

interface Cell {
  readonly status: string;
  /** A reason the cell names; undefined: any. */
  readonly reason?: string;
  /** `*step reason*`: any reason the table does not name elsewhere. */
  readonly step?: true;
}

interface Row {
  readonly line: string;
  readonly ready: Cell | typeof AS_WRITTEN;
  readonly reconciling: Cell | typeof AS_WRITTEN;
  readonly stalled: Cell | typeof AS_WRITTEN;
  readonly kstatus: string;
  readonly argo: string;
}

function cell(text: string, what: string): Cell | typeof AS_WRITTEN {
  if (text === AS_WRITTEN) return AS_WRITTEN;
  const m = /^(True|False|Unknown)(?: \/ (?:`(\w+)`|(\*step reason\*))| \(`(\w+)`\))?$/.exec(text);
  assert.ok(m, `README Conditions table: cannot read ${what} cell "${text}"`);
  const reason = m[2] ?? m[4];
  return { status: m[1]!, ...(reason === undefined ? {} : { reason }), ...(m[3] === undefined ? {} : { step: true as const }) };
}

/** The first table after the "Conditions" heading of README.md. */
function readmeTable(): Row[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const heading = lines.findIndex((l) => /^#+ Conditions$/.test(l));
  assert.ok(heading >= 0, 'README.md has no "Conditions" section');
  const start = lines.findIndex((l, i) => i > heading && l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  const cells = lines.slice(start, end).map((l) => l.replace(/^\|\s*|\s*\|$/g, '').split(/\s*\|\s*/));
  assert.deepEqual(cells[0], HEADER, 'README Conditions table header');
  return cells.slice(2).map((c, i) => {
    assert.equal(c.length, HEADER.length, `README Conditions table row ${i + 1}: ${c.join(' | ')}`);
    const [, ready, reconciling, stalled, kstatus, argo] = c as [string, string, string, string, string, string];
    return { line: lines[start + 2 + i]!, ready: cell(ready, 'Ready'), reconciling: cell(reconciling, 'Reconciling'), stalled: cell(stalled, 'Stalled'), kstatus, argo };
  });
}

const FIXED: ReadonlySet<string> = new Set<ReasonName>([Reason.Reconciling, Reason.Applied, Reason.DryRun, Reason.ApprovalPending]);
const STEP_REASONS = Object.values(Reason).filter((r) => !FIXED.has(r));

/** Every kind of outcome (the Record makes a new kind a type error here until it is covered). */
const OUTCOMES: Record<Outcome['kind'], Outcome[]> = {
  progressing: [{ kind: 'progressing', message: 'Applying 2 migration files from an empty history: 1, 2' }],
  ready: [{ kind: 'ready', message: 'The database is at version 2' }],
  retrying: STEP_REASONS.map((reason) => ({ kind: 'retrying', reason, message: `${reason} failed`, retryMessage: 'Retrying in 10s (attempt 2)' })),
  stalled: STEP_REASONS.map((reason) => ({ kind: 'stalled', reason, message: `${reason} failed for good` })),
  'dry-run': [{ kind: 'dry-run', message: 'Dry run: 2 files would be applied' }],
  'approval-pending': [{ kind: 'approval-pending', message: 'Plan c0ffee waits for approval' }],
};

function matches(c: Cell | typeof AS_WRITTEN, cond: Condition | undefined, named: ReadonlySet<string>): boolean {
  if (c === AS_WRITTEN || cond === undefined || c.status !== cond.status) return false;
  if (c.step === true) return !named.has(cond.reason);
  return c.reason === undefined || c.reason === cond.reason;
}

interface Reading {
  readonly name: string;
  readonly kstatus: { status?: string; message: string; error?: string };
  readonly argocd: { status?: string; message: string; error?: string };
}

const GENERATION = 4;
const NOW = new Date('2026-01-01T00:00:00Z');

function resource(name: string, outcome: Outcome, observed: number): object {
  return {
    apiVersion: 'db.atlasgo.io/v1alpha1',
    kind: 'AtlasMigration',
    metadata: { name, namespace: 'apps', generation: GENERATION, uid: '00000000-0000-0000-0000-000000000001' },
    spec: { urlFrom: { secretKeyRef: { name: 'db', key: 'url' } }, dir: { configMapRef: { name: 'migrations' } } },
    // As status-patches.ts writes it: the conditions and observedGeneration of the generation reconciled.
    status: { observedGeneration: observed, conditions: conditionsFor(outcome, undefined, observed, NOW) },
  };
}

const rows = readmeTable();
const named = new Set(rows.flatMap((r) => [r.ready, r.reconciling, r.stalled].flatMap((c) => (c !== AS_WRITTEN && c.reason !== undefined ? [c.reason] : []))));
const lagRows = rows.filter((r) => r.ready === AS_WRITTEN);
const cases = Object.values(OUTCOMES).flat().map((outcome, i) => {
  const name = `${outcome.kind}-${'reason' in outcome ? outcome.reason : 'fixed'}-${i}`.toLowerCase();
  const cs = conditionsFor(outcome, undefined, GENERATION, NOW);
  const [ready, reconciling, stalled] = [CONDITION_TYPES.Ready, CONDITION_TYPES.Reconciling, CONDITION_TYPES.Stalled].map((t) => cs.find((c) => c.type === t));
  const found = rows.filter((r) => matches(r.ready, ready, named) && matches(r.reconciling, reconciling, named) && matches(r.stalled, stalled, named));
  const triple = cs.map((c) => `${c.type}=${c.status}/${c.reason}`).join(', ');
  return { outcome, name, triple, found };
});

let versions = '';
const readings = new Map<string, Reading>();

before(() => {
  const out = buildScriptOutput(join(__dirname, 'controlplane', 'build-readers.sh'));
  versions = readFileSync(join(out, 'versions'), 'utf8').trim();
  const objects = cases.flatMap((c) => [resource(c.name, c.outcome, GENERATION), resource(`${c.name}-lagging`, c.outcome, GENERATION - 1)]);
  const run = spawnSync(join(out, 'conditions-reader'), ['-health-lua', join(out, 'AtlasMigration.health.lua')], {
    input: objects.map((o) => JSON.stringify(o)).join('\n'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, `conditions-reader failed: ${run.stderr}`);
  for (const l of run.stdout.trim().split('\n')) {
    const r = JSON.parse(l) as Reading;
    readings.set(r.name, r);
  }
  assert.equal(readings.size, objects.length, 'one reading per object');
  console.log(`readers: ${versions}`);
});

function read(name: string): { kstatus: string; argo: string } {
  const r = readings.get(name);
  assert.ok(r, `no reading for ${name}`);
  assert.equal(r.kstatus.error, undefined, `kstatus failed on ${name}`);
  assert.equal(r.argocd.error, undefined, `Argo CD's health.lua failed on ${name}`);
  console.log(`${name}: kstatus ${r.kstatus.status} (${r.kstatus.message}); Argo CD ${r.argocd.status} (${r.argocd.message})`);
  return { kstatus: r.kstatus.status ?? '', argo: r.argocd.status ?? '' };
}

describe('README conditions table against kstatus and Argo CD', () => {
  it('has exactly one "as last written" row (observedGeneration behind generation)', () => {
    assert.equal(lagRows.length, 1, 'README Conditions table: one row for a status behind the generation');
    const lag = lagRows[0]!;
    assert.ok(lag.reconciling === AS_WRITTEN && lag.stalled === AS_WRITTEN, lag.line);
  });

  it('every row describes at least one outcome', () => {
    for (const r of rows) {
      if (r.ready === AS_WRITTEN) continue;
      assert.ok(cases.some((c) => c.found.includes(r)), `README Conditions row matches no outcome of conditionsFor: ${r.line}`);
    }
  });

  for (const c of cases) {
    it(`${c.outcome.kind} (${c.triple}) reads as its README row says`, () => {
      assert.equal(c.found.length, 1, `${c.triple} should match exactly one README Conditions row, matches:\n${c.found.map((r) => r.line).join('\n')}`);
      const row = c.found[0]!;
      const got = read(c.name);
      assert.deepEqual(got, { kstatus: row.kstatus, argo: row.argo }, `${versions}\nrow: ${row.line}`);
    });

    it(`${c.outcome.kind} (${c.triple}), observedGeneration behind generation, reads as the "${AS_WRITTEN}" row says`, () => {
      const lag = lagRows[0];
      const row = c.found[0];
      assert.ok(lag !== undefined && row !== undefined && c.found.length === 1);
      const expected = { kstatus: lag.kstatus === AS_WRITTEN ? row.kstatus : lag.kstatus, argo: lag.argo === AS_WRITTEN ? row.argo : lag.argo };
      assert.deepEqual(read(`${c.name}-lagging`), expected, `${versions}\nrows: ${row.line}\n${lag.line}`);
    });
  }
});
