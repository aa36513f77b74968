/**
 * Builds the cdk8s app: the CRD chart and the operator chart.
 */
import { App, YamlOutputType } from 'cdk8s';
import { CrdChart } from './crd-chart';
import { OperatorChart, type OperatorChartProps } from './operator-chart';

export interface AppSettings extends OperatorChartProps {
  /** Where `synth()` writes. @default cdk8s's own (CDK8S_OUTDIR, else dist) */
  readonly outdir?: string;
  /**
   * Leave the CRD out of the charts: a Helm chart gets it in crds/ from the
   * imported CRD instead (and would otherwise contain it twice). @default true
   */
  readonly includeCrd?: boolean;
}

export function buildApp(settings: AppSettings): App {
  const app = new App({ ...(settings.outdir === undefined ? {} : { outdir: settings.outdir }), yamlOutputType: YamlOutputType.FILE_PER_CHART });
  if (settings.includeCrd !== false) new CrdChart(app, 'crd');
  new OperatorChart(app, 'operator', settings);
  return app;
}
