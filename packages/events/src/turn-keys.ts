/**
 * Dedupe keys of the events a turn emits. Every key names the event's place in the turn (step,
 * attempt), so a worker that resumes a turn after another died computes the same keys for the same
 * logical events, and a second worker running the same turn by mistake stores nothing twice.
 */
export const turnKeys = {
  running: (turnId: string) => `${turnId}:running`,
  resume: (turnId: string, step: number) => `${turnId}:${step}:resume`,
  spanStart: (turnId: string, step: number, attempt: number) => `${turnId}:${step}:${attempt}:start`,
  spanEnd: (turnId: string, step: number, attempt: number) => `${turnId}:${step}:${attempt}:end`,
  error: (turnId: string, step: number, attempt: number) => `${turnId}:${step}:${attempt}:error`,
  thinking: (turnId: string, step: number) => `${turnId}:${step}:thinking`,
  message: (turnId: string, step: number) => `${turnId}:${step}:message`,
  toolUse: (turnId: string, step: number, index: number) => `${turnId}:${step}:tool:${index}`,
  toolResult: (turnId: string, toolUseId: string) => `${turnId}:result:${toolUseId}`,
  sandboxWait: (turnId: string, toolUseId: string) => `${turnId}:sandbox-wait:${toolUseId}`,
  sandboxReady: (turnId: string, toolUseId: string) => `${turnId}:sandbox-ready:${toolUseId}`,
  pause: (turnId: string, step: number) => `${turnId}:${step}:pause`,
  mcpError: (turnId: string, step: number, server: string) => `${turnId}:${step}:mcp:${server}`,
  idle: (turnId: string) => `${turnId}:idle`,
};
