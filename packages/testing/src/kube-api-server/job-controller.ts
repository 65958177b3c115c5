import { randomBytes } from 'node:crypto';
import type { FakeKubelet } from './fake-kubelet';
import { deleteObject } from './garbage-collector';
import type { ObjectStore, StoreEvent } from './object-store';
import { RESOURCE_TYPES, type KubeObject } from './resources';

interface JobSpec {
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  backoffLimit?: number;
  suspend?: boolean;
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
}

interface JobStatus {
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string }[];
  active?: number;
  ready?: number;
  failed?: number;
  succeeded?: number;
  startTime?: string;
  completionTime?: string;
  terminating?: number;
  uncountedTerminatedPods?: Record<string, unknown>;
}

interface PodView {
  metadata: KubeObject['metadata'];
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

function controllerOf(object: KubeObject): { name: string; uid: string } | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.kind === 'Job' && ref.controller === true);
}

function finished(status: JobStatus | undefined): boolean {
  return status?.conditions?.some((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True') ?? false;
}

/**
 * The parts of kube-controller-manager a sandbox Job meets: the Job controller (one pod per Job,
 * status counts, Failed on a failed pod once backoffLimit is used up, DeadlineExceeded at
 * activeDeadlineSeconds with its pods deleted) and the TTL-after-finished controller.
 */
export class JobController {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly kubelet: FakeKubelet,
  ) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
    kubelet.onDeadlineRequested = (namespace, name) => this.fail(namespace, name, 'DeadlineExceeded', 'Job was active longer than specified deadline');
  }

  stop(): void {
    this.unsubscribe();
    for (const timers of this.timers.values()) timers.forEach(clearTimeout);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource === 'jobs') {
      if (event.type === 'ADDED') setImmediate(() => this.start(event.object));
      if (event.type === 'DELETED') this.clearTimers(event.object.metadata.uid);
    } else if (event.resource === 'pods') {
      const owner = controllerOf(event.object);
      if (owner !== undefined) setImmediate(() => this.sync(event.object.metadata.namespace, owner.name));
    }
  }

  private addTimer(uid: string, ms: number, run: () => void): void {
    const timer = setTimeout(run, ms);
    timer.unref();
    this.timers.set(uid, [...(this.timers.get(uid) ?? []), timer]);
  }

  private clearTimers(uid: string): void {
    this.timers.get(uid)?.forEach(clearTimeout);
    this.timers.delete(uid);
  }

  private start(job: KubeObject): void {
    const spec = job.spec as JobSpec;
    if (spec.suspend === true || this.store.get('jobs', job.metadata.namespace, job.metadata.name) === undefined) return;
    this.kubelet.noteJobCreated(job);
    const startTime = new Date().toISOString();
    this.store.mutate('jobs', job.metadata.namespace, job.metadata.name, (j) => {
      j.status = { ...(j.status as JobStatus), startTime, active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} };
    });
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${job.metadata.name}-${randomBytes(4).toString('hex').slice(0, 5)}`,
        namespace: job.metadata.namespace,
        labels: { ...spec.template.metadata?.labels },
        annotations: spec.template.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      } as KubeObject['metadata'],
      spec: structuredClone(spec.template.spec),
    };
    RESOURCE_TYPES.pods.defaults?.(pod);
    this.store.create('pods', pod);
    if (spec.activeDeadlineSeconds !== undefined) {
      this.addTimer(job.metadata.uid, spec.activeDeadlineSeconds * 1000, () =>
        this.fail(job.metadata.namespace, job.metadata.name, 'DeadlineExceeded', 'Job was active longer than specified deadline'),
      );
    }
  }

  private podsOf(job: KubeObject): PodView[] {
    return this.store.list('pods', job.metadata.namespace).filter((pod) => controllerOf(pod)?.uid === job.metadata.uid);
  }

  private sync(namespace: string, name: string): void {
    const job = this.store.get('jobs', namespace, name);
    if (job === undefined || finished(job.status as JobStatus)) return;
    const pods = this.podsOf(job);
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed').length;
    const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const live = pods.filter((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded' && p.metadata.deletionTimestamp === undefined);
    const ready = live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const status = job.status as JobStatus;
    if (failedPods > ((job.spec as JobSpec).backoffLimit ?? 6)) {
      this.fail(namespace, name, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      return;
    }
    if (succeededPods > 0) {
      this.finish(namespace, name, { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, { succeeded: succeededPods });
      return;
    }
    if (status.active !== live.length || status.ready !== ready || (status.failed ?? 0) !== failedPods) {
      this.store.mutate('jobs', namespace, name, (j) => {
        j.status = { ...(j.status as JobStatus), active: live.length, ready, ...(failedPods > 0 ? { failed: failedPods } : {}) };
      });
    }
  }

  /** Marks the Job failed and deletes its running pods, as the controller does for a deadline. */
  private fail(namespace: string, name: string, reason: string, message: string): void {
    const job = this.store.get('jobs', namespace, name);
    if (job === undefined || finished(job.status as JobStatus)) return;
    const pods = this.podsOf(job);
    this.finish(namespace, name, { type: 'Failed', reason, message }, { failed: Math.max(1, pods.filter((p) => p.status?.phase === 'Failed').length) });
    for (const pod of pods) {
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') continue;
      try {
        deleteObject(this.store, 'pods', namespace, pod.metadata.name);
      } catch {
        // already gone
      }
    }
  }

  private finish(namespace: string, name: string, condition: { type: 'Failed' | 'Complete'; reason: string; message: string }, counts: Partial<JobStatus>): void {
    const now = new Date().toISOString();
    const job = this.store.mutate('jobs', namespace, name, (j) => {
      const status = j.status as JobStatus;
      const target = condition.type === 'Failed' ? 'FailureTarget' : 'SuccessCriteriaMet';
      j.status = {
        ...status,
        ...counts,
        active: 0,
        ready: 0,
        ...(condition.type === 'Complete' ? { completionTime: now } : {}),
        conditions: [
          ...(status.conditions ?? []),
          { type: target, status: 'True', reason: condition.reason, message: condition.message, lastProbeTime: now, lastTransitionTime: now },
          { type: condition.type, status: 'True', reason: condition.reason, message: condition.message, lastProbeTime: now, lastTransitionTime: now },
        ],
      };
    });
    const ttl = (job?.spec as JobSpec | undefined)?.ttlSecondsAfterFinished;
    if (job !== undefined && ttl !== undefined) {
      this.addTimer(job.metadata.uid, ttl * 1000, () => {
        try {
          deleteObject(this.store, 'jobs', namespace, name, { propagationPolicy: 'Background' });
        } catch {
          // already deleted
        }
      });
    }
  }
}
