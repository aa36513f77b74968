/**
 * What a node changes on the host, and how it is undone: the kubelet sets
 * kernel sysctls, creates fixed paths and `kubepods` cgroups, kube-proxy and
 * the CNI plugins add KUBE-* and CNI-* iptables chains, containerd mounts pod
 * network namespaces and overlay filesystems, and the bridge and its veths
 * appear. snapshotHost() records the host before; restoreHost() removes only
 * what belongs to the node (its folder, its bridge, its chains, its cgroups)
 * and puts back the sysctls it changed, so what other software did meanwhile
 * is left alone. The snapshot is kept with the node lock, for a node whose
 * process was killed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface HostSnapshot {
  /** Values of the sysctls a node may change (only those that exist here). */
  readonly sysctls: Record<string, string>;
  /** iptables-save / ip6tables-save output. */
  readonly iptables: string;
  readonly ip6tables: string;
  /** `nft list tables` lines: iptables-nft leaves tables behind that iptables itself cannot drop. */
  readonly nftTables: string[];
  readonly links: string[];
  readonly mounts: string[];
  /** Top-level cgroup folders (of every v1 hierarchy, or the v2 root). */
  readonly cgroups: string[];
  /** Which of the node's fixed host paths already existed. */
  readonly paths: string[];
}

/**
 * Sysctls the kubelet (kernel.panic, kernel.panic_on_oops, vm.overcommit_memory,
 * kernel.keys.*), kube-proxy (route_localnet, conntrack limits), the bridge
 * plugin and this launcher (forwarding, bridge netfilter) may write.
 */
const SYSCTLS = [
  'kernel.panic', 'kernel.panic_on_oops', 'vm.overcommit_memory', 'vm.panic_on_oom', 'kernel.keys.root_maxkeys', 'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.default.forwarding', 'net.ipv4.conf.all.route_localnet',
  'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding',
  'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.bridge.bridge-nf-call-arptables',
  'net.netfilter.nf_conntrack_max', 'net.nf_conntrack_max', 'net.netfilter.nf_conntrack_tcp_timeout_established', 'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
  'net.netfilter.nf_conntrack_tcp_be_liberal',
];

/** Host paths the kubelet, containerd and CNI use whatever they are told (removed if the node created them). */
export const FIXED_PATHS = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/var/run/netns', '/run/netns', '/var/lib/cni', '/usr/libexec/kubernetes', '/etc/kubernetes', '/var/lib/kube-proxy', '/run/containerd'];

/** What identifies the node's own leftovers. */
export interface NodeFootprint {
  /** The node's private folder (containerd's root and state, the kubelet's root). */
  readonly base: string;
  readonly bridge: string;
  /** Kernel modules the node loaded (unloaded at the end). */
  readonly loadedModules: readonly string[];
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const NODE_CGROUP = /^kubepods/;
const NODE_CHAIN = /^(KUBE|CNI)-/;

function sysctlPath(key: string): string {
  return join('/proc/sys', ...key.split('.'));
}

function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of SYSCTLS) {
    try {
      values[key] = readFileSync(sysctlPath(key), 'utf8').trim();
    } catch {
      // not on this kernel, or its module is not loaded
    }
  }
  return values;
}

function save(command: string): string {
  const r = spawnSync(command, [], { encoding: 'utf8' });
  return r.status === 0 ? stripVolatile(r.stdout) : '';
}

/** iptables-save output without its timestamps and packet counters, so two dumps compare. */
export function stripVolatile(dump: string): string {
  return dump
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]'))
    .join('\n');
}

/**
 * The dump without the node's chains and the rules that use them: kube-proxy's
 * KUBE-* and the CNI plugins' CNI-* (masquerade, portmap). Other rules stay.
 */
export function withoutNodeChains(dump: string): string {
  return dump
    .split('\n')
    .filter((l) => {
      const chain = /^:(\S+)/.exec(l)?.[1] ?? /^-A (\S+)/.exec(l)?.[1];
      if (chain !== undefined && NODE_CHAIN.test(chain)) return false;
      return !/ -[jg] (KUBE|CNI)-/.test(l);
    })
    .join('\n');
}

function nftTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('table ')).sort() : [];
}

function links(): string[] {
  return linkNames(['-o', 'link', 'show']);
}

function linkNames(args: readonly string[]): string[] {
  return execFileSync('ip', args, { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && m !== '')
    .map((m) => m.replace(/\\040/g, ' '));
}

/** Top-level cgroup folders: under each v1 hierarchy, or the v2 root. */
function cgroupParents(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT];
  return readdirSync(CGROUP_ROOT)
    .map((h) => join(CGROUP_ROOT, h))
    .filter((h) => existsSync(join(h, 'cgroup.procs')));
}

function topCgroups(): string[] {
  return cgroupParents().flatMap((parent) =>
    readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(parent, d.name)),
  );
}

export function snapshotHost(): HostSnapshot {
  return {
    sysctls: readSysctls(),
    iptables: save('iptables-save'),
    ip6tables: save('ip6tables-save'),
    nftTables: nftTables(),
    links: links(),
    mounts: mountPoints(),
    cgroups: topCgroups(),
    paths: FIXED_PATHS.filter((p) => existsSync(p)),
  };
}

