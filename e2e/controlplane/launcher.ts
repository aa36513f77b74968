/**
 * A real Kubernetes control plane on loopback for e2e tests and the demo:
 * etcd and kube-apiserver built by build.sh (from the Go module proxy,
 * cached under ~/.cache), fresh certificates, free ports, temporary data,
 * and a kubeconfig. Several can run at once. stop() (and the exit of the
 * test process) leaves nothing running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownsListeningPort, startOnFreePorts } from '../databases/free-port';
import { adminApi } from './api-client';
import { certificateKubeconfig, issue, makeCertificates, writeKubeconfig } from './certificates';
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
  /** As restartApiServer, but kube-apiserver is killed (SIGKILL) rather than shut down: a crash, and no wait for its graceful shutdown. */
  crashApiServer(downMs: number): Promise<void>;
  /** Folder of the CA, certificates and keys (for a node's components). */
  readonly pki: string;
  /** etcd's client URL (its v3 JSON gateway: compaction, defragmentation, the current revision). */
  readonly etcdUrl: string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Added to kube-apiserver's flags (e.g. `--watch-cache=false`, so watches are served by etcd itself). */
  readonly apiServerArgs?: readonly string[];
}

/** Where a control plane that serves a node listens: on the pod network's gateway, which pods can reach. */
export interface NodeFacing {
  /** An address of this host on the pod network (the node's bridge). */
  readonly address: string;
  /** The `kubernetes` Service's ClusterIP, which pods dial. */
  readonly serviceIp: string;
  readonly serviceCidr: string;
}

/** The Service range of every control plane here, and the `kubernetes` Service's address in it. */
export const SERVICE_CIDR = '10.0.0.0/24';
export const KUBERNETES_SERVICE_IP = '10.0.0.1';

const LOOPBACK: NodeFacing = { address: '127.0.0.1', serviceIp: KUBERNETES_SERVICE_IP, serviceCidr: SERVICE_CIDR };

const BUILD_SCRIPT = join(__dirname, 'build.sh');

/** Runs a build script that prints its binaries' folder on its last line (building only when not cached). */
export function buildScriptOutput(script: string): string {
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return out.trim().split('\n').at(-1) ?? '';
}

/** Builds (or finds, when cached) the binaries; returns their folder. */
export function controlPlaneBinaries(): string {
  return buildScriptOutput(BUILD_SCRIPT);
}

/** Without a node no controller-manager creates default ServiceAccounts, so their admission check is off. */
function loopbackOnlyFlags(): string[] {
  return ['--authorization-mode=RBAC', '--disable-admission-plugins=ServiceAccount'];
}

/**
 * A node's kubelet is authorized as a node and dialled with a client certificate, by its address;
 * the `kubernetes` Service points pods at the address the apiserver listens on (loopback may not be advertised).
 */
function nodeFlags(dir: string, address: string): string[] {
  issue(dir, 'apiserver-kubelet-client', '/CN=kube-apiserver-kubelet-client/O=system:masters', 'extendedKeyUsage=clientAuth\n');
  return ['--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', `--advertise-address=${address}`,
    `--kubelet-client-certificate=${join(dir, 'apiserver-kubelet-client.crt')}`, `--kubelet-client-key=${join(dir, 'apiserver-kubelet-client.key')}`,
    `--kubelet-certificate-authority=${join(dir, 'ca.crt')}`, '--kubelet-preferred-address-types=InternalIP'];
}

async function probeReady(dir: string, host: string, port: number): Promise<void> {
  const r = await adminApi(`https://${host}:${port}`, dir, 2000).call('GET', '/readyz');
  if (r.status !== 200) throw new Error(`readyz: ${r.status}`);
}

