import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import type { SandboxSpec, SandboxTemplate } from '../provider';

/** The session-independent part of a spec. */
export function templateOf(spec: SandboxSpec | SandboxTemplate): SandboxTemplate {
  const { sessionId: _sessionId, ...template } = spec as SandboxSpec;
  return template;
}

/**
 * A short digest of everything that makes two sandboxes interchangeable. A warm sandbox is handed
 * out only for a spec with the same digest, so an environment edit never serves a stale sandbox.
 */
export function templateDigest(spec: SandboxSpec | SandboxTemplate): string {
  return createHash('sha256').update(canonicalJson(templateOf(spec))).digest('hex').slice(0, 20);
}
