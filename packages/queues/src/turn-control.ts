import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * What the control plane tells the worker running a session's turn, live: stop the turn (cancel,
 * user.interrupt) or stop it and drop the sandbox (the session was deleted). Pub/sub is at-most-once:
 * the session's status in PostgreSQL stays the source of truth and the worker checks it between steps,
 * so a lost message costs latency, never correctness.
 */
export const TurnControlMessage = z.object({
  sessionId: z.string().min(1),
  action: z.enum(['cancel', 'interrupt', 'delete']),
  /** When it was published (epoch ms), to measure how long a cancel takes to land. */
  at: z.number().optional(),
});
export type TurnControlMessage = z.infer<typeof TurnControlMessage>;

/** The one channel every worker subscribes to (one subscriber connection per process). */
export function turnControlChannel(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}turn-control`;
}

/** Publishes a control message; resolves with the number of workers that received it. */
export async function publishTurnControl(redis: Redis, redisKeyPrefix: string, message: TurnControlMessage): Promise<number> {
  return redis.publish(turnControlChannel(redisKeyPrefix), JSON.stringify(TurnControlMessage.parse(message)));
}

/** Parses a message received on the control channel; undefined for anything malformed. */
export function parseTurnControl(raw: string): TurnControlMessage | undefined {
  try {
    const parsed = TurnControlMessage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
