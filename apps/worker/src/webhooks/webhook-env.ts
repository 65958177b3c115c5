import { OutboundAllowList } from '../config/outbound-allow-list';
import { z } from 'zod';

const ms = (defaultMs: number, min = 0) => z.coerce.number().int().min(min).default(defaultMs);

/** Comma-separated delays in ms; the last one repeats until the retry window closes. */
const Schedule = z.string().transform((raw, ctx) => {
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.length === 0 || delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
    ctx.addIssue({ code: 'custom', message: 'must be comma-separated delays in milliseconds, e.g. "5000,30000,120000"' });
    return z.NEVER;
  }
  return delays;
});

/** The variables of webhook delivery (part of the worker's environment). */
export const WebhookEnv = z.object({
  /** Private, loopback or otherwise special hosts outbound calls may reach anyway: `host[:port]`, `*` any port. */
  STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: OutboundAllowList,
  /** How long one delivery attempt may take, response included. */
  STRATUS_WEBHOOK_TIMEOUT_MS: ms(10_000, 100),
  /** Delays between attempts (each with ±20% jitter); the last repeats. */
  STRATUS_WEBHOOK_RETRY_SCHEDULE_MS: Schedule.default([5_000, 30_000, 120_000, 600_000, 3_600_000]),
  /** After this long since the event, a delivery that never got a 2xx is marked failed. */
  STRATUS_WEBHOOK_RETRY_WINDOW_MS: ms(24 * 3_600_000, 1000),
  /** How often due deliveries are looked for and handed to the queue. */
  STRATUS_WEBHOOK_POLL_INTERVAL_MS: ms(1000, 10),
});
export type WebhookEnv = z.infer<typeof WebhookEnv>;
