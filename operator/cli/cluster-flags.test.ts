/**
 * The flags of `approve` and `wait`, kubectl's namespace and context
 * defaults, and the program name as the kubectl plugin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { approveConfig, approveHelp } from './approve';
import { UsageError } from './io';
import { chooseNamespace, openKube } from './kube-access';
import { invokedAs } from './program-name';
import { waitConfig, waitHelp } from './wait';

const dir = mkdtempSync(join(tmpdir(), 'cluster-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: s3cret-token}
contexts:
- name: plain
  context: {cluster: c, user: u}
- name: team
  context: {cluster: c, user: u, namespace: team-a}
current-context: plain
`;

describe('approve flags', () => {
  it('takes NAME, --plan and kubectl flags', () => {
    assert.deepEqual(approveConfig(['myapp', '-n', 'apps', '--plan', 'ab', '--kubeconfig', 'k', '--context', 'c']), { name: 'myapp', namespace: 'apps', plan: 'ab', kubeconfig: 'k', context: 'c' });
    assert.deepEqual(approveConfig(['--namespace=apps', 'myapp']), { name: 'myapp', namespace: 'apps' });
  });
  it('refuses a missing name, two names and unknown flags', () => {
    assert.throws(() => approveConfig([]), /approve: the AtlasMigration's name is required/);
    assert.throws(() => approveConfig(['a', 'b']), /unexpected argument "b"/);
    assert.throws(() => approveConfig(['a', '--force']), UsageError);
  });
});

describe('wait flags', () => {
  it('defaults to a 5m timeout and no version', () => {
    assert.deepEqual(waitConfig(['myapp']), { name: 'myapp', namespace: undefined, kubeconfig: undefined, context: undefined, forVersion: undefined, timeoutMs: 300_000 });
  });
  it('takes --for-version and a Go duration for --timeout', () => {
    const c = waitConfig(['myapp', '--for-version', '20230316085611', '--timeout', '1m30s', '-n', 'apps']);
    assert.deepEqual([c.forVersion, c.timeoutMs, c.namespace], ['20230316085611', 90_000, 'apps']);
  });
  it('refuses a bad or zero timeout, an empty version and a missing name', () => {
    assert.throws(() => waitConfig(['myapp', '--timeout', '10']), /--timeout "10": not a duration/);
    assert.throws(() => waitConfig(['myapp', '--timeout', '0s']), /--timeout must be greater than 0/);
    assert.throws(() => waitConfig(['myapp', '--for-version', '']), /--for-version must not be empty/);
    assert.throws(() => waitConfig(['--timeout', '1m']), /wait: the AtlasMigration's name is required/);
  });
});

describe('kubectl defaults', () => {
  it('chooses the flag, else the context namespace, else default', () => {
    assert.equal(chooseNamespace('apps', 'team-a'), 'apps');
    assert.equal(chooseNamespace(undefined, 'team-a\n'), 'team-a');
    assert.equal(chooseNamespace(undefined, undefined), 'default');
    assert.equal(chooseNamespace('', ' '), 'default');
  });

  it('reads the namespace of the current or chosen context', () => {
    const file = join(dir, 'config');
    writeFileSync(file, KUBECONFIG);
    const plain = openKube({ kubeconfig: file });
    const team = openKube({ kubeconfig: file, context: 'team' });
    const flagged = openKube({ kubeconfig: file, context: 'team', namespace: 'apps' });
    for (const k of [plain, team, flagged]) k.close();
    assert.deepEqual([plain.namespace, team.namespace, flagged.namespace], ['default', 'team-a', 'apps']);
    assert.equal(team.server, 'https://127.0.0.1:6443');
  });

  it('refuses an unknown context and an unreadable kubeconfig, without quoting its content', () => {
    const file = join(dir, 'config2');
    writeFileSync(file, KUBECONFIG);
    assert.throws(() => openKube({ kubeconfig: file, context: 'nope' }), /--context "nope": no such context/);
    assert.throws(() => openKube({ kubeconfig: join(dir, 'missing') }), /cannot load the kubeconfig .*missing/);
    const broken = join(dir, 'broken');
    writeFileSync(broken, 'users:\n- name: u\n  user: {token: s3cret-token\n');
    assert.throws(
      () => openKube({ kubeconfig: broken }),
      (e: Error) => e instanceof UsageError && /invalid YAML/.test(e.message) && !e.message.includes('s3cret'),
    );
  });
});

describe('program name', () => {
  it('is `kubectl atlas` when started as the kubectl-atlas plugin file', () => {
    assert.equal(invokedAs('/usr/local/bin/kubectl-atlas'), 'kubectl atlas');
    assert.equal(invokedAs('/app/node_modules/.bin/kubectl-atlas.js'), 'kubectl atlas');
    assert.equal(invokedAs('/app/dist/operator/cli/main.js'), 'atlas-k8s-migrator');
    assert.equal(invokedAs(undefined), 'atlas-k8s-migrator');
  });
  it('names the command people type in the help texts', () => {
    assert.match(waitHelp('kubectl atlas'), /^Usage: kubectl atlas wait NAME/);
    assert.match(approveHelp('kubectl atlas'), /^Usage: kubectl atlas approve NAME/);
  });
});

describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  it('documents every flag of approve and wait in a table', () => {
    const flags = [...(approveHelp('p') + waitHelp('p')).matchAll(/--([a-z-]+)/g)].map((m) => m[1] ?? '');
    assert.ok(flags.length >= 6);
    for (const flag of new Set(flags)) assert.match(readme, new RegExp(`^\\| \`(-[a-z], )?--${flag}( [A-Z]+)?\` \\|`, 'm'), flag);
  });
  it('lists the exit codes of wait', () => {
    for (const code of [3, 4, 5]) assert.match(readme, new RegExp(`^\\| ${code} \\| \`wait\`: `, 'm'));
  });
});
