/**
 * Modules the operator's libraries load but the operator never uses,
 * loaded only if something does use them. Measured with Node 20 and the
 * image's flags (bench/README.md, "Memory"): `@dot-i/k8s-operator` pulls
 * in all of `@kubernetes/client-node` 0.20 (645 modules, `request` and its
 * ~150 more, about 13 MB of heap and 16 MB of RSS, 0.4 s) for three
 * things done in its constructor: a KubeConfig, and `makeApiClient(CoreV1Api)`
 * whose `basePath` is all it reads later. `gaxios` (its status writes,
 * which we do not use) and `@opentelemetry/api` (prom-client's exemplars,
 * off) are loaded for nothing too.
 *
 * How: before those libraries are loaded, `require.cache` gets, under the
 * real file name of each such module, a stand-in whose first property
 * read loads the real module (which then replaces the stand-in in the
 * cache). Nothing changes for a caller except when the module loads; the
 * framework still runs as it is. The one narrowing: while the whole client
 * has not been loaded, its entry point answers `KubeConfig` from
 * `dist/config.js` alone (its `./api` import deferred the same way: the
 * generated API classes are read only in static helpers we never call) and
 * `CoreV1Api` with `ApiBasePath`, enough for the framework's constructor;
 * the framework's `k8sApi` is then that object, which we never use (our
 * requests go through KubeClient). Any other property loads the real
 * module and answers from it.
 *
 * Import this module before `@dot-i/k8s-operator` and `prom-client` (it is
 * the first import of metrics.ts and migration-operator.ts). A module that
 * is already loaded is left alone.
 */
import { Module } from 'node:module';
import { dirname, join } from 'node:path';

type Exports = Record<string | symbol, unknown>;
/** Properties answered without loading the real module. */
type Narrow = Readonly<Record<string, () => unknown>>;

/** What the framework's `makeApiClient(CoreV1Api)` needs: a constructor taking the server, and the setter it calls. */
export class ApiBasePath {
  constructor(readonly basePath: string) {}
  setDefaultAuthentication(): void {
    // The framework's own requests are never made: ours carry their authentication (kube/api-client.ts).
  }
}

/** File names of the modules deferred so far (for tests and the memory benchmark). */
export const deferredModules: string[] = [];

function resolveFrom(request: string, from: string): string | undefined {
  try {
    return require.resolve(request, { paths: [from] });
  } catch {
    return undefined;
  }
}

/**
 * Puts a stand-in for `file` in require.cache. `isEsModule`: what the real
 * module says as `__esModule` (answered without loading it, as TypeScript's
 * and tslib's import helpers read it first).
 */
export function deferModule(file: string, isEsModule: boolean, narrow: Narrow = {}): unknown {
  if (require.cache[file] !== undefined) return require.cache[file].exports;
  let real: Exports | undefined;
  const load = (): Exports => {
    if (real === undefined) {
      if (require.cache[file]?.exports === standIn) delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading on first use is the point
      real = require(file) as Exports;
    }
    return real;
  };
  const target: Exports = {};
  const standIn: object = new Proxy(target, {
    get: (_, p) => {
      if (p === '__esModule') return isEsModule;
      const fn = real === undefined && typeof p === 'string' ? narrow[p] : undefined;
      return fn !== undefined ? fn() : load()[p];
    },
    has: (_, p) => p in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, p) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), p);
      // A proxy may not report a non-configurable property its target lacks.
      return d === undefined ? undefined : { ...d, configurable: true };
    },
  });
  const m = new Module(file, module);
  m.filename = file;
  m.loaded = true;
  m.exports = standIn;
  require.cache[file] = m;
  deferredModules.push(file);
  return standIn;
}

function deferClientNode(): void {
  const framework = resolveFrom('@dot-i/k8s-operator', __dirname);
  if (framework === undefined) return;
  const index = resolveFrom('@kubernetes/client-node', dirname(framework));
  if (index === undefined || require.cache[index] !== undefined) return;
  const dist = dirname(index);
  // config.js imports './api' (every generated API class and model) for static helpers only.
  deferModule(join(dist, 'api.js'), true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kubeConfig = (): unknown => (require(join(dist, 'config.js')) as { KubeConfig: unknown }).KubeConfig;
  deferModule(index, true, { KubeConfig: kubeConfig, CoreV1Api: () => ApiBasePath });
  const gaxios = resolveFrom('gaxios', dirname(framework));
  if (gaxios !== undefined) deferModule(gaxios, true);
}

function deferOpenTelemetry(): void {
  const promClient = resolveFrom('prom-client', __dirname);
  const otel = promClient === undefined ? undefined : resolveFrom('@opentelemetry/api', dirname(promClient));
  if (otel !== undefined) deferModule(otel, true);
}

deferClientNode();
deferOpenTelemetry();
