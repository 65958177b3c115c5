import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance } from 'fastify';

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Which methods each registered path answers, matched the way Fastify matches (find-my-way), so a
 * known path asked with the wrong method can answer 405 with `allow` instead of a bare 404.
 */
export class RouteMethods {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true });

  record(method: string | string[], url: string): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      if (METHODS.includes(m as HTTPMethod) && !this.router.hasRoute(m as HTTPMethod, url)) this.router.on(m as HTTPMethod, url, () => undefined);
    }
  }

  /** The methods the path answers; empty for a path no route matches. */
  allowed(path: string): string[] {
    const pathname = path.split('?')[0]!;
    return METHODS.filter((method) => this.router.find(method, pathname) !== null);
  }
}

const byServer = new WeakMap<FastifyInstance, RouteMethods>();

/** Starts recording the routes of a Fastify instance; call before any route is registered. */
export function trackRouteMethods(fastify: FastifyInstance): void {
  const routes = new RouteMethods();
  byServer.set(fastify, routes);
  fastify.addHook('onRoute', (route) => routes.record(route.method, route.url));
}

/** The recorded routes of the server a request arrived on. */
export function routeMethodsOf(fastify: FastifyInstance): RouteMethods | undefined {
  return byServer.get(fastify);
}
