# Sourced by the mmfuse launcher: one build at a time in a checkout, and no build under a command that is running.
#
# Maven rewrites a module's jars in place (the same files, not new ones): a build while another mmfuse command runs
# from them changes the classes under that JVM, and two builds at once write the same files. So every command holds a
# shared lock on DIR/.mmfuse-run.lock for as long as its JVM runs (the descriptor passes to the JVM through exec), and
# a build needs that lock exclusively, besides DIR/.mmfuse-build.lock, which lets one launcher at a time check and
# build. Descriptors 8 (build) and 9 (run) hold them: fixed numbers, since macOS's bash 3.2 cannot name its own.
# Where flock is missing (macOS has none unless installed) or DIR cannot be written (a checkout of someone else's, built
# already), nothing is locked.

MMFUSE_LOCKS=0

mmfuse_have_flock() {
  command -v flock >/dev/null 2>&1
}

# Opens the two lock files in DIR (created if need be); without flock or a writable DIR, locking stays off.
mmfuse_locks_open() {
  mmfuse_have_flock || return 0
  mkdir -p "$1" 2>/dev/null || return 0
  { exec 8>>"$1/.mmfuse-build.lock" 9>>"$1/.mmfuse-run.lock"; } 2>/dev/null || return 0
  MMFUSE_LOCKS=1
}

# Waits for the build lock, saying so when another launcher holds it.
mmfuse_build_lock() {
  [[ "$MMFUSE_LOCKS" == 1 ]] || return 0
  if ! flock -x -n 8; then
    echo "mmfuse: waiting for another mmfuse build in this checkout to finish..." >&2
    flock -x 8
  fi
}

# Succeeds, holding the run lock exclusively, when no mmfuse command runs from this build; fails at once otherwise.
mmfuse_no_command_running() {
  [[ "$MMFUSE_LOCKS" == 1 ]] || return 0
  flock -x -n 9
}

# Holds the run lock exclusively, waiting for every command running from this build to end.
mmfuse_wait_for_commands() {
  [[ "$MMFUSE_LOCKS" == 1 ]] || return 0
  flock -x 9
}

# Holds the run lock shared (from exclusive, if a build just held it) and lets the build lock go; the JVM that the
# launcher then execs keeps descriptor 9, and so the run lock, until it exits.
mmfuse_hold_run_lock() {
  [[ "$MMFUSE_LOCKS" == 1 ]] || return 0
  flock -s 9
  flock -u 8
  exec 8>&-
}
