#!/usr/bin/env bash
# Builds the production bundle and packages ollama-assistant.vsix (offline; @vscode/vsce 3.x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node esbuild.js --production
npx vsce package --no-dependencies --allow-missing-repository --skip-license -o ollama-assistant.vsix
node scripts/check-vsix.mjs
ls -l ollama-assistant.vsix dist/extension.js | awk '{print $5, $9}'
