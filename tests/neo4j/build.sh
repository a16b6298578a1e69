#!/usr/bin/env bash
# Build the Neo4j launcher that run.sh starts: target/keyturn-neo4j-launcher.jar plus the
# Neo4j test harness and its dependencies in target/lib, stamped by target/.built.
#
# Needs Java 17+ and Maven 3.8+. The first build downloads the harness (about 140 MB) from
# Maven Central into ~/.m2; later builds work offline. Does nothing when the build is
# current, so concurrent callers (pytest-xdist workers, make) may all call it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/target"
stamp="$target/.built"

stale() {
  [[ ! -f "$stamp" || ! -f "$target/keyturn-neo4j-launcher.jar" || ! -d "$target/lib" ]] \
    || [[ -n "$(find "$here/pom.xml" "$here/src" -newer "$stamp" -print -quit)" ]]
}

mkdir -p "$target"
if command -v flock >/dev/null; then
  exec 9>"$target/.build.lock"
  flock 9 # one build at a time; a waiter then finds the build current
fi
if stale; then
  echo "neo4j launcher: building (the first build downloads from Maven Central)" >&2
  mvn -q -B --no-transfer-progress -Dstyle.color=never -f "$here/pom.xml" \
    package -DskipTests >&2
  rm -f "$target/neo4j.jsa" # a class-data archive holds the old jars' classes
  touch "$stamp"
fi
