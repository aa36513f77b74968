/**
 * What a node changes on the host, captured before it starts and put back
 * after it stops: the kubelet sets kernel sysctls and creates fixed paths,
 * kube-proxy and the CNI plugins add iptables rules, containerd mounts pod
 * network namespaces and overlay filesystems, the kubelet makes cgroups, and
 * the bridge and veth links appear. restoreHost() undoes all of it from the
 * snapshot (also after a crash: the snapshot is kept with the node lock).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  /** Top-level cgroups of every v1 hierarchy, as `hierarchy/name`. */
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

/** Host paths the kubelet, containerd, CNI and iptables use whatever they are told. */
export const FIXED_PATHS = [
  '/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/run/containerd', '/var/run/netns', '/run/netns', '/var/lib/cni',
  '/run/xtables.lock', '/usr/libexec/kubernetes', '/etc/kubernetes', '/var/lib/kube-proxy', '/run/runc',
];

const CGROUP_ROOT = '/sys/fs/cgroup';

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

function nftTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('table ')).sort() : [];
}

function links(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
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

function hierarchies(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  return readdirSync(CGROUP_ROOT).filter((h) => existsSync(join(CGROUP_ROOT, h, 'cgroup.procs')));
}

function topCgroups(): string[] {
  return hierarchies().flatMap((h) => readdirSync(join(CGROUP_ROOT, h), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${h}/${d.name}`));
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

/** Every process in a cgroup the node made (its pods' containers and shims), killed outright. */
function killCgroupProcesses(before: readonly string[]): void {
  const known = new Set(before);
  for (const cgroup of topCgroups().filter((c) => !known.has(c))) {
    const pids = cgroupTree(join(CGROUP_ROOT, cgroup)).flatMap((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean));
    pids.forEach(killQuietly);
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
    } catch {
      execFileSync('sleep', ['0.1']);
    }
  }
  return false;
}

/** A cgroup folder and its descendants, deepest first. */
function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...children.flatMap((c) => cgroupTree(join(dir, c.name))), dir];
}

function removeCgroups(before: readonly string[]): string[] {
  const known = new Set(before);
  const left: string[] = [];
  for (const cgroup of topCgroups().filter((c) => !known.has(c))) {
    left.push(...cgroupTree(join(CGROUP_ROOT, cgroup)).filter((dir) => !removeCgroup(dir)));
  }
  return left;
}

function restoreIptables(command: 'iptables' | 'ip6tables', saved: string): void {
  if (spawnSync(`${command}-save`, []).status !== 0) return;
  const savedTables = new Set([...saved.matchAll(/^\*(\w+)$/gm)].map((m) => m[1]));
  if (saved !== '') execFileSync(`${command}-restore`, [], { input: saved });
  // Tables that held nothing before: flush and drop what the node added to them.
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    if (savedTables.has(table)) continue;
    spawnSync(command, ['-w', '-t', table, '-F']);
    spawnSync(command, ['-w', '-t', table, '-X']);
  }
}

/**
 * Puts the host back as `snapshot` found it. Run after the node's own
 * processes were asked to stop; whatever still runs in its cgroups is killed.
 * Returns what could not be undone (empty when all went well).
 */
export function restoreHost(snapshot: HostSnapshot, extraProcesses: () => void): string[] {
  const problems: string[] = [];
  extraProcesses();
  killCgroupProcesses(snapshot.cgroups);
  const knownMounts = new Set(snapshot.mounts);
  for (const mount of mountPoints().filter((m) => !knownMounts.has(m)).reverse()) {
    if (spawnSync('umount', ['-l', mount]).status !== 0 && mountPoints().includes(mount)) problems.push(`mount ${mount}`);
  }
  problems.push(...removeCgroups(snapshot.cgroups).map((c) => `cgroup ${c}`));
  const knownLinks = new Set(snapshot.links);
  for (const link of links().filter((l) => !knownLinks.has(l))) {
    if (spawnSync('ip', ['link', 'delete', link]).status !== 0 && links().includes(link)) problems.push(`link ${link}`);
  }
  try {
    restoreIptables('iptables', snapshot.iptables);
    restoreIptables('ip6tables', snapshot.ip6tables);
    const knownTables = new Set(snapshot.nftTables);
    for (const table of nftTables().filter((t) => !knownTables.has(t))) execFileSync('nft', ['delete', ...table.split(' ')]);
  } catch (e) {
    problems.push(`iptables: ${(e as Error).message}`);
  }
  for (const [key, value] of Object.entries(snapshot.sysctls)) {
    try {
      if (readFileSync(sysctlPath(key), 'utf8').trim() !== value) setSysctl(key, value);
    } catch (e) {
      problems.push(`sysctl ${key}: ${(e as Error).message}`);
    }
  }
  for (const path of FIXED_PATHS.filter((p) => !snapshot.paths.includes(p))) {
    try {
      // (one may be gone with another: /var/run is /run)
      if (existsSync(path)) rmSync(path, { recursive: true, force: true });
    } catch (e) {
      problems.push(`path ${path}: ${(e as Error).message}`);
    }
  }
  return problems;
}
