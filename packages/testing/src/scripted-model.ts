import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A scripted OpenAI-compatible model server: tests stand it in for a real model endpoint and point the
 * `openai` SDK at it, so the whole HTTP path (SSE framing, status codes, aborts) is exercised for real.
 * It is written against OpenAI's wire format, not against the SDK, so it depends on nothing but node:http.
 */

/** Token counts of one reply. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** How a successful reply is paced, to test timeouts, slow streams and aborts. */
export interface ScriptedPacing {
  /** Milliseconds before the response headers are sent: a slow upstream (what the SDK's `timeout` covers). */
  delayMs?: number;
  /** Milliseconds between streamed chunks. */
  chunkDelayMs?: number;
  /** Stream this many SSE chunks (counting the opening role chunk), then stay silent until the client aborts. */
  stallAfterChunks?: number;
}

export interface TextStep extends ScriptedPacing {
  kind: 'text';
  /** The reply: a string is streamed one word per delta; an array gives the exact deltas. */
  text: string | string[];
  /** Thinking streamed before the reply as `reasoning_content` deltas, as vLLM and DeepSeek send it. */
  reasoning?: string | string[];
  finishReason?: 'stop' | 'length' | 'content_filter';
  /** Reported usage; estimated from text lengths when omitted. */
  usage?: ScriptedUsage;
}

export interface ScriptedToolCall {
  /** Defaults to `call_<request index>_<call index>`. */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent verbatim, so a test can send malformed arguments. */
  arguments: Record<string, unknown> | string;
}

export interface ToolCallsStep extends ScriptedPacing {
  kind: 'tool_calls';
  calls: ScriptedToolCall[];
  /** Text the model says before its tool calls. */
  text?: string | string[];
  reasoning?: string | string[];
  usage?: ScriptedUsage;
  /** Characters per streamed argument piece (default ARGUMENT_PIECE_LENGTH), for a test that sends a huge argument but is not about streaming it. */
  argumentPieceLength?: number;
}

/** An HTTP error in OpenAI's shape: `{"error":{"message","type","param","code"}}`. */
export interface ErrorStep {
  kind: 'error';
  status: number;
  message?: string;
  /** OpenAI's `error.type`; derived from the status when omitted. */
  type?: string;
  code?: string;
  /** Sent as the `retry-after` header, in seconds. */
  retryAfter?: number;
  /**
   * Report the error inside a 200 event stream, as an SSE `data: {"error":{…}}` event (how some
   * providers fail mid-stream), instead of as an HTTP error status; `status` then only picks the default type.
   */
  inStream?: boolean;
}

/** Never answers — no headers, no body — until the client aborts or the server closes. */
export interface HangStep {
  kind: 'hang';
}

export type ScriptedStep = TextStep | ToolCallsStep | ErrorStep | HangStep;

