/**
 * The cdk8s app entry (`npx cdk8s synth`). Reads its settings once, here:
 * WATCH_NAMESPACES (comma list; default all namespaces), IMAGE, and
 * CHART_FORMAT=helm (set by `make helm`: the CRD then goes to crds/ only,
 * and the chart's values are bound to the objects, manifests/helm-chart.ts).
 */
import { dirname } from 'node:path';
import { PROGRAM_VERSION } from '../operator/version';
import { buildApp } from './app';
import { writeHelmChart } from './helm-chart';
import { HelmPlaceholders } from './helm-placeholders';
import { valueDefinitions } from './values';

const watch = (process.env.WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const image = process.env.IMAGE ?? `atlas-k8s-migrator:${PROGRAM_VERSION}`;

const helmChart = process.env.CHART_FORMAT === 'helm';
const helm = helmChart ? new HelmPlaceholders() : undefined;

const app = buildApp({ image, includeCrd: !helmChart, ...(watch.length === 0 ? {} : { watchNamespaces: watch }), ...(helm === undefined ? {} : { helm }) });
app.synth();
if (helm !== undefined) {
  // IMAGE's tag becomes image.tag's default only when it is not the version (the chart's appVersion).
  const [, repository = image, tag = ''] = /^(.*?)(?::([^:/]+))?$/.exec(image) ?? [];
  const defs = valueDefinitions({ repository, tag: tag === PROGRAM_VERSION ? '' : tag, ...(watch.length === 0 ? {} : { watchNamespaces: watch }) });
  writeHelmChart(dirname(app.outdir), helm, defs, PROGRAM_VERSION);
}
