import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FakeKubelet, type FakeKubeletOptions } from './fake-kubelet';
import { deleteObject, type PropagationPolicy } from './garbage-collector';
import { applyJsonPatch, applyMergePatch } from './json-patch';
import { JobController } from './job-controller';
import { parseFieldSelector, parseLabelSelector } from './label-selector';
import { ObjectStore, type StoreEvent } from './object-store';
import { servingCertificate } from './serving-certificate';
import { apiVersionOf, newUid, normalizeSecret, RESOURCE_TYPES, validateObject, type KubeObject, type ResourceName, type ResourceType } from './resources';
import { failures, KubeApiFailure } from './status';

export interface KubeApiServerOptions {
  /** The fake kubelet's settings: how to start a pod's runner. */
  kubelet: FakeKubeletOptions;
  /** The bearer token clients must send; default random. */
  token?: string;
  /** The namespace the generated kubeconfig's context uses; default `stratus-sandboxes`. */
  namespace?: string;
  /** How many changes watches can resume from before 410 Expired; default 10 000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 5 s. */
  bookmarkIntervalMs?: number;
}

/** One request as the server received it, for tests that check how the client talks to the API. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
}

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The PEM certificate clients must trust (the kubeconfig carries it). */
  certificateAuthority: string;
  token: string;
  store: ObjectStore;
  kubelet: FakeKubelet;
  requests: RecordedRequest[];
  /** A kubeconfig (JSON, which is YAML) pointing at this server with its token. */
  kubeconfig(namespace?: string): string;
  writeKubeconfig(path: string, namespace?: string): Promise<void>;
  close(): Promise<void>;
}

const PATH = /^\/(api\/v1|apis\/batch\/v1|apis\/networking\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/;
const GROUP_VERSIONS: Record<string, string> = { 'api/v1': '', 'apis/batch/v1': 'batch', 'apis/networking.k8s.io/v1': 'networking.k8s.io' };

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function route(pathname: string): Route | undefined {
  const match = PATH.exec(pathname);
  if (!match) return undefined;
  const type = RESOURCE_TYPES[match[3] as ResourceName] as ResourceType | undefined;
  if (type === undefined || GROUP_VERSIONS[match[1]!] !== type.group) return undefined;
  return { type, namespace: match[2], name: match[4] !== undefined ? decodeURIComponent(match[4]) : undefined, subresource: match[5] };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw failures.badRequest('the request body is not valid JSON');
  }
}

/** Request metadata the server owns: a client cannot set it. */
function stripServerFields(object: KubeObject): void {
  const m = object.metadata as Partial<KubeObject['metadata']> & { managedFields?: unknown; selfLink?: unknown };
  delete m.uid;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.managedFields;
  delete m.selfLink;
  delete m.generation;
}

/**
 * A Kubernetes API server for tests: the real REST paths and JSON of batch/v1 Jobs, v1 Pods and
 * Secrets and networking.k8s.io/v1 NetworkPolicies (create, get, list, replace, patch, delete, watch),
 * bearer-token auth, Status objects on errors, every received object validated against the
 * Kubernetes OpenAPI schemas (kubernetes-models) and the server's own rules, plus a Job controller,
 * a garbage collector, a TTL controller and a fake kubelet that runs each pod's sandbox runner as a
 * local process. HTTPS with a throwaway self-signed certificate that the generated kubeconfig trusts.
 */
