# Sourced by the mmfuse launcher: a UTF-8 character set for the JVM where the locale is the plain C or POSIX one.
#
# Java 17 takes the encoding of file names and of its default text I/O from LC_CTYPE. In the C or POSIX locale (a
# container with no locale set, say) that is ASCII: a file whose name has any other character cannot even be named
# ("Malformed input or input contains unmappable characters"). As Python does since 3.7 (PEP 538), the launcher then
# sets LC_CTYPE to C.UTF-8 where the system has it. LC_ALL, when set, is the user's choice and stays, as does any
# other locale.

# Prints the LC_CTYPE to give the JVM: the system's C.UTF-8 (as spelled in the list of locales, `locale -a` or the
# file $1) when LC_ALL is unset and LC_CTYPE (or else LANG) is empty, C or POSIX; nothing otherwise.
mmfuse_ctype_setting() {
  local ctype name
  [[ -n "${LC_ALL:-}" ]] && return 0
  ctype="${LC_CTYPE:-${LANG:-}}"
  case "$ctype" in
    "" | C | POSIX) ;;
    *) return 0 ;;
  esac
  if [[ -n "${1:-}" ]]; then
    name="$(grep -i -m1 -x 'c\.utf-\{0,1\}8' "$1" 2>/dev/null || true)"
  else
    name="$(locale -a 2>/dev/null | grep -i -m1 -x 'c\.utf-\{0,1\}8' || true)"
  fi
  [[ -n "$name" ]] && echo "$name"
  return 0
}

# Exports that LC_CTYPE, if any.
mmfuse_utf8_ctype() {
  local v
  v="$(mmfuse_ctype_setting "${1:-}")"
  [[ -n "$v" ]] && export LC_CTYPE="$v"
  return 0
}
