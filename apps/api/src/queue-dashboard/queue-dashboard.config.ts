import { parseEnv } from '@stratus/contracts';
import { envBool } from '@stratus/nest-common';
import { z } from 'zod';

const QueueDashboardEnv = z.object({
  /** Serves the queue dashboard under /admin/queues; off by default. */
  STRATUS_QUEUE_DASHBOARD: envBool.default(false),
  /** Shows the queues without the buttons that change them (retry, clean, pause, add...). */
  STRATUS_QUEUE_DASHBOARD_READ_ONLY: envBool.default(true),
});

/** Whether the api serves the queue dashboard, and whether it may change the queues. */
export interface QueueDashboardConfig {
  enabled: boolean;
  readOnly: boolean;
}

/** Reads the dashboard's switches once at boot; throws naming a bad variable. */
export function queueDashboardConfig(env: NodeJS.ProcessEnv): QueueDashboardConfig {
  const parsed = parseEnv(QueueDashboardEnv, env);
  return { enabled: parsed.STRATUS_QUEUE_DASHBOARD, readOnly: parsed.STRATUS_QUEUE_DASHBOARD_READ_ONLY };
}
