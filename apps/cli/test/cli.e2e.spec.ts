import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stratus } from '@stratus/sdk';
import { startAllInOne, type AllInOneProcess } from '@stratus/testing';
import { CLI, PipedProcess, runCli, TerminalSession } from './support/cli-process';

// The built `stratus` CLI as a subprocess against a real all-in-one: --json parsed, tables read,
// exit codes checked, and `stratus run` drawn in a pseudo-terminal, Ctrl-C included.

let app: AllInOneProcess;
let api: Stratus;
let home: string;
/** The environment of every CLI run: the server and token from STRATUS_*, a config dir of its own. */
let env: NodeJS.ProcessEnv;
const unique = () => Math.random().toString(36).slice(2, 10);
const ESC = '\u001b[';

const running: { kill(): void }[] = [];
afterEach(() => {
  for (const process of running.splice(0)) process.kill();
});

function stratus(...args: string[]) {
  return runCli(args, env);
}

function json(...args: string[]) {
  const result = stratus(...args, '--json');
  if (result.status !== 0) throw new Error(`stratus ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** An agent with the built-in tools on the demo model, and an environment without network. */
function newAgentAndEnv(): { agent: string; env: string } {
  const agent = json('agents', 'create', '--name', `a-${unique()}`, '--model', 'stratus-demo', '--builtin-tools');
  const environment = json('environments', 'create', '--name', `e-${unique()}`, '--networking', 'none');
  return { agent: agent.id, env: environment.id };
}

beforeAll(async () => {
  app = await startAllInOne({ databaseName: 'stratus_cli' });
  api = new Stratus({ baseURL: app.baseUrl, token: app.token });
  home = mkdtempSync(path.join(tmpdir(), 'stratus-cli-'));
  const { NO_COLOR: _ignored, ...inherited } = process.env;
  env = { ...inherited, STRATUS_BASE_URL: app.baseUrl, STRATUS_TOKEN: app.token, XDG_CONFIG_HOME: path.join(home, 'config') };
}, 240_000);

afterAll(async () => {
  await app?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('stratus login', () => {
  it('checks the token, stores it readable by the user only, and later commands use it', () => {
    const config = path.join(home, 'login-config');
    const bare = { ...env, STRATUS_BASE_URL: '', STRATUS_TOKEN: '', XDG_CONFIG_HOME: config };
    const file = path.join(config, 'stratus', 'config.json');

    expect(runCli(['agents', 'list'], bare)).toMatchObject({ status: 2, stderr: expect.stringContaining('stratus login') });
    expect(runCli(['login'], bare).status).toBe(2);
    const refused = runCli(['login', '--base-url', app.baseUrl, '--token', 'pt-not-a-real-token'], bare);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('authentication_error');
    expect(() => statSync(file)).toThrow();

    expect(runCli(['login', '--base-url', app.baseUrl, '--token', app.token], bare).status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const listed = runCli(['agents', 'list', '--json'], bare);
    expect(listed.status).toBe(0);
    expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
  });
});

describe('stratus agents|environments|sessions', () => {
  it('agents: create from flags and --file, get, list as a table and as JSON, archive', () => {
    const body = path.join(home, 'agent.json');
    writeFileSync(body, JSON.stringify({ description: 'from the file', metadata: { team: 'cli' }, system: 'overridden' }));
    const name = `helper-${unique()}`;
    const agent = json('agents', 'create', '--name', name, '--model', 'stratus-demo', '--system', 'Be brief.', '--builtin-tools', '--file', body);
    expect(agent).toMatchObject({ name, model: 'stratus-demo', system: 'Be brief.', description: 'from the file', metadata: { team: 'cli' }, tools: [{ type: 'agent_toolset_20260401' }] });
    expect(json('agents', 'get', agent.id)).toEqual(agent);

    const table = stratus('agents', 'list');
    expect(table.status).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+MODEL\s+VERSION\s+CREATED\s+ARCHIVED$/);
    expect(rows.find((r) => r.startsWith(agent.id))).toMatch(new RegExp(`^${agent.id}\\s+${name}\\s+stratus-demo\\s+1\\s`));
    expect(table.stdout).not.toContain(ESC);

    expect(json('agents', 'archive', agent.id).archived_at).not.toBeNull();
    expect(json('agents', 'list').map((a: { id: string }) => a.id)).not.toContain(agent.id);
    expect(json('agents', 'list', '--include-archived', '--all').map((a: { id: string }) => a.id)).toContain(agent.id);
  });

  it('lists a given number of items across pages, or all of them', () => {
    for (let i = 0; i < 3; i++) json('environments', 'create', '--name', `page-${unique()}`);
    const all = json('environments', 'list', '--all');
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(json('environments', 'list', '--limit', '2')).toEqual(all.slice(0, 2));
  });

  it('environments and sessions: create, get, list, archive, delete; a missing one exits 1 with the request id', () => {
    const { agent, env: environment } = newAgentAndEnv();
    const session = json('sessions', 'create', '--agent', agent, '--env', environment, '--title', 'from the cli');
    expect(session).toMatchObject({ agent_id: agent, environment_id: environment, title: 'from the cli', status: 'idle' });
    expect(json('sessions', 'get', session.id).id).toBe(session.id);
    expect(json('sessions', 'list', '--agent', agent).map((s: { id: string }) => s.id)).toEqual([session.id]);
    expect(stratus('sessions', 'list').stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+AGENT\s+ENVIRONMENT\s+TURNS\s+CREATED\s+TITLE$/);
    expect(json('sessions', 'archive', session.id).archived_at).not.toBeNull();
    expect(json('sessions', 'delete', session.id)).toEqual({ id: session.id, type: 'session_deleted' });
    const missing = stratus('sessions', 'get', session.id);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not_found_error.*request req_/);

    expect(json('environments', 'get', environment).config.networking).toEqual({ type: 'none' });
    expect(json('environments', 'archive', environment).archived_at).not.toBeNull();
    expect(json('environments', 'delete', environment)).toEqual({ id: environment, type: 'environment_deleted' });
    expect(stratus('environments', 'get', environment).status).toBe(1);
  });

  it('exits 2 on a usage mistake, before calling the server', () => {
    expect(stratus('agents', 'frobnicate').status).toBe(2);
    expect(stratus('agents', 'create', '--model', 'stratus-demo').status).toBe(2);
    expect(stratus('agents', 'list', '--limit', 'zero').status).toBe(2);
    expect(stratus('sessions', 'create', '--file', path.join(home, 'missing.json')).status).toBe(2);
    expect(stratus('run', 'hello').status).toBe(2);
    expect(stratus('agents', 'delete', 'agent_x').status).toBe(2);
    expect(runCli(['agents', 'list'], { ...env, STRATUS_BASE_URL: 'ftp://localhost' })).toMatchObject({ status: 2, stderr: expect.stringContaining('STRATUS_BASE_URL') });
  });
});

describe('stratus run', () => {
  it('draws the turn live in a terminal: tool call and result on one line each, the answer, tokens and duration; exit 0', async () => {
    const ids = newAgentAndEnv();
    const term = new TerminalSession(['run', '--agent', ids.agent, '--env', ids.env, 'Please run `echo cli-$((6*7))`'], env);
    expect(await term.exited).toBe(0);
    const screen = term.output;
    expect(screen).toContain(ESC); // colours on a terminal
    const plain = term.plainOutput;
    expect(plain).toMatch(/→ Bash echo cli-\$\(\(6\*7\)\)\r?\n/);
    expect(plain).toMatch(/← ok cli-42\r?\n/);
    expect(plain).toContain('The tool returned:');
    expect(plain).toMatch(/— end_turn · \d+ in \/ \d+ out tokens · \d+\.\ds/);
  });

  it('writes no escape codes without a terminal, and no colours with NO_COLOR', async () => {
    const ids = newAgentAndEnv();
    const piped = runCli(['run', '--agent', ids.agent, '--env', ids.env, 'hello there'], env);
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain('You said: "hello there"');
    expect(piped.stdout).toMatch(/end_turn · \d+ in \/ \d+ out tokens/);
    expect(piped.stdout + piped.stderr).not.toContain(ESC);

    const term = new TerminalSession(['run', '--agent', ids.agent, '--env', ids.env, 'hello again'], { ...env, NO_COLOR: '1' });
    expect(await term.exited).toBe(0);
    expect(term.output).toContain('You said: "hello again"');
    expect(term.output).not.toMatch(new RegExp(`${ESC.replace('[', '\\[')}(1|2|3\\d)m`));
  });

  it('Ctrl-C cancels the running turn on the server and exits 130', async () => {
    const ids = newAgentAndEnv();
    const term = new TerminalSession(['run', '--agent', ids.agent, '--env', ids.env, 'run sleep 120'], env);
    running.push(term);
    await term.waitFor(/→ Bash sleep 120/);
    term.type('\u0003');
    expect(await term.exited).toBe(130);
    expect(term.output).toContain('cancelling the turn');
    const sessionId = /session (sess_[0-9a-f]+)/.exec(term.output)![1]!;
    // The cancel was sent before the exit: the turn ends, and the session is idle again.
    for await (const event of api.sessions.events.stream(sessionId)) {
      if (event.type === 'session.status_idle') break;
    }
    expect((await api.sessions.retrieve(sessionId)).status).toBe('idle');
  });
});

describe('stratus tail', () => {
  it('follows a session from after --last-event-id, live, until the session is deleted (exit 0)', async () => {
    const ids = newAgentAndEnv();
    const session = await api.sessions.create({ agent: ids.agent, environment_id: ids.env });
    await api.sessions.run(session.id, 'first message');
    const [first] = (await api.sessions.events.list(session.id, { limit: 1 })).data;

    const tail = new PipedProcess(['tail', session.id, '--last-event-id', first!.id], env);
    running.push(tail);
    await tail.waitFor(/end_turn/);
    await api.sessions.run(session.id, 'second message');
    await tail.waitFor(/> second message[\s\S]*You said: "second message"[\s\S]*end_turn/);
    await api.sessions.delete(session.id);
    expect(await tail.exited).toBe(0);
    expect(tail.stdout).toContain('session deleted');
    expect(tail.stdout).not.toContain('> first message');
    expect(tail.stdout).toContain('You said: "first message"');
  });
});

describe("the README's CLI example", () => {
  it('runs as written against the server, `stratus login` included', () => {
    const readme = readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## CLI')))![1]!;
    const script = block
      .replaceAll('http://localhost:8080', app.baseUrl)
      .replaceAll('./stratus ', `node '${CLI}' `)
      // tail follows the session until Ctrl-C: here it is interrupted after a few seconds (timeout's code 124).
      .replace(/^(node .* tail .*?)\s*(#.*)?$/m, (_line, command: string) => `timeout --signal=INT 5 ${command} || [ $? -eq 124 ]`);
    const { STRATUS_BASE_URL: _url, STRATUS_TOKEN: _token, ...rest } = env;
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { env: { ...rest, XDG_CONFIG_HOME: path.join(home, 'readme-config') }, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Logged in to');
    expect(result.stdout).toMatch(/→ Bash uname -a\n← ok Linux/);
    expect(result.stdout).toMatch(/— end_turn · \d+ in \/ \d+ out tokens/);
    expect(result.stdout).toMatch(/^ID\s+STATUS\s+AGENT/m);
    // tail printed the session's history, the user's message included.
    expect(result.stdout).toContain('> Please run `uname -a`');
  });
});