/** etcd on two free ports (client, peer); started again on new ones if a port was taken before etcd bound it. */
function startEtcd(bin: string, dir: string): Promise<{ proc: ServerProcess; url: string }> {
  return startOnFreePorts(2, async ([client, peer]) => {
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const proc = startProcess(
      join(bin, 'etcd'),
      ['--name=e2e', `--data-dir=${join(dir, 'etcd-data')}`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=e2e=${peerUrl}`,
        '--unsafe-no-fsync=true', '--log-level=warn'],
      { dataDir: join(dir, 'etcd-data') },
    );
    try {
      await waitUntilReady(proc, async () => {
        // Another test's etcd that took the port would answer /health too: the listener must be ours.
        if (!ownsListeningPort(proc.child.pid, client as number)) throw new Error(`port ${client} is not (yet) etcd's`);
        const r = await fetch(`${url}/health`);
        if (!r.ok) throw new Error(`etcd health ${r.status}`);
      }, 'etcd', 30_000);
    } catch (e) {
      await proc.stop(); // its data directory is per attempt
      throw e;
    }
    return { proc, url };
  });
}

export async function startControlPlane(nodeFacing?: NodeFacing, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = controlPlaneBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'controlplane-'));
  const net = nodeFacing ?? LOOPBACK;
  const inClusterNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  makeCertificates(dir, nodeFacing === undefined ? [] : [`IP:${net.address}`, `IP:${net.serviceIp}`, ...inClusterNames.map((n) => `DNS:${n}`)]);
  const etcd = await startEtcd(bin, dir);
  const extraFlags = [...(nodeFacing === undefined ? loopbackOnlyFlags() : nodeFlags(dir, net.address)), ...(options.apiServerArgs ?? [])];
  let started: { apiserver: ServerProcess; port: number };
  try {
    // Started again on a new port if the port was taken before kube-apiserver bound it (its probe's TLS already tells our server from another).
    started = await startOnFreePorts(1, async ([port]) => {
      const apiserver = startProcess(
        join(bin, 'kube-apiserver'),
        [`--etcd-servers=${etcd.url}`, `--bind-address=${net.address}`, `--secure-port=${port}`, `--cert-dir=${dir}`,
          `--tls-cert-file=${join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
          `--client-ca-file=${join(dir, 'ca.crt')}`, `--service-account-issuer=https://${net.address}:${port}/`,
          `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          `--service-cluster-ip-range=${net.serviceCidr}`, '--allow-privileged=true', ...extraFlags],
        { dataDir: dir },
      );
      try {
        await waitUntilReady(apiserver, () => probeReady(dir, net.address, port as number), 'kube-apiserver', 60_000);
      } catch (e) {
        await apiserver.halt(); // keeps `dir` (certificates) for the next attempt
        throw e;
      }
      return { apiserver, port: port as number };
    });
  } catch (e) {
    await etcd.proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const { apiserver, port } = started;
  const server = `https://${net.address}:${port}`;
  const adminKubeconfig = certificateKubeconfig(dir, server, 'admin', 'admin');
  const run = (args: readonly string[], options: KubectlOptions = {}) =>
    spawnSync(join(bin, 'kubectl'), ['--kubeconfig', options.kubeconfig ?? adminKubeconfig, ...args], { encoding: 'utf8', input: options.input, cwd: options.cwd });
  return {
    server,
    adminKubeconfig,
    pki: dir,
    etcdUrl: etcd.url,
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
      await waitUntilReady(apiserver, () => probeReady(dir, net.address, port), 'kube-apiserver', 60_000);
    },
    crashApiServer: async (downMs) => {
      const child = apiserver.child;
      if (child.exitCode === null && child.signalCode === null) {
        child.ref();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await apiserver.halt(); // the process is gone: only forgets it
      await new Promise((r) => setTimeout(r, downMs));
      apiserver.restart();
      await waitUntilReady(apiserver, () => probeReady(dir, net.address, port), 'kube-apiserver', 60_000);
    },
    stop: async () => {
      await apiserver.stop(); // also removes `dir`
      await etcd.proc.stop();
    },
  };
}
