import { Inject, Injectable } from '@nestjs/common';
import { createModelClient, type ModelCatalog, type ModelClient } from '@stratus/models';
import { ConcurrencyLimit, MODEL_CATALOG } from '@stratus/nest-common';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { WORKER_ENV } from '../worker.tokens';
import type { WorkerEnv } from '../config/worker-env';
import { ModelStreamStalledError } from './model-errors';
import { traceModelCall, type ModelCallObserver } from './model-telemetry';

export interface ModelRequest {
  /** The public model id (the agent's `model`). */
  model: string;
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  /** The turn's signal: aborting it ends the stream at once. */
  signal: AbortSignal;
  /** Called with each piece of text as it streams, for live previews. */
  onText(kind: 'message' | 'thinking', text: string): void;
  /**
   * Called as soon as a tool call's name has streamed (again as more of a name arrives), long before
   * its arguments and the rest of the reply: the turn can start what the call will need.
   */
  onToolCall?(name: string): void;
}

export interface ModelToolCall {
  name: string;
  arguments: string;
}

/** One complete model reply. */
export interface ModelReply {
  text: string;
  thinking: string;
  toolCalls: ModelToolCall[];
  usage: { input_tokens: number; output_tokens: number };
}

/** The streamed delta fields some OpenAI-compatible servers (vLLM, DeepSeek) add for reasoning. */
interface ReasoningDelta {
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/**
 * Calls models through the openai SDK: Chat Completions, streaming, with tools. The SDK's timeout
 * covers only the wait for response headers, so a stream that stalls afterwards is cut by an idle
 * timer here; aborting a stream ends its iteration without an error, so the signal is checked after.
 * At most STRATUS_MODEL_CONCURRENCY calls of this process are open at once; the others wait in order.
 */
@Injectable()
export class ModelRepository {
  private readonly slots: ConcurrencyLimit;

  constructor(
    @Inject(MODEL_CATALOG) private readonly catalog: ModelCatalog,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {
    this.slots = new ConcurrencyLimit(env.STRATUS_MODEL_CONCURRENCY);
  }

  /** Streams one reply; throws what the SDK throws, ModelStreamStalledError, or the turn signal's reason. */
  stream(request: ModelRequest): Promise<ModelReply> {
    return this.slots.run(() => this.streamInSlot(request), request.signal);
  }

  private async streamInSlot(request: ModelRequest): Promise<ModelReply> {
    const resolved = createModelClient(this.catalog, request.model, { timeoutMs: this.env.STRATUS_MODEL_TIMEOUT_MS });
    return traceModelCall({ system: resolved.provider.name, model: resolved.upstreamModel }, (call) => this.streamReply(request, resolved, call));
  }

  private async streamReply(request: ModelRequest, { client, upstreamModel }: ModelClient, observed: ModelCallObserver): Promise<ModelReply> {
    const call = new AbortController();
    const stopCall = () => call.abort(request.signal.reason);
    request.signal.addEventListener('abort', stopCall, { once: true });
    const idleMs = this.env.STRATUS_MODEL_IDLE_TIMEOUT_MS;
    let idle: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idle);
      idle = setTimeout(() => call.abort(new ModelStreamStalledError(idleMs)), idleMs);
    };

    const reply: ModelReply = { text: '', thinking: '', toolCalls: [], usage: { input_tokens: 0, output_tokens: 0 } };
    try {
      request.signal.throwIfAborted();
      const stream = await client.chat.completions.create(
        {
          model: upstreamModel,
          messages: request.messages,
          ...(request.tools.length > 0 ? { tools: request.tools } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: call.signal },
      );
      armIdleTimer();
      for await (const chunk of stream) {
        armIdleTimer();
        observed.chunk(chunk.choices[0]?.finish_reason);
        if (chunk.usage) reply.usage = { input_tokens: chunk.usage.prompt_tokens, output_tokens: chunk.usage.completion_tokens };
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        const reasoning = delta as ReasoningDelta;
        const thinking = reasoning.reasoning_content ?? reasoning.reasoning;
        if (thinking) {
          reply.thinking += thinking;
          request.onText('thinking', thinking);
        }
        if (delta.content) {
          reply.text += delta.content;
          request.onText('message', delta.content);
        }
        for (const piece of delta.tool_calls ?? []) {
          const entry = (reply.toolCalls[piece.index] ??= { name: '', arguments: '' });
          if (piece.function?.name) {
            entry.name += piece.function.name;
            request.onToolCall?.(entry.name);
          }
          if (piece.function?.arguments) entry.arguments += piece.function.arguments;
        }
      }
    } catch (error) {
      throw call.signal.aborted ? call.signal.reason : error;
    } finally {
      clearTimeout(idle);
      request.signal.removeEventListener('abort', stopCall);
    }
    if (call.signal.aborted) throw call.signal.reason;
    // A sparse index (a server skipping one) must not leave holes the loop would trip on.
    reply.toolCalls = reply.toolCalls.filter((c) => c !== undefined);
    return reply;
  }
}
