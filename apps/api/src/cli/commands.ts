import type { ParseArgsOptionsConfig } from 'node:util';
import { ALL_SCOPES, DEFAULT_SCOPES, DEFAULT_WORKSPACE_ID, type Scope, type TokensRepository, type TokensService } from '@stratus/nest-common';
import { checkId } from './ids';
import { CommandError, json, table, UsageError, type CliIo } from './output';

/** What a command runs against: the parsed command line, the services and where to write. */
export interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  args: string[];
  tokens: TokensService;
  repository: TokensRepository;
  io: CliIo;
}

export interface Command {
  /** The words that name it, e.g. "tokens create". */
  name: string;
  usage: string;
  summary: string;
  options: ParseArgsOptionsConfig;
  /** How many positional arguments it takes after its name. */
  arity: number;
  run(context: CommandContext): Promise<void>;
}

/** --scope, repeatable; read and write when absent (admin is only ever given on purpose). */
function scopesOf(values: CommandContext['values']): Scope[] {
  const given = (values.scope as string[] | undefined) ?? DEFAULT_SCOPES;
  const unknown = given.find((scope) => !ALL_SCOPES.includes(scope as Scope));
  if (unknown !== undefined) throw new UsageError(`--scope: ${JSON.stringify(unknown)} is not a scope (one of ${ALL_SCOPES.join(', ')})`);
  return given as Scope[];
}

async function existingWorkspace(context: CommandContext): Promise<string> {
  const workspaceId = checkId('workspace', context.values.workspace as string | undefined, '--workspace');
  if (!(await context.repository.workspaceExists(workspaceId))) throw new CommandError(`no workspace ${workspaceId} (see: stratus workspaces list)`);
  return workspaceId;
}

const isJson = (context: CommandContext) => context.values.json === true;

export const COMMANDS: Command[] = [
  {
    name: 'workspaces list',
    usage: 'workspaces list [--json]',
    summary: `list workspaces; the default one (${DEFAULT_WORKSPACE_ID}) holds STRATUS_BOOTSTRAP_TOKEN`,
    options: {},
    arity: 0,
    async run(context) {
      const workspaces = await context.repository.listWorkspaces();
      if (isJson(context)) {
        context.io.out(json(workspaces.map((w) => ({ id: w.id, name: w.name, created_at: w.createdAt.toISOString(), active_tokens: w.activeTokens, default: w.id === DEFAULT_WORKSPACE_ID }))));
        return;
      }
      const rows = workspaces.map((w) => [w.id, w.id === DEFAULT_WORKSPACE_ID ? `${w.name} (default)` : w.name, String(w.activeTokens), w.createdAt.toISOString()]);
      context.io.out(table(['ID', 'NAME', 'ACTIVE TOKENS', 'CREATED'], rows));
    },
  },
  {
    name: 'workspaces create',
    usage: 'workspaces create --name NAME [--scope read|write|admin ...] [--json]',
    summary: 'create a workspace and print its first token (shown once)',
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } },
    arity: 0,
    async run(context) {
      const name = context.values.name as string | undefined;
      if (!name) throw new UsageError('--name is required');
      const scopes = scopesOf(context.values);
      const workspaceId = await context.tokens.createWorkspace(name);
      const token = await context.tokens.issue(workspaceId, 'default', scopes);
      if (isJson(context)) context.io.out(json({ workspace: { id: workspaceId, name }, token: { id: token.id, secret: token.secret, scopes } }));
      else context.io.out(`workspace ${workspaceId}\ntoken ${token.id}\n${token.secret}\n`);
      context.io.err('Store the token now: it is shown once and only its hash is kept.\n');
    },
  },
  {
    name: 'tokens list',
    usage: 'tokens list --workspace WORKSPACE_ID [--json]',
    summary: "list a workspace's tokens (never their secrets)",
    options: { workspace: { type: 'string' } },
    arity: 0,
    async run(context) {
      const tokens = await context.repository.listTokens(await existingWorkspace(context));
      if (isJson(context)) {
        context.io.out(
          json(
            tokens.map((t) => ({
              id: t.id,
              name: t.name,
              hint: t.hint,
              scopes: t.scopes,
              created_at: t.createdAt.toISOString(),
              last_used_at: t.lastUsedAt?.toISOString() ?? null,
              revoked_at: t.revokedAt?.toISOString() ?? null,
            })),
          ),
        );
        return;
      }
      const rows = tokens.map((t) => [t.id, `${t.hint}…`, t.name, t.scopes.join(','), t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active']);
      context.io.out(table(['ID', 'STARTS WITH', 'NAME', 'SCOPES', 'STATUS'], rows));
    },
  },
  {
    name: 'tokens create',
    usage: 'tokens create --workspace WORKSPACE_ID [--name NAME] [--scope read|write|admin ...] [--json]',
    summary: 'issue a token for a workspace (shown once); --scope admin opens the queue dashboard',
    options: { workspace: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', multiple: true } },
    arity: 0,
    async run(context) {
      const scopes = scopesOf(context.values);
      const workspaceId = await existingWorkspace(context);
      const token = await context.tokens.issue(workspaceId, (context.values.name as string | undefined) ?? 'token', scopes);
      if (isJson(context)) context.io.out(json({ id: token.id, secret: token.secret, workspace_id: workspaceId, scopes }));
      else context.io.out(`token ${token.id}\n${token.secret}\n`);
      context.io.err('Store the token now: it is shown once and only its hash is kept.\n');
    },
  },
  {
    name: 'tokens revoke',
    usage: 'tokens revoke TOKEN_ID [--json]',
    summary: 'revoke a token (tok_…); its requests fail from then on',
    options: {},
    arity: 1,
    async run(context) {
      const tokenId = checkId('token', context.args[0], 'TOKEN_ID');
      if (!(await context.tokens.revoke(tokenId))) throw new CommandError(`no token ${tokenId} (see: stratus tokens list --workspace …)`);
      context.io.out(isJson(context) ? json({ id: tokenId, revoked: true }) : `revoked ${tokenId}\n`);
    },
  },
];

/** The general help: every command on a line. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `usage: stratus <command> [options]\n\n${lines.join('\n')}\n\nstratus <command> --help shows one command's help.\n`;
}

/** One command's help. */
export function commandHelp(command: Command): string {
  return `usage: stratus ${command.usage}\n\n${command.summary}\n`;
}
