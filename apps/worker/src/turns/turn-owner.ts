/**
 * Who runs a session's turns, as `sessions.turn_job_id` records it: one attempt of one turn job. The
 * job id alone would not do: when a worker loses a job's lock (it died, or its event loop stalled past
 * the lock), BullMQ runs the same job again elsewhere, and both runs would pass as the owner. The lock
 * token of the attempt tells them apart, so the run that lost the lock fails its next commit
 * (TurnTakenError) instead of writing beside the one that took over.
 */
const SEPARATOR = '@';

/** The owner value of an attempt: the job id and the BullMQ lock token the attempt holds. */
export function turnOwner(jobId: string, lockToken: string): string {
  return `${jobId}${SEPARATOR}${lockToken}`;
}

/** The job id of an owner value (a value without a token, as written before owners had one, is a job id). */
export function ownerJobId(owner: string): string {
  const at = owner.indexOf(SEPARATOR);
  return at === -1 ? owner : owner.slice(0, at);
}
