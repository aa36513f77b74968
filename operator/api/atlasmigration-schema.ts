/**
 * The AtlasMigration resource, written once. The CRD's openAPIV3Schema, the
 * generated TypeScript types (generated/atlasmigration-types.ts) and the
 * in-process validator all come from these objects.
 *
 * Compatible with ariga/atlas-operator's `db.atlasgo.io/v1alpha1`: every
 * field it defines is accepted (so existing manifests validate); fields
 * that need Atlas Cloud are accepted and answered by a condition at run time.
 */
import { APPROVAL_ANNOTATION, APPROVAL_POLICIES, DEFAULT_APPROVAL_POLICY } from './approval';
import { OCI_REFERENCE_PATTERN, QUANTITY_PATTERN } from './oci-fields';
import { bool, int, intOrString, list, obj, secretKeyRef, type SchemaNode, str, stringMap } from './schema-helpers';

export const API_GROUP = 'db.atlasgo.io';
export const API_VERSION = 'v1alpha1';
export const KIND = 'AtlasMigration';
export const PLURAL = 'atlasmigrations';
export const SINGULAR = 'atlasmigration';
export const SHORT_NAMES = ['atlasmig'];

const GO_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

const credentials = obj(
  'Connection details assembled into a URL (used when neither url nor urlFrom is set). Each part may come from a Secret.',
  {
    scheme: str('Database driver scheme: mysql, maria, mariadb, postgres, postgresql or sqlite.'),
    user: str('User name.'),
    userFrom: secretKeyRef('the user name'),
    password: str('Password. Prefer passwordFrom: a literal password is visible to anyone who can read the resource.'),
    passwordFrom: secretKeyRef('the password'),
    host: str('Host name or address.'),
    hostFrom: secretKeyRef('the host'),
    port: int('Port; the driver default (3306, 5432) when absent.', { minimum: 1 }),
    database: str('Database name (the URL path).'),
    parameters: stringMap('URL query parameters, such as sslmode or search_path.'),
  },
  { required: ['scheme'] },
);

const oci = obj(
  'A directory pushed to an OCI registry with oras push: one layer per file, named by its org.opencontainers.image.title annotation, or a pushed folder as one tar+gzip layer (annotated io.deis.oras.content.unpack). Files are read as from a folder: the top-level *.sql and atlas.sum (inside the one folder all paths share, if they share one).',
  {
    ref: str('registry/repository:tag or registry/repository@sha256:<digest>; the registry host is required (docker.io for Docker Hub). A tag is resolved again on every resync (one HEAD request), so a moved tag is applied.', {
      pattern: OCI_REFERENCE_PATTERN,
    }),
    pullSecret: obj(
      'A Secret of type kubernetes.io/dockerconfigjson in the same namespace holding credentials for the registry (used for Basic auth and the registry token flow). Without it the registry is read anonymously.',
      { name: str('Name of the Secret.') },
      { required: ['name'], 'x-kubernetes-map-type': 'atomic' },
    ),
    insecure: bool('Speak plain HTTP to the registry: no TLS at all, so credentials and content travel unprotected. There is no unverified-TLS mode: for a registry with a private CA, give caSecretRef.'),
    caSecretRef: obj(
      'A key of a Secret in the same namespace holding PEM CA certificates trusted for the registry (and its token service) besides the system roots.',
      { name: str('Name of the Secret.'), key: str('The key holding the PEM certificates.') },
      { required: ['name', 'key'], 'x-kubernetes-map-type': 'atomic' },
    ),
    maxSize: intOrString('The most bytes pulled: the layers as stored, and again the files once unpacked. Bytes (integer) or a quantity such as 64Mi or 1Gi. Default 64Mi.', {
      pattern: QUANTITY_PATTERN,
      minimum: 1,
    }),
  },
  {
    required: ['ref'],
    'x-kubernetes-validations': [
      {
        rule: '!(has(self.insecure) && self.insecure && has(self.caSecretRef))',
        message: 'insecure (plain HTTP) and caSecretRef (TLS) exclude each other',
      },
    ],
  },
);

