import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import { ToolInput, type Content, type EventPayload, type EventType } from '@stratus/contracts';
import { newId, type Event as EventRow, type SecretBox } from '@stratus/db';
import { awaitsAnswer, confirmationOf, newEvent, turnKeys, type EventStore, type NewEvent, type NewEventOf, type PendingToolUse } from '@stratus/events';
import { inSpan, stratusMetrics } from '@stratus/telemetry';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { WorkerEnv } from '../config/worker-env';
import type { McpConnectionsService } from '../mcp/mcp-connections.service';
import { classifyModelError, modelErrorPayload, retryDelayMs } from '../model/model-errors';
import type { ModelReply, ModelRepository } from '../model/model.repository';
import { sandboxSpecOf } from '../sandbox/sandbox-spec';
import type { PendingSandbox, SandboxService } from '../sandbox/sandbox.service';
import type { BuiltinToolsRepository } from '../tools/builtin-tools.repository';
import { agentToolSpecs, chatTools, runsInSandbox, type ToolSpec } from '../tools/tool-catalog';
import type { ToolOutcome } from '../tools/tool-output';
import { recordDeniedToolCall, traceToolCall } from '../tools/tool-telemetry';
import type { SessionContext, SessionContextRepository } from './session-context.repository';
import type { TurnSwitch } from './turn-control.service';
import { WAITING_FOR_SANDBOX, type OpenTurn, type TurnEvent } from './turn-log';
import { TurnOutbox } from './turn-outbox';
import { TurnStop } from './turn-stop';
import { summarizeTurn } from './turn-summary';
import type { CommitResult, TurnCommit, TurnsRepository } from './turns.repository';

/** What a TurnRun works with (the turn runner service's collaborators). */
export interface TurnRunDeps {
  turns: TurnsRepository;
  sessions: SessionContextRepository;
  /** Where the live previews of streamed text go (never stored). */
  events: EventStore;
  model: ModelRepository;
  tools: BuiltinToolsRepository;
  mcp: McpConnectionsService;
  sandboxes: SandboxService;
  secrets: SecretBox;
  env: WorkerEnv;
  logger: Logger;
}

type StopType = 'end_turn' | 'max_iterations' | 'error';

const INTERRUPTED_BY_WORKER =
  'Interrupted: the worker running this tool call stopped before it reported a result. The call was not repeated; its effects, if any, are unknown.';
const STOPPED_BY_USER = 'Interrupted: the user stopped the turn before this tool call finished (or before it ran).';

/**
 * One turn job's run of a session's turns: the agent loop. Everything it decides follows from the
 * event log (read once, then kept up to date with what it commits), so a run that starts on a log left
 * by a dead worker simply carries on from there. It runs turn after turn while user messages are queued,
 * and returns when the session is idle or waiting for tool answers.
 *
 * Events are committed in small batches: the next model request's start goes out with the results
 * before it. A tool is never started before everything preceding it is committed, so a takeover knows
 * which call may have been in flight.
 */
export class TurnRun {
  private readonly outbox: TurnOutbox;
  private specs: ToolSpec[];
  private chatTools: ChatCompletionTool[];
  private sandbox: PendingSandbox | undefined;
  private runningSince = performance.now();

  constructor(
    private readonly deps: TurnRunDeps,
    private readonly context: SessionContext,
    rows: EventRow[],
    /** The attempt that owns the session (turn-owner.ts): every commit checks it still does. */
    private readonly owner: string,
    private readonly turnSwitch: TurnSwitch,
  ) {
    this.outbox = new TurnOutbox(deps.turns, deps.sessions, context, rows, owner, turnSwitch);
    this.specs = agentToolSpecs(context.agent.tools);
    this.chatTools = chatTools(this.specs);
  }

  private get sessionId(): string {
    return this.context.sessionId;
  }

  /** Runs the session's turns until it is idle or waiting for tool answers. */
  async run(): Promise<void> {
    try {
      const found = this.outbox.read().open;
      if (found && !found.paused) this.recoverInterrupted(found);
      for (;;) {
        const log = this.outbox.read();
        let turnId: string;
        if (log.open?.paused) {
          if (log.open.pending.some(awaitsAnswer)) return await this.deps.turns.release(this.context, this.owner);
          turnId = this.resumePausedTurn(log.open);
        } else if (log.open) {
          turnId = log.open.turnId;
        } else if (log.queued.length > 0) {
          turnId = this.startQueuedTurn(log.queued);
        } else {
          return await this.deps.turns.release(this.context, this.owner);
        }
        const attributes = { 'stratus.session.id': this.sessionId, 'stratus.turn.id': turnId };
        if (!(await inSpan('turn', { attributes }, () => this.runTurn(turnId)))) return;
        // Messages were queued during the turn: the API stored them, so they are news to this run.
        await this.outbox.reload();
        this.turnSwitch.renew();
      }
    } finally {
      if (this.sandbox) await this.deps.sandboxes.release(this.sessionId);
    }
  }

