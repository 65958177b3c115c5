import { isSessionEvent, type SessionEvent, type StopReason, type StreamEvent } from '@stratus/sdk';
import { Spinner } from './spinner';
import type { Style } from './style';

export interface RendererOptions {
  write(text: string): void;
  style: Style;
  /** Animate a spinner while the model thinks (a terminal only). */
  spinner: boolean;
  /** The widest a folded line may be. */
  columns: number;
  /** Show the user's messages too (`tail`); `run` has the prompt on its command line. */
  showUserMessages: boolean;
}

interface Usage {
  input_tokens: number;
  output_tokens: number;
}

function textOf(event: SessionEvent): string {
  return (event.content ?? []).map((block) => block.text).join('');
}

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, Math.max(1, width - 1))}…` : flat;
}

/** A tool call's input as one short string: a Bash command as such, anything else as compact JSON. */
function describeInput(input: unknown): string {
  if (typeof input === 'object' && input !== null) {
    const fields = input as Record<string, unknown>;
    for (const key of ['command', 'file_path', 'path', 'pattern', 'url']) if (typeof fields[key] === 'string') return fields[key];
  }
  return JSON.stringify(input ?? {});
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Draws a session's events as they arrive: assistant text streamed from its deltas (or whole
 * when it comes without), each tool call and each result folded to one line, errors in red, a
 * spinner while the model works, and at each turn's end its stop reason, tokens and duration.
 */
export class TurnRenderer {
  private readonly spinner: Spinner | undefined;
  /** The event whose text is being streamed from deltas, and whether the line is still open. */
  private previewId: string | undefined;
  private lineOpen = false;
  private readonly previewed = new Set<string>();
  private usage: Usage = { input_tokens: 0, output_tokens: 0 };
  /** When the caller began the turn, by this machine's clock (`run`). */
  private localStart: number | undefined;
  /** When the server says the turn started (`tail`, where the turn began elsewhere). */
  private serverStart: number | undefined;

  constructor(private readonly options: RendererOptions) {
    this.spinner = options.spinner ? new Spinner((text) => options.write(text), options.style.dim('thinking…')) : undefined;
  }

  /** Marks the start of a turn the caller began (the duration counts from here). */
  startTurn(): void {
    this.localStart = Date.now();
    this.usage = { input_tokens: 0, output_tokens: 0 };
    this.spinner?.start();
  }

  render(event: StreamEvent): void {
    const { style } = this.options;
    if (event.type === 'event_start') {
      if (event.event.type !== 'agent.message') return;
      this.spinner?.stop();
      this.closeLine();
      this.previewId = event.event.id;
      this.previewed.add(event.event.id);
      return;
    }
    if (event.type === 'event_delta') {
      if (event.event_id !== this.previewId) return;
      this.spinner?.stop();
      this.write(event.delta.content.text);
      this.lineOpen = !event.delta.content.text.endsWith('\n');
      return;
    }
    if (!isSessionEvent(event)) return;
    switch (event.type) {
      case 'user.message':
        if (this.options.showUserMessages) this.line(style.cyan(`> ${oneLine(textOf(event), this.options.columns - 2)}`));
        return;
      case 'session.status_running':
        this.serverStart ??= Date.parse(event.created_at);
        this.spinner?.start();
        return;
      case 'span.model_request_start':
        this.spinner?.start();
        return;
      case 'span.model_request_end': {
        const used = event.model_usage as Partial<Usage> | undefined;
        this.usage.input_tokens += used?.input_tokens ?? 0;
        this.usage.output_tokens += used?.output_tokens ?? 0;
        return;
      }
      case 'agent.thinking':
        this.line(style.dim(`… ${oneLine(textOf(event), this.options.columns - 2)}`));
        return;
      case 'agent.message':
        if (this.previewed.has(event.id)) {
          this.previewId = undefined;
          this.closeLine();
        } else {
          this.line(textOf(event));
        }
        return;
      case 'agent.tool_use':
      case 'agent.custom_tool_use':
      case 'agent.mcp_tool_use': {
        const server = typeof event.mcp_server_name === 'string' ? `${event.mcp_server_name}/` : '';
        const name = `${server}${String(event.name)}`;
        this.line(`${style.yellow('→')} ${style.bold(name)} ${oneLine(describeInput(event.input), this.options.columns - name.length - 3)}`);
        return;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result': {
        const output = textOf(event);
        const lines = output.split('\n').filter((l) => l.trim() !== '').length;
        const label = event.is_error === true ? style.red('← error') : style.green('← ok');
        const suffix = lines > 1 ? style.dim(` (${lines} lines)`) : '';
        this.line(`${label} ${oneLine(output, this.options.columns - 20)}${suffix}`);
        return;
      }
      case 'session.error': {
        const error = (event.error ?? {}) as { type?: string; message?: string };
        this.line(style.red(`error: ${error.type ?? 'error'}: ${error.message ?? ''}`));
        return;
      }
      case 'session.status_idle':
        this.endTurn(event.stop_reason as StopReason, Date.parse(event.created_at));
        return;
      case 'session.deleted':
        this.line(style.dim('session deleted'));
        return;
      case 'user.interrupt':
      case 'user.custom_tool_result':
      case 'user.tool_confirmation':
        if (this.options.showUserMessages) this.line(style.cyan(`> ${event.type}`));
        return;
      default:
        return;
    }
  }

  /** Stops the spinner and ends any open line (before the process writes something else or exits). */
  finish(): void {
    this.spinner?.stop();
    this.closeLine();
  }

  private endTurn(stop: StopReason | undefined, endedAt: number): void {
    this.finish();
    const { style } = this.options;
    const reason = stop?.type ?? 'end_turn';
    // One clock for both ends: this machine's when it started the turn, else the server's.
    const tookMs = this.localStart !== undefined ? Date.now() - this.localStart : this.serverStart !== undefined ? endedAt - this.serverStart : undefined;
    const took = tookMs !== undefined ? ` · ${seconds(Math.max(0, tookMs))}` : '';
    const tokens = `${this.usage.input_tokens} in / ${this.usage.output_tokens} out tokens`;
    const shown = reason === 'end_turn' ? style.green(reason) : style.red(reason);
    this.line(style.dim('— ') + shown + style.dim(` · ${tokens}${took}`));
    this.usage = { input_tokens: 0, output_tokens: 0 };
    this.localStart = undefined;
    this.serverStart = undefined;
  }

  private write(text: string): void {
    this.options.write(text);
  }

  private closeLine(): void {
    if (!this.lineOpen) return;
    this.write('\n');
    this.lineOpen = false;
  }

  private line(text: string): void {
    this.spinner?.stop();
    this.closeLine();
    this.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
