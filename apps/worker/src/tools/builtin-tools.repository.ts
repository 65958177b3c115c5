import { Inject, Injectable } from '@nestjs/common';
import type { BuiltinToolName } from '@stratus/contracts';
import { RunnerError, RunnerUnavailableError, type RunnerClient } from '@stratus/sandbox';
import { z } from 'zod';
import type { WorkerEnv } from '../config/worker-env';
import { WORKER_ENV } from '../worker.tokens';
import { BUILTIN_TOOL_INPUTS, type BuiltinToolInput } from './tool-catalog';
import { capText, execOutcome, fetchOutcome, globOutcome, grepOutcome, NOTE_ROOM_BYTES, readOutcome, type ToolOutcome } from './tool-output';

/** A validated call of one built-in tool; switching on `name` narrows `input`. */
type BuiltinCall = { [N in BuiltinToolName]: { name: N; input: BuiltinToolInput<N> } }[BuiltinToolName];

/**
 * Runs the built-in tools on the session's sandbox runner. What the model got wrong (bad arguments,
 * a path outside the workspace, a failing command) comes back as an error outcome for the model to
 * read; aborting the signal kills the running call and rethrows the abort. Every outcome fits in
 * STRATUS_TOOL_RESULT_MAX_BYTES: the runner is asked for no more than that, and whatever still runs
 * over is cut in the middle with a note, before the model or the event log sees it.
 */
@Injectable()
export class BuiltinToolsRepository {
  private readonly maxBytes: number;

  constructor(@Inject(WORKER_ENV) env: WorkerEnv) {
    this.maxBytes = env.STRATUS_TOOL_RESULT_MAX_BYTES;
  }

  async run(runner: RunnerClient, name: BuiltinToolName, input: unknown, signal: AbortSignal): Promise<ToolOutcome> {
    const outcome = await this.outcome(runner, name, input, signal);
    return { ...outcome, text: capText(outcome.text, this.maxBytes) };
  }

  private async outcome(runner: RunnerClient, name: BuiltinToolName, input: unknown, signal: AbortSignal): Promise<ToolOutcome> {
    const parsed = BUILTIN_TOOL_INPUTS[name].safeParse(input);
    if (!parsed.success) return { text: `Invalid arguments for ${name}: ${z.prettifyError(parsed.error)}`, isError: true };
    try {
      return await this.call(runner, { name, input: parsed.data } as BuiltinCall, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof RunnerError) return { text: `${name} failed: ${error.message}`, isError: true };
      if (error instanceof RunnerUnavailableError) return { text: `${name} could not run: the sandbox is unavailable (${error.message})`, isError: true };
      throw error;
    }
  }

  private async call(runner: RunnerClient, call: BuiltinCall, signal: AbortSignal): Promise<ToolOutcome> {
    const options = { signal };
    // What the runner may send back for the result's content; the notes take the rest.
    const contentBytes = this.maxBytes - NOTE_ROOM_BYTES;
    switch (call.name) {
      case 'Bash': {
        const { command, timeout } = call.input;
        return execOutcome(await runner.exec({ command, max_output_bytes: contentBytes, ...(timeout ? { timeout_ms: timeout } : {}) }, options));
      }
      case 'Read': {
        const { file_path: path, offset, limit } = call.input;
        return readOutcome(await runner.read({ path, offset, limit, max_bytes: contentBytes }, options), this.maxBytes);
      }
      case 'Write': {
        const result = await runner.write({ path: call.input.file_path, content: call.input.content }, options);
        return { text: `Wrote ${result.bytes_written} bytes to ${result.path}`, isError: false };
      }
      case 'Edit': {
        const { file_path: path, old_string, new_string, replace_all } = call.input;
        const result = await runner.edit({ path, old_string, new_string, replace_all }, options);
        return { text: `Replaced ${result.replacements} occurrence${result.replacements === 1 ? '' : 's'} in ${result.path}`, isError: false };
      }
      case 'Glob':
        return globOutcome(await runner.glob({ pattern: call.input.pattern, path: call.input.path, max_bytes: contentBytes }, options));
      case 'Grep': {
        const { pattern, path, glob, case_insensitive } = call.input;
        return grepOutcome(await runner.grep({ pattern, path, glob, case_insensitive, max_bytes: contentBytes }, options));
      }
      case 'WebFetch':
        return fetchOutcome(await runner.fetch({ url: call.input.url, max_bytes: contentBytes }, options));
    }
  }
}
