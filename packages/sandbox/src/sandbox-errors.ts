/**
 * Why a sandbox could not start or stopped: the worker turns these into `session.error` with a
 * message the integrator can act on (fix the image, lower the resources, raise the lifetime).
 */
export type SandboxFailureReason =
  /** The image (the environment's or the runner's) could not be pulled. */
  | 'image_pull_failed'
  /** No node can take the pod (resources, taints, quotas) within the start timeout. */
  | 'unschedulable'
  /** The sandbox reached its maximum lifetime (the Job's activeDeadlineSeconds). */
  | 'deadline_exceeded'
  /** A container went over its memory limit. */
  | 'oom_killed'
  /** The runner (or an init step) exited, crashed or never printed its ready line. */
  | 'runner_failed'
  /** Nothing conclusive happened before the start timeout. */
  | 'start_timeout'
  /** The cluster refused the sandbox's objects (RBAC, quota, invalid spec). */
  | 'rejected'
  /** The sandbox was deleted while it was starting. */
  | 'deleted';

/** A sandbox failed to start (or died); `reason` says why in a form a program can branch on. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError';

  constructor(
    readonly reason: SandboxFailureReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
