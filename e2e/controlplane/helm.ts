/** The Helm CLI built by build-helm.sh (cached), run against a control plane's kubeconfig. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

let binary: string | undefined;

export function helmBinary(): string {
  binary ??= execFileSync('bash', [join(__dirname, 'build-helm.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '';
  return binary;
}

/** Runs helm; returns stdout, throws with stderr on failure. */
export function helm(kubeconfig: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(helmBinary(), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', cwd, env: { ...process.env, HELM_CACHE_HOME: join(process.env.TMPDIR ?? '/tmp', 'helm-cache'), HELM_CONFIG_HOME: join(process.env.TMPDIR ?? '/tmp', 'helm-config') } });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
