/**
 * A real node for the test control plane: containerd (Debian's, with a
 * private root, state and socket), a bridge CNI network, kubelet,
 * kube-scheduler, kube-controller-manager, kube-proxy, CoreDNS as a pod, and a
 * local OCI registry that serves docker.io images (so `mysql:latest`, always
 * pulled, comes from it). Runs as root, one per machine; stop() - and the exit
 * of the process, Ctrl-C or a failed start - removes every process, mount,
 * link, iptables rule, cgroup, path and sysctl change it made.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../databases/free-port';
import { startProcess, waitUntilReady, type ServerProcess } from '../../databases/server-process';
import { corednsImage, pauseImage, COREDNS_IMAGE, PAUSE_IMAGE } from '../../images/cluster-images';
import type { WrittenImage } from '../../images/oci-image';
import { certificateKubeconfig, issue } from '../certificates';
import { buildScriptOutput, KUBERNETES_SERVICE_IP, SERVICE_CIDR, startControlPlane, type ControlPlane } from '../launcher';
import { clusterDnsManifests } from './cluster-dns';
import { setSysctl, snapshotHost } from './host-state';
import { bridgeNetfilter, bridgeUp, cleanUpNode, cleanUpStaleNode, modulesToLoad, prepareNodeHost } from './node-host';
import { takeNodeLock } from './node-lock';
import {
  BRIDGE, cniConfig, containerdConfig, kubeletConfig, kubeProxyConfig, NODE_IP, NODE_NAME, POD_CIDR,
} from './node-config';

export interface NodeCluster {
  readonly cp: ControlPlane;
  readonly nodeName: string;
  /** host:port of the registry containerd pulls docker.io images from. */
  readonly registry: string;
  /** Pushes an image (its OCI layout) to the registry under its own name. */
  push(image: WrittenImage): void;
  /** Seconds from the first process start to a Ready node with cluster DNS. */
  readonly startSeconds: number;
  stop(): Promise<void>;
}

/** Builds (or finds, when cached) the node's binaries; returns their folder. */
export function nodeBinaries(): string {
  return buildScriptOutput(join(__dirname, '..', 'build-node.sh'));
}

async function httpOk(url: string): Promise<void> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
}

/** Writes client certificates and a kubeconfig for one node component (its user and groups are in the subject). */
function componentKubeconfig(cp: ControlPlane, name: string, subject: string): string {
  issue(cp.pki, name, subject, 'extendedKeyUsage=clientAuth\n');
  return certificateKubeconfig(cp.pki, cp.server, name, name);
}