  /** Ends the open turn after its job failed for good (an infrastructure failure or a bug). */
  async endFailedTurn(message: string): Promise<CommitResult | undefined> {
    const open = this.outbox.read().open;
    if (!open) return undefined;
    this.closeOpenSpan(open);
    for (const use of open.pending) this.stageResult(open.turnId, use, { text: 'Not run: the turn failed.', isError: true });
    const error = this.event('session.error', open.turnId, `${open.turnId}:failed`, { error: { type: 'unknown_error', message, retry_status: 'terminal' } });
    return this.endTurn(open.turnId, 'error', [error]);
  }

  // ---- turn boundaries -------------------------------------------------------------------------

  private startQueuedTurn(queued: TurnEvent[]): string {
    const turnId = newId('turn');
    this.outbox.stage([this.event('session.status_running', turnId, turnKeys.running(turnId), {})]);
    this.outbox.take(queued, turnId, turnKeys.running(turnId));
    this.runningSince = performance.now();
    stratusMetrics().turnsStarted.add(1);
    return turnId;
  }

  private resumePausedTurn(open: OpenTurn): string {
    this.outbox.stage([this.event('session.status_running', open.turnId, turnKeys.resume(open.turnId, open.step), {})]);
    const answers = this.outbox.events().filter((row) => (row.type === 'user.custom_tool_result' || row.type === 'user.tool_confirmation') && row.processedAt === null);
    this.outbox.take(answers, open.turnId);
    this.runningSince = performance.now();
    // Counted as a start again, so that every start has its finish (the pause counted as requires_action).
    stratusMetrics().turnsStarted.add(1);
    return open.turnId;
  }

  /**
   * A turn left running by a worker that died: a model call it had in flight is closed as failed
   * (and made again), and the tool call it may have been running is reported to the model as
   * interrupted instead of being repeated.
   */
  private recoverInterrupted(open: OpenTurn): void {
    this.closeOpenSpan(open);
    // The call was waiting for a sandbox, not running: it runs here, once one is free.
    if (open.waitingForSandbox) return;
    const inFlight = open.pending.find((use) => {
      if (use.custom) return false;
      if (use.permission !== 'ask') return true;
      return use.answer?.processedAt != null && confirmationOf(use)?.result === 'allow';
    });
    if (inFlight) this.stageResult(open.turnId, inFlight, { text: INTERRUPTED_BY_WORKER, isError: true });
  }

  /** Runs a turn's steps and tool calls until it ends or pauses; true when the job is to go on with the next (queued) turn. */
  private async runTurn(turnId: string): Promise<boolean> {
    // A turn resumed with sandbox tool calls to run needs the sandbox for certain: start it with the MCP connections.
    if (this.openTurn(turnId).pending.some((use) => !use.custom && use.mcpServer === undefined && runsInSandbox(this.specs, use.name))) this.acquireSandbox();
    await this.offerMcpTools(turnId);
    try {
      for (;;) {
        this.throwIfStopped();
        const open = this.openTurn(turnId);
        if (open.pending.length > 0) {
          const waiting = await this.runTools(open);
          if (waiting) return await this.pauseForAnswers(open, waiting);
          continue;
        }
        if (open.answered) return (await this.endTurn(turnId, 'end_turn')).continues;
        if (open.step >= this.deps.env.STRATUS_TURN_MAX_ITERATIONS) return (await this.endTurn(turnId, 'max_iterations')).continues;
        const ended = await this.modelStep(open);
        if (ended) return ended.continues;
      }
    } catch (error) {
      if (error instanceof TurnStop && (error.reason === 'cancel' || error.reason === 'interrupt')) return this.endStoppedTurn(turnId);
      throw error;
    }
  }

  /**
   * Connects the agent's MCP toolsets and offers their tools for this (part of the) turn. A server
   * that cannot be used is reported as a session.error, once per step, and the turn goes on without it.
   */
  private async offerMcpTools(turnId: string): Promise<void> {
    const { agent } = this.context;
    const toolsets = agent.tools.filter((tool) => tool.type === 'mcp_toolset');
    if (toolsets.length === 0) return;
    const { tools, failures } = await this.deps.mcp.toolset({
      sessionId: this.sessionId,
      workspaceId: this.context.workspaceId,
      vaultIds: this.context.vaultIds,
      servers: agent.mcpServers,
      toolsets,
    });
    const step = this.openTurn(turnId).step;
    this.outbox.stage(failures.map((failure) => this.event('session.error', turnId, turnKeys.mcpError(turnId, step, failure.server), { error: { type: failure.type, message: failure.message, retry_status: 'terminal' } })));
    this.specs = [...agentToolSpecs(agent.tools), ...tools];
    this.chatTools = chatTools(this.specs);
  }

