/**
 * A root filesystem assembled from Debian packages, without a chroot or a
 * package manager inside the image: each .deb is fetched once with
 * `apt-get download` (cached under ~/.cache) at the archive's candidate
 * version (recorded in the image's labels), and unpacked with `dpkg-deb -x`.
 * Documentation is dropped except the copyright files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../databases/maven-distribution';

const DEB_CACHE = join(cacheRoot(), 'debs');

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
}

let listsRefreshed = false;

/** `apt-get update`, once per process (a fresh machine has no package lists). */
function refreshLists(): void {
  if (listsRefreshed) return;
  listsRefreshed = true;
  const r = spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`apt-get update failed (root is needed to build images): ${r.stderr.trim()}`);
}

function candidateOf(name: string): string | undefined {
  const candidate = /Candidate:\s*(\S+)/.exec(spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' }).stdout)?.[1];
  return candidate === undefined || candidate === '(none)' ? undefined : candidate;
}

/** The archive's candidate (security fixes included). */
function chosenVersion(name: string): string {
  const candidate = candidateOf(name) ?? (refreshLists(), candidateOf(name));
  if (candidate === undefined) throw new Error(`Debian package ${name}: not in the apt archive`);
  return candidate;
}

function download(pkg: DebianPackage): string {
  // apt-get download names an epoch `1:` as `1%3a`.
  const file = `${pkg.name}_${pkg.version.replace(':', '%3a')}_`;
  const cached = readdirSync(DEB_CACHE).find((f) => f.startsWith(file) && f.endsWith('.deb'));
  if (cached !== undefined) return join(DEB_CACHE, cached);
  const scratch = join(DEB_CACHE, `.download-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  try {
    const fetch = (): ReturnType<typeof spawnSync> => spawnSync('apt-get', ['download', `${pkg.name}=${pkg.version}`], { cwd: scratch, encoding: 'utf8' });
    let r = fetch();
    if (r.status !== 0) {
      refreshLists();
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
