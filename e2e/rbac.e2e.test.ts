/**
 * RBAC proven: every verb the chart grants the operator is one it needs.
 *
 * The operator's roles are read from manifests/synth at test time (those
 * bound to its ServiceAccount: the ClusterRole and the leader-election
 * Role). For each rule × resource × verb, the roles are installed with
 * exactly that one verb taken away (`kubectl apply`, then `kubectl auth
 * can-i` says no), the operator runs as its ServiceAccount (a real token,
 * as the chart runs it: --leader-elect), and the failure that verb's absence
 * causes is waited for and asserted — a 403 naming the verb and resource in
 * the operator's log, and what follows from it (status never written, the
 * resource's Ready condition saying Forbidden, /readyz unready, no Event or
 * an Event whose count never rises, no leadership, leadership lost and exit
 * 1). A baseline with the roles as synthesized runs the same scenarios and
 * sees none of it. A grant in the chart without a case here, or a case
 * without its grant, fails the file. (Taking away status get and update,
 * finalizers update and the events.k8s.io group changed nothing: they were
 * removed from the chart, manifests/rbac.ts. The baseline, which meets a
 * status conflict and repeats an Event, shows the chart does without them.)
 *
 * Some failures are partial by nature, and the assertions say which:
 * without `get` on atlasmigrations only a status write that meets a
 * conflict fails (the fresh read after the 409); without `watch` the
 * operator falls back to re-listing with backoff, so changes are noticed
 * late, not never; both log the 403.
 *
 * Then the namespaced variant (per-namespace Roles, synthesized with
 * WATCH_NAMESPACES' code path) with `--namespace`: resources in the watched
 * namespaces are reconciled; one in another namespace is never touched (no
 * status, no event, its database never created), and the operator's identity
 * can read no Secret there. Every Secret and ConfigMap reference of the API
 * is same-namespace, so no resource can point the operator at another
 * namespace's Secret; the closest real case, an operator told to watch a
 * namespace its Roles do not cover, gets Forbidden on its list and stays
 * unready.
 *
 * One control plane for the file; one operator process per case, stopped
 * as soon as its failure shows (no fixed sleeps).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../manifests/app';
import { LOCK_NAME } from '../operator/migrate/apply';
import { directoryFromEntries } from '../operator/migrate/directory';
import { PROGRAM_VERSION } from '../operator/version';
import { startControlPlane, type ControlPlane } from './controlplane/launcher';
import { usePrivateTmpdir } from './databases/private-tmpdir';
import { condition, getMigration, isReady, OPERATOR_ACCOUNT, OPERATOR_NAMESPACE, ROOT, waitForMigration, type MigrationObject } from './operator-cluster';
import { startOperator, type LogLine, type OperatorProcess } from './operator-process';

// The SQLite lock file lives in the temporary directory: this file's own (and its operators', which inherit TMPDIR).
usePrivateTmpdir();

const SA = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_ACCOUNT}`;
/** Where the per-verb cases put their resources (each case its own label, which its operator selects). */
const NS = 'rbac-e2e';
const work = mkdtempSync(join(tmpdir(), 'rbac-'));

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface RoleDoc {
  apiVersion: string;
  kind: 'ClusterRole' | 'Role';
  metadata: { name: string; namespace?: string };
  rules: Rule[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

function parseDocs(text: string): Doc[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

/** The Roles and ClusterRoles bound to the operator's ServiceAccount (not the waiter role applications bind). */
function operatorRoles(docs: readonly Doc[]): RoleDoc[] {
  const bound = new Set<string>();
  for (const b of docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding')) {
    const { roleRef, subjects } = b as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    if (subjects.some((s) => s.kind === 'ServiceAccount' && s.name === OPERATOR_ACCOUNT && s.namespace === OPERATOR_NAMESPACE)) {
      bound.add(`${roleRef.kind}/${roleRef.kind === 'Role' ? (b.metadata.namespace ?? '') : ''}/${roleRef.name}`);
    }
  }
  return docs.filter((d): d is Doc & RoleDoc => (d.kind === 'Role' || d.kind === 'ClusterRole') && bound.has(`${d.kind}/${d.kind === 'Role' ? (d.metadata.namespace ?? '') : ''}/${d.metadata.name}`));
}

const SYNTH_DOCS = parseDocs(readFileSync(join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml'), 'utf8'));
const ROLES = operatorRoles(SYNTH_DOCS);

/** One verb on one resource, as one rule of one role grants it. */
interface Grant {
  readonly role: number;
  readonly rule: number;
  readonly resource: string;
  readonly verb: string;
}

function grantsOf(roles: readonly RoleDoc[]): Grant[] {
  return roles.flatMap((role, r) => role.rules.flatMap((rule, i) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ role: r, rule: i, resource, verb })))));
}

function keyOf(g: Grant): string {
  return `${g.verb} ${g.resource}`;
}

/** The roles with exactly `g` taken away: its rule loses the verb for that resource (split off when the rule names others). */
function without(roles: readonly RoleDoc[], g: Grant): RoleDoc[] {
  const copy = structuredClone(roles) as RoleDoc[];
  const role = copy[g.role] as RoleDoc;
  const rule = role.rules[g.rule] as Rule;
  const others = rule.resources.filter((r) => r !== g.resource);
  const verbs = rule.verbs.filter((v) => v !== g.verb);
  const replaced: Rule[] = [...(others.length > 0 ? [{ ...rule, resources: others }] : []), ...(verbs.length > 0 ? [{ ...rule, resources: [g.resource], verbs }] : [])];
  role.rules.splice(g.rule, 1, ...replaced);
  return copy;
}

/** `kubectl auth can-i` arguments for a grant: the resource with its group, its subresource, and a namespace for a Role. */
function canIArgs(role: RoleDoc, rule: Rule, resource: string, verb: string, namespace: string): string[] {
  const [plural = '', sub] = resource.split('/');
  const group = rule.apiGroups[0] ?? '';
  return ['auth', 'can-i', verb, group === '' ? plural : `${plural}.${group}`, ...(sub === undefined ? [] : [`--subresource=${sub}`]), '-n', role.metadata.namespace ?? namespace, '--as', SA];
}

let cp: ControlPlane;
let kubeconfig: string;

function kubectl(args: readonly string[], input?: string): string {
  return cp.kubectl(args, input === undefined ? {} : { input });
}

function apply(objects: readonly unknown[]): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether RBAC (as the API server's authorizer sees it now) allows the operator this; polled until it answers `expected`. */
async function expectCanI(args: readonly string[], expected: boolean): Promise<void> {
  await until(`kubectl ${args.join(' ')} to answer ${expected ? 'yes' : 'no'}`, () => {
    const r = cp.tryKubectl(args);
    return (r.status === 0) === expected && r.stdout.trim() === (expected ? 'yes' : 'no') ? true : undefined;
  });
}

// ---- resources --------------------------------------------------------------------------------

const FILES = { '1_a.sql': 'CREATE TABLE a (id int);\n' };
const DIR = { ...FILES, 'atlas.sum': directoryFromEntries(Object.entries(FILES), 'x').computedSum().format() };

function sqliteUrl(namespace: string, name: string): string {
  return `sqlite://${join(work, `${namespace}-${name}.db`)}`;
}

type Source = 'url' | 'secret' | 'configmap';

/** An AtlasMigration labelled for one case's operator; its URL inline or from a Secret, its files inline or from a ConfigMap. */
function createMigration(namespace: string, name: string, label: string, opts: { source?: Source; spec?: Record<string, unknown> } = {}): void {
  const objects: unknown[] = [];
  const url = sqliteUrl(namespace, name);
  const spec: Record<string, unknown> = { url, dir: { local: DIR }, ...opts.spec };
  if (opts.source === 'secret') {
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-db`, namespace }, stringData: { url } });
    delete spec.url;
    spec.urlFrom = { secretKeyRef: { name: `${name}-db`, key: 'url' } };
  }
  if (opts.source === 'configmap') {
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-files`, namespace }, data: DIR });
    spec.dir = { configMapRef: { name: `${name}-files` } };
  }
  objects.push({ apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace, labels: { 'rbac-case': label } }, spec });
  apply(objects);
}

