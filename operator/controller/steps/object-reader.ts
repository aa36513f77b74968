/** The reads the steps make: one Secret or ConfigMap, fresh from the API server. */
export interface SecretObject {
  /** `kubernetes.io/dockerconfigjson`, `Opaque`…; absent in some stand-ins. */
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

export interface ConfigMapObject {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly data?: Readonly<Record<string, string>>;
  readonly binaryData?: Readonly<Record<string, string>>;
}

export interface ObjectReader {
  /** undefined when the Secret does not exist. */
  secret(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** undefined when the ConfigMap does not exist. */
  configMap(namespace: string, name: string): Promise<ConfigMapObject | undefined>;
}
