#!/usr/bin/env bash
# Run a throwaway Neo4j 5.26 for Keyturn's tests and for local development:
#
#   tests/neo4j/run.sh [--port N] [--password P] [--page-cache SIZE] [--import DIR]
#
# --port 0 (the default) picks a free port; --password (8+ characters) turns on
# authentication for user `neo4j`, without it there is none; --page-cache (e.g. 2g,
# default 16m) sizes the cache that holds the store in memory; --import DIR first loads
# database `neo4j` from the CSV files in DIR with Neo4j's offline importer (the files
# `keyturn demo --size N --export-csv DIR` writes; the import's time goes to stderr). Prints
# `NEO4J READY bolt://127.0.0.1:PORT` on stdout once Bolt accepts connections; logs go to
# stderr. Stops on SIGTERM or Ctrl-C, and when stdin closes (unless stdin is /dev/null).
# Data lives in a temporary directory, deleted on exit.
#
# Builds the launcher first when needed (build.sh: Java 17+ and Maven; the first build
# downloads from Maven Central).
#
# Environment:
#   KEYTURN_NEO4J_JAVA_OPTS  JVM options replacing the defaults, which favour a quick start
#                            over peak speed (C1 JIT only); e.g. `-Xmx2g` for benchmarks
#   KEYTURN_NEO4J_CDS=1      use a class-data-sharing archive, built on first use (about a
#                            minute, once per build): starts about 3 s sooner
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/target"
classpath="$target/keyturn-neo4j-launcher.jar:$target/lib/*"
archive="$target/neo4j.jsa"

# Tuning, replaceable: a quick start matters more than peak speed for tests.
java_opts=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms128m -Xmx1g)
if [[ -n "${KEYTURN_NEO4J_JAVA_OPTS:-}" ]]; then
  read -r -a java_opts <<<"$KEYTURN_NEO4J_JAVA_OPTS"
fi
java_opts+=(
  # stdout carries the ready line alone: the JVM's own messages go to stderr
  -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr
  # what Neo4j's own start script opens, so the page cache and Bolt skip slower fallbacks
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
)

build_archive() {
  # A training run (with some Cypher) lists the classes a start loads; -Xshare:dump
  # archives them. The dump rejects list lines over 4096 characters (a few long lambda
  # signatures): those classes just stay out of the archive.
  local list="$target/classes.lst"
  echo "neo4j launcher: building the class-data-sharing archive (about a minute)" >&2
  coproc training {
    exec java "${java_opts[@]}" -XX:DumpLoadedClassList="$list.raw" -cp "$classpath" \
      keyturn.Neo4jLauncher --password cds-training --warm-up 2>/dev/null
  }
  local ready
  read -r ready <&"${training[0]}" || true
  exec {training[1]}>&- # closing its stdin stops it
  wait "$training_PID" || true
  awk 'length($0) < 4000' "$list.raw" >"$list"
  rm -f "$list.raw"
  java -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$archive" \
    -cp "$classpath" >"$target/cds-dump.log" 2>&1 \
    || echo "neo4j launcher: no class-data-sharing archive, see $target/cds-dump.log" >&2
}

"$here/build.sh"

if [[ "${KEYTURN_NEO4J_CDS:-}" == 1 && ! -f "$archive" ]]; then
  if command -v flock >/dev/null; then
    exec 9>"$target/.cds.lock"
    flock 9
  fi
  [[ -f "$archive" ]] || build_archive
  exec 9>&- # Neo4j must not hold the lock
fi
if [[ "${KEYTURN_NEO4J_CDS:-}" == 1 && -f "$archive" ]]; then
  java_opts+=("-XX:SharedArchiveFile=$archive")
fi
exec java "${java_opts[@]}" -cp "$classpath" keyturn.Neo4jLauncher "$@"
