/**
 * A root filesystem assembled from Debian packages, without a chroot or a
 * package manager inside the image: each .deb is fetched once with
 * `apt-get download` (cached under ~/.cache) at the archive's candidate
 * version (recorded in the image's labels), and unpacked with `dpkg-deb -x`.
 * Documentation is dropped except the copyright files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEB_CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'atlas-k8s-migrator', 'debs');

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
}

/** The archive's candidate (security fixes included); the installed version where the archive has none. */
function chosenVersion(name: string): string {
  const policy = spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' }).stdout;
  const candidate = /Candidate:\s*(\S+)/.exec(policy)?.[1];
  if (candidate !== undefined && candidate !== '(none)') return candidate;
  const installed = /Installed:\s*(\S+)/.exec(policy)?.[1];
  if (installed !== undefined && installed !== '(none)') return installed;
  throw new Error(`Debian package ${name}: no candidate in the apt archive (run apt-get update)`);
}

function download(pkg: DebianPackage): string {
  const cached = readdirSync(DEB_CACHE).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb') && f.includes(`_${pkg.version.replace(/^\d+:/, '')}_`));
  if (cached !== undefined) return join(DEB_CACHE, cached);
  const scratch = join(DEB_CACHE, `.download-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  try {
    const fetch = (): ReturnType<typeof spawnSync> => spawnSync('apt-get', ['download', `${pkg.name}=${pkg.version}`], { cwd: scratch, encoding: 'utf8' });
    let r = fetch();
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      r = fetch();
    }
    if (r.status !== 0) throw new Error(`apt-get download ${pkg.name}=${pkg.version} failed: ${String(r.stderr).trim()}`);
    const [deb] = readdirSync(scratch).filter((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${pkg.name}=${pkg.version} wrote no .deb`);
    renameSync(join(scratch, deb), join(DEB_CACHE, deb));
    return join(DEB_CACHE, deb);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Unpacks the packages into `root`; returns what went in, for the image's labels. */
export function unpackDebianPackages(names: readonly string[], root: string): DebianPackage[] {
  mkdirSync(DEB_CACHE, { recursive: true });
  const packages = [...names].sort().map((name) => ({ name, version: chosenVersion(name) }));
  for (const pkg of packages) execFileSync('dpkg-deb', ['-x', download(pkg), root]);
  pruneDocumentation(root);
  return packages;
}

/** Keeps /usr/share/doc/<pkg>/copyright (the licences), drops manuals, translations and the rest of the docs. */
function pruneDocumentation(root: string): void {
  for (const dir of ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian', 'usr/share/bug']) {
    rmSync(join(root, dir), { recursive: true, force: true });
  }
  const docs = join(root, 'usr/share/doc');
  if (!existsSync(docs)) return;
  for (const pkg of readdirSync(docs)) {
    if (lstatSync(join(docs, pkg)).isSymbolicLink()) continue; // e.g. libgcc-s1 -> gcc-12-base, whose copyright is not shipped here
    for (const f of readdirSync(join(docs, pkg))) {
      if (f !== 'copyright') rmSync(join(docs, pkg, f), { recursive: true, force: true });
    }
  }
}

/** `/etc/passwd` and `/etc/group` lines for root and the given unprivileged users. */
export function accountFiles(users: ReadonlyArray<{ name: string; id: number; home: string }>): { passwd: string; group: string } {
  const passwd = ['root:x:0:0:root:/root:/sbin/nologin', ...users.map((u) => `${u.name}:x:${u.id}:${u.id}:${u.name}:${u.home}:/sbin/nologin`)];
  const group = ['root:x:0:', ...users.map((u) => `${u.name}:x:${u.id}:`)];
  return { passwd: passwd.join('\n') + '\n', group: group.join('\n') + '\n' };
}