  /** A cancel or interrupt: the turn ends at once, every unanswered tool use told it did not finish. */
  private async endStoppedTurn(turnId: string): Promise<boolean> {
    const open = this.openTurn(turnId);
    this.closeOpenSpan(open);
    for (const use of open.pending) this.stageResult(turnId, use, { text: STOPPED_BY_USER, isError: true });
    return (await this.endTurn(turnId, 'end_turn')).continues;
  }

  /** The turn waits for tool answers (confirmations, custom tool results): the session goes idle with requires_action. */
  private async pauseForAnswers(open: OpenTurn, waiting: PendingToolUse<TurnEvent>[]): Promise<false> {
    const idle = this.event('session.status_idle', open.turnId, turnKeys.pause(open.turnId, open.step), {
      stop_reason: { type: 'requires_action', event_ids: waiting.map((use) => use.event.id) },
    });
    const activeMs = this.activeMs();
    await this.outbox.commit([idle], { end: 'pause', activeMs, sandboxUsed: this.sandbox !== undefined });
    this.logTurnEnd(open.turnId, 'requires_action', activeMs);
    return false;
  }

  private async endTurn(turnId: string, stop: StopType, events: NewEvent[] = [], usage?: TurnCommit['usage']): Promise<CommitResult> {
    const idle = this.event('session.status_idle', turnId, turnKeys.idle(turnId), { stop_reason: { type: stop } });
    const activeMs = this.activeMs();
    const result = await this.outbox.commit([...events, idle], { end: 'finish', activeMs, usage, sandboxUsed: this.sandbox !== undefined });
    this.logTurnEnd(turnId, stop, activeMs);
    return result;
  }

  /** One info line and the turn metrics per turn that stopped (or paused for tool answers), for the people running Stratus. */
  private logTurnEnd(turnId: string, stopReason: string, activeMs: number): void {
    const summary = summarizeTurn(this.outbox.events(), turnId);
    const durationMs = Math.round(activeMs);
    stratusMetrics().turnsFinished.add(1, { stop_reason: stopReason });
    stratusMetrics().turnDuration.record(activeMs / 1000, { stop_reason: stopReason });
    this.deps.logger.log(
      { session_id: this.sessionId, turn_id: turnId, stop_reason: stopReason, steps: summary.steps, tool_calls: summary.toolCalls, input_tokens: summary.inputTokens, output_tokens: summary.outputTokens, duration_ms: durationMs },
      `turn ${stopReason}: ${summary.steps} model call(s), ${summary.toolCalls} tool call(s), ${summary.inputTokens}+${summary.outputTokens} tokens, ${durationMs} ms`,
    );
  }

  // ---- model steps -------------------------------------------------------------------------------