export async function startNodeCluster(): Promise<NodeCluster> {
  prepareNodeHost();
  const bin = nodeBinaries();
  const images = [pauseImage(bin), corednsImage(bin)];
  cleanUpStaleNode();

  const started = Date.now();
  const snapshot = snapshotHost();
  const base = mkdtempSync(join(tmpdir(), 'atlas-node-'));
  const footprint = { base, bridge: BRIDGE, loadedModules: modulesToLoad(), snapshot };
  takeNodeLock(footprint);
  let cleaned = false;
  const cleanOnce = (): string[] => {
    if (cleaned) return [];
    cleaned = true;
    return cleanUpNode(footprint);
  };
  // After server-process's own exit handler has killed our processes: undo the host changes.
  process.once('exit', cleanOnce);
  const processes: ServerProcess[] = [];
  const run = (name: string, command: string, args: readonly string[]): ServerProcess => {
    const p = startProcess(command, args, { dataDir: join(base, 'scratch', name), logLimit: 200_000 });
    processes.push(p);
    return p;
  };
  let cp: ControlPlane | undefined;
  try {
    setSysctl('net.ipv4.ip_forward', '1');
    bridgeNetfilter();
    bridgeUp();
    cp = await startControlPlane({ address: NODE_IP, serviceIp: KUBERNETES_SERVICE_IP, serviceCidr: SERVICE_CIDR });
    const controlPlane = cp;
    issue(cp.pki, 'kubelet-serving', `/CN=${NODE_NAME}`, `subjectAltName=IP:${NODE_IP},DNS:${NODE_NAME}\nextendedKeyUsage=serverAuth\n`);

    const registryPort = await freePort();
    const registry = `127.0.0.1:${registryPort}`;
    mkdirSync(join(base, 'registry'));
    const registryProcess = run('registry', join(bin, 'crane'), ['registry', 'serve', '--address', registry, '--disk', join(base, 'registry')]);
    await waitUntilReady(registryProcess, () => httpOk(`http://${registry}/v2/`), 'registry', 15_000);
    const push = (image: WrittenImage): void => {
      const ref = image.name.replace(/^docker\.io\//, `${registry}/`);
      const r = spawnSync(join(bin, 'crane'), ['push', image.layout, ref], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`crane push ${image.name} failed: ${r.stderr}`);
    };
    images.forEach(push);

    const c = {
      root: join(base, 'containerd', 'root'), state: join(base, 'containerd', 'state'), socket: join(base, 'containerd.sock'),
      cniConfDir: join(base, 'cni', 'net.d'), optDir: join(base, 'containerd', 'opt'), runcRoot: join(base, 'containerd', 'runc'),
    };
    mkdirSync(c.cniConfDir, { recursive: true });
    writeFileSync(join(c.cniConfDir, '10-atlas-e2e.conflist'), cniConfig(join(base, 'cni', 'ipam')));
    writeFileSync(join(base, 'containerd.toml'), containerdConfig(c, registry, PAUSE_IMAGE));
    const containerd = run('containerd', 'containerd', ['--config', join(base, 'containerd.toml'), '--log-level', 'warn']);
    await waitUntilReady(containerd, () => (spawnSync('ctr', ['--address', c.socket, 'version']).status === 0 ? Promise.resolve() : Promise.reject(new Error('containerd not answering'))), 'containerd', 30_000);

    const kubeletDir = join(base, 'kubelet');
    mkdirSync(kubeletDir, { recursive: true });
    writeFileSync(join(base, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    const [kubeletPort, kubeletHealthz] = [await freePort(), await freePort()];
    writeFileSync(join(base, 'kubelet.json'), kubeletConfig({
      caFile: join(cp.pki, 'ca.crt'), certFile: join(cp.pki, 'kubelet-serving.crt'), keyFile: join(cp.pki, 'kubelet-serving.key'),
      port: kubeletPort, healthzPort: kubeletHealthz, runtimeSocket: c.socket, resolvConf: join(base, 'resolv.conf'),
      volumePluginDir: join(base, 'volume-plugins'),
    }));
    const kubelet = run('kubelet', join(bin, 'kubelet'), [
      `--config=${join(base, 'kubelet.json')}`, `--kubeconfig=${componentKubeconfig(cp, 'kubelet', `/CN=system:node:${NODE_NAME}/O=system:nodes`)}`,
      `--root-dir=${kubeletDir}`, `--cert-dir=${join(base, 'kubelet-pki')}`, `--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`,
    ]);
    const scheduler = run('kube-scheduler', join(bin, 'kube-scheduler'), [
      `--kubeconfig=${componentKubeconfig(cp, 'kube-scheduler', '/CN=system:kube-scheduler')}`, '--leader-elect=false', '--secure-port=0',
    ]);
    const kcmKubeconfig = componentKubeconfig(cp, 'kube-controller-manager', '/CN=system:kube-controller-manager');
    const controllerManager = run('kube-controller-manager', join(bin, 'kube-controller-manager'), [
      `--kubeconfig=${kcmKubeconfig}`, `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--leader-elect=false', '--secure-port=0', '--use-service-account-credentials=true',
      `--service-account-private-key-file=${join(cp.pki, 'sa.key')}`, `--root-ca-file=${join(cp.pki, 'ca.crt')}`,
      `--cluster-cidr=${POD_CIDR}`, `--service-cluster-ip-range=${SERVICE_CIDR}`, '--allocate-node-cidrs=false',
    ]);
    const [proxyHealthz, proxyMetrics] = [await freePort(), await freePort()];
    writeFileSync(join(base, 'kube-proxy.json'), kubeProxyConfig(componentKubeconfig(cp, 'kube-proxy', '/CN=system:kube-proxy'), proxyHealthz, proxyMetrics));
    const proxy = run('kube-proxy', join(bin, 'kube-proxy'), [`--config=${join(base, 'kube-proxy.json')}`]);

    const nodeReady = (): Promise<void> => {
      const ready = controlPlane.tryKubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return ready.stdout === 'True' ? Promise.resolve() : Promise.reject(new Error(`node ${NODE_NAME} not Ready: ${ready.stdout || ready.stderr}`));
    };
    await waitUntilReady(kubelet, nodeReady, 'kubelet', 90_000);
    await waitUntilReady(proxy, () => httpOk(`http://127.0.0.1:${proxyHealthz}/healthz`), 'kube-proxy', 30_000);
    for (const [p, what] of [[scheduler, 'kube-scheduler'], [controllerManager, 'kube-controller-manager']] as const) {
      if (p.child.exitCode !== null) throw new Error(`${what} exited:\n${p.log()}`);
    }
    cp.kubectl(['apply', '-f', '-'], { input: clusterDnsManifests(COREDNS_IMAGE) });
    cp.kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s']);
    const startSeconds = (Date.now() - started) / 1000;

    return {
      cp,
      nodeName: NODE_NAME,
      registry,
      push,
      startSeconds,
      stop: async () => {
        await stopNode(controlPlane, processes, { kubelet, proxy, containerd, proxyBinary: join(bin, 'kube-proxy') });
        const problems = cleanOnce();
        process.removeListener('exit', cleanOnce);
        if (problems.length > 0) throw new Error(`the node could not undo: ${problems.join('; ')}`);
      },
    };
  } catch (e) {
    for (const p of processes.reverse()) await p.stop();
    await cp?.stop();
    cleanOnce();
    process.removeListener('exit', cleanOnce);
    throw e;
  }
}

/**
 * Pods first, through the kubelet, so their containers stop and CNI removes
 * their network (no new ones: the controllers stop before); then kube-proxy,
 * and `kube-proxy --cleanup` removes its chains; then the rest.
 */
async function stopNode(cp: ControlPlane, processes: readonly ServerProcess[], core: { kubelet: ServerProcess; proxy: ServerProcess; containerd: ServerProcess; proxyBinary: string }): Promise<void> {
  for (const p of processes.filter((p) => ![core.kubelet, core.containerd, core.proxy].includes(p))) await p.stop();
  cp.tryKubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--wait=false']);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && cp.tryKubectl(['get', 'pods', '-A', '-o', 'name']).stdout.trim() !== '') {
    await new Promise((r) => setTimeout(r, 250));
  }
  await core.proxy.stop();
  spawnSync(core.proxyBinary, ['--cleanup'], { stdio: 'ignore' });
  await core.kubelet.stop();
  await core.containerd.stop();
  await cp.stop();
}
