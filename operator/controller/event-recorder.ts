/**
 * Kubernetes Events on AtlasMigrations (`kubectl describe` shows them): a
 * Normal event when files were applied, a Warning per failed step. A
 * repeat of the same event raises its count instead of adding another
 * object, as client-go's recorder does. Recording never fails a reconcile.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ReasonName } from '../api/reasons';
import { isNotFound, resourcePath, type KubeClient } from './kube/api-client';
import type { AtlasMigrationObject } from './kube/resources';

export type EventType = 'Normal' | 'Warning';

export interface EventLogger {
  warn(obj: object, msg: string): void;
}

const COMPONENT = 'atlas-k8s-migrator';
const REMEMBERED = 1000;
const MAX_MESSAGE = 1024;

interface Recorded {
  readonly name: string;
  count: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  private readonly instance = hostname();

  constructor(
    private readonly client: KubeClient,
    private readonly log: EventLogger,
  ) {}

  async record(resource: AtlasMigrationObject, type: EventType, reason: ReasonName, message: string): Promise<void> {
    const text = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 1) + '…' : message;
    const key = `${resource.metadata.uid}\n${type}\n${reason}\n${text}`;
    try {
      const seen = this.recent.get(key);
      if (seen !== undefined && (await this.bump(resource.metadata.namespace, seen))) return;
      await this.create(resource, type, reason, text, key);
    } catch (e) {
      this.log.warn({ resource: `${resource.metadata.namespace}/${resource.metadata.name}`, reason, err: (e as Error).message }, 'could not record event');
    }
  }

  private async bump(namespace: string, seen: Recorded): Promise<boolean> {
    seen.count++;
    try {
      await this.client.json({
        method: 'PATCH',
        path: resourcePath({ group: '', version: 'v1', plural: 'events', namespace, name: seen.name }),
        contentType: 'application/merge-patch+json',
        body: { count: seen.count, lastTimestamp: new Date().toISOString() },
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false; // expired (events live about an hour): create a new one
      throw e;
    }
  }

  private async create(resource: AtlasMigrationObject, type: EventType, reason: string, message: string, key: string): Promise<void> {
    const m = resource.metadata;
    const now = new Date().toISOString();
    const name = `${m.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
    await this.client.json({
      method: 'POST',
      path: resourcePath({ group: '', version: 'v1', plural: 'events', namespace: m.namespace }),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: m.namespace },
        involvedObject: { apiVersion: resource.apiVersion, kind: resource.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
        type,
        reason,
        message,
        source: { component: COMPONENT },
        reportingComponent: COMPONENT,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    if (this.recent.size >= REMEMBERED) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { name, count: 1 });
  }
}
