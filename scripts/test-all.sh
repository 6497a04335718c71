#!/usr/bin/env bash
# Runs every test on a fresh machine: installs npm deps and the real-VS-Code test host (cached),
# type-checks, unit tests (plain Node), integration tests (real extension host), proves that the
# integration runner reports a failing test, and checks that the .vsix packages.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=${LOGS:-test-artifacts/logs}
mkdir -p "$LOGS"
fail=0
step() { echo; echo "=== $* ==="; }
count() { grep -Eo '^\s*[0-9]+ (passing|failing|pending)' "$1" | awk -v k="$2" '$2==k {s+=$1} END {print s+0}'; }

step "dependencies"
# apt packages first: they include build headers some npm install scripts can use
bash scripts/setup-test-host.sh || exit 1
bash scripts/ensure-deps.sh || exit 1

step "typecheck + lint (layers, promises) + l10n"
npx tsc -p . --noEmit || fail=1
npx eslint . || fail=1   # eslint.config.mjs: core/shared/webview never import vscode, no floating or misused promises
node scripts/check-l10n.mjs || fail=1

step "unit tests (plain Node)"
rm -rf out
npx tsc -p tsconfig.test.json >/dev/null 2>&1 || true   # type errors are reported by the typecheck step
npx mocha --config .mocharc.json 2>&1 | tee "$LOGS/unit.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

step "integration tests (real VS Code extension host)"
node esbuild.js || fail=1
node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

step "integration tests with display language zh-cn"
LOCALE=zh-cn LANGPACK_DIR=test/fixtures/langpack-zh-cn EXT_ENV='{"OA_GREP":"zh-cn"}' node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-zh-cn.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

step "integration: chat history survives a restart of the host (two runs, one user-data dir)"
RESTART_UD=$(mktemp -d)
EXT_ENV='{"OA_GREP":"chat restart \\(before\\)"}' USER_DATA="$RESTART_UD" node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-restart-before.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
EXT_ENV='{"OA_GREP":"chat restart \\(after\\)"}' USER_DATA="$RESTART_UD" node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-restart-after.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
rm -rf "$RESTART_UD"

# The first hour (issue 10), each in its own host run from a fresh profile.
step "integration: completion from the first keystroke of a new window (nothing of ours touched before typing)"
EXT_ENV='{"OA_SCENARIO":"first-keystroke","OA_GREP":"first keystroke"}' node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-first-keystroke.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

step "integration: connection settings in a remote window (User, Remote, a hostile workspace, OLLAMA_HOST)"
EXT_ENV='{"OA_SCENARIO":"remote-settings","OA_GREP":"remote settings"}' node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-remote-settings.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

step "integration: the Models view keeps Running current"
EXT_ENV='{"OA_SCENARIO":"models-running","OA_GREP":"models running"}' node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-models-running.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1

# The minimum version package.json claims (engines.vscode ^1.99.0, engines.node >=20.18.1), in a real
# host of that version: code-server 4.99.4 = VS Code 1.99.3 on Node 20.18.1 (docs/notes/minver.md).
# A smoke subset, one test per feature area, selected by title; each must PASS (not be skipped or
# missing), so a renamed test cannot silently drop out of the subset.
step "integration: smoke subset in the minimum-version host (VS Code 1.99.3, Node 20.18.1)"
MIN_SMOKE=(
  'minimum version: the host runs the lowest VS Code'           # engineRange: the host is what engines claims
  'activates without touching the network'                      # foundation: activation
  'a token set through the command reaches the server'          # connection: Test Connection, SecretStorage
  'streams an answer rendered as markdown'                      # chat: webview, streaming answer
  'fast typing sends nothing until the pause'                   # completion: ghost text shown and accepted
  'streams into a read-only preview beside the editor'          # translation: side-by-side preview
  'Reopen with Encoding'                                        # encoding: TextDocument.encoding (feature-detected)
  'models tree lists installed models'                          # Models view
  'models view screenshot'                                      # Models view, as the user sees it
  'skipped cleanly where it does not'                           # VS Code's AI: no provider API before 1.104, nothing else changes
  'the translate tool returns the translation'                  # VS Code's AI: tools (1.95+) work on the lowest VS Code
)
min_grep=$(IFS='|'; echo "${MIN_SMOKE[*]}")
HOST=min ARTIFACTS=test-artifacts/min-host EXT_ENV=$(node -e 'console.log(JSON.stringify({ OA_GREP: process.argv[1], OA_MIN_HOST: "1" }))' "$min_grep") \
  node scripts/run-integration.mjs 2>&1 | tee "$LOGS/integration-min-host.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
for t in "${MIN_SMOKE[@]}"; do
  grep -F '✔' "$LOGS/integration-min-host.log" | grep -qF "$t" || { echo "FAIL: smoke test \"$t\" did not pass in the minimum-version host"; fail=1; }
done

step "runner self-check: a false assertion must fail the run"
EXT_ENV='{"OA_PROVE_FAILURE":"1","OA_GREP":"deliberate failure"}' node scripts/run-integration.mjs > "$LOGS/prove-failure.log" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '1 failing' "$LOGS/prove-failure.log"; then
  echo "ok: the deliberately false assertion failed the run (exit $rc)"
else
  echo "FAIL: expected exit 1 with '1 failing', got exit $rc"; tail -30 "$LOGS/prove-failure.log"; fail=1
fi

step "package"
bash scripts/package.sh || fail=1

step "the packaged .vsix in a fresh profile, used only through the UI (keyboard and mouse)"
if [ -f ollama-assistant.vsix ]; then
  node scripts/ui-scenario.mjs ollama-assistant.vsix 2>&1 | tee "$LOGS/integration-ui-vsix.log"
  [ "${PIPESTATUS[0]}" = 0 ] || fail=1
else
  echo "FAIL: no ollama-assistant.vsix to install"; fail=1
fi

step "chat context from the packaged .vsix in a fresh profile, only through the UI (@ mentions, @workspace sources, rebuild)"
if [ -f ollama-assistant.vsix ]; then
  node scripts/ui-context-tryout.mjs ollama-assistant.vsix 2>&1 | tee "$LOGS/integration-ui-context.log"
  [ "${PIPESTATUS[0]}" = 0 ] || fail=1
fi

up=$(count "$LOGS/unit.log" passing); uf=$(count "$LOGS/unit.log" failing)
ip=0; if_=0
for f in "$LOGS"/integration*.log; do ip=$((ip + $(count "$f" passing))); if_=$((if_ + $(count "$f" failing))); done
echo
echo "unit: $up passing, $uf failing; integration: $ip passing, $if_ failing"
[ "$uf" = 0 ] && [ "$if_" = 0 ] && [ "$up" -gt 0 ] && [ "$ip" -gt 0 ] || fail=1
echo "$((up + ip)) passed, $((uf + if_ + fail)) failed"
exit $fail
