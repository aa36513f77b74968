/** Names shared by the operator's manifests. */
export const APP_NAME = 'atlas-k8s-migrator';
export const DEFAULT_NAMESPACE = 'atlas-k8s-migrator-system';
export const METRICS_PORT = 8080;
export const HEALTH_PORT = 8081;
export const SELECTOR_LABELS = { 'app.kubernetes.io/name': APP_NAME } as const;
