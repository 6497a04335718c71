// A bench-only child process: the Ollama-protocol test server answering every generate/chat
// (native NDJSON and /v1 SSE) with BENCH_TOKENS tokens as fast as it can, so the client's CPU can be
// measured in another process. Prints `BENCH_SERVER <url>` once listening; stops on SIGTERM.
import { OllamaTestServer } from '../test/support/ollamaServer';

async function main(): Promise<void> {
  const tokens = Number(process.env.BENCH_TOKENS ?? 100_000);
  // Words of mixed scripts, so decoding sees multi-byte UTF-8 as real answers do.
  const words = ['the', 'model', 'answers', 'with', '代码', 'and', 'é', 'tokens', '🌍', 'quickly'];
  const text = Array.from({ length: tokens }, (_, i) => words[i % words.length]).join(' ');
  const server = await OllamaTestServer.start({ reply: () => text });
  process.stdout.write(`BENCH_SERVER ${server.url}\n`);
  process.on('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
}

void main();
