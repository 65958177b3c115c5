import { createServer, request as httpRequest, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EgressCredentialError, verifyEgressGrant, type EgressGrant, type EgressSandboxBinding } from '@stratus/sandbox/egress';
import { egressDecision } from '@stratus/sandbox-protocol';
import { DestinationRefused, resolveDestination, systemResolver, type Resolver } from '@stratus/net-guard';

/** The part of a pino logger the proxy uses. */
export interface ProxyLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface EgressProxyOptions {
  /** Keys whose signatures the proxy accepts (the current one first during a rotation). */
  signingKeys: readonly string[];
  /** Ports CONNECT may open; default 443 only. */
  connectPorts?: readonly number[] | 'any';
  /** Ports plain-HTTP (absolute-form) requests may go to; default 80 only. */
  forwardPorts?: readonly number[] | 'any';
  /** Let allowed names resolve to private addresses (tests on loopback); default false. */
  allowPrivateAddresses?: boolean;
  resolver?: Resolver;
  logger: ProxyLogger;
  /** Give up connecting upstream after this long; default 10 s. */
  connectTimeoutMs?: number;
  /** Close a tunnel after this long without a byte either way; default 5 min. */
  idleTimeoutMs?: number;
  /** Open tunnels and in-flight requests one credential may hold at once; default 64. */
  maxConnectionsPerCredential?: number;
  /**
   * Whether the Kubernetes sandbox a credential is bound to still runs (SandboxLiveness). Without it,
   * credentials bound to a sandbox are refused: the proxy cannot tell whether their sandbox is gone.
   */
  sandboxLiveness?: { isAlive(binding: EgressSandboxBinding): Promise<boolean> };
}

const REALM = 'Proxy-Authenticate';
/** Allowed hosts lists travel in the credential: up to 256 names, deflated, in one header. */
const MAX_HEADER_BYTES = 256 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

class Refusal extends Error {
  constructor(
    readonly status: 400 | 403 | 407 | 429 | 502 | 504,
    message: string,
  ) {
    super(message);
  }
}

/** The grant in `Proxy-Authorization: Basic base64(<session>:<credential>)`, and the credential it came in. */
function authenticate(header: string | undefined, keys: readonly string[]): { grant: EgressGrant; credential: string } {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) throw new Refusal(407, 'proxy credentials required: this sandbox has no egress through the proxy');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const credential = decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1));
  try {
    return { grant: verifyEgressGrant(credential, keys), credential };
  } catch (error) {
    if (error instanceof EgressCredentialError) throw new Refusal(407, error.message);
    throw error;
  }
}

function portAllowed(ports: readonly number[] | 'any', port: number): boolean {
  return ports === 'any' || ports.includes(port);
}

/**
 * Counts the connections each credential holds, so one sandbox cannot take every socket of the proxy
 * (and of the hosts behind it). Keyed by the credential itself: a sandbox and its install step count apart.
 */
class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `credential`; the returned release gives it back (once, however often called). */
  acquire(credential: string, refusal: () => Refusal): () => void {
    const count = this.open.get(credential) ?? 0;
    if (count >= this.max) throw refusal();
    this.open.set(credential, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(credential) ?? 1) - 1;
      if (left === 0) this.open.delete(credential);
      else this.open.set(credential, left);
    };
  }
}

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !listed.has(name)));
}

/**
 * The sandboxes' egress proxy: plain-HTTP requests in absolute form are forwarded, anything else
 * goes through CONNECT tunnels. Every request must carry the sandbox's signed egress credential
 * (HTTP(S)_PROXY=http://<session>:<credential>@proxy); the policy inside it decides the host (exact
 * names and `*.` wildcards for allowed_hosts, the package registries for limited). A refusal is
 * logged and answered 403 with the reason as the body, which curl, pip, npm and the runner's fetch
 * show the model as the tool's error. `GET /healthz` answers 200 for probes.
 */
