import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

/**
 * What the built-in `stratus-demo` model says. It is a script, not an LLM: it lets a fresh deployment
 * show a whole agent turn (message, tool call in the sandbox, answer) without any model provider,
 * and it says so in every plain reply.
 */
export type DemoReply = { kind: 'text'; text: string } | { kind: 'tool_call'; name: 'Bash'; arguments: { command: string } };

const INTRODUCTION = 'This is the Stratus demo model (offline, scripted — not an LLM).';
const HOW_TO_CONFIGURE =
  'To talk to a real model, configure a provider in STRATUS_MODEL_PROVIDERS (or set OPENAI_API_KEY and OPENAI_MODELS) and choose one of its models for the agent.';
const QUOTE_LIMIT = 500;
const OUTPUT_LIMIT = 4_000;

/** The demo's deterministic answer to a conversation, given the tools the request offers. */
export function demoReply(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[] = []): DemoReply {
  const results = trailingToolResults(messages);
  if (results.length > 0) {
    const output = results.join('\n');
    const shown = output.trim() === '' ? '(no output)' : truncate(output, OUTPUT_LIMIT);
    return { kind: 'text', text: `The tool returned:\n\n\`\`\`\n${shown}\n\`\`\`\n\n(${INTRODUCTION})` };
  }

  const said = lastUserText(messages);
  const command = requestedCommand(said);
  const bashOffered = tools.some((t) => t.type === 'function' && t.function.name === 'Bash');
  if (command !== undefined && bashOffered) return { kind: 'tool_call', name: 'Bash', arguments: { command } };
  if (command !== undefined) {
    return {
      kind: 'text',
      text: `${INTRODUCTION} You asked me to run \`${command}\`, but this agent offers no Bash tool, so I cannot. Enable Bash in the agent's agent_toolset to try it.`,
    };
  }
  const howToRun = bashOffered ? 'I can run a shell command in this session\'s sandbox: put it in backticks, or start your message with "run " or "$ ". ' : '';
  return { kind: 'text', text: `${INTRODUCTION} You said: "${truncate(said.trim(), QUOTE_LIMIT)}". ${howToRun}${HOW_TO_CONFIGURE}` };
}

/**
 * The command a message asks to run: a fenced code block, else the first inline `code span`, else what
 * follows a leading "run " or "$ ".
 */
export function requestedCommand(text: string): string | undefined {
  const candidates = [/```[\w-]*\n([\s\S]*?)```/.exec(text), /`([^`\n]+)`/.exec(text), /^\s*(?:run|\$)\s+([\s\S]+)$/i.exec(text)];
  for (const match of candidates) {
    const command = match?.[1]?.trim();
    if (command) return command;
  }
  return undefined;
}

/** The outputs of the tool messages that end the conversation (one per tool call of the last step). */
function trailingToolResults(messages: ChatCompletionMessageParam[]): string[] {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'tool') break;
    results.unshift(textOf(message.content));
  }
  return results;
}

function lastUserText(messages: ChatCompletionMessageParam[]): string {
  const message = messages.findLast((m) => m.role === 'user');
  return message ? textOf(message.content) : '';
}

/** The text of a message's content, which may be a string or an array of parts. */
function textOf(content: ChatCompletionMessageParam['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => ('text' in part ? part.text : '')).join('');
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}
