import { execOutcome, readOutcome } from './tool-output';

const exec = { exit_code: 0, stdout: '', stderr: '', timed_out: false, truncated: false, duration_ms: 5 };

describe('execOutcome', () => {
  it('shows stdout, then stderr and the exit code of a failing command', () => {
    expect(execOutcome({ ...exec, stdout: 'hi\n' })).toEqual({ text: 'hi', isError: false });
    expect(execOutcome({ ...exec, stdout: 'a\n', stderr: 'boom\n', exit_code: 2 })).toEqual({ text: 'a\n[stderr]\nboom\n[exit code 2]', isError: true });
    expect(execOutcome(exec)).toEqual({ text: '(no output)', isError: false });
  });

  it('says when the command was killed for its timeout or its output cut', () => {
    expect(execOutcome({ ...exec, exit_code: 137, timed_out: true, duration_ms: 1000 }).text).toBe('[timed out after 1000 ms; the command was killed]');
    expect(execOutcome({ ...exec, stdout: 'x', truncated: true }).text).toBe('x\n[output truncated]');
  });
});

describe('readOutcome', () => {
  it('numbers lines and says where to read on', () => {
    expect(readOutcome({ path: 'a.txt', content: 'one\ntwo\n', start_line: 3, num_lines: 2, total_lines: 10 }).text).toBe(
      '     3\tone\n     4\ttwo\n[lines 3-4 of 10; read on with offset 5]',
    );
    expect(readOutcome({ path: 'e.txt', content: '', start_line: 1, num_lines: 0, total_lines: 0 }).text).toBe('(empty file)');
  });
});
