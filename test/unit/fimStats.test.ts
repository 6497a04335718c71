// Latency log lines.
import * as assert from 'assert';
import { formatLatency, LatencyTimer } from '../../src/core/fim';

describe('FIM latency stats', () => {
  it('formats time to first token, total, tokens/s and token counts', () => {
    const line = formatLatency('qwen2.5-coder:1.5b-base', { promptTokens: 812, outputTokens: 24, totalMs: 450, loadMs: 0.4, tokensPerSecond: 35.24 }, { firstTokenMs: 120.4, totalMs: 480.6 });
    assert.strictEqual(line, 'qwen2.5-coder:1.5b-base: first token 120 ms, total 481 ms, 35.2 tok/s, 24 tokens, prompt 812 tokens');
  });

  it('derives tokens/s from the client timing when the server gives none, and shows a model load', () => {
    const line = formatLatency('m', { promptTokens: 10, outputTokens: 30, loadMs: 2100 }, { firstTokenMs: 100, totalMs: 1100 }, 'reused');
    assert.strictEqual(line, 'm: first token 100 ms, total 1100 ms, 30.0 tok/s, 30 tokens, prompt 10 tokens, load 2100 ms (reused)');
    assert.strictEqual(formatLatency('m', undefined), 'm: no timing');
  });

  it('LatencyTimer measures on an injected clock', () => {
    let now = 1000;
    const t = new LatencyTimer(() => now);
    now = 1040;
    t.token();
    now = 1090;
    t.token();
    now = 1300;
    assert.deepStrictEqual(t.sample(), { firstTokenMs: 40, totalMs: 300 });
  });
});
