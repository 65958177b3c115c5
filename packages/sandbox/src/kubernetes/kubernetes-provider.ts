import { randomBytes } from 'node:crypto';
import type { V1Job, V1Pod, V1Toleration } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Networking } from '@stratus/contracts';
import { egressProxyUrl } from '../egress/egress-credential';
import type { SandboxLogger } from '../local/local-provider';
import { templateDigest, templateOf } from '../pool/template-digest';
import { WarmPool, type WarmPoolConfig } from '../pool/warm-pool';
import type {
  ReconcileOptions,
  ReconcileReport,
  SandboxHandle,
  SandboxProvider,
  SandboxRecord,
  SandboxSpec,
  SandboxTemplate,
} from '../provider';
import { RunnerClient, RunnerUnavailableError } from '../runner-client';
import { SandboxStartError } from '../sandbox-errors';
import { isStatus, jsonPointerToken, KubeApiError, SandboxKubeApi, type KubeConnection } from './kube-api';
import {
  ANNOTATIONS,
  assertLabelValue,
  egressClass,
  jobOwnerReference,
  LABELS,
  needsInstallStep,
  SANDBOX_SELECTOR,
  sandboxJob,
  sandboxLabels,
  sandboxName,
  sandboxSecret,
  SECRET_KEYS,
  type SandboxIdentity,
  type SandboxManifestConfig,
} from './manifests';
import { sandboxNetworkPolicies, type NetworkPolicyConfig } from './network-policies';
import { proxyUrlByClusterIp } from './proxy-address';
import { runnerBaseUrl, sandboxJobFailure, sandboxJobFinished, sandboxPodState, type SandboxProblem } from './pod-status';
import { WatchedCollection } from './watched-collection';

export interface KubernetesSandboxProviderOptions {
  /** Default: the standard loading rules (KUBECONFIG, ~/.kube/config, then the in-cluster service account). */
  connection?: KubeConnection;
  /** The namespace sandboxes run in (nothing else should run there). */
  namespace: string;
  /** The sandbox-runner image: run as is, or copied into an environment's own image. */
  runnerImage: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: readonly string[];
  /** The runner's port inside the pod; default 8080. */
  runnerPort?: number;
  /** e.g. `gvisor` or `kata`; default the cluster's runtime. */
  runtimeClassName?: string;
  /** A sandbox's maximum lifetime (activeDeadlineSeconds); default 24 h. */
  maxLifetimeSeconds?: number;
  /** How long a finished Job stays before Kubernetes deletes it; default 300 s. */
  ttlSecondsAfterFinished?: number;
  runAsUser?: number;
  workspaceSizeLimit?: string;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly V1Toleration[];
  /** How long provision() waits for the runner before failing; default 120 s (image pulls, node scale-up). */
  startTimeoutMs?: number;
  /** Required for `limited` and `allowed_hosts` networking, and for installing packages. */
  egressProxy?: { url: string; signingKey: string };
  /**
   * The NetworkPolicies the provider keeps in the sandbox namespace (see network-policies.ts);
   * `false` when the platform team manages them itself. Defaults: workers and egress proxy in the
   * `stratus` namespace with the Helm chart's labels, proxy port 3128.
   */
  networkPolicies?: Partial<Omit<NetworkPolicyConfig, 'namespace' | 'runnerPort'>> | false;
  warmPool?: WarmPoolConfig;
  logger?: SandboxLogger;
  /** Names this provider instance on the warm sandboxes it owns; default random. */
  instanceId?: string;
}

/** A sandbox this provider started and whose runner answered. */
interface StartedSandbox {
  name: string;
  token: string;
  podIP: string;
  /** The nonce its egress credentials are bound to, kept in its Job's annotations. */
  egressNonce?: string;
}

interface Cluster {
  api: SandboxKubeApi;
  pods: WatchedCollection<V1Pod>;
  jobs: WatchedCollection<V1Job>;
}

const DEFAULT_PROXY = { namespace: 'stratus', podLabels: { 'app.kubernetes.io/name': 'stratus', 'app.kubernetes.io/component': 'egress-proxy' }, port: 3128 };
const DEFAULT_WORKERS = { namespace: 'stratus', podLabels: { 'app.kubernetes.io/name': 'stratus', 'app.kubernetes.io/component': 'worker' } };
/** A Secret with no Job this much older than its creation is debris of a crash between the two creates. */
const DANGLING_SECRET_AGE_MS = 60_000;
/** Time for the runner to answer /healthz after its pod turned Ready (the pod network may lag a moment). */
const HEALTH_RETRY_MS = 5000;
const REGISTRIES_ONLY: Networking = { type: 'limited', allow_package_managers: true };

