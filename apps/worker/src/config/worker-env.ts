import { parseEnv } from '@stratus/contracts';
import { parseServerEnv, ServerEnv } from '@stratus/nest-common';
import { isQueueName, QUEUE_NAMES, type QueueName } from '@stratus/queues';
import { parseSandboxEnv, SandboxEnv } from '@stratus/sandbox';
import { z } from 'zod';
import { WebhookEnv } from '../webhooks/webhook-env';

const ms = (defaultMs: number, min = 0) => z.coerce.number().int().min(min).default(defaultMs);

/** One enabled queue and how many of its jobs a process runs at once. */
export interface QueueSetting {
  queue: QueueName;
  concurrency: number;
}

/**
 * STRATUS_WORKER_QUEUES: comma-separated queue names, each optionally with its concurrency
 * (`session-turns:64`); a name without one takes STRATUS_WORKER_CONCURRENCY.
 */
const QueueList = z
  .string()
  .transform((raw, ctx) => {
    const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    const settings: { queue: QueueName; concurrency?: number }[] = [];
    for (const entry of entries) {
      const [name = '', count, ...rest] = entry.split(':');
      if (!isQueueName(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown queue "${name}" (known: ${QUEUE_NAMES.join(', ')})` });
        continue;
      }
      const concurrency = count === undefined ? undefined : Number(count);
      if (rest.length > 0 || (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 10_000))) {
        ctx.addIssue({ code: 'custom', message: `"${entry}": write a queue name, optionally followed by ":" and a concurrency from 1 to 10000` });
        continue;
      }
      if (settings.some((s) => s.queue === name)) {
        ctx.addIssue({ code: 'custom', message: `queue "${name}" is listed twice` });
        continue;
      }
      settings.push({ queue: name, concurrency });
    }
    return settings;
  });

/**
 * The worker's variables, beside the ones every server process reads (ServerEnv) and the sandbox
 * provider's (SandboxEnv, which @stratus/sandbox owns). Parsed once at boot; a bad value stops the
 * process with a message naming the variable.
 */
// NODE_ENV is the server's (defaulting to development); the sandbox settings read the same variable.
const { NODE_ENV: _sandboxNodeEnv, ...sandboxFields } = SandboxEnv.shape;
export const WorkerEnv = ServerEnv.extend(sandboxFields).extend(WebhookEnv.shape).extend({
  /** Which queues this process consumes; one image is deployed as several groups by setting this. */
  STRATUS_WORKER_QUEUES: QueueList.default([{ queue: 'session-turns' }, { queue: 'sandbox-lifecycle' }, { queue: 'webhook-delivery' }]),
  /** Connections of the worker's own PostgreSQL pool (apart from the API's, also in the all-in-one). */
  STRATUS_WORKER_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Model calls this process has open at once, across its turns; more wait in order (a cancel still
   * reaches them). Keeps a burst of turns from opening more streams than the provider (or this
   * process) serves well.
   */
  STRATUS_MODEL_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  /** Jobs of one queue run at once in this process, unless the queue names its own. */
  STRATUS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  /**
   * How long a running job may go without renewing its lock before another worker takes it over. The
   * lock is renewed every quarter of this, so a turn of a crashed worker resumes elsewhere within
   * lock + stalled interval (7 s by default), and only an event loop blocked for 3/4 of it loses a lock.
   */
  STRATUS_WORKER_LOCK_MS: ms(6000, 1000),
  /**
   * How often the workers look for jobs whose lock expired (BullMQ stalled-job check). One check per
   * interval runs across all workers: a dozen Redis commands, plus an EXISTS per running job not renewed since the last check.
   */
  STRATUS_WORKER_STALLED_INTERVAL_MS: ms(1000, 500),
  /** On shutdown, how long running turns may go on before they are left to another worker to resume. */
  STRATUS_WORKER_SHUTDOWN_GRACE_MS: ms(10_000),
  /** How often processing sessions without a live turn job are looked for and re-enqueued; 0 = never. */
  STRATUS_TURN_RECOVERY_INTERVAL_MS: ms(30_000),
  /** Model calls per turn; a turn that would need more ends with stop_reason max_iterations. */
  STRATUS_TURN_MAX_ITERATIONS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Wait for a model's response headers (the openai SDK's timeout). */
  STRATUS_MODEL_TIMEOUT_MS: ms(120_000, 100),
  /** Longest silence allowed inside a streamed model response before it counts as a timeout. */
  STRATUS_MODEL_IDLE_TIMEOUT_MS: ms(60_000, 100),
  /** Retries of a failed model call (429, 5xx, timeouts) before the turn ends with an error. */
  STRATUS_MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(4),
  /** First retry delay; doubled on each retry (with jitter), capped by STRATUS_MODEL_RETRY_MAX_MS. */
  STRATUS_MODEL_RETRY_BASE_MS: ms(1000),
  STRATUS_MODEL_RETRY_MAX_MS: ms(30_000),
  /**
   * The most a built-in tool's result may take in the event log and the model's context; over it the
   * middle is cut (a command's beginning and end are kept) and a note says what was left out.
   */
  STRATUS_TOOL_RESULT_MAX_BYTES: z.coerce.number().int().min(16 * 1024).max(4 * 1024 * 1024).default(256 * 1024),
  /** A session's sandbox is stopped after this long without a turn; a later turn starts a new one. */
  STRATUS_SANDBOX_IDLE_TIMEOUT_MS: ms(15 * 60_000, 1000),
  /** How often orphaned sandboxes (their session gone or archived) are looked for and removed; 0 = never. */
  STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: ms(60_000),
  /**
   * Live sandboxes (started, running or idle until reaped) one workspace may have across the
   * deployment. A turn past it waits in line for one; idle ones are reaped least recently used to make room.
   */
  STRATUS_SANDBOX_MAX_PER_WORKSPACE: z.coerce.number().int().min(1).max(1_000_000).default(50),
  /** Live sandboxes this worker process may have started or be using, whatever their workspace; past it, as above. */
  STRATUS_SANDBOX_MAX_PER_WORKER: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /**
   * How often a turn waiting for a sandbox asks again (it also does at once when this process frees one).
   * A waiting worker that dies holds nobody up after five of these.
   */
  STRATUS_SANDBOX_WAIT_POLL_MS: ms(500, 50),
  /**
   * Private, loopback or special-purpose hosts the worker may still connect to on a tenant's behalf
   * (MCP servers, webhook receivers): comma-separated `host[:port]`, `*` as the port for any port.
   */
  /** Connecting to an MCP server and listing its tools; past it the turn goes on without that server. */
  STRATUS_MCP_CONNECT_TIMEOUT_MS: ms(10_000, 100),
  /** One MCP tool call; past it the call is reported to the model as failed. */
  STRATUS_MCP_CALL_TIMEOUT_MS: ms(120_000, 100),
  /** A session's MCP connections are closed after this long unused; its next turn connects again. */
  STRATUS_MCP_IDLE_TIMEOUT_MS: ms(5 * 60_000, 1000),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** The enabled queues with their concurrency resolved. */
export function queueSettings(env: WorkerEnv): QueueSetting[] {
  return env.STRATUS_WORKER_QUEUES.map((s) => ({ queue: s.queue, concurrency: s.concurrency ?? env.STRATUS_WORKER_CONCURRENCY }));
}

/** Parses the worker's environment or explains, naming each bad variable, why it cannot. */
export function parseWorkerEnv(env: NodeJS.ProcessEnv): WorkerEnv {
  const parsed = parseEnv(WorkerEnv, env);
  // The rules across variables: every server's (a production encryption key) and the sandbox provider's.
  parseServerEnv(env);
  parseSandboxEnv(env);
  return parsed;
}
