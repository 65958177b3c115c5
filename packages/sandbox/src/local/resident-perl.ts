import { spawn, type ChildProcess } from 'node:child_process';

const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * perl's `send_message($line, $fd)`: one line of Node's IPC channel (fd 3) with, when `$fd` is
 * given, that descriptor attached as SCM_RIGHTS; `$sendmsg` holds sendmsg's system call number.
 * perl's core has no sendmsg, so the structures are packed by hand (LP64: msghdr of 56 bytes, one
 * iovec, one cmsghdr of CMSG_SPACE(sizeof(int)) = 24 bytes; SOL_SOCKET and SCM_RIGHTS are 1).
 */
export const SEND_MESSAGE = `sub send_message {
  my ($line, $fd) = @_;
  my $iov = pack("P Q", $line, length $line);
  my $control = defined $fd ? pack("Q i i i x4", 20, 1, 1, $fd) : "";
  my $header = pack("Q L x4 P Q P Q i x4", 0, 0, $iov, 1, length $control ? $control : undef, length $control, 0);
  syscall($sendmsg + 0, 3, $header, 0) == length $line or die "sendmsg: $!\\n";
}`;

export interface ResidentPerlOptions<Message> {
  /** The perl program (`-e`) and its arguments. */
  program: string;
  args?: readonly string[];
  onMessage(message: Message, handle: unknown): void;
  /** It could not start or it exited; `reason` ends with the last of its stderr. */
  onGone(reason: string): void;
}

/**
 * Starts one of the worker's resident perl helpers: a host program with a fixed minimal environment,
 * stdin and stdout /dev/null, its stderr kept for the error that reports its end, and Node's IPC
 * channel on fd 3. Neither it nor its channel keeps the worker's event loop alive (its user refs the
 * channel while it waits for an answer).
 */
export function startResidentPerl<Message>(options: ResidentPerlOptions<Message>): ChildProcess {
  const helper = spawn('/usr/bin/perl', ['-e', options.program, ...(options.args ?? [])], { env: { PATH: SYSTEM_PATH }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  helper.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  helper.on('message', (message: Message, handle: unknown) => options.onMessage(message, handle));
  let gone = false;
  const end = (reason: string) => {
    if (gone) return;
    gone = true;
    options.onGone(`${reason}: ${stderr.trim() || 'no stderr'}`);
  };
  helper.on('error', (error) => end(`could not run (${error.message})`));
  helper.on('exit', (code, signal) => end(`exited (${signal ?? `exit ${code}`})`));
  helper.unref();
  helper.channel?.unref();
  return helper;
}