interface EventObject {
  reason: string;
  type: string;
  count?: number;
  message: string;
}

function eventsOf(namespace: string, name: string): EventObject[] {
  const list = JSON.parse(kubectl(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])) as { items: EventObject[] };
  return list.items;
}

/** Atlas's lock on every SQLite file database of this machine (here: of this test's TMPDIR), held as another migration would. */
function holdSqliteLock(): () => void {
  const path = join(tmpdir(), `${LOCK_NAME}.lock`);
  writeFileSync(path, String(BigInt(Date.now() + 120_000) * 1_000_000n));
  return () => rmSync(path, { force: true });
}

// ---- what the operator shows ---------------------------------------------------------------------

/** The API server's words for a denied request. */
function forbidden(verb: string, resource: string): string {
  return `cannot ${verb} resource "${resource}"`;
}

function mentions(line: LogLine, text: string): boolean {
  return Object.values(line).some((v) => typeof v === 'string' && v.includes(text));
}

async function logged(op: OperatorProcess, msg: string | RegExp, text: string, timeoutMs = 20_000): Promise<LogLine> {
  return op.waitForLog((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)) && mentions(l, text), timeoutMs);
}

async function metric(op: OperatorProcess, name: string, labels = ''): Promise<number> {
  const body = (await op.get('/metrics')).body;
  const line = body.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function noStatus(m: MigrationObject): boolean {
  return (m.status?.conditions ?? []).length === 0;
}

function readyMessage(m: MigrationObject): string {
  return condition(m, 'Ready')?.message ?? '';
}

// ---- scenarios: what needs each verb -------------------------------------------------------------

interface CaseContext {
  readonly op: OperatorProcess;
  /** The label value this case's resources carry and its operator selects. */
  readonly label: string;
}

/** `denied`: the grant is gone, show the failure (returns what was seen); `granted`: the same scenario with full RBAC succeeds. */
interface Scenario {
  readonly denied: (c: CaseContext, verb: string, resource: string) => Promise<string>;
  readonly granted: (c: CaseContext) => Promise<void> | void;
  /** The operator is expected never to become ready (its initial list is refused). */
  readonly neverReady?: boolean;
  /** A leader election case: fast timings, debug logs (failed attempts are logged at debug level). */
  readonly lease?: boolean;
}

/**
 * A status write that meets a conflict: the resource's resourceVersion
 * changes (a label, as `kubectl label` or a GitOps tool's tracking label
 * would) while its run waits for the database lock, so the write, guarded by
 * the version read, gets 409 and the operator reads the resource fresh.
 */
async function conflictedRun(c: CaseContext, name: string): Promise<void> {
  const release = holdSqliteLock();
  try {
    createMigration(NS, name, c.label);
    await until('the reconcile to start (waiting for the lock)', async () => ((await metric(c.op, 'atlas_migrator_reconciles_active')) >= 1 ? true : undefined));
    kubectl(['label', 'atlasmigration', name, '-n', NS, 'touched=yes']);
  } finally {
    release();
  }
}

/** A Warning repeated with the same text: the lock is held and the resource's lockTimeout short, so every retry fails alike. */
function repeatingFailure(c: CaseContext, name: string): () => void {
  const release = holdSqliteLock();
  createMigration(NS, name, c.label, { spec: { lockTimeout: '100ms' } });
  return release;
}

const watchFailed = 'watch failed; reconnecting';

/** The initial list is refused: /readyz stays unready, saying so. */
const listRefused: Scenario = {
  neverReady: true,
  denied: async ({ op }, verb, resource) => {
    const line = await logged(op, watchFailed, forbidden(verb, resource));
    const ready = await op.get('/readyz');
    assert.equal(ready.status, 503);
    assert.match(ready.body, /initial lists in progress/);
    return `initial list 403 ("${line.msg}"); /readyz 503 "initial lists in progress"`;
  },
  granted: async ({ op }) => assert.equal((await op.get('/readyz')).status, 200),
};

/** The watch is refused after a good list: logged with the 403, counted as a watch restart. */
const watchRefused: Scenario = {
  denied: async ({ op }, verb, resource) => {
    await logged(op, watchFailed, forbidden(verb, resource));
    assert.ok((await metric(op, 'atlas_migrator_watch_restarts_total')) > 0);
    return `watch 403 logged ("${watchFailed}"), watch_restarts_total > 0`;
  },
  // (A watch may fail for other reasons, e.g. 429 while a new CRD's storage initializes; never Forbidden.)
  granted: ({ op }) => assert.ok(!op.logs().some((l) => l.msg === watchFailed && mentions(l, 'forbidden'))),
};

const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'get atlasmigrations': {
    denied: async (c) => {
      await conflictedRun(c, `conflict-${c.label}`);
      const line = await logged(c.op, /status write.*failed/, forbidden('get', 'atlasmigrations'));
      return `status write got 409 (resource relabelled during the run); the fresh GET was 403: "${line.msg}"`;
    },
    granted: async (c) => {
      await conflictedRun(c, `conflict-${c.label}`);
      await waitForMigration(cp, NS, `conflict-${c.label}`, isReady, 20_000);
      assert.ok((await metric(c.op, 'atlas_migrator_api_requests_total', 'verb="patch",code="409"')) > 0, 'the status write met a conflict');
    },
  },
  'list atlasmigrations': listRefused,
  'watch atlasmigrations': watchRefused,
  'patch atlasmigrations/status': {
    denied: async (c) => {
      createMigration(NS, `status-${c.label}`, c.label);
      const line = await logged(c.op, /status write.*failed/, forbidden('patch', 'atlasmigrations/status'));
      assert.ok(noStatus(getMigration(cp, NS, `status-${c.label}`)), 'no status was written');
      return `status never written; "${line.msg}" with the 403`;
    },
    granted: async (c) => {
      createMigration(NS, `status-${c.label}`, c.label);
      await waitForMigration(cp, NS, `status-${c.label}`, isReady);
    },
  },
  'get configmaps': {
    denied: async (c) => {
      createMigration(NS, `cm-${c.label}`, c.label, { source: 'configmap' });
      const m = await waitForMigration(cp, NS, `cm-${c.label}`, (x) => readyMessage(x).includes(forbidden('get', 'configmaps')));
      return `Ready=${condition(m, 'Ready')?.status}/${condition(m, 'Ready')?.reason}: "${readyMessage(m).slice(0, 60)}…${forbidden('get', 'configmaps')}…"`;
    },
    granted: async (c) => {
      createMigration(NS, `cm-${c.label}`, c.label, { source: 'configmap' });
      await waitForMigration(cp, NS, `cm-${c.label}`, isReady);
    },
  },
  'list configmaps': listRefused,
  'watch configmaps': watchRefused,
  'get secrets': {
    denied: async (c) => {
      createMigration(NS, `secret-${c.label}`, c.label, { source: 'secret' });
      const m = await waitForMigration(cp, NS, `secret-${c.label}`, (x) => readyMessage(x).includes(forbidden('get', 'secrets')));
      return `Ready=${condition(m, 'Ready')?.status}/${condition(m, 'Ready')?.reason}: "${readyMessage(m).slice(0, 60)}…${forbidden('get', 'secrets')}…"`;
    },
    granted: async (c) => {
      createMigration(NS, `secret-${c.label}`, c.label, { source: 'secret' });
      await waitForMigration(cp, NS, `secret-${c.label}`, isReady);
    },
  },
  'list secrets': listRefused,
  'watch secrets': watchRefused,
  'create events': {
    denied: async (c) => {
      createMigration(NS, `events-${c.label}`, c.label);
      await waitForMigration(cp, NS, `events-${c.label}`, isReady);
      const line = await logged(c.op, 'could not record event', forbidden('create', 'events'));
      assert.deepEqual(eventsOf(NS, `events-${c.label}`), []);
      return `Ready, but no Event; "${line.msg}" (reason ${String(line.reason)}) with the 403`;
    },
    granted: async (c) => {
      await until('the Applied event', () => (eventsOf(NS, `status-${c.label}`).some((e) => e.reason === 'Applied') ? true : undefined));
    },
  },
  'patch events': {
    denied: async (c) => {
      const release = repeatingFailure(c, `repeat-${c.label}`);
      try {
        const line = await logged(c.op, 'could not record event', forbidden('patch', 'events'));
        const events = eventsOf(NS, `repeat-${c.label}`).filter((e) => e.reason === line.reason);
        assert.deepEqual(events.map((e) => e.count), [1], 'the repeat was not counted');
        return `the repeated Warning (${String(line.reason)}) is not counted (count stays 1); "${line.msg}" with the 403`;
      } finally {
        release();
      }
    },
    granted: async (c) => {
      const release = repeatingFailure(c, `repeat-${c.label}`);
      try {
        await until('a Warning counted twice', () => (eventsOf(NS, `repeat-${c.label}`).some((e) => e.type === 'Warning' && (e.count ?? 0) >= 2) ? true : undefined));
      } finally {
        release();
      }
    },
  },
  'get leases': {
    lease: true,
    denied: async (c) => notLeading(c, 'get'),
    granted: async ({ op }) => {
      await op.waitForLog((l) => l.msg === 'leader election: acquired the lease');
      assert.equal(await metric(op, 'atlas_migrator_leader'), 1);
    },
  },
  'create leases': {
    lease: true,
    denied: async (c) => notLeading(c, 'create'),
    // The Lease did not exist: this operator created it, and holds it.
    granted: ({ op, label }) => {
      const lease = JSON.parse(kubectl(['get', 'lease', `rbac-${label}`, '-n', OPERATOR_NAMESPACE, '-o', 'json'])) as { spec: { holderIdentity: string; leaseTransitions: number } };
      const starting = op.logs().find((l) => l.msg === 'starting') as { leaderElection?: { identity: string } } | undefined;
      assert.equal(lease.spec.holderIdentity, starting?.leaderElection?.identity);
      assert.equal(lease.spec.leaseTransitions, 0);
    },
  },
  'update leases': {
    lease: true,
    denied: async ({ op }) => {
      await op.waitForLog((l) => l.msg === 'leader election: acquired the lease');
      await logged(op, 'leader election: renewal failed; retrying', forbidden('update', 'leases'));
      await op.waitForLog((l) => l.msg === 'leader election: lost the lease');
      const code = await until('the operator to exit', () => op.process.child.exitCode ?? undefined);
      assert.equal(code, 1);
      return 'acquired (create), every renewal 403, "lost the lease" after the renew deadline, exit 1';
    },
    granted: async ({ op }) => {
      // Renewals succeed: the leader is still leading after several retry periods (released on stop, below).
      const renewals = await until('two renewals', async () => ((await metric(op, 'atlas_migrator_api_requests_total', 'verb="put",code="200"')) >= 2 ? true : undefined));
      assert.ok(renewals);
      assert.equal(await metric(op, 'atlas_migrator_leader'), 1);
    },
  },
};

