/**
 * The cdk8s app entry (`npx cdk8s synth`). Reads its settings once, here:
 * WATCH_NAMESPACES (comma list; default all namespaces), IMAGE, and
 * CHART_FORMAT=helm (set by `make helm`: the CRD then goes to crds/ only).
 */
import { PROGRAM_VERSION } from '../operator/version';
import { buildApp } from './app';

const watch = (process.env.WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const image = process.env.IMAGE ?? `atlas-k8s-migrator:${PROGRAM_VERSION}`;

const includeCrd = process.env.CHART_FORMAT !== 'helm';

buildApp({ image, includeCrd, ...(watch.length === 0 ? {} : { watchNamespaces: watch }) }).synth();