/** The parts of a Chat Completions request body that tests assert on; everything else is kept too. */
export interface ChatCompletionRequestBody {
  model: string;
  messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string; [key: string]: unknown }[];
  tools?: { type: string; function?: { name: string; description?: string; parameters?: unknown }; [key: string]: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

/** One chat completion request as the server received it. */
export interface ScriptedRequest {
  /** Position among the chat completion requests received, from 0. */
  index: number;
  body: ChatCompletionRequestBody;
  headers: IncomingHttpHeaders;
  /** The step that answered it; undefined when the script was empty (answered with a 500). */
  step: ScriptedStep | undefined;
  /** Set when the connection closed before the response was complete: the client aborted, or close() cut it. */
  aborted: boolean;
}

export interface ScriptedModelOptions {
  /** Answers requests once the script is empty, e.g. a benchmark answering every request at once. */
  respond?: (request: ScriptedRequest) => ScriptedStep;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
}

export interface ScriptedModel {
  /** `http://127.0.0.1:<port>/v1`: the SDK's `baseURL`, or a provider's `base_url`. */
  baseURL: string;
  /** Queues steps; each chat completion request consumes the next one (FIFO). */
  script(...steps: ScriptedStep[]): void;
  /** Every chat completion request received, in order of arrival. */
  requests: ScriptedRequest[];
  /** How many scripted steps no request has consumed yet. */
  readonly pending: number;
  /** Resolves once no request is in flight, so that `aborted` flags are final. */
  settled(): Promise<void>;
  /** Stops the server, cutting open connections (a hanging request is recorded as aborted). */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['scripted-model'];
/** Tool-call arguments are sent in pieces this long, so clients must reassemble them as with OpenAI. */
const ARGUMENT_PIECE_LENGTH = 8;

/** Starts a scripted model server on a random port of 127.0.0.1. */
export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const queue: ScriptedStep[] = [];
  const requests: ScriptedRequest[] = [];
  let inFlight = 0;
  let whenSettled: (() => void)[] = [];

  const server = createServer((req, res) => {
    inFlight += 1;
    // Aborted when the connection goes away, to stop whatever the step was waiting for.
    const gone = new AbortController();
    let record: ScriptedRequest | undefined;
    res.on('close', () => {
      if (record && !res.writableFinished) record.aborted = true;
      gone.abort();
      inFlight -= 1;
      if (inFlight === 0) {
        for (const resolve of whenSettled) resolve();
        whenSettled = [];
      }
    });
    const handle = async () => {
      const url = new URL(req.url ?? '/', 'http://scripted-model');
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        const data = (options.models ?? DEFAULT_MODELS).map((id) => ({ id, object: 'model', created: 0, owned_by: 'stratus-testing' }));
        return sendJson(res, 200, { object: 'list', data });
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
        return sendError(res, { kind: 'error', status: 404, message: `scripted model: no route ${req.method} ${url.pathname}` });
      }
      const body = parseChatRequest(await readBody(req));
      if (!body) {
        return sendError(res, { kind: 'error', status: 400, message: 'scripted model: expected a JSON body with "model" and a "messages" array' });
      }
      record = { index: requests.length, body, headers: req.headers, step: undefined, aborted: false };
      requests.push(record);
      record.step = queue.shift() ?? options.respond?.(record);
      if (!record.step) {
        const last = JSON.stringify(body.messages.at(-1) ?? null).slice(0, 200);
        return sendError(res, {
          kind: 'error',
          status: 500,
          message: `scripted model: no step scripted for request #${record.index} (model "${body.model}", last message ${last})`,
        });
      }
      await answer(record, res, gone.signal);
    };
    handle().catch((err: unknown) => {
      if (gone.signal.aborted) return; // the client left while a step was waiting: nothing to answer
      if (res.headersSent) res.destroy(); // mid-stream: cut the connection, as a failing upstream would
      else sendError(res, { kind: 'error', status: 500, message: `scripted model: ${String(err)}` });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    script(...steps) {
      queue.push(...steps);
    },
    requests,
    get pending() {
      return queue.length;
    },
    settled: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => whenSettled.push(resolve))),
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answer(record: ScriptedRequest, res: ServerResponse, gone: AbortSignal): Promise<void> {
  const step = record.step!;
  if (step.kind === 'hang') return untilAborted(gone);
  if (step.kind === 'error' && step.inStream && record.body.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(`data: ${JSON.stringify({ error: errorBody(step) })}\n\n`);
    return;
  }
  if (step.kind === 'error') return sendError(res, step);
  if (step.delayMs) await sleep(step.delayMs, undefined, { signal: gone });
  const reply = toReply(step, record);
  if (!record.body.stream) return sendJson(res, 200, completion(reply, record));

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const chunks = streamChunks(reply, record);
  for (const [i, chunk] of chunks.entries()) {
    if (i === step.stallAfterChunks) return untilAborted(gone);
    if (i > 0 && step.chunkDelayMs) await sleep(step.chunkDelayMs, undefined, { signal: gone });
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (chunks.length === step.stallAfterChunks) return untilAborted(gone);
  res.end('data: [DONE]\n\n');
}

/** A reply in wire terms, before it is cut into chunks or put in one JSON body. */
interface Reply {
  reasoning: string[];
  content: string[];
  toolCalls: { id: string; name: string; arguments: string }[];
  argumentPieceLength: number;
  finishReason: string;
  usage: ScriptedUsage;
}

function toReply(step: TextStep | ToolCallsStep, record: ScriptedRequest): Reply {
  const reasoning = pieces(step.reasoning ?? []);
  const content = pieces(step.text ?? []);
  const toolCalls =
    step.kind === 'tool_calls'
      ? step.calls.map((call, i) => ({
          id: call.id ?? `call_${record.index}_${i}`,
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        }))
      : [];
  const finishReason = step.kind === 'tool_calls' ? 'tool_calls' : (step.finishReason ?? 'stop');
  const output = [...reasoning, ...content, ...toolCalls.map((c) => c.name + c.arguments)].join('');
  const usage = step.usage ?? { prompt_tokens: estimateTokens(JSON.stringify(record.body.messages)), completion_tokens: estimateTokens(output) };
  const argumentPieceLength = (step.kind === 'tool_calls' ? step.argumentPieceLength : undefined) ?? ARGUMENT_PIECE_LENGTH;
  return { reasoning, content, toolCalls, argumentPieceLength, finishReason, usage };
}

/** One word (with its leading whitespace) per piece, or the exact pieces given. */
function pieces(text: string | string[]): string[] {
  if (Array.isArray(text)) return text;
  return text === '' ? [] : text.split(/(?=\s)/);
}

/** A rough estimate (about four characters per token), enough for tests that only need plausible numbers. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function completion(reply: Reply, record: ScriptedRequest) {
  const toolCalls = reply.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  const message = {
    role: 'assistant',
    content: reply.content.length > 0 ? reply.content.join('') : null,
    refusal: null,
    ...(reply.reasoning.length > 0 ? { reasoning_content: reply.reasoning.join('') } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  return {
    ...envelope(record, 'chat.completion'),
    choices: [{ index: 0, message, finish_reason: reply.finishReason, logprobs: null }],
    usage: withTotal(reply.usage),
  };
}

/** The chunks OpenAI would stream for this reply: role, reasoning, content, tool calls, finish, usage. */
function streamChunks(reply: Reply, record: ScriptedRequest) {
  const deltas: Record<string, unknown>[] = [{ role: 'assistant', content: reply.content.length > 0 || reply.toolCalls.length === 0 ? '' : null }];
  for (const piece of reply.reasoning) deltas.push({ reasoning_content: piece });
  for (const piece of reply.content) deltas.push({ content: piece });
  reply.toolCalls.forEach((call, index) => {
    // Like OpenAI: the first chunk of a call names it, later chunks carry only argument pieces.
    deltas.push({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (let at = 0; at < call.arguments.length; at += reply.argumentPieceLength) {
      deltas.push({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + reply.argumentPieceLength) } }] });
    }
  });
  const base = envelope(record, 'chat.completion.chunk');
  const chunks: Record<string, unknown>[] = deltas.map((delta) => ({ ...base, choices: [{ index: 0, delta, finish_reason: null, logprobs: null }] }));
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: reply.finishReason, logprobs: null }] });
  if (record.body.stream_options?.include_usage) chunks.push({ ...base, choices: [], usage: withTotal(reply.usage) });
  return chunks;
}

function envelope(record: ScriptedRequest, object: string) {
  return { id: `chatcmpl-scripted-${record.index}`, object, created: Math.floor(Date.now() / 1000), model: record.body.model };
}

function withTotal(usage: ScriptedUsage) {
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function errorBody(step: ErrorStep) {
  return {
    message: step.message ?? `scripted error ${step.status}`,
    type: step.type ?? errorType(step.status),
    param: null,
    code: step.code ?? null,
  };
}

function sendError(res: ServerResponse, step: ErrorStep): void {
  sendJson(res, step.status, { error: errorBody(step) }, step.retryAfter === undefined ? {} : { 'retry-after': String(step.retryAfter) });
}

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseChatRequest(raw: string): ChatCompletionRequestBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const candidate = body as Partial<ChatCompletionRequestBody> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.model !== 'string' || !Array.isArray(candidate.messages)) return undefined;
  return candidate as ChatCompletionRequestBody;
}