/** Without `verb` on leases the operator never leads: it follows, reconciles nothing, and says why at debug level. */
async function notLeading({ op, label }: CaseContext, verb: string): Promise<string> {
  createMigration(NS, `lease-${label}`, label);
  await op.waitForLog((l) => l.msg.startsWith('following:'));
  const attempts = (): LogLine[] => op.logs().filter((l) => l.msg === 'leader election: attempt failed; retrying' && mentions(l, forbidden(verb, 'leases')));
  await until('three refused attempts', () => (attempts().length >= 3 ? true : undefined));
  assert.equal(await metric(op, 'atlas_migrator_leader'), 0);
  assert.ok(noStatus(getMigration(cp, NS, `lease-${label}`)), 'nothing reconciled');
  assert.ok(!op.logs().some((l) => l.msg === 'leader election: acquired the lease'));
  return `never leads: ${attempts().length}+ attempts 403 (debug log), "following", leader gauge 0, resource untouched`;
}

// ---- running an operator per case ---------------------------------------------------------------

/**
 * The lease cases retry every 200 ms and lose a Lease they cannot renew
 * after 2 s; every other case runs with the defaults (15 s, 10 s, 2 s), as
 * the chart does: the first reconcile loads (and tsx compiles) modules
 * synchronously, which on 2 busy cores can hold the event loop past a short
 * renew deadline.
 */
