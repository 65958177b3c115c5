/** What the process exit code means, as documented in the README. */
export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}
