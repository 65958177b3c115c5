import { inSpan, stratusMetrics } from '@stratus/telemetry';
import type { SessionSandbox } from './sandbox.repository';

/**
 * A sandbox provision in a span and in the sandbox metrics: its start time by provider and warm-pool
 * origin when one was started (finding it running is not a start), its failures by provider.
 */
export function traceProvision(provider: string, provision: () => Promise<SessionSandbox>): Promise<SessionSandbox> {
  return inSpan('sandbox.provision', { attributes: { 'stratus.sandbox.provider': provider } }, async (span) => {
    try {
      const sandbox = await provision();
      span.setAttributes({ 'stratus.sandbox.started': sandbox.startupMs > 0, 'stratus.sandbox.warm': sandbox.warm });
      if (sandbox.startupMs > 0 || sandbox.warm) stratusMetrics().sandboxProvisionDuration.record(sandbox.startupMs / 1000, { provider, warm: String(sandbox.warm) });
      return sandbox;
    } catch (error) {
      stratusMetrics().sandboxProvisionFailures.add(1, { provider });
      throw error;
    }
  });
}
