// `node out/bench/contextMain.js`: only the workspace-search bench (while developing it).
import { benchContext } from './context';

void benchContext((l) => process.stdout.write(`  ${l}\n`)).catch((e: unknown) => { console.error(e); process.exitCode = 1; });
