// Which models the chat offers, and the reasoning control each allows (src/core/chat/models.ts).
import * as assert from 'assert';
import { classifyChatModel, templateOpensThinking, thinkChoices, thinkParam } from '../../src/core/chat/models';

describe('chat models: the picker and the reasoning control', () => {
  it('never an embedding-only model; a base/FIM code model with a note; chat models as they are', () => {
    assert.strictEqual(classifyChatModel('all-minilm:latest', ['embedding']), 'none');
    assert.strictEqual(classifyChatModel('nomic-embed-text:latest', ['embedding']), 'none');
    assert.strictEqual(classifyChatModel('x/flux:latest', ['image']), 'none');
    assert.strictEqual(classifyChatModel('qwen2.5-coder:1.5b-base', ['completion', 'insert']), 'base');
    assert.strictEqual(classifyChatModel('deepseek-coder:6.7b-base', ['completion', 'insert']), 'base');
    assert.strictEqual(classifyChatModel('codellama:7b-code', ['completion', 'insert']), 'base');
    assert.strictEqual(classifyChatModel('starcoder2:3b', ['completion', 'insert']), 'base');
    assert.strictEqual(classifyChatModel('codegemma:2b', ['completion', 'insert']), 'base');
    // Instruct coder models fill in the middle too, and chat.
    assert.strictEqual(classifyChatModel('qwen2.5-coder:7b', ['completion', 'tools', 'insert']), 'chat');
    assert.strictEqual(classifyChatModel('codellama:7b-instruct', ['completion', 'insert']), 'chat');
    assert.strictEqual(classifyChatModel('codegemma:7b', ['completion', 'insert']), 'chat');
    assert.strictEqual(classifyChatModel('llama3.2:latest', ['completion', 'tools']), 'chat');
    assert.strictEqual(classifyChatModel('qwen3:0.6b', ['completion', 'tools', 'thinking']), 'chat');
    // Nothing known (an OpenAI-compatible server): offered.
    assert.strictEqual(classifyChatModel('whatever', undefined), 'chat');
  });

  it('reasoning choices: exactly the values /api/show lists; on/off for a thinking model without them; none otherwise', () => {
    assert.deepStrictEqual(thinkChoices(['completion', 'thinking'], { values: ['low', 'medium', 'high'], default: 'medium' }), ['default', 'level:low', 'level:medium', 'level:high']);
    assert.deepStrictEqual(thinkChoices(['completion', 'thinking'], { values: [false, true], default: true }), ['default', 'off', 'on']);
    assert.deepStrictEqual(thinkChoices(['completion'], { values: [false], default: false }), []);
    assert.deepStrictEqual(thinkChoices(['completion', 'thinking'], undefined), ['default', 'on', 'off']);
    assert.deepStrictEqual(thinkChoices(['completion', 'tools'], undefined), []);
    assert.deepStrictEqual(thinkChoices(undefined, undefined), []);
  });

  it('the think parameter for a remembered choice; a choice the model does not offer sends nothing', () => {
    const levels = thinkChoices(['thinking'], { values: ['low', 'medium', 'high'] });
    assert.strictEqual(thinkParam('level:high', levels), 'high');
    assert.strictEqual(thinkParam('on', levels), undefined, 'gpt-oss has no plain on');
    assert.strictEqual(thinkParam('level:max', levels), undefined, 'an unsupported level is a 400');
    const onOff = thinkChoices(['thinking'], undefined);
    assert.strictEqual(thinkParam('on', onOff), true);
    assert.strictEqual(thinkParam('off', onOff), false);
    assert.strictEqual(thinkParam('default', onOff), undefined);
    assert.strictEqual(thinkParam(undefined, onOff), undefined);
  });

  it('a template that opens <think> itself (DeepSeek-R1) vs one that leaves it to the server (qwen3 .Think)', () => {
    assert.strictEqual(templateOpensThinking('{{ .Prompt }}<｜Assistant｜><think>\n'), true);
    assert.strictEqual(templateOpensThinking('<|im_start|>assistant\n{{ if .Think }}<think>\n{{ end }}'), false);
    assert.strictEqual(templateOpensThinking('<|start_header_id|>assistant<|end_header_id|>\n\n'), false);
    assert.strictEqual(templateOpensThinking(undefined), false);
  });
});
