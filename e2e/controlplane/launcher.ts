/**
 * A real Kubernetes control plane on loopback for e2e tests and the demo:
 * etcd and kube-apiserver built by build.sh (from the Go module proxy,
 * cached under ~/.cache), fresh certificates, free ports, temporary data,
 * and a kubeconfig. Several can run at once. stop() (and the exit of the
 * test process) leaves nothing running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../databases/free-port';
import { startProcess, waitUntilReady, type ServerProcess } from '../databases/server-process';

export interface KubectlOptions {
  readonly kubeconfig?: string;
  readonly input?: string;
  readonly cwd?: string;
}

export interface ControlPlane {
  readonly server: string;
  /** kubeconfig of an admin (group system:masters). */
  readonly adminKubeconfig: string;
  /** kubeconfig with a token of ServiceAccount `<namespace>/<name>` (which must exist): only what RBAC grants it. */
  kubeconfigFor(namespace: string, serviceAccount: string): string;
  /** Runs the matching kubectl; returns stdout, throws with stderr on failure. */
  kubectl(args: readonly string[], options?: KubectlOptions): string;
  /** Like kubectl() but returns the exit status and output instead of throwing. */
  tryKubectl(args: readonly string[], options?: KubectlOptions): { status: number; stdout: string; stderr: string };
  /** Stops kube-apiserver, keeps it down for `downMs`, starts it again (same port, same etcd) and waits until it is ready. */
  restartApiServer(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const BUILD_SCRIPT = join(__dirname, 'build.sh');

/** Builds (or finds, when cached) the binaries; returns their folder. */
export function controlPlaneBinaries(): string {
  const out = execFileSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return out.trim().split('\n').at(-1) ?? '';
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** One CA for serving and client certificates, a serving certificate for 127.0.0.1, and the service-account key pair. */
function makeCertificates(dir: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '7', '-subj', '/CN=atlas-e2e-ca', '-out', 'ca.crt']);
  issue(dir, 'apiserver', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'admin', '/CN=admin/O=system:masters', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** A certificate signed by the CA; for clients the subject's CN is the user name and each O a group. */
function issue(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions + 'keyUsage=critical,digitalSignature,keyEncipherment\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

/** Writes a kubeconfig for the cluster with one user, authenticated by `credentials` (kubeconfig user fields). */
function writeKubeconfig(dir: string, server: string, user: string, credentials: Record<string, string>): string {
  const path = join(dir, `kubeconfig-${user.replace(/[^A-Za-z0-9.-]/g, '_')}`);
  const userFields = Object.entries(credentials).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: ${server}
    certificate-authority-data: ${readFileSync(join(dir, 'ca.crt')).toString('base64')}
users:
- name: ${JSON.stringify(user)}
  user:
${userFields}
contexts:
- name: e2e
  context:
    cluster: e2e
    user: ${JSON.stringify(user)}
current-context: e2e
`,
  );
  return path;
}

/** A kubeconfig authenticating with one of our client certificates. */
function certificateKubeconfig(dir: string, server: string, user: string, certName: string): string {
  const b64 = (f: string): string => readFileSync(join(dir, f)).toString('base64');
  return writeKubeconfig(dir, server, user, { 'client-certificate-data': b64(`${certName}.crt`), 'client-key-data': b64(`${certName}.key`) });
}

function probeReady(dir: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/readyz',
        ca: readFileSync(join(dir, 'ca.crt')),
        cert: readFileSync(join(dir, 'admin.crt')),
        key: readFileSync(join(dir, 'admin.key')),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new Error(`readyz: ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('readyz timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function startEtcd(bin: string, dir: string): Promise<{ proc: ServerProcess; url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = startProcess(
    join(bin, 'etcd'),
    ['--name=e2e', `--data-dir=${join(dir, 'etcd-data')}`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=e2e=${peerUrl}`,
      '--unsafe-no-fsync=true', '--log-level=warn'],
    { dataDir: join(dir, 'etcd-data') },
  );
  await waitUntilReady(proc, async () => {
    const r = await fetch(`${url}/health`);
    if (!r.ok) throw new Error(`etcd health ${r.status}`);
  }, 'etcd', 30_000);
  return { proc, url };
}

export async function startControlPlane(): Promise<ControlPlane> {
  const bin = controlPlaneBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'controlplane-'));
  makeCertificates(dir);
  const etcd = await startEtcd(bin, dir);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiserver = startProcess(
    join(bin, 'kube-apiserver'),
    [`--etcd-servers=${etcd.url}`, '--bind-address=127.0.0.1', `--secure-port=${port}`, `--cert-dir=${dir}`,
      `--tls-cert-file=${join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`, `--service-account-issuer=${server}/`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true', '--authorization-mode=RBAC',
      // No controller-manager runs to create default ServiceAccounts.
      '--disable-admission-plugins=ServiceAccount'],
    { dataDir: dir },
  );
  try {
    await waitUntilReady(apiserver, () => probeReady(dir, port), 'kube-apiserver', 60_000);
  } catch (e) {
    await apiserver.stop();
    await etcd.proc.stop();
    throw e;
  }
  const adminKubeconfig = certificateKubeconfig(dir, server, 'admin', 'admin');
  const run = (args: readonly string[], options: KubectlOptions = {}) =>
    spawnSync(join(bin, 'kubectl'), ['--kubeconfig', options.kubeconfig ?? adminKubeconfig, ...args], { encoding: 'utf8', input: options.input, cwd: options.cwd });
  return {
    server,
    adminKubeconfig,
    kubeconfigFor: (namespace, serviceAccount) => {
      // A real ServiceAccount token from the TokenRequest API (a client certificate cannot carry so long a name).
      const r = run(['create', 'token', serviceAccount, '-n', namespace, '--duration=1h']);
      if (r.status !== 0) throw new Error(`kubectl create token failed: ${r.stderr}`);
      return writeKubeconfig(dir, server, `system:serviceaccount:${namespace}:${serviceAccount}`, { token: r.stdout.trim() });
    },
    kubectl: (args, options) => {
      const r = run(args, options);
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    tryKubectl: (args, options) => {
      const r = run(args, options);
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    restartApiServer: async (downMs) => {
      await apiserver.halt();
      await new Promise((r) => setTimeout(r, downMs));
      apiserver.restart();
      await waitUntilReady(apiserver, () => probeReady(dir, port), 'kube-apiserver', 60_000);
    },
    stop: async () => {
      await apiserver.stop(); // also removes `dir`
      await etcd.proc.stop();
    },
  };
}
