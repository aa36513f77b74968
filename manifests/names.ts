import type { HelmPlaceholders } from './helm-placeholders';

/** Names shared by the operator's manifests. */
export const APP_NAME = 'atlas-k8s-migrator';
export const DEFAULT_NAMESPACE = 'atlas-k8s-migrator-system';
export const METRICS_PORT = 8080;
export const HEALTH_PORT = 8081;
/** Where the operator runs and what it watches; shared by its RBAC and Deployment. */
export interface OperatorPlacement {
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** Name of the operator's own objects (Deployment, roles…). @default the ServiceAccount's (plain YAML) */
  readonly name?: string;
  readonly serviceAccountName: string;
  /** Labels that select the operator's pods. @default SELECTOR_LABELS */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /**
   * Namespaces to watch. @default all namespaces (a ClusterRole); when set,
   * one Role and RoleBinding per namespace instead.
   */
  readonly watchNamespaces?: readonly string[];
  /** Building the Helm chart: the values are bound to the objects (manifests/helm-placeholders.ts). */
  readonly helm?: HelmPlaceholders;
}

export const SELECTOR_LABELS = { 'app.kubernetes.io/name': APP_NAME } as const;

/** The chart's named templates (templates/_helpers.tpl), called with the root context. */
export const include = (template: 'name' | 'fullname' | 'namespace' | 'serviceAccountName'): string => `include "${APP_NAME}.${template}" $`;
