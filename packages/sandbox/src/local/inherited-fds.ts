/**
 * perl's `close_inherited_fds($first)`: closes every descriptor from `$first` up, so nothing the
 * worker itself inherited without close-on-exec (from a shell, a supervisor, systemd's socket
 * activation, a test runner) reaches a sandbox. Node opens its own descriptors close-on-exec, but an
 * inherited one survives every spawn and exec, and neither perl nor bubblewrap closes it: each perl
 * program on the way into a sandbox calls this first, keeping only the descriptors below `$first`
 * that its protocol hands over. close_range(2) (436 on every architecture, Linux 5.9) does it in one
 * system call; on an older kernel, or one whose seccomp policy refuses it, the descriptors listed in
 * /proc/self/fd are closed one by one.
 */
export const CLOSE_INHERITED_FDS = `sub close_inherited_fds {
  my ($first) = @_;
  return if syscall(436, $first + 0, 0xffffffff, 0) == 0;
  require POSIX;
  opendir(my $dir, "/proc/self/fd") or die "close inherited descriptors: $!\\n";
  my @fds = grep { /^\\d+$/ && $_ >= $first && $_ != fileno $dir } readdir $dir;
  closedir $dir;
  POSIX::close($_) for @fds;
}`;
