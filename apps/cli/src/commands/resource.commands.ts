import type { Agent, Environment, PageList, Session, Stratus } from '@stratus/sdk';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { printList, printObject, shortTime } from '../render/output';
import type { Column } from '../render/table';
import { definedFields, positiveInt, readBodyFile } from './body-file';

const AGENT_TOOLSET = 'agent_toolset_20260401';

const AGENT_COLUMNS: Column<Agent>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'NAME', value: (a) => a.name },
  { header: 'MODEL', value: (a) => a.model },
  { header: 'VERSION', value: (a) => String(a.version) },
  { header: 'CREATED', value: (a) => shortTime(a.created_at) },
  { header: 'ARCHIVED', value: (a) => shortTime(a.archived_at) },
];

const ENVIRONMENT_COLUMNS: Column<Environment>[] = [
  { header: 'ID', value: (e) => e.id },
  { header: 'NAME', value: (e) => e.name },
  { header: 'NETWORKING', value: (e) => e.config.networking.type },
  { header: 'CREATED', value: (e) => shortTime(e.created_at) },
  { header: 'ARCHIVED', value: (e) => shortTime(e.archived_at) },
];

const SESSION_COLUMNS: Column<Session>[] = [
  { header: 'ID', value: (s) => s.id },
  { header: 'STATUS', value: (s) => s.status },
  { header: 'AGENT', value: (s) => s.agent_id },
  { header: 'ENVIRONMENT', value: (s) => s.environment_id },
  { header: 'TURNS', value: (s) => String(s.stats.turns) },
  { header: 'CREATED', value: (s) => shortTime(s.created_at) },
  { header: 'TITLE', value: (s) => s.title },
];

const DELETED_COLUMNS: Column<{ id: string; type: string }>[] = [
  { header: 'ID', value: (d) => d.id },
  { header: 'RESULT', value: (d) => d.type.replace('_', ' ') },
];

interface ListFlags {
  limit: number;
  all?: boolean;
  includeArchived?: boolean;
  json?: boolean;
}

