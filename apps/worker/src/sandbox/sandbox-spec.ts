import type { SecretBox } from '@stratus/db';
import type { SandboxSpec } from '@stratus/sandbox';
import type { SessionContext } from '../turns/session-context.repository';

/** The sandbox a session's environment asks for; a turn and the lifecycle queue build it alike. */
export function sandboxSpecOf(context: SessionContext, secrets: SecretBox): SandboxSpec {
  return {
    sessionId: context.sessionId,
    workspaceId: context.workspaceId,
    environmentId: context.environmentId,
    // An environment deleted since the session started gives no network rather than an open one.
    networking: context.environment?.networking ?? { type: 'none' },
    environmentVariables: context.sealedVariables ? secrets.open<Record<string, string>>(context.sealedVariables) : {},
    resources: context.environment?.resources,
    image: context.environment?.image,
    packages: context.environment?.packages,
    setupScript: context.environment?.setup_script,
  };
}
