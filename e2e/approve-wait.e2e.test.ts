/**
 * `wait` and `approve` as real CLI processes against a real kube-apiserver,
 * with no operator: the test plays the operator's part by writing status
 * through the status subresource. `wait` runs as an application's
 * ServiceAccount bound to the chart's waiter ClusterRole by a RoleBinding
 * (read only); a second identity with only get and watch on the one
 * resource name proves `wait` needs nothing more. Approving with the
 * waiter identity is refused, with a message that says why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { programArgs } from './operator-command';
import { startControlPlane, type ControlPlane } from './controlplane/launcher';

const ROOT = join(__dirname, '..');
const NS = 'apps';
const HASH = 'c0ffee'.padEnd(64, '0');
const V1 = '20230316085611';
const V2 = '20230316090502';

let cp: ControlPlane;
let waiter: string;
let narrow: string;
let stranger: string;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the program as a process, as an init container would; `whileRunning` acts on the cluster meanwhile. */
async function cli(args: readonly string[], whileRunning?: (stdout: () => string) => Promise<void>): Promise<CliResult> {
  const child = spawn(process.execPath, programArgs(args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    if (whileRunning !== undefined) await whileRunning(() => stdout);
    return { code: await exited, stdout, stderr };
  } finally {
    clearTimeout(guard);
  }
}

/** Resolves once the running CLI has printed `text` on stdout. */
async function printed(read: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`never printed ${text}; got:\n${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function createMigration(name: string): void {
  const resource = {
    apiVersion: 'db.atlasgo.io/v1alpha1',
    kind: 'AtlasMigration',
    metadata: { name, namespace: NS },
    spec: { url: 'sqlite:///tmp/unused.db', dir: { local: { '1.sql': 'SELECT 1;\n' } } },
  };
  cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
}

type Conditions = { ready: [string, string, string]; reconciling: string; stalled: string };

/** Writes status as the operator would: the three conditions for generation 1, and more fields. */
function setStatus(name: string, c: Conditions, extra: Record<string, unknown> = {}): void {
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const [status, reason, message] = c.ready;
  const cond = (type: string, s: string, m: string) => ({ type, status: s, reason, message: m, observedGeneration: 1, lastTransitionTime: at });
  const patch = {
    status: {
      observedGeneration: 1,
      conditions: [cond('Ready', status, message), cond('Reconciling', c.reconciling, message), cond('Stalled', c.stalled, message)],
      ...extra,
    },
  };
  cp.kubectl(['patch', 'atlasmigration', name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch)]);
}

const PLAN = {
  hash: HASH,
  from: V1,
  filesTotal: 1,
  files: [{ name: `${V2}_drop_age.sql`, version: V2, statements: 2, findings: 1 }],
  findingsTotal: 1,
  findings: [{ code: 'DS103', file: `${V2}_drop_age.sql`, line: 3, statement: 2, message: 'Dropping non-virtual column "age"' }],
  truncated: false,
  approved: false,
  destructive: 1,
};

function annotation(name: string): string {
  return cp.kubectl(['get', 'atlasmigration', name, '-n', NS, '-o', 'jsonpath={.metadata.annotations.db\\.atlasgo\\.io/approved-plan}']);
}

before(async () => {
  cp = await startControlPlane();
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
  cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
  cp.kubectl(['create', 'namespace', NS]);
  for (const sa of ['myapp', 'narrow', 'stranger']) cp.kubectl(['create', 'serviceaccount', sa, '-n', NS]);
  // What the README tells applications to do: bind the chart's waiter ClusterRole in their namespace.
  cp.kubectl(['create', 'rolebinding', 'myapp-waits-for-migrations', '-n', NS, '--clusterrole=atlas-k8s-migrator-waiter', `--serviceaccount=${NS}:myapp`]);
  // The least `wait` needs: get and watch on one resource name, no list.
  cp.kubectl(['create', 'role', 'narrow', '-n', NS, '--verb=get,watch', '--resource=atlasmigrations.db.atlasgo.io', '--resource-name=narrowed']);
  cp.kubectl(['create', 'rolebinding', 'narrow', '-n', NS, '--role=narrow', `--serviceaccount=${NS}:narrow`]);
  waiter = cp.kubeconfigFor(NS, 'myapp');
  narrow = cp.kubeconfigFor(NS, 'narrow');
  stranger = cp.kubeconfigFor(NS, 'stranger');
});

after(async () => {
  await cp?.stop();
});

describe('wait and approve against a real API server', () => {
  it('wait follows a resource that does not exist yet until it is Ready, a line per state change', async () => {
    const r = await cli(['wait', 'later', '-n', NS, '--kubeconfig', waiter, '--timeout', '45s'], async (stdout) => {
      await printed(stdout, 'does not exist yet');
      createMigration('later');
      setStatus('later', { ready: ['False', 'Reconciling', 'applying 1 file'], reconciling: 'True', stalled: 'False' });
      setStatus('later', { ready: ['False', 'Reconciling', 'applying 1 file'], reconciling: 'True', stalled: 'False' }, { pendingCount: 1 });
      setStatus('later', { ready: ['True', 'Applied', `at version ${V1}`], reconciling: 'False', stalled: 'False' }, { lastAppliedVersion: V1 });
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `${NS}/later: does not exist yet`);
    assert.equal(lines.at(-1), `${NS}/later: Ready at version ${V1}`);
    assert.equal(lines.filter((l) => l.includes('Reconciling')).length, 1, 'the same state twice prints once');
  });

  it('wait stops with exit code 4 when a plan waits for approval, printing the plan and the approve command', async () => {
    createMigration('myapp');
    setStatus('myapp', { ready: ['False', 'ApprovalPending', `plan ${HASH} waits for approval`], reconciling: 'True', stalled: 'False' }, { plan: PLAN, lastAppliedVersion: V1 });
    const r = await cli(['wait', 'myapp', '-n', NS, '--kubeconfig', waiter, '--timeout', '30s']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /DS103 20230316090502_drop_age\.sql:3 Dropping non-virtual column "age"/);
    assert.match(r.stderr, new RegExp(`waits for approval of plan ${HASH}\\. Review it, then run: atlas-k8s-migrator approve myapp -n ${NS} --plan ${HASH}`));
  });

  it('approve as the waiter identity is refused: the role only reads', async () => {
    const r = await cli(['approve', 'myapp', '-n', NS, '--kubeconfig', waiter]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`hash: ${HASH}`), 'the plan is shown before the write');
    assert.match(r.stderr, /not allowed to patch AtlasMigration apps\/myapp: approving needs get and patch.*Forbidden/s);
    assert.equal(annotation('myapp'), '');
  });

  it('approve --plan refuses another plan, approves the reviewed one, then says it is already approved', async () => {
    const admin = cp.adminKubeconfig;
    const wrong = await cli(['approve', 'myapp', '-n', NS, '--kubeconfig', admin, '--plan', 'f'.repeat(64)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`the pending plan of apps/myapp is ${HASH}, not f{64}`));
    assert.equal(annotation('myapp'), '');

    const ok = await cli(['approve', 'myapp', '-n', NS, '--kubeconfig', admin, '--plan', HASH]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Plan for apps\/myapp \(from version 20230316085611\):\n {2}1 file to apply:/);
    assert.match(ok.stdout, new RegExp(`Approved plan ${HASH} of apps/myapp`));
    assert.equal(annotation('myapp'), HASH);
    const managers = cp.kubectl(['get', 'atlasmigration', 'myapp', '-n', NS, '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    assert.match(managers, /atlas-k8s-migrator-approve/);

    const again = await cli(['approve', 'myapp', '-n', NS, '--kubeconfig', admin]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is already approved/);
  });

  it('approve with nothing pending fails and says so', async () => {
    const r = await cli(['approve', 'later', '-n', NS, '--kubeconfig', cp.adminKubeconfig]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error: AtlasMigration apps\/later has no plan to approve: nothing is pending approval \(Ready=True Applied/);
    const missing = await cli(['approve', 'nope', '-n', NS, '--kubeconfig', cp.adminKubeconfig]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /AtlasMigration apps\/nope not found/);
  });

  it('wait --for-version exits 0 once the approved plan is applied', async () => {
    setStatus('myapp', { ready: ['True', 'Applied', `at version ${V1}`], reconciling: 'False', stalled: 'False' }, { plan: null, lastAppliedVersion: V1 });
    const r = await cli(['wait', 'myapp', '-n', NS, '--kubeconfig', waiter, '--for-version', V2, '--timeout', '45s'], async (stdout) => {
      await printed(stdout, `Ready at version ${V1}; waiting for version ${V2} or later`);
      setStatus('myapp', { ready: ['True', 'Applied', `at version ${V2}`], reconciling: 'False', stalled: 'False' }, { lastAppliedVersion: V2 });
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`apps/myapp: Ready at version ${V2}\\n$`));
  });

  it('wait fails fast with exit code 3 and the reason when the resource is Stalled', async () => {
    setStatus('myapp', { ready: ['False', 'Migrating', 'statement 2 of 20230316090502_drop_age.sql failed: no such column'], reconciling: 'False', stalled: 'True' });
    const started = Date.now();
    const r = await cli(['wait', 'myapp', '-n', NS, '--kubeconfig', waiter, '--timeout', '1m']);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(Date.now() - started < 20_000);
    assert.match(r.stderr, /Error: apps\/myapp is stalled: Migrating: statement 2 of 20230316090502_drop_age\.sql failed: no such column/);
  });

  it('wait times out with exit code 5, saying what it last saw', async () => {
    setStatus('myapp', { ready: ['False', 'Connecting', 'dial tcp: connection refused'], reconciling: 'True', stalled: 'False' });
    const r = await cli(['wait', 'myapp', '-n', NS, '--kubeconfig', waiter, '--timeout', '2s']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /Error: timed out after 2s waiting for apps\/myapp; last seen: Ready=False Connecting: dial tcp: connection refused/);
  });

  it('wait needs only get and watch on the one name (no list)', async () => {
    assert.equal(cp.tryKubectl(['get', 'atlasmigrations', '-n', NS], { kubeconfig: narrow }).status, 1, 'the narrow identity cannot list');
    const r = await cli(['wait', 'narrowed', '-n', NS, '--kubeconfig', narrow, '--timeout', '45s'], async (stdout) => {
      await printed(stdout, 'does not exist yet');
      createMigration('narrowed');
      setStatus('narrowed', { ready: ['True', 'Applied', `at version ${V1}`], reconciling: 'False', stalled: 'False' }, { lastAppliedVersion: V1 });
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /apps\/narrowed: does not exist yet\n[^]*apps\/narrowed: Ready at version/);
  });

  it('wait without access fails at once (exit 1), naming the waiter role', async () => {
    const r = await cli(['wait', 'myapp', '-n', NS, '--kubeconfig', stranger, '--timeout', '1m']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read AtlasMigration apps\/myapp: wait needs get and watch .*atlas-k8s-migrator-waiter.*forbidden/s);
  });

  it('usage errors exit 2', async () => {
    const r = await cli(['wait', '--timeout', 'soon', 'myapp']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--timeout "soon": not a duration/);
  });
});
