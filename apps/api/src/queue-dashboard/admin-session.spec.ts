import { SecretBox } from '@stratus/db';
import { AdminSessions, SESSION_SECONDS } from './admin-session';

const sessions = new AdminSessions(new SecretBox('a-key-of-at-least-thirty-two-characters'));

describe('AdminSessions', () => {
  it('reads back the token id it sealed until the session expires', () => {
    const now = Date.now();
    const cookie = sessions.seal('tok_1', now);
    expect(cookie).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cookie).not.toContain('tok_1');
    expect(sessions.open(cookie, now + 1000)).toBe('tok_1');
    expect(sessions.open(cookie, now + SESSION_SECONDS * 1000)).toBeNull();
  });

  it('refuses a cookie sealed under another key, altered, or sealing something else', () => {
    const other = new AdminSessions(new SecretBox('another-key-of-at-least-thirty-two-chars'));
    expect(sessions.open(other.seal('tok_1'))).toBeNull();
    const cookie = Buffer.from(sessions.seal('tok_1'), 'base64url');
    cookie[cookie.length - 1]! ^= 1;
    expect(sessions.open(cookie.toString('base64url'))).toBeNull();
    const box = new SecretBox('a-key-of-at-least-thirty-two-characters');
    expect(sessions.open(Buffer.from(box.seal({ tokenId: 'tok_1', expiresAt: Date.now() + 60_000 })).toString('base64url'))).toBeNull();
    expect(sessions.open('')).toBeNull();
  });
});