const defaultLogger: SandboxLogger = { warn: (_details, message) => process.emitWarning(message) };

/** The uid of the Job that made a pod (the Job controller's label, and its owner reference). */
function jobUidOfPod(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  return labels['batch.kubernetes.io/controller-uid'] ?? labels['controller-uid'] ?? pod.metadata?.ownerReferences?.find((ref) => ref.kind === 'Job')?.uid;
}

function createdAt(object: { metadata?: { creationTimestamp?: Date | string } }): Date {
  return new Date(object.metadata?.creationTimestamp ?? 0);
}

/**
 * Sandboxes as Kubernetes Jobs: per session a Secret (runner token, proxy credentials) and a Job
 * whose one pod runs the sandbox runner, reached at the pod IP. Pods and Jobs of the sandbox
 * namespace are list-watched once per provider, so provision() waits on watch events, and any worker
 * can find and use a sandbox another worker started (the session label, the Secret's token).
 */
export class KubernetesSandboxProvider implements SandboxProvider {
  private readonly config: SandboxManifestConfig;
  private readonly logger: SandboxLogger;
  private readonly startTimeoutMs: number;
  private readonly instanceId: string;
  private readonly pool?: WarmPool<StartedSandbox>;
  private readonly sandboxes = new Map<string, { name: string; handle: SandboxHandle }>();
  private readonly starting = new Map<string, Promise<SandboxHandle>>();
  /** Job names this instance is creating right now; the reconciler leaves them alone. */
  private readonly inFlight = new Set<string>();
  private cluster?: Promise<Cluster>;
  /** The egress proxy's URL with its Service's ClusterIP for a host, once read. */
  private proxyBaseUrl?: Promise<string>;
  private stopped = false;

  constructor(private readonly options: KubernetesSandboxProviderOptions) {
    this.config = {
      namespace: options.namespace,
      runnerImage: options.runnerImage,
      imagePullPolicy: options.imagePullPolicy,
      imagePullSecrets: options.imagePullSecrets,
      runnerPort: options.runnerPort ?? 8080,
      runtimeClassName: options.runtimeClassName,
      maxLifetimeSeconds: options.maxLifetimeSeconds ?? 86_400,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 300,
      runAsUser: options.runAsUser,
      workspaceSizeLimit: options.workspaceSizeLimit,
      nodeSelector: options.nodeSelector,
      tolerations: options.tolerations,
    };
    this.logger = options.logger ?? defaultLogger;
    this.startTimeoutMs = options.startTimeoutMs ?? 120_000;
    this.instanceId = options.instanceId ?? randomBytes(6).toString('hex');
    if (options.warmPool !== undefined) {
      this.pool = new WarmPool<StartedSandbox>(
        options.warmPool,
        {
          start: (template, digest) => this.startWarm(template, digest),
          stop: (sandbox) => this.deleteSandbox(sandbox.name),
        },
        this.logger,
      );
    }
  }

