// Keeps the pure core pure: nothing under src/core, src/shared or src/webview may import `vscode`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['src/core', 'src/shared', 'src/webview'];
const bad = [];
const walk = (d) => {
  let entries = [];
  try { entries = readdirSync(d); } catch { return; }
  for (const e of entries) {
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.tsx?$/.test(e) && /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\))/.test(readFileSync(p, 'utf8'))) bad.push(p);
  }
};
roots.forEach(walk);
if (bad.length) {
  console.error('These pure-core files import vscode:\n  ' + bad.join('\n  '));
  process.exit(1);
}
console.log('core import check: ok (no vscode imports under ' + roots.join(', ') + ')');
