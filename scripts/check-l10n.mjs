// Every user-facing string is localised: each vscode.l10n.t('...') literal in src/ has a zh-cn
// entry, and every %key% in package.json has an English and a Chinese value.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const problems = [];
const bundle = JSON.parse(readFileSync('l10n/bundle.l10n.zh-cn.json', 'utf8'));
const walk = (d) => readdirSync(d).flatMap((e) => { const p = path.join(d, e); return statSync(p).isDirectory() ? walk(p) : [p]; });
for (const f of walk('src').filter((f) => f.endsWith('.ts'))) {
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/l10n\.t\(\s*(['"])((?:\\.|(?!\1).)*)\1/g)) {
    const key = m[2].replace(/\\(['"\\])/g, '$1');
    if (!(key in bundle)) problems.push(`${f}: no zh-cn translation for ${JSON.stringify(key)}`);
  }
}
const pkg = readFileSync('package.json', 'utf8');
const en = JSON.parse(readFileSync('package.nls.json', 'utf8'));
const zh = JSON.parse(readFileSync('package.nls.zh-cn.json', 'utf8'));
for (const m of pkg.matchAll(/"%([^%"]+)%"/g)) {
  if (!(m[1] in en)) problems.push(`package.json: %${m[1]}% missing in package.nls.json`);
  if (!(m[1] in zh)) problems.push(`package.json: %${m[1]}% missing in package.nls.zh-cn.json`);
}
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log('l10n check: ok');
