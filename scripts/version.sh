#!/usr/bin/env bash
# Prints the version of rules2actions: the `version` of Cargo.toml's [package] table, the one place
# it is set. The npm packages (scripts/npm-pack.sh), the GitHub Action (action.yml) and the release
# workflow read it from here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="$(awk '
  /^\[/ { in_package = ($0 == "[package]") }
  in_package && /^version *=/ { gsub(/^version *= *"|".*$/, ""); print; exit }
' "$ROOT/Cargo.toml")"
if [ -z "$VERSION" ]; then
  echo "$0: no version in the [package] table of $ROOT/Cargo.toml" >&2
  exit 1
fi
echo "$VERSION"