const FAST_ELECTION = ['--leader-elect-lease-duration=3s', '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=200ms'];

/** Seconds the last operator took to start, to show its failure, and to stop (for the table). */
let lastTiming = '';

async function withOperator<T>(label: string, opts: { neverReady?: boolean; lease?: boolean; args?: readonly string[] }, body: (op: OperatorProcess) => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);
  const op = await startOperator({
    kubeconfig,
    waitUntilReady: opts.neverReady !== true,
    args: [
      // As the chart runs it; the Lease named per case, so no case waits for another's.
      '--leader-elect',
      `--leader-election-namespace=${OPERATOR_NAMESPACE}`,
      `--leader-election-id=rbac-${label}`,
      ...(opts.lease === true ? [...FAST_ELECTION, '--log-level=debug'] : []),
      '--backoff-base=200ms',
      '--backoff-max=1s',
      ...(opts.args ?? [`--label-selector=rbac-case=${label}`]),
    ],
  });
  const started = seconds(t0);
  const t1 = performance.now();
  let shown = '';
  try {
    const value = await body(op);
    shown = seconds(t1);
    return value;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- operator output (end) ---\n${op.output().slice(-4000)}`, { cause: e });
  } finally {
    const t2 = performance.now();
    await op.stop();
    lastTiming = `[start ${started} s, shown ${shown} s, stop ${seconds(t2)} s]`;
  }
}

function labelOf(g: Grant): string {
  return keyOf(g).replace(/[^a-z]+/g, '-');
}

const observed: string[] = [];

before(async () => {
  cp = await startControlPlane();
  kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
  kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
  kubectl(['create', 'namespace', NS]);
  kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
  kubeconfig = cp.kubeconfigFor(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT);
});

after(async () => {
  if (observed.length > 0) process.stdout.write(`\nRBAC verb table (rule, verb, failure observed):\n${observed.join('\n')}\n\n`);
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('each verb the chart grants the operator is needed', () => {
  const grants = grantsOf(ROLES);

  it('the synthesized roles are the ClusterRole and the leader-election Role, and every grant has a case (and every case a grant)', () => {
    assert.deepEqual(ROLES.map((r) => `${r.kind} ${r.metadata.name}`).sort(), ['ClusterRole atlas-k8s-migrator', 'Role atlas-k8s-migrator-leader-election']);
    assert.deepEqual(grants.map(keyOf).sort(), Object.keys(SCENARIOS).sort());
  });

  it('baseline: with the roles as synthesized, every scenario succeeds and nothing is Forbidden', async () => {
    const label = 'baseline';
    await withOperator(label, {}, async (op) => {
      for (const scenario of new Set(Object.values(SCENARIOS))) await scenario.granted({ op, label });
      assert.deepEqual(op.logs().filter((l) => mentions(l, 'forbidden')).map((l) => l.msg), []);
    });
  });

  for (const g of grants) {
    const role = ROLES[g.role] as RoleDoc;
    const rule = role.rules[g.rule] as Rule;
    const scenario = SCENARIOS[keyOf(g)];
    it(`without ${g.verb} on ${g.resource} (${role.kind} ${role.metadata.name}, rule ${g.rule}) the operator fails`, async () => {
      assert.ok(scenario !== undefined, `no case for ${keyOf(g)}`);
      apply(without(ROLES, g));
      await expectCanI(canIArgs(role, rule, g.resource, g.verb, NS), false);
      const label = labelOf(g);
      const seen = await withOperator(label, scenario, (op) => scenario.denied({ op, label }, g.verb, g.resource));
      observed.push(`  ${role.kind}/${role.metadata.name} [${rule.apiGroups.map((x) => (x === '' ? '""' : x)).join(',')}] ${g.resource} ${g.verb}: ${seen} ${lastTiming}`);
    });
  }
});

// ---- namespace mode --------------------------------------------------------------------------------

const WATCHED = ['rbac-a', 'rbac-b'];
const OTHER = 'rbac-other';

/** The chart as `WATCH_NAMESPACES=rbac-a,rbac-b npx cdk8s synth` writes it. */
function namespacedChart(): Doc[] {
  const outdir = mkdtempSync(join(tmpdir(), 'synth-'));
  try {
    buildApp({ outdir, image: `atlas-k8s-migrator:${PROGRAM_VERSION}`, watchNamespaces: WATCHED }).synth();
    return readdirSync(outdir)
      .filter((f) => f.startsWith('operator'))
      .flatMap((f) => parseDocs(readFileSync(join(outdir, f), 'utf8')));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('namespace mode: per-namespace Roles and --namespace', () => {
  it('reconciles in its namespaces; a resource elsewhere is untouched, and its Secrets are Forbidden to the operator', async () => {
    const chart = namespacedChart();
    const roles = operatorRoles(chart);
    const clusterRole = ROLES.find((r) => r.kind === 'ClusterRole') as RoleDoc;
    // The same rules per namespace: the per-verb proof above holds for them.
    for (const ns of WATCHED) assert.deepEqual(roles.find((r) => r.kind === 'Role' && r.metadata.namespace === ns)?.rules, clusterRole.rules, `Role in ${ns}`);
    assert.ok(!chart.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding'));

    // Replace the cluster-wide install by the namespaced one.
    kubectl(['delete', 'clusterrolebinding,clusterrole', 'atlas-k8s-migrator']);
    for (const ns of [...WATCHED, OTHER]) kubectl(['create', 'namespace', ns]);
    apply(chart);
    for (const ns of WATCHED) await expectCanI(['auth', 'can-i', 'get', 'secrets', '-n', ns, '--as', SA], true);
    for (const verb of ['get', 'list', 'watch']) await expectCanI(['auth', 'can-i', verb, 'secrets', '-n', OTHER, '--as', SA], false);
    await expectCanI(['auth', 'can-i', 'list', 'secrets', '--all-namespaces', '--as', SA], false);
    await expectCanI(['auth', 'can-i', 'get', 'atlasmigrations.db.atlasgo.io', '-n', OTHER, '--as', SA], false);

    for (const ns of [OTHER, ...WATCHED]) createMigration(ns, 'app', 'namespaced', { source: 'secret' });
    // The operator's own token: the Secret next to the unwatched resource is Forbidden.
    const read = cp.tryKubectl(['get', 'secret', 'app-db', '-n', OTHER], { kubeconfig });
    assert.notEqual(read.status, 0);
    assert.match(read.stderr, /forbidden.*cannot get resource "secrets" in API group "" in the namespace "rbac-other"/);
    assert.equal(cp.tryKubectl(['get', 'secret', 'app-db', '-n', 'rbac-a'], { kubeconfig }).status, 0);

    await withOperator('namespaced', { args: [`--namespace=${WATCHED.join(',')}`] }, async (op) => {
      for (const ns of WATCHED) await waitForMigration(cp, ns, 'app', isReady);
      assert.deepEqual(op.logs().find((l) => l.msg === 'watches synced')?.namespaces, WATCHED);
      // Reconciled in the watched namespaces (status, events, both databases) and nothing Forbidden on the way.
      for (const ns of WATCHED) assert.ok(eventsOf(ns, 'app').some((e) => e.reason === 'Applied'));
      assert.deepEqual(op.logs().filter((l) => mentions(l, 'forbidden')).map((l) => l.msg), []);
      // Elsewhere: never listed, so never reconciled: no status, no event, no database file, no log line naming it.
      assert.ok(noStatus(getMigration(cp, OTHER, 'app')));
      assert.deepEqual(eventsOf(OTHER, 'app'), []);
      assert.ok(!existsSync(join(work, `${OTHER}-app.db`)), 'the unwatched resource\'s database was never opened');
      assert.ok(!op.output().includes(OTHER));
    });
    observed.push(`  namespaced (Roles in ${WATCHED.join(', ')}, --namespace=${WATCHED.join(',')}): both Ready; ${OTHER}/app untouched; the operator's token: get secret -n ${OTHER} Forbidden`);
  });

  it('told to watch a namespace its Roles do not cover, the operator gets Forbidden on its list and stays unready', async () => {
    const namespaces = [...WATCHED, OTHER].join(',');
    await withOperator('misconfigured', { neverReady: true, args: [`--namespace=${namespaces}`] }, async (op) => {
      const line = await logged(op, watchFailed, `in the namespace "${OTHER}"`);
      assert.ok(mentions(line, 'cannot list resource'));
      const ready = await op.get('/readyz');
      assert.equal(ready.status, 503);
      // Never listed there, so never reconciled there.
      assert.ok(noStatus(getMigration(cp, OTHER, 'app')));
      observed.push(`  namespaced, --namespace=${namespaces}: list in ${OTHER} 403 ("${line.msg}"), /readyz 503, ${OTHER}/app untouched`);
    });
  });
});