  /** One model request (retried on retryable failures); returns the commit when it ended the turn. */
  private async modelStep(open: OpenTurn): Promise<CommitResult | undefined> {
    const { turnId, step } = open;
    const model = this.context.agent.model;
    for (let attempt = open.attempts; ; attempt++) {
      this.throwIfStopped();
      const startId = newId('event');
      await this.outbox.commit([{ ...this.event('span.model_request_start', turnId, turnKeys.spanStart(turnId, step, attempt), { model }), id: startId }]);
      const previews: Partial<Record<'message' | 'thinking', string>> = {};
      let reply: ModelReply;
      try {
        reply = await this.deps.model.stream({
          model,
          messages: this.modelMessages(),
          tools: this.chatTools,
          signal: this.turnSwitch.signal,
          onText: (kind, text) => {
            let id = previews[kind];
            if (id === undefined) {
              id = previews[kind] = newId('event');
              // Live previews are best-effort and never stored: nothing waits for them.
              void this.deps.events.publishDeltaStart(this.sessionId, { id, type: kind === 'message' ? 'agent.message' : 'agent.thinking' });
            }
            void this.deps.events.publishDeltaText(this.sessionId, id, 0, text);
          },
          // The sandbox starts while the rest of the reply streams in, not once the tool call is run.
          onToolCall: (name) => {
            if (runsInSandbox(this.specs, name)) this.acquireSandbox();
          },
        });
      } catch (error) {
        if (this.turnSwitch.signal.aborted) throw this.turnSwitch.signal.reason;
        const failure = classifyModelError(error);
        const exhausted = !failure.retryable || attempt >= this.deps.env.STRATUS_MODEL_MAX_RETRIES;
        const retryStatus = !failure.retryable ? 'terminal' : exhausted ? 'exhausted' : 'retrying';
        this.deps.logger.warn({ sessionId: this.sessionId, turnId, step, attempt, retryStatus, err: failure.detail }, 'model call failed');
        const events = [
          this.spanEnd(turnId, step, attempt, startId, { input_tokens: 0, output_tokens: 0 }, true),
          this.event('session.error', turnId, turnKeys.error(turnId, step, attempt), { error: modelErrorPayload(failure, retryStatus) }),
        ];
        if (exhausted) return this.endTurn(turnId, 'error', events);
        await this.outbox.commit(events);
        const delay = retryDelayMs(attempt, { baseMs: this.deps.env.STRATUS_MODEL_RETRY_BASE_MS, maxMs: this.deps.env.STRATUS_MODEL_RETRY_MAX_MS }, failure);
        await sleep(delay, undefined, { signal: this.turnSwitch.signal }).catch(() => this.throwIfStopped());
        continue;
      }

      const events: NewEvent[] = [];
      if (reply.thinking) events.push({ ...this.event('agent.thinking', turnId, turnKeys.thinking(turnId, step), { content: [{ type: 'text', text: reply.thinking }] }), id: previews.thinking });
      if (reply.text) events.push({ ...this.event('agent.message', turnId, turnKeys.message(turnId, step), { content: [{ type: 'text', text: reply.text }] }), id: previews.message });
      reply.toolCalls.forEach((call, index) => events.push(this.toolUseEvent(turnId, step, index, call.name, call.arguments)));
      events.push(this.spanEnd(turnId, step, attempt, startId, reply.usage, false));
      const usage = { key: turnKeys.spanEnd(turnId, step, attempt), input: reply.usage.input_tokens, output: reply.usage.output_tokens };
      if (reply.toolCalls.length === 0) return this.endTurn(turnId, 'end_turn', events, usage);
      await this.outbox.commit(events, { usage });
      return undefined;
    }
  }

  private toolUseEvent(turnId: string, step: number, index: number, name: string, rawArguments: string): NewEvent {
    let input: ToolInput;
    try {
      input = rawArguments.trim() === '' ? {} : ToolInput.parse(JSON.parse(rawArguments));
    } catch {
      // Kept as sent, so the model is told what was wrong with it instead of having it silently changed.
      input = rawArguments;
    }
    const spec = this.specs.find((s) => s.name === name);
    const key = turnKeys.toolUse(turnId, step, index);
    if (spec?.kind === 'custom') return this.event('agent.custom_tool_use', turnId, key, { name, input });
    const permission = (spec?.kind === 'builtin' || spec?.kind === 'mcp') && spec.permission === 'always_ask' ? 'ask' : 'allow';
    if (spec?.kind === 'mcp') return this.event('agent.mcp_tool_use', turnId, key, { name: spec.tool, mcp_server_name: spec.server, input, evaluated_permission: permission });
    return this.event('agent.tool_use', turnId, key, { name, input, evaluated_permission: permission });
  }

  private spanEnd(turnId: string, step: number, attempt: number, startId: string, usage: ModelReply['usage'], isError: boolean): NewEvent {
    return this.event('span.model_request_end', turnId, turnKeys.spanEnd(turnId, step, attempt), {
      model_request_start_id: startId,
      model_usage: usage,
      is_error: isError,
    });
  }

  /** A model call left open by a worker that stopped: closed as failed, so the step is asked again. */
  private closeOpenSpan(open: OpenTurn): void {
    if (!open.openSpan) return;
    this.outbox.stage([this.spanEnd(open.turnId, open.step, open.attempts - 1, open.openSpan.id, { input_tokens: 0, output_tokens: 0 }, true)]);
  }

  /** What the model is sent: the system prompt, then the whole conversation. */
  private modelMessages(): ChatCompletionMessageParam[] {
    const system = this.context.agent.system;
    const conversation = this.outbox.read().messages;
    return system ? [{ role: 'system', content: system }, ...conversation] : conversation;
  }

  // ---- tools -------------------------------------------------------------------------------------

