import { webhookWants, type SessionEvent } from '@stratus/contracts';
import { newId, type Prisma } from '@stratus/db';

/** An enabled webhook of a workspace and the event types it subscribed to. */
export interface SubscribedWebhook {
  id: string;
  event_types: string[];
}

/** A row of the webhook delivery outbox (webhook_deliveries), to be written with the event it delivers. */
export interface NewDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  data: SessionEvent;
}

/** One delivery per event and webhook that wants its type. */
export function webhookDeliveriesOf(events: SessionEvent[], webhooks: SubscribedWebhook[]): NewDelivery[] {
  return events.flatMap((event) =>
    webhooks
      .filter((webhook) => webhookWants(webhook.event_types, event.type))
      .map((webhook) => ({ id: newId('webhookDelivery'), webhook_id: webhook.id, event_id: event.id, event_type: event.type, data: event })),
  );
}

/**
 * Writes deliveries of events that are not appended to the log (session.deleted) inside the caller's
 * transaction; appended events get theirs in the statement that inserts them (EventStore).
 */
export async function writeWebhookDeliveries(tx: Prisma.TransactionClient, workspaceId: string, sessionId: string, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO webhook_deliveries (id, workspace_id, webhook_id, event_id, session_id, event_type, data, next_attempt_at, created_at)
    SELECT d.id, ${workspaceId}, d.webhook_id, d.event_id, ${sessionId}, d.event_type, d.data, now(), now()
    FROM jsonb_to_recordset(${JSON.stringify(deliveries)}::jsonb) AS d(id text, webhook_id text, event_id text, event_type text, data jsonb)`;
}