export function setSysctl(key: string, value: string): void {
  writeFileSync(sysctlPath(key), value);
}

/** The kubelet's cgroups (`kubepods…` in every hierarchy) that were not there before. */
function nodeCgroups(before: readonly string[]): string[] {
  const known = new Set(before);
  return topCgroups().filter((c) => NODE_CGROUP.test(basename(c)) && !known.has(c));
}

/** A cgroup folder and its descendants, deepest first. */
function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...children.flatMap((c) => cgroupTree(join(dir, c.name))), dir];
}

function readProcs(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return []; // removed meanwhile
  }
}

function killQuietly(pid: string): void {
  try {
    process.kill(Number(pid), 'SIGKILL');
  } catch {
    // already gone
  }
}

/** rmdir, retried: a cgroup is removable only once its last process has been reaped. */
function removeCgroup(dir: string): boolean {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      execFileSync('sleep', ['0.1']);
    }
  }
  return false;
}

/** The node's mounts: under its folder, the kubelet's root, and containerd's pod network namespaces. */
function isNodeMount(mount: string, base: string): boolean {
  return mount.startsWith(`${base}/`) || mount === base || mount.startsWith('/var/lib/kubelet/') || /^\/(var\/)?run\/netns\/cni-/.test(mount);
}

function removeNodeChains(command: 'iptables' | 'ip6tables', tablesBefore: readonly string[]): void {
  if (spawnSync(`${command}-save`, []).status !== 0) return;
  const dump = execFileSync(`${command}-save`, [], { encoding: 'utf8' });
  const kept = withoutNodeChains(dump);
  if (kept !== dump) execFileSync(`${command}-restore`, ['-w'], { input: kept });
  // iptables-nft leaves a table behind once used; drop those the node brought that now hold nothing.
  const family = command === 'iptables' ? 'ip' : 'ip6';
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    if (tablesBefore.includes(`table ${family} ${table}`) || !nftTables().includes(`table ${family} ${table}`)) continue;
    const rules = execFileSync(`${command}-save`, ['-t', table], { encoding: 'utf8' });
    if (!/^-A /m.test(rules)) spawnSync('nft', ['delete', 'table', family, table]);
  }
}

/** Runs each undo step even when an earlier one failed; returns what failed. */
function steps(list: ReadonlyArray<[string, () => string[] | void]>): string[] {
  const problems: string[] = [];
  for (const [what, step] of list) {
    try {
      problems.push(...(step() ?? []));
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/**
 * Removes what the node left and puts back the sysctls it changed. Run after
 * the node's processes were asked to stop; `killDaemons` kills any still
 * running, then whatever runs in the node's cgroups is killed. Returns what
 * could not be undone (empty when all went well).
 */
export function restoreHost(snapshot: HostSnapshot, node: NodeFootprint, killDaemons: () => void): string[] {
  return steps([
    ['processes', () => {
      killDaemons();
      nodeCgroups(snapshot.cgroups).flatMap(cgroupTree).flatMap(readProcs).forEach(killQuietly);
    }],
    ['mounts', () =>
      mountPoints()
        .filter((m) => isNodeMount(m, node.base))
        .reverse()
        .filter((m) => spawnSync('umount', ['-l', m]).status !== 0 && mountPoints().includes(m))
        .map((m) => `mount ${m}`)],
    ['cgroups', () => nodeCgroups(snapshot.cgroups).flatMap(cgroupTree).filter((c) => !removeCgroup(c)).map((c) => `cgroup ${c}`)],
    ['links', () => {
      if (!links().includes(node.bridge)) return [];
      for (const veth of linkNames(['-o', 'link', 'show', 'master', node.bridge])) spawnSync('ip', ['link', 'delete', veth]);
      execFileSync('ip', ['link', 'delete', node.bridge]);
      return [];
    }],
    ['iptables', () => removeNodeChains('iptables', snapshot.nftTables)],
    ['ip6tables', () => removeNodeChains('ip6tables', snapshot.nftTables)],
    ['sysctls', () => {
      for (const [key, value] of Object.entries(snapshot.sysctls)) {
        if (existsSync(sysctlPath(key)) && readFileSync(sysctlPath(key), 'utf8').trim() !== value) setSysctl(key, value);
      }
    }],
    ['modules', () => node.loadedModules.filter((m) => spawnSync('modprobe', ['-r', m]).status !== 0).map((m) => `module ${m} still loaded`)],
    ['paths', () => {
      for (const path of FIXED_PATHS.filter((p) => !snapshot.paths.includes(p))) {
        // (one may be gone with another: /var/run is /run)
        if (existsSync(path) && !(path === '/run/containerd' && otherContainerdRuns(node.base))) rmSync(path, { recursive: true, force: true });
      }
    }],
  ]);
}

/** A running containerd that is not the node's (the node's was killed before this runs, but may not be reaped yet). */
function otherContainerdRuns(base: string): boolean {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .some((pid) => {
      try {
        const zombie = / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
        return !zombie && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'containerd' && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(base);
      } catch {
        return false;
      }
    });
}
