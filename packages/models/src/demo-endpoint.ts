import { randomUUID } from 'node:crypto';
import type { ClientOptions } from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { DEMO_MODEL_ID } from './config';
import { demoReply, type DemoReply } from './demo-model';

/**
 * The demo model's OpenAI-compatible Chat Completions endpoint, served in-process as the `fetch` of
 * its OpenAI client: the worker calls the demo through the same SDK path (request building, SSE
 * parsing, tool-call reassembly, aborts) as any real model, without a socket or a network.
 */
export const demoModelFetch: NonNullable<ClientOptions['fetch']> = async (input, init) => {
  init?.signal?.throwIfAborted();
  const url = new URL(input instanceof Request ? input.url : input);
  if (init?.method !== 'POST' || !url.pathname.endsWith('/chat/completions')) {
    return errorResponse(404, 'not_found_error', `The Stratus demo model only serves POST /chat/completions, not ${init?.method ?? 'GET'} ${url.pathname}`);
  }
  let params: ChatCompletionCreateParams;
  try {
    params = JSON.parse(typeof init.body === 'string' ? init.body : '') as ChatCompletionCreateParams;
  } catch {
    return errorResponse(400, 'invalid_request_error', 'The request body is not JSON');
  }
  if (params.model !== DEMO_MODEL_ID) {
    return errorResponse(404, 'not_found_error', `The model "${String(params.model)}" does not exist here; this endpoint serves only "${DEMO_MODEL_ID}"`);
  }
  if (!Array.isArray(params.messages)) return errorResponse(400, 'invalid_request_error', '"messages" must be an array');

  const reply = demoReply(params.messages, params.tools);
  const completion = { id: `chatcmpl-demo-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: DEMO_MODEL_ID };
  const usage = estimateUsage(JSON.stringify(params.messages), reply);
  const toolCall =
    reply.kind === 'tool_call'
      ? // The id is unique within the conversation and the same on a replay, like everything the demo says.
        { id: `call_demo_${params.messages.length}`, name: reply.name, arguments: JSON.stringify(reply.arguments) }
      : undefined;

  if (!params.stream) {
    const message: ChatCompletion.Choice['message'] = { role: 'assistant', content: reply.kind === 'text' ? reply.text : null, refusal: null };
    if (toolCall) message.tool_calls = [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } }];
    const body: ChatCompletion = {
      ...completion,
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: toolCall ? 'tool_calls' : 'stop', logprobs: null }],
      usage,
    };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  const chunk = (delta: ChatCompletionChunk.Choice.Delta, finishReason: ChatCompletionChunk.Choice['finish_reason'] = null): ChatCompletionChunk => ({
    ...completion,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: toolCall ? null : '' })];
  if (reply.kind === 'text') {
    // One word per delta, as a model streams tokens, so clients see a reply arrive in pieces.
    for (const word of reply.text.split(/(?=\s)/)) chunks.push(chunk({ content: word }));
  } else if (toolCall) {
    // Like OpenAI: the first chunk names the call, the arguments follow in pieces for the SDK to reassemble.
    chunks.push(chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: '' } }] }));
    for (const piece of toolCall.arguments.match(/[\s\S]{1,8}/g) ?? []) chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  chunks.push(chunk({}, toolCall ? 'tool_calls' : 'stop'));
  if (params.stream_options?.include_usage) chunks.push({ ...completion, object: 'chat.completion.chunk', choices: [], usage });
  return new Response(sseBody(chunks, init.signal), { status: 200, headers: { 'content-type': 'text/event-stream' } });
};

/**
 * The chunks as an SSE body, handed out one frame per read. An abort errors the body the way fetch
 * does, so cancelling a demo turn behaves as it does against a real endpoint.
 */
function sseBody(chunks: ChatCompletionChunk[], signal: AbortSignal | null | undefined): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const frames = [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'];
  let onAbort: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => controller.error(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    },
    pull(controller) {
      const frame = frames.shift();
      if (frame !== undefined) return controller.enqueue(encoder.encode(frame));
      signal?.removeEventListener('abort', onAbort!);
      controller.close();
    },
  });
}

/** An estimate (about four characters per token): the demo has no tokenizer, and its numbers only need to be plausible. */
function estimateUsage(prompt: string, reply: DemoReply): CompletionUsage {
  const output = reply.kind === 'text' ? reply.text : reply.name + JSON.stringify(reply.arguments);
  const prompt_tokens = Math.ceil(prompt.length / 4);
  const completion_tokens = Math.ceil(output.length / 4);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function errorResponse(status: number, type: string, message: string): Response {
  return new Response(JSON.stringify({ error: { message, type, param: null, code: null } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
