/**
 * How `approve` and `wait` reach the cluster: kubectl's flags and defaults
 * (--kubeconfig, else KUBECONFIG, ~/.kube/config, else the pod's
 * ServiceAccount; --context; -n/--namespace, else the context's namespace,
 * else `default`). @kubernetes/client-node is loaded only when a command
 * connects: it costs ~400 ms of start-up that `migrate …` never needs.
 */
import type * as ClientNode from '@kubernetes/client-node';
import { KubeClient } from '../controller/kube/api-client';
import { UsageError } from './io';

/** The flags every cluster command takes (parseFlags options). */
export const KUBE_FLAG_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

export const KUBE_FLAGS_HELP = `      --kubeconfig PATH   kubeconfig file (default: KUBECONFIG, ~/.kube/config, else the pod's ServiceAccount)
      --context NAME      kubeconfig context (default: the current context)
  -n, --namespace NS      the resource's namespace (default: the context's namespace, else default)
`;

export interface KubeFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
}

export interface KubeAccess {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The API server's URL, for messages. */
  readonly server: string;
  close(): void;
}

/** The one NAME argument of a command on a resource. */
export function requireResourceName(command: string, positionals: readonly string[]): string {
  const name = positionals[0];
  if (name === undefined || name === '') throw new UsageError(`${command}: the AtlasMigration's name is required`);
  return name;
}

/** The namespace to use: the flag, else the context's (in a pod: the ServiceAccount's namespace file), else `default`. */
export function chooseNamespace(flag: string | undefined, contextNamespace: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromContext = contextNamespace?.trim();
  return fromContext === undefined || fromContext === '' ? 'default' : fromContext;
}

function loadKubeConfig(flags: KubeFlags): ClientNode.KubeConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubeConfig } = require('@kubernetes/client-node') as typeof ClientNode;
  const config = new KubeConfig();
  if (flags.kubeconfig === undefined) config.loadFromDefault();
  else config.loadFromFile(flags.kubeconfig);
  if (flags.context !== undefined) {
    if (config.getContextObject(flags.context) === null) throw new UsageError(`--context ${JSON.stringify(flags.context)}: no such context in the kubeconfig`);
    config.setCurrentContext(flags.context);
  }
  return config;
}

/**
 * Why a kubeconfig did not load. A YAML error's message quotes the lines
 * around the mistake, which can hold a token: only its reason and line.
 */
function loadFailure(e: unknown): string {
  const yaml = e as { reason?: unknown; mark?: { line?: unknown } };
  if (typeof yaml.reason === 'string') return `invalid YAML (${yaml.reason}${typeof yaml.mark?.line === 'number' ? ` at line ${yaml.mark.line + 1}` : ''})`;
  return e instanceof Error ? e.message : String(e);
}

/** Opens a client on the chosen kubeconfig and context; an unreadable kubeconfig file is a usage error. */
export function openKube(flags: KubeFlags): KubeAccess {
  let config: ClientNode.KubeConfig;
  try {
    config = loadKubeConfig(flags);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot load the kubeconfig${flags.kubeconfig === undefined ? '' : ` ${flags.kubeconfig}`}: ${loadFailure(e)}`);
  }
  const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace;
  const client = new KubeClient(config);
  return { client, namespace: chooseNamespace(flags.namespace, contextNamespace), server: client.server, close: () => client.close() };
}
