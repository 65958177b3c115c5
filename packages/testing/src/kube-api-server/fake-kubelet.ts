import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isRunnerReadyLine, type RunnerEnvName } from '@stratus/sandbox-protocol';
import { deleteObject } from './garbage-collector';
import type { ObjectStore, StoreEvent } from './object-store';
import type { KubeObject } from './resources';

/** Ways a pod can be made to fail on demand. */
export type PodFailure =
  /** Every pull of the first image fails: ErrImagePull, then ImagePullBackOff, for ever. */
  | 'ImagePullBackOff'
  /** The scheduler finds no node: PodScheduled=False/Unschedulable, for ever. */
  | 'Unschedulable'
  /** The runner starts and is killed for exceeding its memory limit before it is ready (exit 137). */
  | 'OOMKilled'
  /** The Job controller fails the Job for its deadline as soon as the pod exists. */
  | 'DeadlineExceeded'
  /** The last init container (the package install) exits 1. */
  | 'InitFailure';

export interface FakeKubeletOptions {
  /** The sandbox runner's built entry point (apps/sandbox-runner/dist/main.js): what every pod runs. */
  runnerEntry: string;
  /** The node binary; default this process's. */
  nodePath?: string;
  /** Pods' emptyDir volumes are directories below it. */
  workDir: string;
  /** Delay before the scheduler binds a pod; default 0. */
  schedulingDelayMs?: number;
}

/** When each step of a pod happened (performance.now() of this process). */
export interface PodTimings {
  jobCreated?: number;
  podCreated: number;
  scheduled?: number;
  started?: number;
  ready?: number;
}

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  terminationMessagePolicy?: string;
}

interface PodSpec {
  nodeName?: string;
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown }[];
  terminationGracePeriodSeconds?: number;
}

interface RunningPod {
  uid: string;
  namespace: string;
  name: string;
  process?: ChildProcess;
  stderr: string;
  oomKill: boolean;
  deleting: boolean;
  dir: string;
}

const NODE_NAME = 'stratus-test-node';
const IMAGE_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CONFIG_RETRY_MS = 100;

class SecretMissing extends Error {}

function condition(type: string, status: 'True' | 'False', extra: Record<string, string> = {}) {
  return { type, status, lastProbeTime: null, lastTransitionTime: new Date().toISOString(), ...extra };
}

/**
 * The scheduler and kubelet of a one-node test cluster. For each pod it assigns a node and a pod IP
 * (127.N.x.y: the whole of 127/8 is loopback on Linux, so every pod has its own address, as in a
 * cluster; N is drawn per kubelet, so test servers running at once never hand out the same address), "runs" the init containers, resolves the runner container's environment (values,
 * Secret keys, field refs) and starts the sandbox runner's built entry as a local process with it.
 * Two things stand in for what a container would give: STRATUS_RUNNER_HOST is the pod IP (the
 * pod's own network namespace), and paths under emptyDir mount points are rewritten to the pod's
 * directories on this machine (its mount namespace). It reports Running, then Ready once the runner
 * listens (the readiness probe), and Failed with the container's exit when the runner dies.
 */
