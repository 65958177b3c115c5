import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's python3 first: its python3-seccomp is what compiles the filter. */
const PYTHON_CANDIDATES = ['/usr/bin/python3', '/usr/local/bin/python3'];

/**
 * System calls every local sandbox is denied (EPERM), on top of what its namespaces and missing
 * capabilities already refuse: a kernel attack surface no tool needs, and ways to look into or
 * out of the sandbox. Not AF_UNIX sockets: the runner itself talks over them (its socket, the
 * egress proxy's), and the filter holds for the runner as for the commands.
 */
export const DENIED_SYSCALLS = [
  // Debugging other processes and reading their memory.
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  // Loading kernels and kernel modules.
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  // Mounting (bubblewrap has mounted everything before the filter applies).
  'mount',
  'umount2',
  'pivot_root',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  // New namespaces, or joining others'.
  'unshare',
  'setns',
  // eBPF, performance counters, kernel keyrings, userfaultfd: frequent kernel exploit paths.
  'bpf',
  'perf_event_open',
  'keyctl',
  'add_key',
  'request_key',
  'userfaultfd',
  // Host-wide state.
  'swapon',
  'swapoff',
  'reboot',
  'acct',
  'quotactl',
  'syslog',
] as const;

/**
 * libseccomp (through Debian's python3-seccomp, its own binding) compiles the deny-list for this
 * machine's architecture into the classic BPF program bubblewrap loads with `--seccomp FD`. No npm
 * package compiles seccomp filters; this is the well-kept compiler at hand, run once per worker.
 */
const COMPILE = `
import errno, seccomp, sys
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in sys.argv[1:]:
    f.add_rule(seccomp.ERRNO(errno.EPERM), name)
f.export_bpf(sys.stdout)
`;

/** The compiled filter, or why there is none (the caller warns and starts sandboxes without one). */
export async function compileSeccompFilter(): Promise<Buffer | { unavailable: string }> {
  let lastError = 'python3 is missing';
  for (const python of PYTHON_CANDIDATES) {
    try {
      const { stdout } = await run(python, ['-c', COMPILE, ...DENIED_SYSCALLS], { encoding: 'buffer', env: { PATH: '/usr/bin:/bin' } });
      // A BPF program is a non-empty array of 8-byte instructions.
      if (stdout.length > 0 && stdout.length % 8 === 0) return stdout;
      lastError = `${python} wrote ${stdout.length} bytes, not a BPF program`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      lastError = stderr?.includes('No module named') ? 'python3-seccomp is not installed (apt-get install python3-seccomp)' : (stderr ?? String(error));
    }
  }
  return { unavailable: lastError };
}
