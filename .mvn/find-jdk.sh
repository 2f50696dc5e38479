# Sourced by ./mvnw and ./pocketrag (POSIX sh). Sets JAVA_HOME to a JDK 25 or newer when the
# current JAVA_HOME (or the java on PATH) is older or missing. Looks in JAVA_HOME,
# /usr/lib/jvm/*, /Library/Java/JavaVirtualMachines/*/Contents/Home and PATH, and prefers the
# newest. Leaves JAVA_HOME alone when nothing suitable is found (the caller reports it).

pocketrag_java_major() {
  # The JDK's release file says JAVA_VERSION="25.0.3": reading it costs nothing, while starting
  # java to ask costs 0.2 s on every ./pocketrag command. Ask java only when there is no such file.
  _rel="${1%/bin/java}/release"
  if [ -r "$_rel" ]; then
    while IFS= read -r _l || [ -n "$_l" ]; do
      case $_l in
        JAVA_VERSION=*)
          _l="${_l#JAVA_VERSION=}"; _l="${_l#\"}"; _l="${_l%%[!0-9]*}"
          if [ -n "$_l" ]; then echo "$_l"; return 0; fi ;;
      esac
    done < "$_rel"
  fi
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

pocketrag_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    _v="$(pocketrag_java_major "$JAVA_HOME/bin/java")"
    if [ -n "$_v" ] && [ "$_v" -ge 25 ]; then return 0; fi
  fi
  _best=""
  _best_v=0
  _path_jdk=""
  if command -v javac >/dev/null 2>&1; then
    _path_jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
  fi
  case $- in *f*) _noglob=1; set +f ;; *) _noglob=0 ;; esac   # mvnw runs with globbing off
  for _c in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home $_path_jdk; do
    [ -x "$_c/bin/java" ] && [ -x "$_c/bin/javac" ] || continue
    _v="$(pocketrag_java_major "$_c/bin/java")"
    [ -n "$_v" ] || continue
    if [ "$_v" -ge 25 ] && [ "$_v" -gt "$_best_v" ]; then _best="$_c"; _best_v="$_v"; fi
  done
  [ "$_noglob" = 1 ] && set -f
  if [ -n "$_best" ]; then
    JAVA_HOME="$_best"
    export JAVA_HOME
    return 0
  fi
  return 1
}
