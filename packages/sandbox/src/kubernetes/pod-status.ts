import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { SandboxFailureReason } from '../sandbox-errors';

/** A failure, or a hint of one, with the cluster's own words in the message. */
export interface SandboxProblem {
  reason: SandboxFailureReason;
  message: string;
}

/** Where a sandbox pod is on its way to a ready runner. */
export type SandboxPodState =
  /** Not there yet; `hint` is the latest trouble that may yet clear (unschedulable, config not there yet). */
  | { phase: 'pending'; hint?: SandboxProblem }
  | { phase: 'ready'; podIP: string }
  | ({ phase: 'failed' } & SandboxProblem);

/** Waiting reasons after which the kubelet will not get the image without someone changing something. */
const IMAGE_PULL_FAILURES = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Waiting reasons that can clear by themselves: a retried pull, a Secret that is about to exist. */
const TRANSIENT_WAITING = new Set(['ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError']);

function containerProblem(status: V1ContainerStatus, init: boolean): { fatal: boolean; problem: SandboxProblem } | undefined {
  const what = init ? `init container ${status.name}` : `container ${status.name}`;
  const waiting = status.state?.waiting;
  if (waiting?.reason !== undefined) {
    const detail = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    if (IMAGE_PULL_FAILURES.has(waiting.reason)) {
      return { fatal: true, problem: { reason: 'image_pull_failed', message: `the image of ${what} could not be pulled (${detail})` } };
    }
    if (waiting.reason === 'ErrImagePull') {
      return { fatal: false, problem: { reason: 'image_pull_failed', message: `the image of ${what} could not be pulled yet (${detail})` } };
    }
    if (TRANSIENT_WAITING.has(waiting.reason)) {
      return { fatal: false, problem: { reason: 'runner_failed', message: `${what} cannot start yet (${detail})` } };
    }
  }
  const terminated = status.state?.terminated;
  if (terminated === undefined || (init && terminated.exitCode === 0)) return undefined;
  if (terminated.reason === 'OOMKilled') {
    return { fatal: true, problem: { reason: 'oom_killed', message: `${what} ran out of memory (OOMKilled, exit code ${terminated.exitCode})` } };
  }
  const said = terminated.message ? `: ${terminated.message.trim().slice(-500)}` : '';
  const step = init ? `${what} failed` : `the sandbox runner exited`;
  return { fatal: true, problem: { reason: 'runner_failed', message: `${step} (${terminated.reason ?? 'Error'}, exit code ${terminated.exitCode})${said}` } };
}

/**
 * Reads a sandbox pod's status: ready (with its IP), failed (why, in terms a session.error can
 * carry), or still pending (with the latest hint, used if the start times out).
 */
export function sandboxPodState(pod: V1Pod): SandboxPodState {
  const status = pod.status ?? {};
  if (pod.metadata?.deletionTimestamp !== undefined) {
    return { phase: 'failed', reason: 'deleted', message: 'the sandbox pod was deleted before it was ready' };
  }
  if (status.reason === 'DeadlineExceeded') {
    return { phase: 'failed', reason: 'deadline_exceeded', message: status.message ?? 'the sandbox reached its maximum lifetime' };
  }
  const statuses = [
    ...(status.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
    ...(status.containerStatuses ?? []).map((s) => ({ s, init: false })),
  ];
  let hint: SandboxProblem | undefined;
  for (const { s, init } of statuses) {
    const found = containerProblem(s, init);
    if (found?.fatal) return { phase: 'failed', ...found.problem };
    hint ??= found?.problem;
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    const why = status.reason ? ` (${status.reason}${status.message ? `: ${status.message}` : ''})` : '';
    return { phase: 'failed', reason: 'runner_failed', message: `the sandbox pod ended${why}` };
  }
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    hint ??= { reason: 'unschedulable', message: `no node can run the sandbox: ${scheduled.message ?? 'Unschedulable'}` };
  }
  const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (status.phase === 'Running' && ready && status.podIP) return { phase: 'ready', podIP: status.podIP };
  return { phase: 'pending', hint };
}

/** The Job's terminal failure, if it has one (deadline exceeded, backoff limit reached). */
export function sandboxJobFailure(job: V1Job): SandboxProblem | undefined {
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed === undefined) return undefined;
  if (failed.reason === 'DeadlineExceeded') {
    return { reason: 'deadline_exceeded', message: `the sandbox reached its maximum lifetime (${failed.message ?? 'DeadlineExceeded'})` };
  }
  return { reason: 'runner_failed', message: `the sandbox Job failed (${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''})` };
}

/** True once the Job has finished, successfully or not. */
export function sandboxJobFinished(job: V1Job): boolean {
  return job.status?.conditions?.some((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True') ?? false;
}

/** `http://<ip>:<port>`, bracketing an IPv6 pod IP. */
export function runnerBaseUrl(podIP: string, port: number): string {
  return `http://${podIP.includes(':') ? `[${podIP}]` : podIP}:${port}`;
}
