import { apiErrorFrom, APIConnectionError } from './errors';

export interface ClientOptions {
  /** Where the Stratus API is served, e.g. `https://stratus.example.com` (the `/api/v1/cloud` prefix is added). */
  baseURL: string;
  /** A personal access token (`pt-…`). */
  token: string;
  /** Another fetch implementation (a proxy-aware one, a test double's transport). */
  fetch?: typeof fetch;
}

const API_PREFIX = '/api/v1/cloud';

/** Builds URLs under the API prefix, authenticates, and turns error responses into APIErrors. */
export class Transport {
  private readonly root: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    const base = options.baseURL.replace(/\/+$/, '');
    this.root = base.endsWith(API_PREFIX) ? base : base + API_PREFIX;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The absolute URL of a route such as `/sessions/{id}/events/stream`. */
  url(path: string, query?: URLSearchParams): string {
    const search = query?.toString();
    return `${this.root}${path}${search ? `?${search}` : ''}`;
  }

  /** Sends a request; resolves with the response when it is a success, throws an APIError when it is not. */
  async send(method: string, url: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...init.headers },
        signal: init.signal,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new APIConnectionError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw await apiErrorFrom(response);
    return response;
  }
}
