/**
 * The cdk8s app: `npx cdk8s synth` runs this file. The CRD and the operator
 * chart are added here by the CRD/chart issue; until then the app
 * synthesizes nothing.
 */
import { App } from 'cdk8s';

const app = new App();
app.synth();
