#!/usr/bin/env bash
# Writes the npm packages of one build into OUTDIR:
#
#   scripts/npm-pack.sh OUTDIR
#
#   OUTDIR/rules2actions-<version>.tgz                 the launcher (`npx rules2actions`)
#   OUTDIR/rules2actions-cli-<platform>-<version>.tgz   the binary for one platform
#
# The version is Cargo.toml's. By default it builds the binary for this machine
# (`cargo build --release`). Environment:
#   RULES2ACTIONS_BINARY=PATH   pack this already-built binary instead of building one
#   RULES2ACTIONS_TARGET=TRIPLE the Rust target the binary was built for, one of
#                               npm/rules2actions/platforms.json (default: this machine); the
#                               release workflow packs every platform's binary on one runner
#   RULES2ACTIONS_REPOSITORY=URL the source repository, recorded in the packages (the release
#                               workflow sets it: npm checks it against the provenance)
# Needs node and npm; never touches the network. Prints the paths of the .tgz files.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
TARGET="${RULES2ACTIONS_TARGET:-}"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is required" >&2; exit 2; }
done

VERSION="$("$ROOT/scripts/version.sh")"

BINARY="${RULES2ACTIONS_BINARY:-}"
if [ -z "$BINARY" ]; then
  cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" ${TARGET:+--target "$TARGET"}
  BINARY="$ROOT/target/${TARGET:+$TARGET/}release/rules2actions"
  [ -f "$BINARY" ] || BINARY="$BINARY.exe"
fi
[ -f "$BINARY" ] || { echo "$0: no binary at $BINARY" >&2; exit 2; }

# A binary built for this machine must be the version it is published as (a stale binary from an
# older build would otherwise be published under the new version).
if [ -z "$TARGET" ]; then
  ACTUAL="$("$BINARY" --version)"
  if [ "$ACTUAL" != "rules2actions $VERSION" ]; then
    echo "$0: $BINARY says '$ACTUAL', Cargo.toml says $VERSION" >&2
    exit 2
  fi
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
node "$ROOT/npm/stage.js" --version "$VERSION" --binary "$BINARY" --out "$STAGE" \
  ${TARGET:+--target "$TARGET"} \
  ${RULES2ACTIONS_REPOSITORY:+--repository "$RULES2ACTIONS_REPOSITORY"} >"$STAGE/packages"

while IFS= read -r package; do
  tarball="$(cd "$package" && npm pack --offline --ignore-scripts --silent --pack-destination "$OUT")"
  echo "$OUT/$tarball"
done <"$STAGE/packages"
