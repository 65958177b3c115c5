import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { DeltaEventType } from '@stratus/contracts';
import { newId } from '@stratus/db';
import { deltaChannel, sessionChannel } from '@stratus/events';
import { Readiness, SERVER_ENV, type ServerEnv } from '@stratus/nest-common';
import { stratusMetrics } from '@stratus/telemetry';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { HistoryRepository } from '../history/history.repository';
import { StreamLimits } from '../limits/stream-limits.service';
import { TokenStatusRepository } from '../limits/token-status.repository';
import { decodeEventMessage, decodePreviewMessage, deletedLiveEvent } from '../live/live-message';
import { LiveSubscriberRepository } from '../live/live-subscriber.repository';
import { SseConnection } from './sse-connection';
import { deliverTraced } from './traced-delivery';

/** The open streams of one session in this process, fed by one subscription. */
interface SessionStreams {
  connections: Set<SseConnection>;
  /** Connections that asked for previews: the deltas channel is subscribed while there are any. */
  previewConnections: number;
  /** Previewed event id → its type, learned from event_start, so that deltas reach only streams that asked for it. */
  previewTypes: Map<string, DeltaEventType>;
  onEvent: (raw: string) => void;
  onPreview: (raw: string) => void;
}

/** Sessions reconciled per PostgreSQL query. */
const RECONCILE_BATCH = 1000;
/** Previews a session may have open before the oldest (of turns that never finished) are forgotten. */
const MAX_SESSION_PREVIEWS = 256;
/** How long shutdown waits for clients to take their last frame before cutting them off. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * Every open stream of this process, grouped by session. Each session channel message is decoded
 * once and its frame shared by all of the session's streams. The hub also keeps streams honest
 * when the live path fails: after the subscriber reconnects every stream repairs from PostgreSQL,
 * and a periodic reconciliation catches a lost final publish or a deletion nobody announced. The
 * same tick renews the streams' slots under the per-token cap and ends streams of revoked tokens.
 */
