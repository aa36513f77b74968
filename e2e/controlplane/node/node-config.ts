/** Configuration files of the node's components: containerd, the CNI network, kubelet and kube-proxy. */

export const NODE_NAME = 'atlas-node';
export const BRIDGE = 'atlasbr0';
export const POD_CIDR = '10.244.0.0/24';
/** The bridge's address: the pods' gateway, the node's InternalIP, and where kube-apiserver listens. */
export const NODE_IP = '10.244.0.1';
export const DNS_SERVICE_IP = '10.0.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

export interface ContainerdPaths {
  readonly root: string;
  readonly state: string;
  readonly socket: string;
  readonly cniConfDir: string;
  readonly optDir: string;
  readonly runcRoot: string;
}

/**
 * containerd 1.6 with a private root, state, socket and CNI folder. Images
 * from docker.io come from the local registry (`mysql:latest` is always
 * pulled, so it must be served). root here lacks CAP_SYS_RESOURCE, so runc may
 * not lower a sandbox's oom_score_adj: restrict_oom_score_adj keeps it at ours.
 */
export function containerdConfig(p: ContainerdPaths, registry: string, sandboxImage: string): string {
  return `version = 2
root = ${JSON.stringify(p.root)}
state = ${JSON.stringify(p.state)}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${JSON.stringify(p.socket)}

[ttrpc]
  address = ${JSON.stringify(`${p.socket}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(p.optDir)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(sandboxImage)}
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = ${JSON.stringify(p.runcRoot)}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${JSON.stringify(p.cniConfDir)}
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = [${JSON.stringify(`http://${registry}`)}]
`;
}

/** A bridge network with NAT to the outside and hairpin (a pod may reach itself through a Service). */
export function cniConfig(ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'atlas-e2e',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export interface KubeletSettings {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly port: number;
  readonly healthzPort: number;
  readonly runtimeSocket: string;
  readonly resolvConf: string;
  readonly volumePluginDir: string;
}

/**
 * The kubelet: client certificates both ways and no anonymous access; cgroup
 * v1 allowed (this kernel has no v2); eviction thresholds low enough that a
 * busy shared disk does not evict the test pods; crashed containers
 * restarted within 2 s.
 */
export function kubeletConfig(s: KubeletSettings): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: NODE_IP,
      port: s.port,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: s.healthzPort,
      tlsCertFile: s.certFile,
      tlsPrivateKeyFile: s.keyFile,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: s.caFile } },
      authorization: { mode: 'Webhook' },
      cgroupDriver: 'cgroupfs',
      failCgroupV1: false,
      failSwapOn: false,
      containerRuntimeEndpoint: `unix://${s.runtimeSocket}`,
      clusterDNS: [DNS_SERVICE_IP],
      clusterDomain: CLUSTER_DOMAIN,
      resolvConf: s.resolvConf,
      podCIDR: POD_CIDR,
      volumePluginDir: s.volumePluginDir,
      serializeImagePulls: false,
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      nodeStatusReportFrequency: '10s',
      syncFrequency: '5s',
      fileCheckFrequency: '5s',
      // Tests kill containers on purpose (leader takeover): restarted within 2 s, not after a backoff
      // that doubles from 10 s (KubeletCrashLoopBackOffMax, beta and on since 1.35).
      crashLoopBackOff: { maxContainerRestartPeriod: '2s' },
      logging: { verbosity: 1 },
    },
    null,
    2,
  );
}

/** kube-proxy in iptables mode, leaving conntrack sysctls and localhost NodePorts alone. */
export function kubeProxyConfig(kubeconfig: string, healthzPort: number, metricsPort: number): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      clusterCIDR: POD_CIDR,
      hostnameOverride: NODE_NAME,
      bindAddress: NODE_IP,
      healthzBindAddress: `127.0.0.1:${healthzPort}`,
      metricsBindAddress: `127.0.0.1:${metricsPort}`,
      iptables: { localhostNodePorts: false, syncPeriod: '30s', minSyncPeriod: '0s' },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    },
    null,
    2,
  );
}