export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const store = new ObjectStore(options.historyLimit);
  const kubelet = new FakeKubelet(store, options.kubelet);
  const jobController = new JobController(store, kubelet);
  const requests: RecordedRequest[] = [];
  const openWatches = new Set<ServerResponse>();
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5000;

  const list = (type: ResourceType, namespace: string | undefined, query: URLSearchParams) => {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    return store.list(type.resource, namespace).filter((o) => labels(o.metadata.labels) && fields(o));
  };

  const watch = (req: IncomingMessage, res: ServerResponse, type: ResourceType, namespace: string | undefined, query: URLSearchParams) => {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const matches = (o: KubeObject) => (namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o);
    const from = query.get('resourceVersion') ?? '';
    if (from !== '' && from !== '0' && !/^\d+$/.test(from)) throw failures.badRequest(`invalid resourceVersion ${from}`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    openWatches.add(res);
    const write = (eventType: string, object: unknown) => res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    if (from !== '' && from !== '0' && Number(from) < store.oldestResumableRevision) {
      write('ERROR', failures.expired(from).toStatus());
      openWatches.delete(res);
      res.end();
      return;
    }
    const translate = (event: StoreEvent) => {
      if (event.resource !== type.resource) return;
      const now = matches(event.object);
      const before = event.previous !== undefined && matches(event.previous);
      if (event.type === 'MODIFIED') {
        if (now) write(before ? 'MODIFIED' : 'ADDED', event.object);
        else if (before) write('DELETED', event.object);
      } else if (now) write(event.type, event.object);
    };
    if (from === '' || from === '0') {
      for (const object of store.list(type.resource, namespace).filter(matches)) write('ADDED', object);
    } else {
      for (const event of store.since(Number(from))) translate(event);
    }
    const unsubscribe = store.subscribe(translate);
    const bookmarks =
      query.get('allowWatchBookmarks') === 'true'
        ? setInterval(() => write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(store.currentRevision) } }), bookmarkIntervalMs)
        : undefined;
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    const timeout = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const cleanup = () => {
      unsubscribe();
      clearInterval(bookmarks);
      clearTimeout(timeout);
      openWatches.delete(res);
    };
    req.once('close', cleanup);
    res.once('close', cleanup);
  };

  const create = (type: ResourceType, namespace: string, body: unknown) => {
    const object = body as KubeObject;
    if (object === null || typeof object !== 'object') throw failures.badRequest('the body must be an object');
    if (object.apiVersion !== apiVersionOf(type) || object.kind !== type.kind) {
      throw failures.badRequest(`the API version in the data (${String(object.apiVersion)}) and kind (${String(object.kind)}) do not match ${apiVersionOf(type)} ${type.kind}`);
    }
    object.metadata ??= {} as KubeObject['metadata'];
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
      throw failures.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    stripServerFields(object);
    object.metadata.namespace = namespace;
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    object.metadata.name ??= '';
    normalizeSecret(object);
    validateObject(type, object);
    object.metadata.uid = newUid();
    object.metadata.generation = 1;
    type.defaults?.(object);
    return store.create(type.resource, object);
  };

  const replace = (type: ResourceType, namespace: string, name: string, next: KubeObject, current: KubeObject) => {
    if (next.metadata?.name !== name) throw failures.badRequest(`the name of the object (${String(next.metadata?.name)}) does not match the name on the URL (${name})`);
    const expectedVersion = next.metadata.resourceVersion;
    stripServerFields(next);
    next.metadata.namespace = namespace;
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    normalizeSecret(next);
    // Status is a subresource: a write to the object itself keeps the status it had.
    if (current.status !== undefined) next.status = current.status;
    validateObject(type, next, current);
    next.metadata.generation = JSON.stringify(next.spec) === JSON.stringify(current.spec) ? current.metadata.generation : (current.metadata.generation ?? 1) + 1;
    return store.update(type.resource, next, expectedVersion);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://kube');
    const query = url.searchParams;
    const isWatch = query.get('watch') === 'true' || query.get('watch') === '1';
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(query), watch: isWatch });
    if (req.headers.authorization !== `Bearer ${token}`) throw failures.unauthorized();
    const r = route(url.pathname);
    if (r === undefined) return send(res, 404, new KubeApiFailure(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    if (r.subresource !== undefined) throw failures.methodNotAllowed(`${req.method ?? ''} ${r.subresource}`);
    const { type, namespace, name } = r;
    switch (req.method ?? '') {
      case 'GET': {
        if (name !== undefined) {
          const found = namespace === undefined ? undefined : store.get(type.resource, namespace, name);
          if (found === undefined) throw failures.notFound(type.resource, type.group, name);
          return send(res, 200, found);
        }
        if (isWatch) return watch(req, res, type, namespace, query);
        const items = list(type, namespace, query).map(({ apiVersion: _a, kind: _k, ...item }) => item);
        return send(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(store.currentRevision) }, items });
      }
      case 'POST': {
        if (namespace === undefined || name !== undefined) throw failures.methodNotAllowed('POST');
        return send(res, 201, create(type, namespace, await readBody(req)));
      }
      case 'PUT': {
        if (namespace === undefined || name === undefined) throw failures.methodNotAllowed('PUT');
        const current = store.get(type.resource, namespace, name);
        if (current === undefined) throw failures.notFound(type.resource, type.group, name);
        return send(res, 200, replace(type, namespace, name, (await readBody(req)) as KubeObject, current));
      }
      case 'PATCH': {
        if (namespace === undefined || name === undefined) throw failures.methodNotAllowed('PATCH');
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const body = await readBody(req);
        const current = store.get(type.resource, namespace, name);
        if (current === undefined) throw failures.notFound(type.resource, type.group, name);
        let patched: KubeObject;
        if (contentType === 'application/json-patch+json') patched = applyJsonPatch(current, body) as KubeObject;
        else if (contentType === 'application/merge-patch+json') patched = applyMergePatch(current, body) as KubeObject;
        else throw failures.unsupportedMediaType(contentType);
        return send(res, 200, replace(type, namespace, name, patched, current));
      }
      case 'DELETE': {
        if (namespace === undefined || name === undefined) throw failures.methodNotAllowed('DELETE');
        const body = (await readBody(req)) as { propagationPolicy?: PropagationPolicy; gracePeriodSeconds?: number } | undefined;
        const propagationPolicy = (query.get('propagationPolicy') ?? body?.propagationPolicy) as PropagationPolicy | undefined;
        const grace = query.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
        const { object, gone } = deleteObject(store, type.resource, namespace, name, {
          propagationPolicy,
          gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
        });
        if (!gone) return send(res, 200, object);
        return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: type.group, kind: type.resource, uid: object.metadata.uid } });
      }
      default:
        throw failures.methodNotAllowed(req.method ?? '');
    }
  };

  const tls = await servingCertificate();
  const server = createServer(tls, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof KubeApiFailure) return send(res, error.code, error.toStatus());
      send(res, 500, new KubeApiFailure(500, 'InternalError', error instanceof Error ? error.message : String(error)).toStatus());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = (namespace = options.namespace ?? 'stratus-sandboxes') =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'stratus-test', cluster: { server: url, 'certificate-authority-data': Buffer.from(tls.cert).toString('base64') } }],
      users: [{ name: 'stratus-test', user: { token } }],
      contexts: [{ name: 'stratus-test', context: { cluster: 'stratus-test', user: 'stratus-test', namespace } }],
      'current-context': 'stratus-test',
    });

  return {
    url,
    certificateAuthority: tls.cert,
    token,
    store,
    kubelet,
    requests,
    kubeconfig,
    writeKubeconfig: (path, namespace) => writeFile(path, kubeconfig(namespace)),
    async close() {
      jobController.stop();
      await kubelet.stop();
      for (const res of openWatches) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
