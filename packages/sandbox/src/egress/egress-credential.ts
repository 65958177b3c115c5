import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Networking } from '@stratus/contracts';
import { z } from 'zod';

/**
 * What one sandbox may reach through the egress proxy. The provider signs it into the proxy
 * credentials it gives the sandbox (HTTP(S)_PROXY=http://<session>:<credential>@proxy); the proxy
 * verifies the signature and enforces the policy inside, so it needs no database, no Kubernetes
 * access and no per-sandbox state, and a sandbox cannot widen its own policy without the key.
 */
export interface EgressGrant {
  sessionId: string;
  workspaceId: string;
  policy: Networking;
  /** Unix seconds after which the proxy refuses the credential (the sandbox's maximum lifetime). */
  expiresAt: number;
  /**
   * The Kubernetes sandbox the credential belongs to: its Job's name and a nonce the Job carries in an
   * annotation. A proxy that checks bindings refuses the credential once that Job is gone, finished,
   * or replaced by another of the same name, so a credential outlives its sandbox by seconds only.
   */
  sandbox?: EgressSandboxBinding;
}

export interface EgressSandboxBinding {
  name: string;
  nonce: string;
}

const Grant = z.strictObject({
  sessionId: z.string().min(1),
  workspaceId: z.string().min(1),
  policy: Networking,
  expiresAt: z.number().int(),
  sandbox: z.strictObject({ name: z.string().min(1), nonce: z.string().min(1) }).optional(),
});

const VERSION = 'v1';
/** A signing key shorter than this is a configuration mistake, not a secret. */
export const MIN_EGRESS_KEY_LENGTH = 32;

/** The credential was missing, malformed, forged, signed with an unknown key or expired. */
export class EgressCredentialError extends Error {
  override name = 'EgressCredentialError';
}

function sign(body: string, key: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** Signs a grant into a URL-safe credential: `v1.<deflated JSON, base64url>.<HMAC-SHA256, base64url>`. */
export function signEgressGrant(grant: EgressGrant, key: string): string {
  if (key.length < MIN_EGRESS_KEY_LENGTH) throw new Error(`egress signing key must be at least ${MIN_EGRESS_KEY_LENGTH} characters`);
  // Deflated: an allowed_hosts list can hold 256 names and the credential travels in a header.
  const payload = deflateRawSync(JSON.stringify(Grant.parse(grant))).toString('base64url');
  const body = `${VERSION}.${payload}`;
  return `${body}.${sign(body, key).toString('base64url')}`;
}

/**
 * Verifies a credential against any of `keys` (several during a key rotation) and returns its grant.
 * Throws EgressCredentialError when it is not one this deployment signed or it has expired.
 */
export function verifyEgressGrant(credential: string, keys: readonly string[], now = Date.now()): EgressGrant {
  const [version, payload, signature, ...rest] = credential.split('.');
  if (version !== VERSION || payload === undefined || signature === undefined || rest.length > 0) {
    throw new EgressCredentialError('malformed egress credential');
  }
  const given = Buffer.from(signature, 'base64url');
  const body = `${version}.${payload}`;
  const valid = keys.some((key) => {
    const expected = sign(body, key);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!valid) throw new EgressCredentialError('egress credential signature does not verify');
  let grant: EgressGrant;
  try {
    grant = Grant.parse(JSON.parse(inflateRawSync(Buffer.from(payload, 'base64url')).toString('utf8')));
  } catch {
    throw new EgressCredentialError('egress credential payload is not a grant');
  }
  if (grant.expiresAt * 1000 <= now) throw new EgressCredentialError(`egress credential of session ${grant.sessionId} expired`);
  return grant;
}

/** The HTTP(S)_PROXY value for a sandbox: the proxy URL with the session id and signed grant as credentials. */
export function egressProxyUrl(proxyUrl: string, grant: EgressGrant, key: string): string {
  const url = new URL(proxyUrl);
  url.username = encodeURIComponent(grant.sessionId);
  url.password = signEgressGrant(grant, key);
  return url.href.replace(/\/$/, '');
}
