// The protocol test server in a child process (bench/streamServer.ts), so its CPU is not counted
// as ours: started with BENCH_TOKENS tokens per answer; resolves with its URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** Starts bench/streamServer.js; stop it with `child.kill('SIGTERM')`. Rejects if it exits first. */
export async function startBenchServer(tokens: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'streamServer.js')], { env: { ...process.env, BENCH_TOKENS: String(tokens) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /BENCH_SERVER (\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  return { url, child };
}