  /**
   * Connects, applies the NetworkPolicies and fills the watch caches. provision() does this on
   * first use; calling it at boot surfaces a bad kubeconfig or missing RBAC before the first session.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  async provision(spec: SandboxSpec): Promise<SandboxHandle> {
    assertLabelValue('session id', spec.sessionId);
    assertLabelValue('workspace id', spec.workspaceId);
    assertLabelValue('environment id', spec.environmentId);
    const running = this.sandboxes.get(spec.sessionId);
    if (running !== undefined && (await this.stillReady(running.name))) return running.handle;
    let starting = this.starting.get(spec.sessionId);
    if (starting === undefined) {
      starting = this.provisionNow(spec).finally(() => this.starting.delete(spec.sessionId));
      this.starting.set(spec.sessionId, starting);
    }
    return starting;
  }

  async get(sessionId: string): Promise<SandboxHandle | undefined> {
    const known = this.sandboxes.get(sessionId);
    if (known !== undefined) {
      if (await this.stillReady(known.name)) return known.handle;
      this.sandboxes.delete(sessionId);
      return undefined;
    }
    const cluster = await this.connect();
    const job = this.jobsOfSession(cluster.jobs, sessionId).find((j) => !sandboxJobFinished(j));
    const name = job?.metadata?.name;
    if (name === undefined) return undefined;
    const pod = this.podsOfJob(cluster, name).find((p) => sandboxPodState(p).phase === 'ready');
    const state = pod === undefined ? undefined : sandboxPodState(pod);
    if (state?.phase !== 'ready') return undefined;
    const token = await this.tokenOf(cluster.api, name);
    if (token === undefined) return undefined;
    const handle: SandboxHandle = {
      sessionId,
      endpoint: { baseUrl: runnerBaseUrl(state.podIP, this.config.runnerPort) },
      token,
      startedAt: createdAt(pod ?? {}),
      startupMs: 0,
    };
    this.sandboxes.set(sessionId, { name, handle });
    return handle;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.starting.get(sessionId)?.catch(() => undefined);
    const names = new Set([sandboxName(sessionId)]);
    const known = this.sandboxes.get(sessionId);
    if (known !== undefined) names.add(known.name);
    this.sandboxes.delete(sessionId);
    const { jobs } = await this.connect();
    for (const job of this.jobsOfSession(jobs, sessionId)) names.add(job.metadata?.name ?? '');
    names.delete('');
    await Promise.all([...names].map((name) => this.deleteSandbox(name)));
  }

  async list(): Promise<SandboxRecord[]> {
    const { api } = await this.connect();
    const { items } = await api.listJobs(SANDBOX_SELECTOR);
    return items.map((job) => {
      const labels = job.metadata?.labels ?? {};
      const finished = sandboxJobFinished(job);
      return {
        id: job.metadata?.name ?? '',
        sessionId: labels[LABELS.session],
        workspaceId: labels[LABELS.workspace] ?? '',
        environmentId: labels[LABELS.environment] ?? '',
        state: finished ? 'finished' : (job.status?.ready ?? 0) > 0 ? 'running' : 'starting',
        warm: labels[LABELS.warm] === 'true',
        createdAt: createdAt(job),
      };
    });
  }

  async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    const { api } = await this.connect();
    const [{ items: jobs }, { items: secrets }] = await Promise.all([api.listJobs(SANDBOX_SELECTOR), api.listSecrets(SANDBOX_SELECTOR)]);
    const sessionIds = [...new Set(jobs.map((job) => job.metadata?.labels?.[LABELS.session]).filter((id) => id !== undefined))];
    const live = sessionIds.length > 0 ? await options.liveSessions(sessionIds) : new Set<string>();
    const held = new Set((this.pool?.held() ?? []).map((sandbox) => sandbox.name));
    const staleWarmMs = 2 * (this.options.warmPool?.maxIdleMs ?? 10 * 60_000);
    const report: ReconcileReport = { destroyed: [] };

    for (const job of jobs) {
      const name = job.metadata?.name ?? '';
      if (this.inFlight.has(name)) continue;
      const labels = job.metadata?.labels ?? {};
      const sessionId = labels[LABELS.session];
      let reason: ReconcileReport['destroyed'][number]['reason'] | undefined;
      if (sandboxJobFinished(job)) reason = 'finished';
      else if (sessionId !== undefined && !live.has(sessionId)) reason = 'session_gone';
      else if (labels[LABELS.warm] === 'true') {
        const owner = job.metadata?.annotations?.[ANNOTATIONS.warmOwner];
        const mine = owner === this.instanceId;
        if ((mine && !held.has(name)) || (!mine && Date.now() - createdAt(job).getTime() > staleWarmMs)) reason = 'stale_warm';
      }
      if (reason === undefined) continue;
      await this.deleteSandbox(name);
      if (sessionId !== undefined && this.sandboxes.get(sessionId)?.name === name) this.sandboxes.delete(sessionId);
      report.destroyed.push({ id: name, sessionId, reason });
    }

    const jobNames = new Set(jobs.map((job) => job.metadata?.name));
    for (const secret of secrets) {
      const name = secret.metadata?.name ?? '';
      if (jobNames.has(name) || this.inFlight.has(name) || Date.now() - createdAt(secret).getTime() < DANGLING_SECRET_AGE_MS) continue;
      await api.deleteSecret(name);
      report.destroyed.push({ id: name, sessionId: secret.metadata?.labels?.[LABELS.session], reason: 'dangling_secret' });
    }
    return report;
  }

  prewarm(template: SandboxTemplate): void {
    this.pool?.prewarm(template);
  }

  /** Warm sandboxes of the environment ready to be claimed (a gauge for metrics). */
  warmSandboxes(environmentId: string): number {
    return this.pool?.readyCount(environmentId) ?? 0;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => undefined)));
    await this.pool?.close();
    this.stopped = true;
    this.sandboxes.clear();
    const cluster = await this.cluster?.catch(() => undefined);
    cluster?.pods.stop();
    cluster?.jobs.stop();
  }

  private async connect(): Promise<Cluster> {
    if (this.stopped) throw new Error('the Kubernetes sandbox provider was shut down');
    this.cluster ??= (async () => {
      const api = await SandboxKubeApi.connect(this.options.connection ?? {}, this.options.namespace);
      if (this.options.networkPolicies !== false) {
        const overrides = this.options.networkPolicies ?? {};
        const policies = sandboxNetworkPolicies({
          namespace: this.options.namespace,
          runnerPort: this.config.runnerPort,
          workers: overrides.workers ?? DEFAULT_WORKERS,
          egressProxy: overrides.egressProxy ?? DEFAULT_PROXY,
          dns: overrides.dns,
          blockedCidrs: overrides.blockedCidrs,
        });
        for (const policy of policies) await api.applyNetworkPolicy(policy);
      }
      const onError = (what: string) => (error: unknown) => this.logger.warn({ error: (error as Error).message }, `watch of sandbox ${what} failed; retrying`);
      const pods = new WatchedCollection<V1Pod>({
        path: api.collectionPath('pods'),
        labelSelector: SANDBOX_SELECTOR,
        list: () => api.listPods(SANDBOX_SELECTOR),
        watcher: api.watcher,
        onError: onError('pods'),
      });
      const jobs = new WatchedCollection<V1Job>({
        path: api.collectionPath('jobs'),
        labelSelector: SANDBOX_SELECTOR,
        list: () => api.listJobs(SANDBOX_SELECTOR),
        watcher: api.watcher,
        onError: onError('jobs'),
      });
      await Promise.all([pods.start(), jobs.start()]);
      return { api, pods, jobs };
    })();
    // A failed connection is not cached: the next call tries again.
    this.cluster.catch(() => (this.cluster = undefined));
    return this.cluster;
  }

  private async provisionNow(spec: SandboxSpec): Promise<SandboxHandle> {
    const began = performance.now();
    const cluster = await this.connect();
    // The session may already have a sandbox: from another worker, or from an earlier turn of this one.
    for (const job of this.jobsOfSession(cluster.jobs, spec.sessionId)) {
      const name = job.metadata?.name ?? '';
      if (sandboxJobFinished(job)) {
        await this.deleteSandbox(name);
        continue;
      }
      const adopted = await this.adopt(cluster, spec.sessionId, name, began).catch(async (error: unknown) => {
        this.logger.warn({ sessionId: spec.sessionId, job: name, error: (error as Error).message }, 'existing sandbox unusable; replacing it');
        await this.deleteSandbox(name);
        return undefined;
      });
      if (adopted !== undefined) return adopted;
    }
    this.pool?.prewarm(templateOf(spec));
    const warm = await this.pool?.claim(spec, (sandbox) => this.claimWarm(cluster, sandbox, spec, began));
    if (warm !== undefined) return warm;

    const name = sandboxName(spec.sessionId);
    try {
      const started = await this.startSandbox(cluster, spec, templateDigest(spec), { name, sessionId: spec.sessionId });
      return this.remember(spec.sessionId, started, began, false);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) {
        // Another worker is starting this session's sandbox right now: wait for theirs.
        return this.adopt(cluster, spec.sessionId, name, began);
      }
      throw error;
    }
  }

  private remember(sessionId: string, started: StartedSandbox, began: number, warm: boolean): SandboxHandle {
    const handle: SandboxHandle = {
      sessionId,
      endpoint: { baseUrl: runnerBaseUrl(started.podIP, this.config.runnerPort) },
      token: started.token,
      startedAt: new Date(),
      startupMs: performance.now() - began,
      ...(warm ? { warm: true } : {}),
    };
    this.sandboxes.set(sessionId, { name: started.name, handle });
    return handle;
  }

  /** Uses a sandbox that already exists for the session: its token from the Secret, its pod once ready. */
  private async adopt(cluster: Cluster, sessionId: string, name: string, began: number): Promise<SandboxHandle> {
    const uid = await this.jobUid(cluster, name);
    const podIP = await this.waitForPod(cluster, name, uid);
    const token = await this.tokenOf(cluster.api, name);
    if (token === undefined) throw new SandboxStartError('runner_failed', `sandbox ${name} has no token Secret`);
    await this.waitForRunner(podIP, token);
    return this.remember(sessionId, { name, token, podIP }, began, false);
  }

  /**
   * The uid of the Job called `name`, waiting for it to appear when another worker has created its
   * Secret but not yet the Job (the 409 that sent us here).
   */
  private async jobUid(cluster: Cluster, name: string): Promise<string> {
    const known = cluster.jobs.get(name)?.metadata?.uid ?? (await cluster.api.readJob(name))?.metadata?.uid;
    if (known !== undefined) return known;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new SandboxStartError('deleted', `sandbox ${name} has a Secret but its Job never appeared`));
      }, this.startTimeoutMs);
      const unsubscribe = cluster.jobs.subscribe((event, job) => {
        if (event === 'DELETED' || job.metadata?.name !== name || job.metadata.uid === undefined) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(job.metadata.uid);
      });
    });
  }

  private async startWarm(template: SandboxTemplate, digest: string): Promise<StartedSandbox> {
    const cluster = await this.connect();
    const name = `sbx-warm-${randomBytes(5).toString('hex')}`;
    return this.startSandbox(cluster, template, digest, { name, warmOwner: this.instanceId });
  }

  /** Gives a warm sandbox to a session: relabels its Job and pod (the session label is how every worker finds it). */
  private async claimWarm(cluster: Cluster, sandbox: StartedSandbox, spec: SandboxSpec, began: number): Promise<SandboxHandle> {
    const pod = this.podsOfJob(cluster, sandbox.name).find((p) => sandboxPodState(p).phase === 'ready');
    if (pod?.metadata?.name === undefined) throw new SandboxStartError('runner_failed', `warm sandbox ${sandbox.name} is no longer running`);
    const labelOps = [
      { op: 'remove' as const, path: `/metadata/labels/${jsonPointerToken(LABELS.warm)}` },
      { op: 'add' as const, path: `/metadata/labels/${jsonPointerToken(LABELS.session)}`, value: spec.sessionId },
    ];
    await Promise.all([
      cluster.api.patchJob(sandbox.name, [
        ...labelOps,
        {
          op: 'add',
          path: '/metadata/annotations',
          // The egress nonce stays: the sandbox's proxy credentials are bound to it.
          value: { [ANNOTATIONS.claimedAt]: new Date().toISOString(), ...(sandbox.egressNonce === undefined ? {} : { [ANNOTATIONS.egressNonce]: sandbox.egressNonce }) },
        },
      ]),
      cluster.api.patchPod(pod.metadata.name, labelOps),
    ]);
    return this.remember(spec.sessionId, sandbox, began, true);
  }

  /** Creates the Secret and the Job, then waits for the runner. Cleans up after itself when that fails. */
  private async startSandbox(cluster: Cluster, template: SandboxTemplate, digest: string, named: SandboxIdentity): Promise<StartedSandbox> {
    const { api } = cluster;
    const token = randomBytes(32).toString('base64url');
    // A fresh nonce per sandbox: a Job re-created under the same name does not revive old credentials.
    const identity = egressClass(template) === 'proxy' ? { ...named, egressNonce: randomBytes(12).toString('base64url') } : named;
    const proxies = await this.proxyUrls(api, template, identity);
    const labels = sandboxLabels(template, digest, identity);
    const secret = sandboxSecret(identity, labels, { token, ...proxies }, this.config);
    const job = sandboxJob(template, digest, identity, { hasProxy: proxies.proxyUrl !== undefined, hasInitProxy: proxies.initProxyUrl !== undefined }, this.config);
    this.inFlight.add(identity.name);
    let created = false;
    try {
      // The Secret first: a pod whose Secret is missing waits in CreateContainerConfigError with kubelet back-off.
      await this.rejectedIfRefused(api.createSecret(secret));
      created = true;
      const createdJob = await this.rejectedIfRefused(api.createJob(job));
      const owner = api
        .setSecretOwner(identity.name, jobOwnerReference({ name: identity.name, uid: createdJob.metadata?.uid ?? '' }))
        .catch((error: unknown) => this.logger.warn({ job: identity.name, error: (error as Error).message }, 'could not make the sandbox Secret a dependent of its Job'));
      const podIP = await this.waitForPod(cluster, identity.name, createdJob.metadata?.uid ?? '');
      await Promise.all([owner, this.waitForRunner(podIP, token)]);
      return { name: identity.name, token, podIP, egressNonce: identity.egressNonce };
    } catch (error) {
      // 409 on the Secret means another worker owns this name: leave its objects alone.
      if (created || !isStatus(error, 409)) await this.deleteSandbox(identity.name).catch(() => undefined);
      throw error;
    } finally {
      this.inFlight.delete(identity.name);
    }
  }

  /** An API refusal (RBAC, quota, validation) becomes a SandboxStartError; 409 stays a KubeApiError for the caller. */
  private async rejectedIfRefused<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof KubeApiError && error.status !== 409 && error.status < 500) {
        throw new SandboxStartError('rejected', `the cluster refused the sandbox (${error.status} ${error.reason}): ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** Signed proxy URLs for the runner and the install step, per the networking policy, with the proxy's ClusterIP as host. */
  private async proxyUrls(api: SandboxKubeApi, template: SandboxTemplate, identity: SandboxIdentity): Promise<{ proxyUrl?: string; initProxyUrl?: string }> {
    const usesProxy = egressClass(template) === 'proxy';
    if (!usesProxy) return {};
    const proxy = this.options.egressProxy;
    if (proxy === undefined) {
      throw new SandboxStartError(
        'rejected',
        `networking "${template.networking.type}" needs the egress proxy, and none is configured (STRATUS_EGRESS_PROXY_URL, STRATUS_EGRESS_PROXY_SIGNING_KEY)`,
      );
    }
    const base = await this.egressProxyBaseUrl(api, proxy.url);
    const now = Math.ceil(Date.now() / 1000);
    const expiresAt = now + this.config.maxLifetimeSeconds + Math.ceil((this.options.warmPool?.maxIdleMs ?? 0) / 1000);
    // The install step's credential is useless once the sandbox has started (or failed to): a setup
    // script that copies it into the workspace hands the runner nothing it can use.
    const installExpiresAt = now + Math.ceil(this.startTimeoutMs / 1000);
    const sandbox = identity.egressNonce === undefined ? undefined : { name: identity.name, nonce: identity.egressNonce };
    const grant = (policy: Networking, until: number) =>
      egressProxyUrl(base, { sessionId: identity.sessionId ?? identity.name, workspaceId: template.workspaceId, policy, expiresAt: until, sandbox }, proxy.signingKey);
    return {
      proxyUrl: template.networking.type === 'none' ? undefined : grant(template.networking, expiresAt),
      initProxyUrl: needsInstallStep(template) ? grant(REGISTRIES_ONLY, installExpiresAt) : undefined,
    };
  }

  private async egressProxyBaseUrl(api: SandboxKubeApi, url: string): Promise<string> {
    const namespace = (this.options.networkPolicies === false ? undefined : this.options.networkPolicies?.egressProxy?.namespace) ?? DEFAULT_PROXY.namespace;
    this.proxyBaseUrl ??= proxyUrlByClusterIp(api, url, namespace);
    // Not cached when it fails: the Service may be created after the worker.
    this.proxyBaseUrl.catch(() => (this.proxyBaseUrl = undefined));
    try {
      return await this.proxyBaseUrl;
    } catch (error) {
      throw new SandboxStartError('rejected', `cannot reach the egress proxy by ClusterIP: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Resolves with the pod IP once the Job's pod is Running and Ready; rejects with a SandboxStartError
   * as soon as the pod or Job shows a failure, or when the start timeout passes (naming the last hint).
   * Driven by the watch caches: no polling.
   */
  private async waitForPod(cluster: Cluster, name: string, uid: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let hint: SandboxProblem | undefined;
      let jobSeen = false;
      const settle = (outcome: { podIP: string } | SandboxStartError) => {
        clearTimeout(timer);
        unsubscribePods();
        unsubscribeJobs();
        if (outcome instanceof SandboxStartError) reject(outcome);
        else resolve(outcome.podIP);
      };
      const check = () => {
        const cached = cluster.jobs.get(name);
        // Until the watch delivers it, the cache may still hold an older Job of the same name.
        const job = cached?.metadata?.uid === uid ? cached : undefined;
        if (job !== undefined) jobSeen = true;
        const states = this.podsOfJob(cluster, name, uid).map(sandboxPodState);
        const ready = states.find((s) => s.phase === 'ready');
        if (ready?.phase === 'ready') return settle({ podIP: ready.podIP });
        const podFailure = states.find((s) => s.phase === 'failed');
        const jobFailure = job === undefined ? undefined : sandboxJobFailure(job);
        // The pod knows the specific cause (OOM, exit code); the Job knows about its deadline.
        const failure = jobFailure?.reason === 'deadline_exceeded' ? jobFailure : podFailure?.phase === 'failed' ? podFailure : jobFailure;
        if (failure !== undefined) return settle(new SandboxStartError(failure.reason, `sandbox ${name} failed to start: ${failure.message}`));
        if (jobSeen && job === undefined) return settle(new SandboxStartError('deleted', `sandbox ${name} was deleted while it was starting`));
        for (const state of states) if (state.phase === 'pending' && state.hint !== undefined) hint = state.hint;
      };
      const timer = setTimeout(() => {
        const seconds = Math.round(this.startTimeoutMs / 1000);
        settle(
          hint === undefined
            ? new SandboxStartError('start_timeout', `sandbox ${name} was not ready after ${seconds} s`)
            : new SandboxStartError(hint.reason, `sandbox ${name} was not ready after ${seconds} s: ${hint.message}`),
        );
      }, this.startTimeoutMs);
      const onChange = () => check();
      const unsubscribePods = cluster.pods.subscribe(onChange);
      const unsubscribeJobs = cluster.jobs.subscribe(onChange);
      check();
    });
  }

  /** The pod is Ready (its port accepts); this confirms the runner answers with this token. */
  private async waitForRunner(podIP: string, token: string): Promise<void> {
    const client = new RunnerClient({ baseUrl: runnerBaseUrl(podIP, this.config.runnerPort) }, token);
    const deadline = Date.now() + HEALTH_RETRY_MS;
    try {
      for (;;) {
        try {
          await client.health();
          return;
        } catch (error) {
          if (!(error instanceof RunnerUnavailableError) || Date.now() > deadline) {
            throw new SandboxStartError('runner_failed', `the sandbox runner at ${podIP} did not answer: ${(error as Error).message}`, { cause: error });
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      await client.close();
    }
  }

  private async stillReady(name: string): Promise<boolean> {
    const cluster = await this.connect();
    return this.podsOfJob(cluster, name).some((pod) => sandboxPodState(pod).phase === 'ready');
  }

  private async tokenOf(api: SandboxKubeApi, name: string): Promise<string | undefined> {
    const secret = await api.readSecret(name);
    const encoded = secret?.data?.[SECRET_KEYS.token];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  }

  private jobsOfSession(jobs: WatchedCollection<V1Job>, sessionId: string): V1Job[] {
    return jobs.values().filter((job) => job.metadata?.labels?.[LABELS.session] === sessionId);
  }

  /**
   * The pods of a Job, by the Job's uid rather than its name: a re-provisioned session reuses the
   * name while the previous Job's pod may still be terminating. Without a uid: the cached Job's.
   */
  private podsOfJob(cluster: Cluster, name: string, uid = cluster.jobs.get(name)?.metadata?.uid): V1Pod[] {
    if (uid === undefined) return [];
    return cluster.pods.values().filter((pod) => jobUidOfPod(pod) === uid);
  }

  /** Deletes the Job (its pod in the background) and the Secret, without waiting for the garbage collector. */
  private async deleteSandbox(name: string): Promise<void> {
    // The existing connection even while shutting down: the pool's last sandboxes are deleted then.
    const { api } = await (this.cluster ?? this.connect());
    await Promise.all([api.deleteJob(name), api.deleteSecret(name)]);
  }
}
