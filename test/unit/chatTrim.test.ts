// Context-window trimming: the system prompt always stays, the oldest turns go first, the newest
// question is never dropped; the window comes from the setting, the model, or 4096.
import * as assert from 'assert';
import { modelContextLength } from '../../src/core/llm/facts';
import type { LlmMessage } from '../../src/core/llm/backend';
import {
  DEFAULT_CONTEXT_TOKENS,
  MAX_AUTO_CONTEXT_TOKENS,
  answerReserve,
  estimateMessageTokens,
  estimateTokens,
  promptBudget,
  resolveContextLength,
  trimToContext,
} from '../../src/core/chat/trim';

/** A message whose text is estimated at n / 3.5 tokens (the old flat rate these cases were written
 * with): the tag, then one-token words. */
const msg = (role: LlmMessage['role'], n: number, tag: string): LlmMessage => {
  const prefix = `${tag}:`;
  return { role, content: prefix + ' x'.repeat(Math.ceil(n / 3.5) - estimateTokens(prefix)) };
};

describe('chat context trimming', () => {
  it('estimates tokens per script (tokens.test.ts has the rules), plus overhead and images', () => {
    assert.strictEqual(estimateTokens(''), 0);
    assert.strictEqual(msg('user', 350, 'u1').content.length > 100, true);
    assert.strictEqual(estimateTokens(msg('user', 350, 'u1').content), 100);
    assert.strictEqual(estimateMessageTokens({ role: 'user', content: '你好' }), 2 + 4);
    assert.ok(estimateMessageTokens({ role: 'user', content: 'hi', images: ['a'] }) > 700);
  });

  it('keeps everything when it fits', () => {
    const m = [msg('system', 100, 'sys'), msg('user', 100, 'u1'), msg('assistant', 100, 'a1'), msg('user', 100, 'u2')];
    const r = trimToContext(m, 10_000);
    assert.deepStrictEqual(r.messages, m);
    assert.strictEqual(r.dropped, 0);
    assert.strictEqual(r.overBudget, false);
  });

  it('drops the oldest turns first and never the system prompt', () => {
    const m = [
      msg('system', 350, 'sys'),
      msg('user', 350, 'u1'), msg('assistant', 350, 'a1'),
      msg('user', 350, 'u2'), msg('assistant', 350, 'a2'),
      msg('user', 350, 'u3'),
    ];
    // each message ~ 100 + 4 tokens; room for 4 messages
    const r = trimToContext(m, 4 * 104);
    const tags = r.messages.map((x) => x.content.split(':')[0]);
    assert.deepStrictEqual(tags, ['sys', 'u2', 'a2', 'u3']);
    assert.strictEqual(r.dropped, 2);
    assert.ok(r.estimatedTokens <= r.budget);
  });

  it('does not leave an answer without its question at the front', () => {
    const m = [msg('system', 35, 'sys'), msg('user', 700, 'u1'), msg('assistant', 35, 'a1'), msg('user', 35, 'u2')];
    const r = trimToContext(m, 60);
    assert.deepStrictEqual(r.messages.map((x) => x.content.split(':')[0]), ['sys', 'u2']);
  });

  it('keeps the system prompt and the newest message even when they alone are too large', () => {
    const m = [msg('system', 3500, 'sys'), msg('user', 350, 'u1'), msg('assistant', 350, 'a1'), msg('user', 3500, 'u2')];
    const r = trimToContext(m, 100);
    assert.deepStrictEqual(r.messages.map((x) => x.content.split(':')[0]), ['sys', 'u2']);
    assert.strictEqual(r.overBudget, true);
  });

  it('works without a system prompt, and keeps system messages wherever they are', () => {
    const m = [msg('user', 350, 'u1'), msg('assistant', 350, 'a1'), msg('system', 35, 'note'), msg('user', 350, 'u2')];
    const r = trimToContext(m, 130);
    assert.deepStrictEqual(r.messages.map((x) => x.content.split(':')[0]), ['note', 'u2']);
  });

  it('counts images, so a turn with images goes before text would', () => {
    const m = [msg('user', 35, 'u1'), msg('assistant', 35, 'a1'), { role: 'user' as const, content: 'u2:look', images: ['AAAA'] }];
    assert.strictEqual(trimToContext(m, 800).dropped, 2);
  });

  it('takes the window from num_ctx, else the model (capped), else 4096', () => {
    assert.strictEqual(resolveContextLength(2048, { 'general.architecture': 'llama', 'llama.context_length': 131072 }), 2048);
    assert.strictEqual(resolveContextLength(undefined, { 'general.architecture': 'llama', 'llama.context_length': 131072 }), MAX_AUTO_CONTEXT_TOKENS);
    assert.strictEqual(resolveContextLength(undefined, { 'general.architecture': 'tiny', 'tiny.context_length': 2048 }), 2048);
    assert.strictEqual(resolveContextLength(undefined, { 'qwen2.context_length': 3000 }), 3000);
    assert.strictEqual(resolveContextLength(undefined, {}), DEFAULT_CONTEXT_TOKENS);
    assert.strictEqual(resolveContextLength(undefined, undefined), DEFAULT_CONTEXT_TOKENS);
    assert.strictEqual(resolveContextLength(0, undefined), DEFAULT_CONTEXT_TOKENS);
    assert.strictEqual(modelContextLength({ 'general.architecture': 'llama', 'llama.context_length': 'x' }), undefined);
  });

  it('reserves room for the answer', () => {
    assert.strictEqual(answerReserve(4096), 1024);
    assert.strictEqual(answerReserve(1024), 256);
    assert.strictEqual(answerReserve(4096, 200), 200);
    assert.strictEqual(answerReserve(1000, 5000), 500);
    assert.strictEqual(promptBudget(4096), 3072);
  });
});
