import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import fastifyCookie from '@fastify/cookie';
import { Logger } from '@nestjs/common';
import { toErrorResponse } from '@stratus/nest-common';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AdminAccess } from './admin-access';
import { type AdminSessions, DASHBOARD_PATH, SESSION_COOKIE, SESSION_SECONDS } from './admin-session';
import { LOGIN_PAGE, LOGIN_PAGE_CSP } from './login-page';

export interface DashboardRoutesOptions {
  queues: Queue[];
  readOnly: boolean;
  access: AdminAccess;
  sessions: AdminSessions;
  /** Marks the session cookie Secure (NODE_ENV=production: served behind TLS). */
  secureCookie: boolean;
}

const logger = new Logger('queue-dashboard');

/** Answers with the public error envelope (these routes are Fastify's, outside Nest's error filter). */
function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const response = toErrorResponse(error, request.id);
  if (response.unexpected) logger.error({ err: error, requestId: request.id, url: request.url }, (error as Error)?.stack);
  return reply.status(response.status).headers(response.headers).send(response.body);
}

/**
 * The dashboard under /admin/queues: the login form, and bull-board behind the admin check. The
 * session cookie is HttpOnly (no script reads it), SameSite=Strict (a page of another site cannot
 * make the browser send it, so no cross-site request can press the dashboard's buttons) and scoped
 * to this path. The form posts the token: in a `?token=` link it would stay in browser history,
 * ingress access logs and Referer headers.
 */
export function dashboardRoutes(options: DashboardRoutesOptions) {
  const { access, sessions } = options;
  const cookieOptions = { path: DASHBOARD_PATH, httpOnly: true, sameSite: 'strict', secure: options.secureCookie } as const;

  return async (admin: FastifyInstance): Promise<void> => {
    await admin.register(fastifyCookie);
    // The form posts urlencoded; every other body is JSON, as on the rest of the API.
    admin.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    admin.get('/login', async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', LOGIN_PAGE_CSP).header('cache-control', 'no-store').send(LOGIN_PAGE),
    );
    admin.post('/login', async (request, reply) => {
      try {
        const auth = await access.login(request.body, request);
        return reply.setCookie(SESSION_COOKIE, sessions.seal(auth.tokenId), { ...cookieOptions, maxAge: SESSION_SECONDS }).redirect(DASHBOARD_PATH, 303);
      } catch (error) {
        return sendError(reply, request, error);
      }
    });
    admin.get('/logout', async (_request, reply) => reply.clearCookie(SESSION_COOKIE, cookieOptions).redirect(`${DASHBOARD_PATH}/login`, 303));

    await admin.register(async (board) => {
      board.addHook('onRequest', async (request, reply) => {
        // A browser that never logged in is shown the form rather than an error.
        if (request.method === 'GET' && !AdminAccess.hasCredentials(request) && request.headers.accept?.includes('text/html')) {
          return reply.redirect(`${DASHBOARD_PATH}/login`, 303);
        }
        try {
          await access.authenticate(request);
        } catch (error) {
          return sendError(reply, request, error);
        }
      });
      const serverAdapter = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
      createBullBoard({
        queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly })),
        serverAdapter,
        options: { uiConfig: { boardTitle: 'Stratus queues', miscLinks: [{ text: 'Log out', url: `${DASHBOARD_PATH}/logout` }] } },
      });
      await board.register(serverAdapter.registerPlugin());
    });
  };
}
