import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { atlasMigrationCrd } from '../operator/api/crd';

/**
 * The AtlasMigration CRD. A chart of its own without a namespace: cdk8s
 * stamps a chart's namespace on every object, cluster-scoped ones included.
 */
export class CrdChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const crd = atlasMigrationCrd() as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };
    new ApiObject(this, 'atlasmigrations', { apiVersion: crd.apiVersion, kind: crd.kind, metadata: crd.metadata, spec: crd.spec });
  }
}
