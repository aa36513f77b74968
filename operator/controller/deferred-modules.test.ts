/**
 * The stand-ins of deferred-modules.ts, in a process of their own (node
 * --test runs each file in one): the framework is constructed without the
 * generated API client loading, and anything else still gets the real
 * modules, whole, on first use.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as Framework from '@dot-i/k8s-operator';
import type * as ClientNode from '@kubernetes/client-node';
import { ApiBasePath, deferModule, deferredModules } from './deferred-modules';

const loaded = (part: string): boolean => Object.keys(require.cache).some((f) => f.includes(part));

/* eslint-disable @typescript-eslint/no-require-imports -- what is loaded when is the subject here */
describe('deferred modules', () => {
  it('the framework is constructed from KubeConfig alone; the generated client, request, gaxios and OpenTelemetry stay unloaded', () => {
    assert.ok(deferredModules.some((f) => f.endsWith(join('client-node', 'dist', 'index.js'))));
    const kubeconfig = join(tmpdir(), `deferred-${process.pid}.yaml`);
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.1.2.3:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    process.env.KUBECONFIG = kubeconfig;
    const Operator = (require('@dot-i/k8s-operator') as typeof Framework).default;
    class Probe extends Operator {
      protected init(): Promise<void> {
        return Promise.resolve();
      }
      get api(): unknown {
        return this.k8sApi;
      }
      get server(): string | undefined {
        return this.kubeConfig.getCurrentCluster()?.server;
      }
    }
    const op = new Probe();
    assert.equal(op.server, 'https://10.1.2.3:6443');
    assert.ok(op.api instanceof ApiBasePath);
    assert.equal((op.api).basePath, 'https://10.1.2.3:6443');
    require('prom-client');
    for (const part of [join('client-node', 'dist', 'gen'), join('node_modules', 'request'), join('gaxios', 'build', 'src', 'gaxios.js'), join('@opentelemetry', 'api', 'dist', 'context')]) assert.equal(loaded(part), false, part);
  });

  it('any other use loads the real module, whole, and the stand-in answers from it', () => {
    const k8s = require('@kubernetes/client-node') as typeof ClientNode;
    assert.equal(typeof k8s.Watch, 'function');
    assert.equal(loaded(join('client-node', 'dist', 'gen')), true);
    assert.notEqual(k8s.CoreV1Api, ApiBasePath);
    assert.equal(typeof new k8s.CoreV1Api('https://x').listNamespace, 'function');
    assert.ok('KubeConfig' in k8s && Object.keys(k8s).includes('AppsV1Api'));
    // Later requirers get the real module itself (the stand-in left the cache).
    assert.equal(require('@kubernetes/client-node'), require(require.resolve('@kubernetes/client-node')));
  });

  it('a stand-in is transparent: __esModule without loading, then every property, key and `in` from the real module', () => {
    const file = join(tmpdir(), `deferred-${process.pid}-plain.js`);
    writeFileSync(file, 'globalThis.__deferredLoads = (globalThis.__deferredLoads ?? 0) + 1;\nexports.a = 1;\nexports.b = function () { return 2; };\n');
    const g = globalThis as { __deferredLoads?: number };
    const standIn = deferModule(file, false, { a: () => 'narrow' }) as { a: unknown; b: () => number };
    assert.equal((standIn as { __esModule?: boolean }).__esModule, false);
    assert.equal(standIn.a, 'narrow');
    assert.equal(g.__deferredLoads, undefined);
    assert.equal(standIn.b(), 2);
    assert.equal(g.__deferredLoads, 1);
    assert.equal(standIn.a, 1, 'once loaded, the real module answers');
    assert.deepEqual(Object.keys(standIn), ['a', 'b']);
    assert.ok('b' in standIn);
    assert.equal((require(file) as { a: number }).a, 1);
    assert.equal(g.__deferredLoads, 1);
    assert.equal(deferModule(file, false), require(file), 'a loaded module is left alone');
  });
});
/* eslint-enable @typescript-eslint/no-require-imports */
