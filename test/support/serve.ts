// Standalone Ollama test server: `node out/test/support/serve.js [--port N]
// [--first-token-delay-ms N] [--token-delay-ms N] [--pull-step-delay-ms N] [--base-path P]
// [--require-header "Name: value"]`. Prints exactly one line `OLLAMA_TEST_SERVER <url>` to stdout
// once listening and runs until SIGTERM/SIGINT.
import { OllamaTestServer, type TestServerOptions } from './ollamaServer';

function parseArgs(argv: string[]): TestServerOptions {
  const opts: TestServerOptions = {};
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--port':
        opts.port = num(flag, value());
        break;
      case '--first-token-delay-ms':
        opts.firstTokenDelayMs = num(flag, value());
        break;
      case '--token-delay-ms':
        opts.tokenDelayMs = num(flag, value());
        break;
      case '--pull-step-delay-ms':
        opts.pullStepDelayMs = num(flag, value());
        break;
      case '--base-path':
        opts.basePath = value();
        break;
      case '--require-header': {
        const v = value() ?? '';
        const colon = v.indexOf(':');
        if (colon <= 0) throw new Error('--require-header needs "Name: value"');
        opts.requireHeaders = { ...(opts.requireHeaders ?? {}), [v.slice(0, colon).trim()]: v.slice(colon + 1).trim() };
        break;
      }
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: TestServerOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`serve: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const server = await OllamaTestServer.start(opts);
  process.stdout.write(`OLLAMA_TEST_SERVER ${server.url}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`serve: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