function intOption(value: string): number {
  try {
    return positiveInt(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The first `limit` items (or all with --all), fetched page by page as needed. */
async function collect<T>(list: (pageSize: number) => PageList<T>, flags: ListFlags): Promise<T[]> {
  const items: T[] = [];
  for await (const item of list(flags.all ? 100 : Math.min(flags.limit, 100))) {
    if (!flags.all && items.length >= flags.limit) break;
    items.push(item);
  }
  return items;
}

function addListCommand<T>(group: Command, ctx: CliContext, columns: Column<T>[], list: (client: Stratus, pageSize: number, flags: ListFlags & Record<string, unknown>) => PageList<T>): Command {
  return group
    .command('list')
    .description(`list ${group.name()}, newest first`)
    .option('--limit <n>', 'how many to show', intOption, 20)
    .option('--all', 'every one, page after page')
    .option('--include-archived', 'archived ones too')
    .option('--json', 'JSON for scripts')
    .action(async (flags: ListFlags & Record<string, unknown>, command: Command) => {
      const client = await ctx.client(command);
      printList(ctx, await collect((size) => list(client, size, flags), flags), columns, flags.json);
    });
}

function addIdCommand<T>(group: Command, ctx: CliContext, name: string, description: string, columns: Column<T>[], call: (client: Stratus, id: string) => Promise<T>): void {
  group
    .command(`${name} <id>`)
    .description(description)
    .option('--json', 'JSON for scripts')
    .action(async (id: string, flags: { json?: boolean }, command: Command) => {
      printObject(ctx, await call(await ctx.client(command), id), columns, flags.json);
    });
}

function agentsCommand(program: Command, ctx: CliContext): void {
  const agents = program.command('agents').description('versioned agent definitions (no delete: archive them)');
  addListCommand(agents, ctx, AGENT_COLUMNS, (client, limit, flags) => client.agents.list({ limit, include_archived: flags.includeArchived }));
  agents
    .command('get <id>')
    .description('show an agent (its latest version, or --version N)')
    .option('--version <n>', 'a past version', intOption)
    .option('--json', 'JSON for scripts')
    .action(async (id: string, flags: { version?: number; json?: boolean }, command: Command) => {
      const client = await ctx.client(command);
      printObject(ctx, await client.agents.retrieve(id, { version: flags.version }), AGENT_COLUMNS, flags.json);
    });
  agents
    .command('create')
    .description('create an agent; --file body.json for tools, MCP servers and the rest (flags override it)')
    .option('--name <name>', 'its name')
    .option('--model <id>', 'a model id from GET /models, e.g. stratus-demo')
    .option('--system <prompt>', 'the system prompt')
    .option('--description <text>', 'what it is for')
    .option('--builtin-tools', `enable the built-in tools (${AGENT_TOOLSET}: Bash, Read, Write, Edit, Glob, Grep, WebFetch)`)
    .option('--file <body.json>', 'the request body as JSON')
    .option('--json', 'JSON for scripts')
    .action(async (flags: { name?: string; model?: string; system?: string; description?: string; builtinTools?: boolean; file?: string; json?: boolean }, command: Command) => {
      const body = { ...(await readBodyFile(flags.file)), ...definedFields({ name: flags.name, model: flags.model, system: flags.system, description: flags.description }) };
      if (flags.builtinTools) body.tools = [...((body.tools as unknown[] | undefined) ?? []), { type: AGENT_TOOLSET }];
      if (body.name === undefined || body.model === undefined) throw new UsageError('agents create needs --name and --model (or both in --file).');
      const client = await ctx.client(command);
      printObject(ctx, await client.agents.create(body as Parameters<Stratus['agents']['create']>[0]), AGENT_COLUMNS, flags.json);
    });
  addIdCommand(agents, ctx, 'archive', 'archive an agent: it stays readable and backs no new session', AGENT_COLUMNS, (client, id) => client.agents.archive(id));
}

function environmentsCommand(program: Command, ctx: CliContext): void {
  const environments = program.command('environments').description('sandbox configurations sessions run in');
  addListCommand(environments, ctx, ENVIRONMENT_COLUMNS, (client, limit, flags) => client.environments.list({ limit, include_archived: flags.includeArchived }));
  addIdCommand(environments, ctx, 'get', 'show an environment', ENVIRONMENT_COLUMNS, (client, id) => client.environments.retrieve(id));
  environments
    .command('create')
    .description('create an environment; --file body.json for packages, resources and the rest (flags override it)')
    .option('--name <name>', 'its name, unique in the workspace')
    .option('--description <text>', 'what it is for')
    .option('--networking <type>', 'unrestricted (default), limited or none')
    .option('--file <body.json>', 'the request body as JSON')
    .option('--json', 'JSON for scripts')
    .action(async (flags: { name?: string; description?: string; networking?: string; file?: string; json?: boolean }, command: Command) => {
      const body = { ...(await readBodyFile(flags.file)), ...definedFields({ name: flags.name, description: flags.description }) };
      if (flags.networking !== undefined) {
        if (!['unrestricted', 'limited', 'none'].includes(flags.networking)) throw new UsageError('--networking must be unrestricted, limited or none.');
        const config = (body.config as Record<string, unknown> | undefined) ?? { type: 'cloud' };
        body.config = { ...config, networking: { type: flags.networking } };
      }
      if (body.name === undefined) throw new UsageError('environments create needs --name (or a name in --file).');
      const client = await ctx.client(command);
      printObject(ctx, await client.environments.create(body as Parameters<Stratus['environments']['create']>[0]), ENVIRONMENT_COLUMNS, flags.json);
    });
  addIdCommand(environments, ctx, 'archive', 'archive an environment', ENVIRONMENT_COLUMNS, (client, id) => client.environments.archive(id));
  addIdCommand(environments, ctx, 'delete', 'delete an environment no active session uses', DELETED_COLUMNS, (client, id) => client.environments.delete(id));
}

function sessionsCommand(program: Command, ctx: CliContext): void {
  const sessions = program.command('sessions').description("conversations of an agent in an environment (`stratus run` starts one and streams it)");
  addListCommand(sessions, ctx, SESSION_COLUMNS, (client, limit, flags) =>
    client.sessions.list({ limit, include_archived: flags.includeArchived, agent_id: flags.agent as string | undefined }),
  ).option('--agent <id>', "only this agent's sessions");
  addIdCommand(sessions, ctx, 'get', 'show a session', SESSION_COLUMNS, (client, id) => client.sessions.retrieve(id));
  sessions
    .command('create')
    .description('create a session; --file body.json for metadata, environment variables and the rest (flags override it)')
    .option('--agent <id>', 'the agent (its latest version)')
    .option('--env <id>', 'the environment')
    .option('--title <title>', 'a title')
    .option('--file <body.json>', 'the request body as JSON')
    .option('--json', 'JSON for scripts')
    .action(async (flags: { agent?: string; env?: string; title?: string; file?: string; json?: boolean }, command: Command) => {
      const body = { ...(await readBodyFile(flags.file)), ...definedFields({ agent: flags.agent, environment_id: flags.env, title: flags.title }) };
      if (body.agent === undefined || body.environment_id === undefined) throw new UsageError('sessions create needs --agent and --env (or agent and environment_id in --file).');
      const client = await ctx.client(command);
      printObject(ctx, await client.sessions.create(body as Parameters<Stratus['sessions']['create']>[0]), SESSION_COLUMNS, flags.json);
    });
  addIdCommand(sessions, ctx, 'archive', 'archive a session: its history stays readable', SESSION_COLUMNS, (client, id) => client.sessions.archive(id));
  addIdCommand(sessions, ctx, 'delete', 'delete a session, its sandbox and its events', DELETED_COLUMNS, (client, id) => client.sessions.delete(id));
}

/** `agents|environments|sessions list|get|create|archive|delete`, where the API has them. */
export function registerResourceCommands(program: Command, ctx: CliContext): void {
  agentsCommand(program, ctx);
  environmentsCommand(program, ctx);
  sessionsCommand(program, ctx);
}
