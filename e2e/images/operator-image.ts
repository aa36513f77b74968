/**
 * The operator's image without Docker: Debian's C and C++ runtime libraries,
 * this machine's Node 20 binary, and the project's compiled code with its
 * production dependencies. The same image the Dockerfile describes (a test
 * compares the two): non-root, working from /app, nothing written outside
 * /tmp, so it runs under the chart's read-only root filesystem.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAM_VERSION } from '../../operator/version';
import { accountFiles, unpackDebianPackages } from './debian-rootfs';
import { writeImage, type RuntimeConfig, type WrittenImage } from './oci-image';
import { createStaging, folder, normaliseModes, put } from './staging';

const ROOT = join(__dirname, '..', '..');

export const OPERATOR_IMAGE_NAME = `docker.io/library/atlas-k8s-migrator:${PROGRAM_VERSION}`;

/** Only what `ldd` shows node and better-sqlite3's addon need. */
export const OPERATOR_DEBIAN_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6'];

/** What the app folder holds, as in the Dockerfile's COPY lines. */
export const APP_ENTRIES = ['dist', 'node_modules', 'package.json'];

export const OPERATOR_UID = 65532;

export const OPERATOR_RUNTIME: RuntimeConfig = {
  User: `${OPERATOR_UID}:${OPERATOR_UID}`,
  // A small young generation and V8's size-over-speed mode keep resident memory near 100 MB (bench/README.md).
  Entrypoint: ['node', '--max-semi-space-size=1', '--optimize-for-size', 'dist/operator/cli/main.js'],
  Cmd: ['run'],
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production'],
  WorkingDir: '/app',
};

/** The Node.js binary this machine runs (Debian 12 itself has only Node 18). */
function nodeBinary(): { path: string; version: string } {
  const path = realpathSync(execFileSync('bash', ['-c', 'command -v node'], { encoding: 'utf8' }).trim());
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v20.')) throw new Error(`the operator image needs Node 20; ${path} is ${version}`);
  return { path, version };
}

/** Compiled code and production dependencies, without the native addon's build leftovers. */
function stageApp(app: string): void {
  // Compiled inside the checkout, at a fixed place, so the source maps' relative paths do not depend on where /tmp is.
  const compiled = join(ROOT, 'dist', 'image-app');
  rmSync(compiled, { recursive: true, force: true });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', compiled], { cwd: ROOT, stdio: 'inherit' });
  execFileSync('cp', ['-a', compiled, join(app, 'dist')]);
  rmSync(compiled, { recursive: true, force: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f));
  execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(app, 'node_modules')]);
  execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  const addon = join(app, 'node_modules', 'better-sqlite3');
  for (const leftover of ['deps', 'src', 'build/Release/obj', 'build/Release/obj.target', 'build/Release/.deps', 'build/Release/sqlite3.a', 'build/Release/test_extension.node', 'build/deps']) {
    rmSync(join(addon, leftover), { recursive: true, force: true });
  }
  rmSync(join(app, 'package-lock.json'));
  rmSync(join(app, 'node_modules', '.package-lock.json'), { force: true });
  rmSync(join(app, 'node_modules', '.install-stamp'), { force: true }); // the Makefile's, with this checkout's time
  rmSync(join(app, 'node_modules', '.cache'), { recursive: true, force: true });
  if (!existsSync(join(app, 'dist', 'operator', 'cli', 'main.js'))) throw new Error('the build wrote no dist/operator/cli/main.js');
}

export function buildOperatorImage(outDir: string): WrittenImage {
  const staging = createStaging('operator-image');
  try {
    const base = staging.layer('base');
    const packages = unpackDebianPackages(OPERATOR_DEBIAN_PACKAGES, base);
    const accounts = accountFiles([{ name: 'nonroot', id: OPERATOR_UID, home: '/home/nonroot' }]);
    put(base, 'etc/passwd', accounts.passwd);
    put(base, 'etc/group', accounts.group);
    normaliseModes(base);
    folder(base, 'tmp', 0o1777);
    folder(base, 'home/nonroot', 0o755);

    const runtime = staging.layer('node');
    const node = nodeBinary();
    put(runtime, 'usr/bin/node', readFileSync(node.path), 0o755);
    normaliseModes(runtime);

    const app = staging.layer('app');
    folder(app, 'app');
    stageApp(join(app, 'app'));
    normaliseModes(app);

    // The image must start: node, the drivers and SQLite's native addon load inside it, as its user.
    const layers = [base, runtime, app];
    const user = `${OPERATOR_UID}:${OPERATOR_UID}`;
    staging.runInside(layers, user, ['/usr/bin/node', '-e', "require('/app/node_modules/better-sqlite3')(':memory:').prepare('select 1').get()"]);
    const version = staging.runInside(layers, user, ['/usr/bin/node', '/app/dist/operator/cli/main.js', 'version']);
    if (!version.includes(PROGRAM_VERSION)) throw new Error(`the image's \`version\` printed ${JSON.stringify(version)}`);

    return writeImage(
      {
        name: OPERATOR_IMAGE_NAME,
        config: { ...OPERATOR_RUNTIME, Labels: labels(packages, node.version) },
        layers: [
          { dir: base, createdBy: `Debian packages ${packages.map((p) => `${p.name}=${p.version}`).join(' ')}, users root and nonroot` },
          { dir: runtime, createdBy: `Node.js ${node.version}` },
          { dir: app, createdBy: `atlas-k8s-migrator ${PROGRAM_VERSION}: dist, production node_modules, package.json` },
        ],
      },
      outDir,
      `atlas-k8s-migrator-${PROGRAM_VERSION}`,
    );
  } finally {
    staging.remove();
  }
}

function labels(packages: ReadonlyArray<{ name: string; version: string }>, node: string): Record<string, string> {
  return {
    'org.opencontainers.image.title': 'atlas-k8s-migrator',
    'org.opencontainers.image.version': PROGRAM_VERSION,
    'org.opencontainers.image.description': 'Atlas-compatible versioned SQL migrations from inside Kubernetes',
    'dev.atlas-k8s-migrator.node': node,
    'dev.atlas-k8s-migrator.debian-packages': packages.map((p) => `${p.name}=${p.version}`).join(','),
  };
}
