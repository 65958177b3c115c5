import type { V1Job, V1Pod } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { sandboxJobFailure, sandboxJobFinished, sandboxPodState } from './pod-status';

const pod = (status: V1Pod['status'], metadata: V1Pod['metadata'] = { name: 'p' }): V1Pod => ({ metadata, status });
const waiting = (reason: string, message = '') => ({ name: 'runner', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } });
const terminated = (exitCode: number, reason: string, message?: string) => ({ name: 'runner', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason, message } } });

describe('sandboxPodState', () => {
  it('is ready only when Running, Ready and with an IP', () => {
    const conditions = [{ type: 'Ready', status: 'True' }];
    expect(sandboxPodState(pod({ phase: 'Running', podIP: '10.1.2.3', conditions }))).toEqual({ phase: 'ready', podIP: '10.1.2.3' });
    expect(sandboxPodState(pod({ phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'False' }] })).phase).toBe('pending');
    expect(sandboxPodState(pod({ phase: 'Pending' }))).toEqual({ phase: 'pending', hint: undefined });
  });

  it('fails on an image that cannot be pulled, but waits out a first ErrImagePull', () => {
    expect(sandboxPodState(pod({ phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff', 'Back-off pulling image "x"')] }))).toEqual({
      phase: 'failed',
      reason: 'image_pull_failed',
      message: 'the image of container runner could not be pulled (ImagePullBackOff: Back-off pulling image "x")',
    });
    expect(sandboxPodState(pod({ phase: 'Pending', initContainerStatuses: [{ ...waiting('InvalidImageName'), name: 'install-runner' }] }))).toMatchObject({
      phase: 'failed',
      reason: 'image_pull_failed',
      message: expect.stringContaining('init container install-runner'),
    });
    expect(sandboxPodState(pod({ phase: 'Pending', containerStatuses: [waiting('ErrImagePull')] }))).toMatchObject({ phase: 'pending', hint: { reason: 'image_pull_failed' } });
  });

  it('keeps an unschedulable pod pending with the scheduler message as the hint', () => {
    const state = sandboxPodState(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }));
    expect(state).toEqual({ phase: 'pending', hint: { reason: 'unschedulable', message: 'no node can run the sandbox: 0/3 nodes are available' } });
  });

  it('treats a missing Secret as transient', () => {
    expect(sandboxPodState(pod({ phase: 'Pending', containerStatuses: [waiting('CreateContainerConfigError', 'secret "s" not found')] }))).toMatchObject({ phase: 'pending', hint: { reason: 'runner_failed' } });
  });

  it('reports OOM kills, crashes with their last words, failed init steps and deadlines', () => {
    expect(sandboxPodState(pod({ phase: 'Failed', containerStatuses: [terminated(137, 'OOMKilled')] }))).toMatchObject({ phase: 'failed', reason: 'oom_killed' });
    expect(sandboxPodState(pod({ phase: 'Failed', containerStatuses: [terminated(1, 'Error', 'STRATUS_RUNNER_TOKEN: must be at least 16 characters')] }))).toEqual({
      phase: 'failed',
      reason: 'runner_failed',
      message: 'the sandbox runner exited (Error, exit code 1): STRATUS_RUNNER_TOKEN: must be at least 16 characters',
    });
    expect(sandboxPodState(pod({ phase: 'Failed', initContainerStatuses: [{ ...terminated(100, 'Error', 'E: Unable to locate package x'), name: 'install-packages' }] }))).toMatchObject({
      phase: 'failed',
      reason: 'runner_failed',
      message: expect.stringContaining('init container install-packages failed (Error, exit code 100): E: Unable to locate package x'),
    });
    expect(sandboxPodState(pod({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }))).toMatchObject({ reason: 'deadline_exceeded' });
    expect(sandboxPodState(pod({ phase: 'Running' }, { name: 'p', deletionTimestamp: new Date() }))).toMatchObject({ phase: 'failed', reason: 'deleted' });
  });
});

describe('sandboxJobFailure', () => {
  const job = (conditions: NonNullable<V1Job['status']>['conditions']): V1Job => ({ status: { conditions } });

  it('names a deadline, a backoff limit, or nothing for a running Job', () => {
    expect(sandboxJobFailure(job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]))).toMatchObject({ reason: 'deadline_exceeded' });
    expect(sandboxJobFailure(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]))).toMatchObject({ reason: 'runner_failed' });
    expect(sandboxJobFailure(job([{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded' }]))).toBeUndefined();
    expect(sandboxJobFinished(job([{ type: 'Complete', status: 'True' }]))).toBe(true);
    expect(sandboxJobFinished(job(undefined))).toBe(false);
  });
});
