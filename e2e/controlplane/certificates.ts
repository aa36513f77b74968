/** The control plane's certificates and kubeconfigs: one CA, openssl-issued. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** One CA for serving and client certificates, a serving certificate for 127.0.0.1, and the service-account key pair. */
export function makeCertificates(dir: string, extraServingNames: readonly string[] = []): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '7', '-subj', '/CN=atlas-e2e-ca', '-out', 'ca.crt']);
  issue(dir, 'apiserver', '/CN=kube-apiserver', `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...extraServingNames].join(',')}\nextendedKeyUsage=serverAuth\n`);
  issue(dir, 'admin', '/CN=admin/O=system:masters', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** A certificate signed by the CA; for clients the subject's CN is the user name and each O a group. */
export function issue(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions + 'keyUsage=critical,digitalSignature,keyEncipherment\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

/** Writes a kubeconfig for the cluster with one user, authenticated by `credentials` (kubeconfig user fields). */
export function writeKubeconfig(dir: string, server: string, user: string, credentials: Record<string, string>): string {
  const path = join(dir, `kubeconfig-${user.replace(/[^A-Za-z0-9.-]/g, '_')}`);
  const userFields = Object.entries(credentials).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: ${server}
    certificate-authority-data: ${readFileSync(join(dir, 'ca.crt')).toString('base64')}
users:
- name: ${JSON.stringify(user)}
  user:
${userFields}
contexts:
- name: e2e
  context:
    cluster: e2e
    user: ${JSON.stringify(user)}
current-context: e2e
`,
  );
  return path;
}

/** A kubeconfig authenticating with one of our client certificates. */
export function certificateKubeconfig(dir: string, server: string, user: string, certName: string): string {
  const b64 = (f: string): string => readFileSync(join(dir, f)).toString('base64');
  return writeKubeconfig(dir, server, user, { 'client-certificate-data': b64(`${certName}.crt`), 'client-key-data': b64(`${certName}.key`) });
}