@Injectable()
export class StreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('gateway');
  private readonly sessions = new Map<string, SessionStreams>();
  private readonly timers: NodeJS.Timeout[] = [];
  private reconciling = false;
  private checkingTokens = false;
  private shuttingDown = false;

  constructor(
    private readonly subscriber: LiveSubscriberRepository,
    private readonly history: HistoryRepository,
    private readonly limits: StreamLimits,
    private readonly tokens: TokenStatusRepository,
    private readonly readiness: Readiness,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    @Inject(SERVER_ENV) private readonly serverEnv: ServerEnv,
  ) {}

  onModuleInit(): void {
    this.subscriber.onReconnected(() => this.forEachConnection((connection) => connection.resync()));
    this.timers.push(
      setInterval(() => this.forEachConnection((connection) => connection.heartbeat()), this.env.GATEWAY_HEARTBEAT_INTERVAL_MS).unref(),
      setInterval(() => {
        void this.limits.renew();
        void this.reconcile();
        void this.endStreamsOfRevokedTokens();
      }, this.env.GATEWAY_RECONCILE_INTERVAL_MS).unref(),
    );
  }

  /** True once shutdown began: new streams are refused so that clients go to another gateway. */
  get draining(): boolean {
    return this.shuttingDown;
  }

  /**
   * A new connection, already receiving its session's live events (queued until it starts), so
   * that the history it reads next cannot miss anything. Resolves once the subscription is active.
   * `onEnded` runs once when the connection is over.
   */
  async open(sessionId: string, tokenId: string, previewTypes: ReadonlySet<DeltaEventType>, onEnded: () => void): Promise<SseConnection> {
    const connection = new SseConnection({
      sessionId,
      tokenId,
      previewTypes,
      history: this.history,
      bufferBytes: this.env.GATEWAY_CONNECTION_BUFFER_BYTES,
      onClosed: (closed) => {
        this.leave(closed);
        onEnded();
      },
      onCut: (reason, error) => this.logger.warn({ msg: `stream cut (${reason}); the client resumes with Last-Event-ID`, sessionId, err: error }),
    });
    const streams = this.sessions.get(sessionId) ?? this.createSession(sessionId);
    streams.connections.add(connection);
    stratusMetrics().streamsOpen.add(1);
    const ready = [this.subscriber.listen(sessionChannel(this.prefix, sessionId), streams.onEvent)];
    if (connection.wantsPreviews && streams.previewConnections++ === 0) ready.push(this.subscriber.listen(deltaChannel(this.prefix, sessionId), streams.onPreview));
    await Promise.all(ready);
    return connection;
  }

  /**
   * Shutdown: first a drain, during which /readyz answers 503 and new streams are refused while
   * open ones carry on, so that load balancers stop routing here; then every client is told to
   * reconnect (to another gateway) and its stream ended.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    this.readiness.drain();
    if (this.env.GATEWAY_DRAIN_DELAY_MS > 0 && this.sessions.size > 0) await new Promise((resolve) => setTimeout(resolve, this.env.GATEWAY_DRAIN_DELAY_MS));
    for (const timer of this.timers) clearInterval(timer);
    const connections: SseConnection[] = [];
    this.forEachConnection((connection) => connections.push(connection));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
    await Promise.race([Promise.all(connections.map((connection) => connection.goAway(this.env.GATEWAY_RETRY_MS))), grace]);
    clearTimeout(timer);
    for (const connection of connections) connection.destroy();
  }

  private createSession(sessionId: string): SessionStreams {
    const streams: SessionStreams = {
      connections: new Set(),
      previewConnections: 0,
      previewTypes: new Map(),
      onEvent: (raw) => {
        const event = decodeEventMessage(raw);
        if (!event) return;
        streams.previewTypes.delete(event.id);
        if (event.type === 'session.status_idle') streams.previewTypes.clear();
        deliverTraced(event, streams.connections);
      },
      onPreview: (raw) => {
        const preview = decodePreviewMessage(raw);
        if (!preview) return;
        if (preview.kind === 'start') {
          if (streams.previewTypes.size >= MAX_SESSION_PREVIEWS) streams.previewTypes.clear();
          streams.previewTypes.set(preview.eventId, preview.eventType);
        }
        const type = streams.previewTypes.get(preview.eventId);
        if (!type) return;
        for (const connection of streams.connections) connection.preview(preview, type);
      },
    };
    this.sessions.set(sessionId, streams);
    return streams;
  }

  private leave(connection: SseConnection): void {
    const sessionId = connection.sessionId;
    const streams = this.sessions.get(sessionId);
    if (!streams?.connections.delete(connection)) return;
    stratusMetrics().streamsOpen.add(-1);
    if (connection.wantsPreviews && --streams.previewConnections === 0) {
      this.subscriber.unlisten(deltaChannel(this.prefix, sessionId), streams.onPreview);
      streams.previewTypes.clear();
    }
    if (streams.connections.size > 0) return;
    this.sessions.delete(sessionId);
    this.subscriber.unlisten(sessionChannel(this.prefix, sessionId), streams.onEvent);
  }

  private get prefix(): string {
    return this.serverEnv.REDIS_KEY_PREFIX;
  }

  private forEachConnection(visit: (connection: SseConnection) => void): void {
    for (const streams of this.sessions.values()) for (const connection of streams.connections) visit(connection);
  }

  /**
   * Compares every served session with PostgreSQL: a stream behind the log reads what it missed
   * (the last publish was lost, so no later message revealed the gap), and the streams of a
   * session deleted without a delivered session.deleted get one.
   */
  private async reconcile(): Promise<void> {
    if (this.reconciling || this.sessions.size === 0) return;
    this.reconciling = true;
    try {
      const ids = [...this.sessions.keys()];
      for (let at = 0; at < ids.length; at += RECONCILE_BATCH) {
        const batch = ids.slice(at, at + RECONCILE_BATCH);
        const lastSeqs = await this.history.lastSeqs(batch);
        for (const sessionId of batch) {
          const connections = this.sessions.get(sessionId)?.connections;
          if (!connections) continue;
          const lastSeq = lastSeqs.get(sessionId);
          if (lastSeq === undefined) {
            const deleted = deletedLiveEvent(sessionId, newId('event'), new Date());
            for (const connection of connections) connection.deliver(deleted);
          } else {
            for (const connection of connections) connection.catchUpTo(lastSeq);
          }
        }
      }
    } catch (error) {
      this.logger.warn({ msg: 'reconciliation skipped: PostgreSQL could not be read', err: error });
    } finally {
      this.reconciling = false;
    }
  }

  /**
   * Ends the streams of tokens revoked (or deleted) since they opened, asking PostgreSQL directly
   * so that a revocation lands within one tick; their clients reconnect and are refused with 401.
   */
  private async endStreamsOfRevokedTokens(): Promise<void> {
    if (this.checkingTokens || this.sessions.size === 0) return;
    this.checkingTokens = true;
    try {
      const tokenIds = new Set<string>();
      this.forEachConnection((connection) => tokenIds.add(connection.tokenId));
      const active = await this.tokens.activeTokenIds([...tokenIds]);
      const revoked: SseConnection[] = [];
      this.forEachConnection((connection) => {
        // Only tokens that were asked about: a stream opened while the query ran has a token it did not check.
        if (tokenIds.has(connection.tokenId) && !active.has(connection.tokenId)) revoked.push(connection);
      });
      for (const connection of revoked) void connection.goAway(this.env.GATEWAY_RETRY_MS);
    } catch (error) {
      this.logger.warn({ msg: 'token check skipped: PostgreSQL could not be read', err: error });
    } finally {
      this.checkingTokens = false;
    }
  }
}
