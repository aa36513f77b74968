/** Stand-ins shared by the steps' unit tests: an in-memory ObjectReader and a StepError matcher. */
import type { ConfigMapObject, ObjectReader, SecretObject } from './object-reader';
import { StepError } from './step-error';

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Secrets and ConfigMaps by name (any namespace), or every read failing with `fail`; `reads` records each read. */
export function reader(objects: { secrets?: Record<string, SecretObject>; configMaps?: Record<string, ConfigMapObject>; fail?: Error; reads?: string[] }): ObjectReader {
  return {
    secret: (ns, name) => {
      objects.reads?.push(`Secret ${ns}/${name}`);
      return objects.fail ? Promise.reject(objects.fail) : Promise.resolve(objects.secrets?.[name]);
    },
    configMap: (ns, name) => {
      objects.reads?.push(`ConfigMap ${ns}/${name}`);
      return objects.fail ? Promise.reject(objects.fail) : Promise.resolve(objects.configMaps?.[name]);
    },
  };
}

export function stepError(reason: string, kind: string, message: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof StepError && e.reason === reason && e.kind === kind && message.test(e.message);
}