const dir = obj(
  'The migration directory: exactly one of configMapRef, configMapRefs, local, oci or remote.',
  {
    configMapRef: obj('A ConfigMap whose data keys are file names (the migration files and atlas.sum).', { name: str('Name of the ConfigMap in the same namespace.') }, { required: ['name'], 'x-kubernetes-map-type': 'atomic' }),
    configMapRefs: list(
      'Several ConfigMaps read as one directory, for directories larger than one ConfigMap (1 MiB). A file name may appear in only one of them. In any ConfigMap, a binaryData key "<file>.gz" holds the gzip of <file>.',
      obj('A ConfigMap in the same namespace.', { name: str('Name of the ConfigMap.') }, { required: ['name'] }),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
    local: stringMap('The migration files inline: file name to content (include atlas.sum).'),
    oci,
    remote: obj('A directory in Atlas Cloud (not supported by this operator; reported by a condition).', { name: str('Directory name in Atlas Cloud.'), tag: str('Directory tag.') }),
  },
  {
    'x-kubernetes-validations': [
      {
        rule: '(has(self.configMapRef) ? 1 : 0) + (has(self.configMapRefs) ? 1 : 0) + (has(self.local) ? 1 : 0) + (has(self.oci) ? 1 : 0) + (has(self.remote) ? 1 : 0) == 1',
        message: 'dir needs exactly one of configMapRef, configMapRefs, local, oci or remote',
      },
    ],
  },
);

const approval = obj(
  `Whether a plan waits for a person before it is applied. A waiting resource is Ready=False/ApprovalPending with the plan in status.plan; annotating it with ${APPROVAL_ANNOTATION}=<status.plan.hash> approves exactly that plan (an approval for another plan is ignored).`,
  {
    policy: str(
      'Never: apply without asking (as without this field). Destructive: wait when a finding of the plan has a code in destructiveCodes. Always: wait whenever files are pending. A dry run never waits.',
      { enum: [...APPROVAL_POLICIES], default: DEFAULT_APPROVAL_POLICY },
    ),
    destructiveCodes: list(
      'Lint codes that make a plan destructive under policy Destructive: a code (DS102) or a prefix ending in * (DS*). Default when absent: DS*, CD101, BC*, KM101, KM102, KM103, KM104.',
      str('A lint code or a prefix ending in *.'),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
  },
);

export const specSchema: SchemaNode = obj(
  'The desired state: a database and the migration directory to bring it to.',
  {
    url: str('Database URL in Atlas form, e.g. mysql://user:pass@host:3306/db. Prefer urlFrom for URLs with passwords.'),
    urlFrom: secretKeyRef('the database URL'),
    credentials,
    dir,
    revisionsSchema: str('Schema of the atlas_schema_revisions table. Default: the URL\'s schema, else a schema named atlas_schema_revisions.'),
    baseline: str('On a database without history, record this version as applied and run only later files.'),
    execOrder: str('What to do with files older than the database\'s latest version that never ran: linear refuses, linear-skip skips them, non-linear runs them.', {
      enum: ['linear', 'linear-skip', 'non-linear'],
      default: 'linear',
    }),
    backoffLimit: int('Failed attempts before the resource is left Stalled; 0 retries forever.', { default: 20, minimum: 0 }),
    envName: str('Accepted for compatibility with atlas-operator (names the atlas.hcl env); unused here.'),
    txMode: str('Transaction mode: file (one per file), all (one for the run) or none. A file can override it with -- atlas:txmode.', {
      enum: ['file', 'all', 'none'],
      default: 'file',
    }),
    lockTimeout: str('How long to wait for the database lock held by another migration (Go duration, e.g. 10s, 1m).', { default: '10s', pattern: GO_DURATION }),
    dryRun: bool('Report what would run without changing the database.', { default: false }),
    approval,
    cloud: obj('Atlas Cloud settings (not supported by this operator; reported by a condition).', {
      url: str('Atlas Cloud URL.'),
      project: str('Atlas Cloud project.'),
      tokenFrom: secretKeyRef('the Atlas Cloud token'),
    }),
    devURL: str('Dev database URL (Atlas Cloud and down migrations; not used by this operator).'),
    devURLFrom: secretKeyRef('the dev database URL'),
    protectedFlows: obj('Protected flows (atlas-operator compatibility).', {
      migrateDown: obj('Down migrations.', {
        allow: bool('Allow migrating down.', { default: false }),
        autoApprove: bool('Approve down migrations automatically.', { default: false }),
      }),
    }),
    config: str('Raw atlas.hcl (atlas-operator compatibility; not used by this operator).'),
    configFrom: secretKeyRef('the atlas.hcl'),
    vars: list(
      'Input variables for atlas.hcl (atlas-operator compatibility; not used by this operator).',
      obj('A variable.', {
        key: str('Variable name.'),
        value: str('Value.'),
        valueFrom: obj('Value from a Secret or ConfigMap key.', {
          secretKeyRef: obj('A Secret key.', { name: str('Secret name.'), key: str('Key.') }),
          configMapKeyRef: obj('A ConfigMap key.', { name: str('ConfigMap name.'), key: str('Key.') }),
        }),
      }),
    ),
    devDB: obj('Dev database pod template (atlas-operator compatibility; not used by this operator).', {}, { 'x-kubernetes-preserve-unknown-fields': true }),
  },
  {
    required: ['dir'],
    'x-kubernetes-validations': [
      {
        rule: '(has(self.url) ? 1 : 0) + (has(self.urlFrom) ? 1 : 0) + (has(self.credentials) ? 1 : 0) == 1',
        message: 'exactly one of url, urlFrom or credentials must be set',
      },
    ],
  },
);

const condition = obj(
  'A kstatus condition (metav1.Condition).',
  {
    type: str('Ready, Reconciling or Stalled.'),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: int('The generation the condition was computed for.', { format: 'int64' }),
    lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
    reason: str('One CamelCase word (see the README for the reasons).'),
    message: str('Human-readable details.'),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

/** The pending plan as a reviewer reads it; kept small (lists capped) so `kubectl get -o yaml` stays readable. */
const plan = obj(
  'The pending plan, set while files are pending (cleared when the database is up to date): what would run, what lint found, and whether it is approved.',
  {
    hash: str(`The plan hash: SHA-256 of the pending files' atlas.sum lines, in order. Approve with the annotation ${APPROVAL_ANNOTATION}=<hash>.`),
    from: str('The database\'s current version; absent on an empty history.'),
    filesTotal: int('Files pending.'),
    files: list(
      'The pending files in apply order (at most 20; see truncated).',
      obj('A pending file.', {
        name: str('File name.'),
        version: str('Its version.'),
        statements: int('Statements in the file.'),
        findings: int('Lint findings in the file.'),
      }),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
    findingsTotal: int('Lint findings in the pending files (statements an interrupted run already applied are not linted).'),
    findings: list(
      'The first lint findings (at most 20; see truncated).',
      obj('A lint finding.', {
        code: str('Check code, e.g. DS102.'),
        file: str('Migration file.'),
        line: int('Line of the statement in the file (1-based).'),
        statement: int('Position of the statement in the file (1-based).'),
        message: str('What the statement does.'),
      }),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
    truncated: bool('True when files or findings were cut to their first 20.'),
    approved: bool(`True when the ${APPROVAL_ANNOTATION} annotation holds this plan's hash.`),
    destructive: int('Findings whose code is in the destructive set (spec.approval.destructiveCodes).'),
  },
);

export const statusSchema: SchemaNode = obj(
  'The observed state.',
  {
    observedGeneration: int('The generation last reconciled; -1 before the first reconcile.', { format: 'int64' }),
    conditions: list('Ready, Reconciling and Stalled.', condition, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    lastAppliedVersion: str('The database\'s version after the last successful reconcile.'),
    lastApplied: int('Unix time (seconds) of the last successful apply.', { format: 'int64' }),
    observed_hash: str('Hash of the inputs (URL, directory) last reconciled; a change triggers a new reconcile.'),
    failed: int('Consecutive failed attempts.', { default: 0 }),
    lastDeploymentUrl: str('Atlas Cloud deployment URL (atlas-operator compatibility).'),
    approvalUrl: str('Atlas Cloud approval URL (atlas-operator compatibility).'),
    pendingVersions: list('Versions still to apply.', str('A version.'), { 'x-kubernetes-list-type': 'atomic' }),
    pendingCount: int('Number of files still to apply.'),
    progress: obj('The migration running now, if any.', {
      file: str('File being applied.'),
      version: str('Its version.'),
      statement: int('Statement being executed (1-based).'),
      statements: int('Statements in the file.'),
      filesDone: int('Files applied in this run.'),
      filesTotal: int('Files to apply in this run.'),
      startedAt: str('When the run started.', { format: 'date-time' }),
    }),
    plan,
    observedDirDigest: str('The manifest digest (sha256:…) of the spec.dir.oci directory last read in full; absent for other directory sources.'),
  },
);

/** A printer column of the CRD. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description: string;
}

export const PRINTER_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the database is at the directory\'s latest version.' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why (see README).' },
  { name: 'Version', type: 'string', jsonPath: '.status.lastAppliedVersion', description: 'The database\'s current version.' },
  { name: 'Pending', type: 'integer', jsonPath: '.status.pendingCount', description: 'Files still to apply.' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the resource.' },
];
