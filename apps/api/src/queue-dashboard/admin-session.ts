import type { SecretBox } from '@stratus/db';
import { z } from 'zod';

/** Where the queue dashboard lives; its session cookie is scoped to this path. */
export const DASHBOARD_PATH = '/admin/queues';
export const SESSION_COOKIE = 'stratus_admin_session';
/** How long a dashboard login lasts; revoking the token ends it sooner. */
export const SESSION_SECONDS = 8 * 3600;

/** What the cookie seals; `purpose` keeps any other sealed value from passing for a session. */
const SessionValue = z.object({ purpose: z.literal('admin-queues'), tokenId: z.string().min(1), expiresAt: z.number() });

/**
 * The dashboard's session cookie: the admin token's id and an expiry, sealed with the deployment's
 * secret box (AES-256-GCM under STRATUS_ENCRYPTION_KEY), so it cannot be forged or altered and
 * every api replica can read it. It never holds the token itself.
 */
export class AdminSessions {
  constructor(private readonly box: SecretBox) {}

  /** The cookie value of a new session of this token. */
  seal(tokenId: string, now = Date.now()): string {
    return Buffer.from(this.box.seal({ purpose: 'admin-queues', tokenId, expiresAt: now + SESSION_SECONDS * 1000 })).toString('base64url');
  }

  /** The token id a cookie value names, or null when it is forged, altered, another value or expired. */
  open(cookie: string, now = Date.now()): string | null {
    let value: unknown;
    try {
      value = this.box.open(Buffer.from(cookie, 'base64url'));
    } catch {
      return null;
    }
    const session = SessionValue.safeParse(value);
    return session.success && session.data.expiresAt > now ? session.data.tokenId : null;
  }
}