export class FakeKubelet {
  /** Set by the Job controller: fail a Job for its deadline now. */
  onDeadlineRequested?: (namespace: string, jobName: string) => void;
  private readonly pods = new Map<string, RunningPod>();
  private readonly timings = new Map<string, PodTimings>();
  private readonly jobCreated = new Map<string, number>();
  private readonly planned: PodFailure[] = [];
  private policy?: (pod: KubeObject) => PodFailure | undefined;
  private nextIp = 2;
  /** The second octet of this kubelet's pod IPs (127.0.0.0/16 is left to everything else on loopback). */
  private readonly podNet = 64 + Math.floor(Math.random() * 190);
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: FakeKubeletOptions,
  ) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
  }

  /** The next `count` pods fail this way. */
  failNext(failure: PodFailure, count = 1): void {
    for (let i = 0; i < count; i++) this.planned.push(failure);
  }

  /** Decides for every new pod (after failNext's queue) whether and how it fails. */
  setFailurePolicy(policy: ((pod: KubeObject) => PodFailure | undefined) | undefined): void {
    this.policy = policy;
  }

  /** Kills a running pod's runner as the kernel's OOM killer would. */
  oomKill(namespace: string, podName: string): void {
    const pod = [...this.pods.values()].find((p) => p.namespace === namespace && p.name === podName);
    if (pod?.process === undefined) throw new Error(`pod ${podName} has no running runner`);
    pod.oomKill = true;
    this.signal(pod, 'SIGKILL');
  }

  /** The pid of a pod's runner, while it runs. */
  runnerPid(namespace: string, podName: string): number | undefined {
    return [...this.pods.values()].find((p) => p.namespace === namespace && p.name === podName)?.process?.pid;
  }

  /** Timings of the pod of a Job (the first one). */
  timingsOfJob(jobName: string): PodTimings | undefined {
    const pod = this.store.list('pods').find((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === jobName);
    return pod === undefined ? undefined : this.timings.get(pod.metadata.uid);
  }

  /** Called by the Job controller when it takes a new Job up. */
  noteJobCreated(job: KubeObject): void {
    this.jobCreated.set(job.metadata.uid, performance.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    await Promise.all([...this.pods.values()].map((pod) => this.kill(pod)));
    this.pods.clear();
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== 'pods' || this.stopped) return;
    const pod = event.object;
    if (event.type === 'ADDED') {
      const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === 'Job');
      this.timings.set(pod.metadata.uid, { podCreated: performance.now(), jobCreated: owner === undefined ? undefined : this.jobCreated.get(owner.uid) });
      setImmediate(() => void this.admit(pod).catch((error: unknown) => this.reportError(pod, error)));
    } else if (event.type === 'MODIFIED' && pod.metadata.deletionTimestamp !== undefined) {
      setImmediate(() => void this.terminate(pod));
    } else if (event.type === 'DELETED') {
      const running = this.pods.get(pod.metadata.uid);
      if (running !== undefined) void this.kill(running);
    }
  }

  private reportError(pod: KubeObject, error: unknown): void {
    if (error instanceof SecretMissing) return;
    this.update(pod, (p) => {
      p.status = { ...(p.status as object), phase: 'Failed', reason: 'KubeletError', message: (error as Error).message };
    });
  }

  private update(pod: KubeObject, change: (p: KubeObject) => void): KubeObject | undefined {
    const current = this.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (current === undefined || current.metadata.uid !== pod.metadata.uid) return undefined;
    change(current);
    return this.store.update('pods', current);
  }

  private planFailure(pod: KubeObject): PodFailure | undefined {
    return this.planned.shift() ?? this.policy?.(pod);
  }

  private async admit(pod: KubeObject): Promise<void> {
    const failure = this.planFailure(pod);
    const timings = this.timings.get(pod.metadata.uid)!;
    if (failure === 'DeadlineExceeded') {
      const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === 'Job');
      if (owner !== undefined) this.onDeadlineRequested?.(pod.metadata.namespace, owner.name);
      return;
    }
    if (this.options.schedulingDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.schedulingDelayMs));
    if (failure === 'Unschedulable') {
      this.update(pod, (p) => {
        p.status = {
          phase: 'Pending',
          qosClass: 'Guaranteed',
          conditions: [
            condition('PodScheduled', 'False', {
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
            }),
          ],
        };
      });
      return;
    }
    const n = this.nextIp++;
    const podIP = `127.${this.podNet}.${(n >> 8) & 255}.${n & 255}`;
    const startTime = new Date().toISOString();
    const bound = this.update(pod, (p) => {
      (p.spec as PodSpec).nodeName = NODE_NAME;
      p.status = {
        phase: 'Pending',
        qosClass: 'Guaranteed',
        hostIP: '127.0.0.1',
        hostIPs: [{ ip: '127.0.0.1' }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime,
        conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'False'), condition('Ready', 'False'), condition('ContainersReady', 'False')],
      };
    });
    if (bound === undefined) return;
    timings.scheduled = performance.now();
    const spec = bound.spec as PodSpec;
    const inits = spec.initContainers ?? [];

    if (failure === 'ImagePullBackOff') {
      const first = inits[0] ?? spec.containers[0]!;
      const field = inits.length > 0 ? 'initContainerStatuses' : 'containerStatuses';
      const waiting = (reason: string, message: string) =>
        this.update(pod, (p) => {
          (p.status as Record<string, unknown>)[field] = [{ name: first.name, image: first.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason, message } } }];
        });
      waiting('ErrImagePull', `failed to pull and unpack image "${first.image}": not found`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      waiting('ImagePullBackOff', `Back-off pulling image "${first.image}"`);
      return;
    }

    const podDir = path.join(this.options.workDir, bound.metadata.uid);
    const running: RunningPod = { uid: bound.metadata.uid, namespace: bound.metadata.namespace, name: bound.metadata.name, stderr: '', oomKill: false, deleting: false, dir: podDir };
    this.pods.set(running.uid, running);
    await mkdir(podDir, { recursive: true });
    const volumes = new Map<string, string>();
    for (const volume of spec.volumes ?? []) {
      if (volume.emptyDir === undefined) continue;
      const dir = path.join(podDir, 'volumes', volume.name);
      await mkdir(dir, { recursive: true });
      volumes.set(volume.name, dir);
    }

    const initStatuses = inits.map((c, i) => {
      const failed = failure === 'InitFailure' && i === inits.length - 1;
      return {
        name: c.name,
        image: c.image,
        imageID: `${c.image}@sha256:0`,
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: failed ? { exitCode: 1, reason: 'Error', message: 'E: Unable to locate package not-a-package' } : { exitCode: 0, reason: 'Completed' } },
      };
    });
    if (failure === 'InitFailure' && inits.length > 0) {
      this.update(pod, (p) => {
        Object.assign(p.status as object, { phase: 'Failed', initContainerStatuses: initStatuses });
      });
      return;
    }

    const container = spec.containers[0]!;
    let env: NodeJS.ProcessEnv;
    for (;;) {
      try {
        env = this.containerEnv(bound, container, volumes, podIP);
        break;
      } catch (error) {
        if (!(error instanceof SecretMissing)) throw error;
        // As the kubelet does: the container waits in CreateContainerConfigError until the Secret exists.
        const still = this.update(pod, (p) => {
          Object.assign(p.status as object, {
            initContainerStatuses: initStatuses,
            containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: error.message } } }],
          });
        });
        if (still === undefined || running.deleting) return;
        await new Promise((resolve) => setTimeout(resolve, CONFIG_RETRY_MS));
      }
    }

    const child = spawn(this.options.nodePath ?? process.execPath, [this.options.runnerEntry], { env, cwd: volumes.get('workspace') ?? podDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.process = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (running.stderr = (running.stderr + chunk).slice(-4096)));
    const startedAt = new Date().toISOString();
    timings.started = performance.now();
    this.update(pod, (p) => {
      Object.assign(p.status as object, {
        phase: 'Running',
        initContainerStatuses: initStatuses,
        containerStatuses: [{ name: container.name, image: container.image, imageID: `${container.image}@sha256:0`, ready: false, restartCount: 0, started: true, state: { running: { startedAt } } }],
        conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('Ready', 'False'), condition('ContainersReady', 'False')],
      });
    });
    child.once('exit', (code, signal) => this.exited(pod, running, container, code, signal, startedAt));
    // A runner that cannot even be spawned exits 127, as a container whose command is missing does.
    child.once('error', (error) => {
      running.stderr += error.message;
      if (child.exitCode === null) this.exited(pod, running, container, 127, null, startedAt);
    });
    if (failure === 'OOMKilled') {
      running.oomKill = true;
      this.signal(running, 'SIGKILL');
      return;
    }
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!isRunnerReadyLine(line)) return;
      lines.close();
      child.stdout?.resume();
      timings.ready = performance.now();
      this.update(pod, (p) => {
        const statuses = (p.status as { containerStatuses: { ready: boolean }[] }).containerStatuses;
        statuses[0]!.ready = true;
        (p.status as { conditions: unknown[] }).conditions = [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('Ready', 'True'), condition('ContainersReady', 'True')];
      });
    });
  }

  /** The container's environment as the kubelet builds it, with the pod-IP and mount stand-ins. */
  private containerEnv(pod: KubeObject, container: Container, volumes: Map<string, string>, podIP: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: IMAGE_DEFAULT_PATH, HOSTNAME: pod.metadata.name };
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom?.secretKeyRef !== undefined) {
        const ref = variable.valueFrom.secretKeyRef;
        const secret = this.store.get('secrets', pod.metadata.namespace, ref.name);
        const encoded = (secret?.data as Record<string, string> | undefined)?.[ref.key];
        if (encoded === undefined) {
          if (ref.optional === true) continue;
          throw new SecretMissing(secret === undefined ? `secret "${ref.name}" not found` : `couldn't find key ${ref.key} in Secret ${pod.metadata.namespace}/${ref.name}`);
        }
        env[variable.name] = Buffer.from(encoded, 'base64').toString('utf8');
      } else if (variable.valueFrom?.fieldRef !== undefined) {
        const fieldPath = variable.valueFrom.fieldRef.fieldPath;
        env[variable.name] = fieldPath === 'status.podIP' ? podIP : fieldPath === 'metadata.name' ? pod.metadata.name : fieldPath === 'metadata.namespace' ? pod.metadata.namespace : '';
      }
    }
    // The mount namespace stand-in: a path at or under a mount point means the same place in the volume's directory.
    const mounts = (container.volumeMounts ?? [])
      .filter((m) => volumes.has(m.name))
      .map((m) => ({ at: m.mountPath, dir: volumes.get(m.name)! }))
      .sort((a, b) => b.at.length - a.at.length);
    const rewrite = (value: string) =>
      value
        .split(':')
        .map((part) => {
          const mount = mounts.find((m) => part === m.at || part.startsWith(`${m.at}/`));
          return mount === undefined ? part : mount.dir + part.slice(mount.at.length);
        })
        .join(':');
    for (const [name, value] of Object.entries(env)) if (value !== undefined && name !== ('STRATUS_RUNNER_NETWORKING' satisfies RunnerEnvName)) env[name] = rewrite(value);
    // The network namespace stand-in: the runner's 0.0.0.0 is the pod's own address.
    env['STRATUS_RUNNER_HOST' satisfies RunnerEnvName] = podIP;
    return env;
  }

  private exited(pod: KubeObject, running: RunningPod, container: Container, code: number | null, signal: NodeJS.Signals | null, startedAt: string): void {
    running.process = undefined;
    if (running.deleting) {
      this.pods.delete(running.uid);
      this.store.remove('pods', running.namespace, running.name);
      void rm(running.dir, { recursive: true, force: true });
      return;
    }
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    const reason = running.oomKill ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    const message = container.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0 && running.stderr !== '' ? running.stderr : undefined;
    this.update(pod, (p) => {
      Object.assign(p.status as object, {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [
          {
            name: container.name,
            image: container.image,
            imageID: `${container.image}@sha256:0`,
            ready: false,
            restartCount: 0,
            started: false,
            state: { terminated: { exitCode, reason, message, startedAt, finishedAt: new Date().toISOString() } },
          },
        ],
        conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('Ready', 'False', { reason: 'PodFailed' }), condition('ContainersReady', 'False', { reason: 'PodFailed' })],
      });
    });
  }

  /** A pod marked for deletion: SIGTERM, SIGKILL after its grace period, then it is removed. */
  private async terminate(pod: KubeObject): Promise<void> {
    const running = this.pods.get(pod.metadata.uid);
    if (running === undefined || running.process === undefined) {
      this.pods.delete(pod.metadata.uid);
      try {
        deleteObject(this.store, 'pods', pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
      } catch {
        // already removed
      }
      if (running !== undefined) await rm(running.dir, { recursive: true, force: true });
      return;
    }
    if (running.deleting) return;
    running.deleting = true;
    const grace = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
    const child = running.process;
    this.signal(running, 'SIGTERM');
    const killer = setTimeout(() => this.signal(running, 'SIGKILL'), grace);
    await once(child, 'exit');
    clearTimeout(killer);
  }

  private async kill(pod: RunningPod): Promise<void> {
    pod.deleting = true;
    const child = pod.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      this.signal(pod, 'SIGKILL');
      await exited;
    }
    this.pods.delete(pod.uid);
    await rm(pod.dir, { recursive: true, force: true });
  }

  private signal(pod: RunningPod, signal: NodeJS.Signals): void {
    const pid = pod.process?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}
