import type { SandboxHandle } from '@stratus/sandbox';
import { inSpan, stratusMetrics } from '@stratus/telemetry';
import type { SessionSandbox } from './sandbox.repository';

/**
 * A turn's (or a lifecycle job's) wait for the session's sandbox, as a span: whether it had to be
 * started, and whether from the warm pool. Callers asking at once share one start (and one measurement).
 */
export function traceSandboxWait(provider: string, provision: () => Promise<SessionSandbox>): Promise<SessionSandbox> {
  return inSpan('sandbox.provision', { attributes: { 'stratus.sandbox.provider': provider } }, async (span) => {
    const sandbox = await provision();
    span.setAttributes({ 'stratus.sandbox.started': sandbox.startupMs > 0, 'stratus.sandbox.warm': sandbox.warm });
    return sandbox;
  });
}

/** One start of a sandbox by its provider, in the sandbox metrics: its time by provider and origin, or its failure. */
export async function measureProvision(provider: string, provision: () => Promise<SandboxHandle>): Promise<SandboxHandle> {
  try {
    const handle = await provision();
    stratusMetrics().sandboxProvisionDuration.record(handle.startupMs / 1000, { provider, warm: String(handle.warm === true) });
    return handle;
  } catch (error) {
    stratusMetrics().sandboxProvisionFailures.add(1, { provider });
    throw error;
  }
}