export function createEgressProxy(options: EgressProxyOptions): Server {
  const resolver = options.resolver ?? systemResolver;
  const connectPorts = options.connectPorts ?? [443];
  const forwardPorts = options.forwardPorts ?? [80];
  const allowPrivate = options.allowPrivateAddresses ?? false;
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
  const maxPerCredential = options.maxConnectionsPerCredential ?? 64;
  const connections = new ConnectionCounter(maxPerCredential);
  const { logger } = options;

  /** Refuses a credential whose sandbox was deleted, has ended, or was replaced under the same name. */
  const checkSandbox = async (binding: EgressSandboxBinding, who: Record<string, unknown>) => {
    if (options.sandboxLiveness === undefined) {
      throw new Refusal(407, `egress credential of sandbox ${binding.name} is bound to it, and this proxy is not configured to check sandboxes (STRATUS_EGRESS_PROXY_SANDBOX_NAMESPACE)`);
    }
    let alive: boolean;
    try {
      alive = await options.sandboxLiveness.isAlive(binding);
    } catch (error) {
      throw new Refusal(502, `stratus egress proxy could not check sandbox ${binding.name}: ${(error as Error).message}`);
    }
    if (!alive) {
      logger.warn({ ...who, sandbox: binding.name, reason: 'sandbox gone' }, 'egress refused');
      throw new Refusal(407, `egress credential of sandbox ${binding.name} is no longer valid: the sandbox was deleted or has ended`);
    }
  };

  /**
   * Authenticates, checks the policy, the port and the credential's connection count, and resolves
   * the address to connect to. Returns the address and the release of the connection slot it took.
   */
  const admit = async (proxyAuthorization: string | undefined, host: string, port: number, kind: 'forward' | 'connect') => {
    const { grant, credential } = authenticate(proxyAuthorization, options.signingKeys);
    const who = { sessionId: grant.sessionId, workspaceId: grant.workspaceId, host, port, kind };
    if (grant.sandbox !== undefined) await checkSandbox(grant.sandbox, who);
    const decision = egressDecision(grant.policy, host);
    if (!decision.allowed) {
      logger.warn({ ...who, reason: decision.reason }, 'egress refused');
      throw new Refusal(403, `stratus egress proxy refused ${host}: ${decision.reason}`);
    }
    const ports = kind === 'connect' ? connectPorts : forwardPorts;
    if (!portAllowed(ports, port)) {
      logger.warn({ ...who, reason: 'port' }, 'egress refused');
      const what = kind === 'connect' ? 'tunnels' : 'plain-HTTP requests';
      throw new Refusal(403, `stratus egress proxy refused ${host}:${port}: ${what} may only use port ${(ports as readonly number[]).join(', ')}`);
    }
    const release = connections.acquire(credential, () => {
      logger.warn({ ...who, reason: 'connections' }, 'egress refused');
      return new Refusal(429, `stratus egress proxy refused ${host}:${port}: this sandbox already has ${maxPerCredential} connections open through the proxy`);
    });
    try {
      const address = await resolveDestination(host, resolver, allowPrivate);
      logger.info({ ...who, address }, 'egress allowed');
      return { address, release };
    } catch (error) {
      release();
      if (error instanceof DestinationRefused) {
        logger.warn({ ...who, reason: error.message }, 'egress refused');
        throw new Refusal(403, `stratus egress proxy refused ${host}: ${error.message}`);
      }
      throw new Refusal(502, `stratus egress proxy could not resolve ${host}: ${(error as Error).message}`);
    }
  };

  const refuse = (res: ServerResponse, error: unknown) => {
    const refusal = error instanceof Refusal ? error : new Refusal(502, `stratus egress proxy: ${(error as Error).message}`);
    if (res.headersSent) return res.destroy();
    res.writeHead(refusal.status, {
      'content-type': 'text/plain; charset=utf-8',
      ...(refusal.status === 407 ? { [REALM]: 'Basic realm="stratus-egress"' } : {}),
    });
    res.end(`${refusal.message}\n`);
  };

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      throw new Refusal(400, 'stratus egress proxy: send requests in absolute form (http://host/path), or use CONNECT');
    }
    if (target.protocol !== 'http:') throw new Refusal(400, `stratus egress proxy: ${target.protocol} URLs go through CONNECT`);
    const port = Number(target.port || 80);
    const { address, release } = await admit(req.headers['proxy-authorization'], target.hostname, port, 'forward');
    // The client may have gone while we resolved: then 'close' has fired already.
    if (res.closed) return release();
    res.once('close', release);
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(
        { host: address, port, method: req.method, path: `${target.pathname}${target.search}`, headers: { ...forwardHeaders(req.headers), host: target.host }, timeout: timeoutMs },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.statusMessage, forwardHeaders(response.headers));
          response.pipe(res);
          response.once('end', resolve);
          response.once('error', reject);
        },
      );
      upstream.once('timeout', () => upstream.destroy(new Refusal(504, `stratus egress proxy: ${target.host} did not answer in time`)));
      upstream.once('error', (error) => reject(error instanceof Refusal ? error : new Refusal(502, `stratus egress proxy could not reach ${target.host}: ${error.message}`)));
      req.pipe(upstream);
    });
  };

  const tunnel = async (req: IncomingMessage, client: Socket, head: Buffer) => {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!match) throw new Refusal(400, 'stratus egress proxy: CONNECT needs host:port');
    const host = match[1]!;
    const port = Number(match[2]);
    const { address, release } = await admit(req.headers['proxy-authorization'], host.replace(/^\[(.*)\]$/, '$1'), port, 'connect');
    if (client.destroyed) return release();
    client.once('close', release);
    const upstream = connect({ host: address, port, timeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        resolve();
      });
      upstream.once('timeout', () => reject(new Refusal(504, `stratus egress proxy: ${host}:${port} did not answer in time`)));
      upstream.once('error', (error) => reject(new Refusal(502, `stratus egress proxy could not reach ${host}:${port}: ${error.message}`)));
    }).catch((error: unknown) => {
      upstream.destroy();
      throw error;
    });
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    // A tunnel nobody uses holds a slot and two sockets: close it after a quiet spell in both directions.
    const idle = () => {
      logger.info({ host, port, idleTimeoutMs }, 'egress tunnel closed after being idle');
      close();
    };
    client.setTimeout(idleTimeoutMs, idle);
    upstream.setTimeout(idleTimeoutMs, idle);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    forward(req, res).catch((error: unknown) => refuse(res, error));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    tunnel(req, client, head).catch((error: unknown) => {
      const refusal = error instanceof Refusal ? error : new Refusal(502, `stratus egress proxy: ${(error as Error).message}`);
      const body = `${refusal.message}\n`;
      const authenticateHeader = refusal.status === 407 ? `${REALM}: Basic realm="stratus-egress"\r\n` : '';
      client.end(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n` +
          `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${authenticateHeader}connection: close\r\n\r\n${body}`,
      );
    });
  });
  return server;
}
