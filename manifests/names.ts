/** Names shared by the operator's manifests. */
export const APP_NAME = 'atlas-k8s-migrator';
export const DEFAULT_NAMESPACE = 'atlas-k8s-migrator-system';
export const METRICS_PORT = 8080;
export const HEALTH_PORT = 8081;
/** Where the operator runs and what it watches; shared by its RBAC and Deployment. */
export interface OperatorPlacement {
  /** Namespace the operator runs in. */
  readonly namespace: string;
  readonly serviceAccountName: string;
  /**
   * Namespaces to watch. @default all namespaces (a ClusterRole); when set,
   * one Role and RoleBinding per namespace instead.
   */
  readonly watchNamespaces?: readonly string[];
}

export const SELECTOR_LABELS = { 'app.kubernetes.io/name': APP_NAME } as const;
