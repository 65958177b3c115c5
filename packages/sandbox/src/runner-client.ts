import { currentTraceparent, inSpan, SpanKind } from '@stratus/telemetry';
import { Agent, request } from 'undici';
import {
  RUNNER_ROUTES,
  type EditRequest,
  type EditResult,
  type ExecRequest,
  type ExecResult,
  type FetchRequest,
  type FetchResult,
  type GlobRequest,
  type GlobResult,
  type GrepRequest,
  type GrepResult,
  type ReadRequest,
  type ReadResult,
  type RunnerErrorBody,
  type WriteRequest,
  type WriteResult,
} from '@stratus/sandbox-protocol';
import type { SandboxChannel, SandboxEndpoint, SandboxHandle } from './provider';

/**
 * Exec may run for up to 600 s before the runner answers; undici's default 300 s headers timeout
 * would cut it off. A hung runner is the caller's signal to handle.
 */
const RESPONSE_TIMEOUT_MS = 660_000;

/**
 * Answers larger than this are refused unread. The runner bounds what it sends (exec output, a Read
 * page, search results), so only a broken or hostile runner gets near it; the worker must not hold
 * whatever such a runner streams.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** The runner answered with an error: `status` and `type` say whose fault, `message` is for the model. */
export class RunnerError extends Error {
  override name = 'RunnerError';

  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The runner's answer went over the client's byte cap; the rest of it was not read. */
export class RunnerResponseTooLargeError extends RunnerError {
  override name = 'RunnerResponseTooLargeError';
}

/** The runner could not be reached at all (not started, crashed, destroyed). */
export class RunnerUnavailableError extends Error {
  override name = 'RunnerUnavailableError';
}

export interface RunnerClientOptions {
  /** Larger answers are refused unread; default DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

export interface CallOptions {
  /** Aborting closes the connection; the runner then kills a running command's whole process group. */
  signal?: AbortSignal;
}

/**
 * Typed client of one sandbox runner, over its Unix socket or its HTTP base URL. With a channel (a
 * local sandbox that keeps no server between calls), commands go through the channel and the other
 * calls to the runner it starts on demand.
 */
export class RunnerClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly maxResponseBytes: number;

  constructor(
    endpoint: SandboxEndpoint,
    private readonly token: string,
    options: RunnerClientOptions = {},
    private readonly channel?: SandboxChannel,
  ) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const timeouts = { headersTimeout: RESPONSE_TIMEOUT_MS, bodyTimeout: RESPONSE_TIMEOUT_MS };
    if ('socketPath' in endpoint) {
      this.agent = new Agent({ ...timeouts, connect: { socketPath: endpoint.socketPath } });
      this.origin = 'http://sandbox-runner';
    } else {
      this.agent = new Agent(timeouts);
      this.origin = endpoint.baseUrl.replace(/\/+$/, '');
    }
  }

  /** A client for a provisioned sandbox. */
  static forHandle(handle: SandboxHandle, options: RunnerClientOptions = {}): RunnerClient {
    return new RunnerClient(handle.endpoint, handle.token, options, handle.channel);
  }

  /** Resolves when the runner is up and accepts the token (with a channel: while the sandbox runs). */
  async health(options: CallOptions = {}): Promise<{ ok: true }> {
    if (this.channel !== undefined) {
      if (!this.channel.alive()) throw new RunnerUnavailableError('the sandbox has stopped');
      return { ok: true };
    }
    return this.call('GET', RUNNER_ROUTES.health, undefined, options);
  }

  /** Runs a bash command in the sandbox (working directory persists between calls). */
  async exec(body: ExecRequest, options: CallOptions = {}): Promise<ExecResult> {
    const channel = this.channel;
    if (channel === undefined) return this.call('POST', RUNNER_ROUTES.exec, body, options);
    return inSpan(`runner ${RUNNER_ROUTES.exec}`, { kind: SpanKind.CLIENT, attributes: { 'url.path': RUNNER_ROUTES.exec } }, async (span) => {
      const result = await channel.exec(body, options.signal);
      // The command's own run time, as the runner measured it: the rest of a tool call is the platform's.
      span.setAttribute('stratus.sandbox.command_ms', result.duration_ms);
      return result;
    });
  }

  /** Reads lines of a workspace file. */
  async read(body: ReadRequest, options: CallOptions = {}): Promise<ReadResult> {
    return this.call('POST', RUNNER_ROUTES.read, body, options);
  }

  /** Creates or replaces a workspace file. */
  async write(body: WriteRequest, options: CallOptions = {}): Promise<WriteResult> {
    return this.call('POST', RUNNER_ROUTES.write, body, options);
  }

  /** Replaces an exact string in a workspace file. */
  async edit(body: EditRequest, options: CallOptions = {}): Promise<EditResult> {
    return this.call('POST', RUNNER_ROUTES.edit, body, options);
  }

  /** Lists workspace files matching a glob. */
  async glob(body: GlobRequest, options: CallOptions = {}): Promise<GlobResult> {
    return this.call('POST', RUNNER_ROUTES.glob, body, options);
  }

  /** Searches workspace files for a regular expression. */
  async grep(body: GrepRequest, options: CallOptions = {}): Promise<GrepResult> {
    return this.call('POST', RUNNER_ROUTES.grep, body, options);
  }

  /** Fetches a URL through the environment's networking policy. */
  async fetch(body: FetchRequest, options: CallOptions = {}): Promise<FetchResult> {
    return this.call('POST', RUNNER_ROUTES.fetch, body, options);
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Each call is a client span: over HTTP the runner receives its context in `traceparent`; a call
   * through a sandbox's channel (an idle local sandbox) is the same span around the entered command.
   */
  private call<T>(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions): Promise<T> {
    return inSpan(`runner ${path}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'url.path': path } }, () => {
      const channel = this.channel;
      return channel !== undefined ? channel.withRunner(() => this.send<T>(method, path, body, options)) : this.send<T>(method, path, body, options);
    });
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body: unknown, { signal }: CallOptions): Promise<T> {
    const traceparent = currentTraceparent();
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${this.origin}${path}`, {
        method,
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new RunnerUnavailableError(`sandbox runner unreachable: ${(error as Error).message}`, { cause: error });
    }
    const text = await this.readBody(response, path);
    if (response.statusCode >= 400) {
      const parsed = safeJson(text) as Partial<RunnerErrorBody> | undefined;
      throw new RunnerError(
        response.statusCode,
        parsed?.error?.type ?? 'api_error',
        parsed?.error?.message ?? `sandbox runner answered ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    return JSON.parse(text) as T;
  }

  /** The body as text, or RunnerResponseTooLargeError as soon as it (or its declared length) passes the cap. */
  private async readBody(response: Awaited<ReturnType<typeof request>>, path: string): Promise<string> {
    const tooLarge = () => {
      // Destroying the body closes the connection: the runner stops sending and nothing more is read.
      response.body.destroy();
      return new RunnerResponseTooLargeError(
        response.statusCode,
        'response_too_large',
        `the sandbox runner's answer to ${path} is larger than ${this.maxResponseBytes} bytes; it was dropped unread`,
      );
    };
    if (Number(response.headers['content-length']) > this.maxResponseBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxResponseBytes) throw tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