  /**
   * Runs the step's tool calls in the order the model made them. Stops at the first one that needs an
   * answer it does not have, and returns every tool use still waiting for one (the turn pauses).
   */
  private async runTools(open: OpenTurn): Promise<PendingToolUse<TurnEvent>[] | undefined> {
    for (const use of open.pending) {
      if (awaitsAnswer(use)) return open.pending.filter(awaitsAnswer);
      const confirmation = confirmationOf(use);
      if (confirmation?.result === 'deny') {
        const why = confirmation.deny_message ? ` Their message: ${confirmation.deny_message}` : '';
        this.stageResult(open.turnId, use, { text: `The user denied this tool call; it was not run.${why}`, isError: true });
        recordDeniedToolCall(use.name);
        continue;
      }
      this.throwIfStopped();
      // Everything before this call is stored before it starts, so a takeover can tell it was in flight.
      await this.outbox.flush();
      this.stageResult(open.turnId, use, await traceToolCall(use.name, this.turnSwitch.signal, () => this.runTool(use)));
    }
    return undefined;
  }

  private async runTool(use: PendingToolUse<TurnEvent>): Promise<ToolOutcome> {
    if (use.mcpServer !== undefined) return this.deps.mcp.call(this.sessionId, use.mcpServer, use.name, use.input, this.turnSwitch.signal, this.deps.env.STRATUS_TOOL_RESULT_MAX_BYTES);
    const spec = this.specs.find((s): s is Extract<ToolSpec, { kind: 'builtin' }> => s.kind === 'builtin' && s.name === use.name);
    if (!spec) {
      const offered = this.specs.map((s) => s.name).join(', ') || 'none';
      return { text: `There is no tool named "${use.name}" (tools offered: ${offered}).`, isError: true };
    }
    let sandbox;
    try {
      sandbox = await this.sandboxFor(use);
    } catch (error) {
      if (this.turnSwitch.signal.aborted) throw this.turnSwitch.signal.reason;
      return { text: `${use.name} could not run: the sandbox could not be started (${error instanceof Error ? error.message : String(error)}).`, isError: true };
    }
    return this.deps.tools.run(sandbox.runner, spec.name, use.input, this.turnSwitch.signal);
  }

  /**
   * The running sandbox for a tool call. Past a capacity cap the turn says it waits (a
   * session.status_running with a detail) and says it runs again before the call starts, so a
   * takeover can tell a call that waited from one that may have run.
   */
  private async sandboxFor(use: PendingToolUse<TurnEvent>) {
    const turnId = use.event.turnId!;
    const { sandbox, waited } = await this.acquireSandbox().ready(async () => {
      await this.outbox.commit([this.event('session.status_running', turnId, turnKeys.sandboxWait(turnId, use.event.id), { detail: WAITING_FOR_SANDBOX })]);
    });
    if (waited) await this.outbox.commit([this.event('session.status_running', turnId, turnKeys.sandboxReady(turnId, use.event.id), {})]);
    return sandbox;
  }

  private stageResult(turnId: string, use: PendingToolUse<TurnEvent>, outcome: ToolOutcome): void {
    if (use.mcpServer !== undefined) {
      const content: Content = [{ type: 'text', text: outcome.text }];
      this.outbox.stage([this.event('agent.mcp_tool_result', turnId, turnKeys.toolResult(turnId, use.event.id), { mcp_tool_use_id: use.event.id, content, is_error: outcome.isError })]);
      return;
    }
    this.outbox.stage([
      this.event('agent.tool_result', turnId, turnKeys.toolResult(turnId, use.event.id), {
        tool_use_id: use.event.id,
        content: [{ type: 'text', text: outcome.text }],
        is_error: outcome.isError,
      }),
    ]);
  }

  /** Starts acquiring the session's sandbox (once per run): a slot within the caps, then the sandbox. */
  private acquireSandbox(): PendingSandbox {
    this.sandbox ??= this.deps.sandboxes.acquire(
      this.context,
      () => sandboxSpecOf(this.context, this.deps.secrets),
      () => this.turnSwitch.signal,
    );
    return this.sandbox;
  }

  // ---- the log -----------------------------------------------------------------------------------

  private event<T extends EventType>(type: T, turnId: string, dedupeKey: string, payload: EventPayload<T>): NewEventOf<T> {
    return newEvent(type, payload, { turnId, dedupeKey, processed: true });
  }

  private openTurn(turnId: string): OpenTurn {
    const open = this.outbox.read().open;
    if (open?.turnId !== turnId) throw new Error(`turn ${turnId} of session ${this.sessionId} is not open in the log`);
    return open;
  }

  private throwIfStopped(): void {
    this.turnSwitch.signal.throwIfAborted();
  }

  private activeMs(): number {
    const ms = performance.now() - this.runningSince;
    this.runningSince = performance.now();
    return ms;
  }
}
