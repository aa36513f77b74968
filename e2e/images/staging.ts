/** Staging folders for image layers, and a check that the assembled root filesystem really runs. */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Staging {
  readonly root: string;
  /** A fresh empty folder for one layer. */
  layer(name: string): string;
  /** Runs `argv` inside the union of `layers` (hard-linked copies) with chroot and a private /proc, as `user`; returns stdout. */
  runInside(layers: readonly string[], user: string, argv: readonly string[]): string;
  remove(): void;
}

export function createStaging(prefix: string): Staging {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return {
    root,
    layer: (name) => {
      const dir = join(root, name);
      mkdirSync(dir);
      return dir;
    },
    runInside: (layers, user, argv) => {
      const merged = join(root, `merged-${Date.now()}`);
      mkdirSync(merged);
      try {
        for (const layer of layers) execFileSync('cp', ['-al', `${layer}/.`, merged]);
        // A /proc of its own, as a container has (the loader reads it to expand $ORIGIN), gone with the namespace.
        mkdirSync(join(merged, 'proc'), { recursive: true });
        return execFileSync('unshare', ['--mount', '--pid', '--fork', `--mount-proc=${join(merged, 'proc')}`, 'chroot', `--userspec=${user}`, merged, ...argv], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } finally {
        rmSync(merged, { recursive: true, force: true });
      }
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Creates the missing folders of `path` under `root` with mode 755, whatever the umask. */
function parents(root: string, path: string): void {
  let dir = root;
  for (const part of path.split('/').filter(Boolean)) {
    dir = join(dir, part);
    if (!existsSync(dir)) {
      mkdirSync(dir);
      chmodSync(dir, 0o755);
    }
  }
}

/** Writes a file (and its folders) with a fixed mode. */
export function put(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  parents(root, dirname(path));
  const file = join(root, path);
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** Makes a folder (and its parents, 755) with a fixed mode. */
export function folder(root: string, path: string, mode = 0o755): void {
  parents(root, path);
  chmodSync(join(root, path), mode);
}

/** Group and others may read (and enter) everything but write nothing: modes independent of the umask. */
export function normaliseModes(dir: string): void {
  execFileSync('chmod', ['-R', 'u+rwX,go+rX,go-w', dir]);
}
