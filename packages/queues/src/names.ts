/**
 * Every queue a worker can consume. A worker is told which ones to consume (and how many jobs of
 * each at once) by env.
 */
export const QUEUE_NAMES = ['session-turns', 'sandbox-lifecycle', 'webhook-delivery'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Narrows a string to a queue name. */
export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/**
 * The BullMQ key prefix for a deployment's Redis key prefix ("stratus:" → "stratus"), so queues of
 * deployments (and of test files) sharing one Redis never meet.
 */
export function queuePrefix(redisKeyPrefix: string): string {
  return redisKeyPrefix.replace(/:+$/, '') || 'stratus';
}
