import { createHash, randomBytes } from 'node:crypto';

/** Personal access tokens start with "pt-" (as Qoder's do). */
export const TOKEN_PREFIX = 'pt-';

/** A new token secret: "pt-" and 43 url-safe characters (256 bits). */
export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Only this digest is stored; a fast hash is right for 256-bit random secrets. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A short, non-secret prefix that tells tokens apart in listings. */
export function tokenHint(secret: string): string {
  return secret.slice(0, 7);
}
