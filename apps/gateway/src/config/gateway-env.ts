import { parseEnv } from '@stratus/contracts';
import { z } from 'zod';

/** The gateway's own variables, on top of the ServerEnv every process reads. Parsed once at boot. */
export const GatewayEnv = z.object({
  /** How often an idle stream gets a `: heartbeat` comment, so proxies and clients see it alive. */
  GATEWAY_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * What one connection may hold for a client that does not read fast enough (queued live events
   * plus unflushed socket bytes); beyond it the connection is closed and the client resumes.
   */
  GATEWAY_CONNECTION_BUFFER_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /**
   * How often open streams are checked against PostgreSQL: delivers a last event whose publish
   * was lost (no later message reveals the gap), ends streams of sessions deleted unseen and of
   * revoked tokens. Also how often the streams' slots under the per-token cap are renewed.
   */
  GATEWAY_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** The `retry:` sent when the gateway shuts down: how soon clients should reconnect elsewhere. */
  GATEWAY_RETRY_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * Concurrent streams one token may hold across every gateway of the deployment (counted in
   * Redis); one more answers 429 rate_limit_error. Open streams are never dropped for it.
   */
  GATEWAY_MAX_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).default(100),
  /** Concurrent streams this gateway process serves; one more answers 429 rate_limit_error. */
  GATEWAY_MAX_STREAMS: z.coerce.number().int().min(1).default(10_000),
  /**
   * On SIGTERM, how long the gateway keeps serving its open streams while /readyz answers 503 and
   * new streams are refused, so that load balancers stop routing to it before its clients are
   * told to reconnect elsewhere. Skipped when no stream is open (nothing to hand over).
   */
  GATEWAY_DRAIN_DELAY_MS: z.coerce.number().int().min(0).default(5000),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

/** Parses the gateway's variables or explains, naming each bad variable, why it cannot. */
export function parseGatewayEnv(env: NodeJS.ProcessEnv): GatewayEnv {
  return parseEnv(GatewayEnv, env);
}

/** Injection token of the parsed GatewayEnv. */
export const GATEWAY_ENV = Symbol('GATEWAY_ENV');
