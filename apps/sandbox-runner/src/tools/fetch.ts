import type { Dispatcher } from 'undici';
import { egressDecision, type FetchRequest, type FetchResult, type Networking } from '@stratus/sandbox-protocol';
import type { z } from 'zod';
import { badRequest, forbidden } from '../errors';

const MAX_REDIRECTS = 5;

function parseUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw badRequest(`not a valid URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest(`only http and https URLs can be fetched, not ${url.protocol}`);
  }
  return url;
}

/**
 * GET a URL under the environment's networking policy. The policy is checked here for every hop of a
 * redirect chain, not left to the network: locally only `none` is also enforced by a network
 * namespace, and an egress proxy may come later.
 */
export class FetchTool {
  private client?: Promise<{ fetch: typeof import('undici').fetch; dispatcher: Dispatcher }>;

  constructor(
    private readonly policy: Networking,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * undici is loaded on the first fetch: it takes about as long to load as the rest of the runner
   * together, and every sandbox start would pay for it.
   */
  private async loadClient() {
    this.client ??= import('undici').then(({ fetch, EnvHttpProxyAgent }) => ({
      fetch,
      // HTTP(S)_PROXY and NO_PROXY from the runner's environment, so a cluster egress proxy applies to fetch too.
      dispatcher: new EnvHttpProxyAgent({
        httpProxy: this.env.HTTP_PROXY ?? this.env.http_proxy ?? '',
        httpsProxy: this.env.HTTPS_PROXY ?? this.env.https_proxy ?? '',
        noProxy: this.env.NO_PROXY ?? this.env.no_proxy ?? '',
        // Plain-http requests in absolute form, as curl sends them; proxies often allow CONNECT to 443 only.
        proxyTunnel: false,
      }),
    }));
    return this.client;
  }

  async fetch(request: z.output<typeof FetchRequest>, signal: AbortSignal): Promise<FetchResult> {
    const combined = AbortSignal.any([signal, AbortSignal.timeout(request.timeout_ms)]);
    let url = parseUrl(request.url);
    for (let hop = 0; ; hop++) {
      const decision = egressDecision(this.policy, url.hostname);
      if (!decision.allowed) throw forbidden(decision.reason);
      const { fetch, dispatcher } = await this.loadClient();
      const response = await fetch(url, { redirect: 'manual', signal: combined, dispatcher }).catch(
        (error: unknown) => {
          if (combined.aborted && !signal.aborted) {
            throw badRequest(`fetching ${url.href} timed out after ${request.timeout_ms} ms`);
          }
          const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
          throw badRequest(`fetching ${url.href} failed${cause}`);
        },
      );
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        if (hop === MAX_REDIRECTS) throw badRequest(`more than ${MAX_REDIRECTS} redirects from ${request.url}`);
        url = parseUrl(location, url);
        continue;
      }
      const { text, truncated } = await readCapped(response.body, request.max_bytes);
      return {
        url: url.href,
        status: response.status,
        content_type: response.headers.get('content-type'),
        body: text,
        truncated,
      };
    }
  }

  async close(): Promise<void> {
    await (await this.client)?.dispatcher.close();
  }
}

/** Reads at most `maxBytes` of a body as UTF-8 and cancels the rest. */
async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number) {
  if (body === null) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}
