// Self-tests of the Ollama wire-protocol test server (test/support/ollamaServer.ts). They talk to
// it with Node's own fetch / node:http — never with the project's client — and check the bytes.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { goJson, OllamaTestServer, tokenize, type SseErrorDialect } from '../support/ollamaServer';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  chunks: Buffer[];
  body: Buffer;
  text: string;
  error?: Error;
  /** ms from request start to response headers */
  headersMs: number;
}

/** One request on a fresh connection, keeping every 'data' chunk as received. */
function raw(url: string, method: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const h = body === undefined ? headers : { 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    const req = http.request(url, { method, headers: h, agent: false }, (res) => {
      const headersMs = performance.now() - t0;
      const chunks: Buffer[] = [];
      let error: Error | undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => (error = e));
      res.on('close', () => {
        if (!res.complete && !error) error = new Error('incomplete response');
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, body: all, text: all.toString('utf8'), error, headersMs });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(url: string, body: unknown, method = 'POST'): Promise<{ status: number; ctype: string | null; text: string; json: () => any }> {
  const res = await fetch(url, { method, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, ctype: res.headers.get('content-type'), text, json: () => JSON.parse(text) };
}

function ndjson(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

function sse(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      assert.ok(e.startsWith('data: '), `bad SSE event ${JSON.stringify(e)}`);
      return e.slice(6);
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROMPT = 'héllo <b> & 世界 🌍 one two three four five';

describe('Ollama test server', function () {
  let server: OllamaTestServer;
  let u: string;

  before(async () => {
    server = await OllamaTestServer.start();
    u = server.url;
  });
  afterEach(() => server.reset());
  after(() => server.close());

  describe('basics', () => {
    it('answers the liveness probe, 404 and 405 like gin', async () => {
      const root = await raw(u + '/', 'GET');
      assert.equal(root.status, 200);
      assert.equal(root.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(root.text, 'Ollama is running');
      const head = await raw(u + '/', 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      const nf = await raw(u + '/api/nope', 'GET');
      assert.deepEqual([nf.status, nf.headers['content-type'], nf.text], [404, 'text/plain', '404 page not found']);
      const na = await raw(u + '/api/tags', 'POST', '{}');
      assert.deepEqual([na.status, na.headers['content-type'], na.text], [405, 'text/plain', '405 method not allowed']);
    });

    it('serves version, tags (newest first, bare digests) and ps', async () => {
      assert.deepEqual((await post(u + '/api/version', undefined, 'GET')).json(), { version: '0.33.0' });
      const tags = await fetch(u + '/api/tags');
      assert.equal(tags.headers.get('content-type'), 'application/json; charset=utf-8');
      const { models } = (await tags.json()) as { models: any[] };
      const names = models.map((m) => m.name);
      for (const n of ['llama3.2:latest', 'qwen2.5-coder:1.5b', 'llava:7b', 'all-minilm:latest']) assert.ok(names.includes(n), n);
      const times = models.map((m) => Date.parse(m.modified_at));
      assert.deepEqual([...times].sort((a, b) => b - a), times);
      const llama = models.find((m) => m.name === 'llama3.2:latest');
      assert.match(llama.digest, /^[0-9a-f]{64}$/);
      assert.deepEqual(llama.details, {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      });
      assert.deepEqual(llama.capabilities, ['completion', 'tools']);
      assert.deepEqual((await post(u + '/api/ps', undefined, 'GET')).json(), { models: [] });
      await post(u + '/api/generate', { model: 'llama3.2', prompt: 'hi', stream: false, options: { num_ctx: 2048 } });
      const ps = (await post(u + '/api/ps', undefined, 'GET')).json().models;
      assert.equal(ps.length, 1);
      assert.equal(ps[0].name, 'llama3.2:latest');
      assert.equal(ps[0].context_length, 2048);
      assert.equal(ps[0].size_vram, ps[0].size);
      assert.ok(Date.parse(ps[0].expires_at) > Date.now() + 4 * 60_000);
      assert.equal(server.running()[0].name, 'llama3.2:latest');
    });

    it('encodes JSON like Go and tokenizes deterministically', () => {
      assert.equal(goJson({ a: '<&>\u2028\u2029' }), '{"a":"\\u003c\\u0026\\u003e\\u2028\\u2029"}');
      const toks = tokenize('héllo 世界 🌍🌍 supercalifragilistic');
      assert.equal(toks.join(''), 'héllo 世界 🌍🌍 supercalifragilistic');
      assert.ok(toks.includes('🌍🌍 '));
      assert.deepEqual(tokenize('a b'), tokenize('a b'));
    });
  });

  describe('generate and chat', () => {
    it('streams NDJSON by default with a final done chunk carrying metrics and context', async () => {
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: PROMPT }));
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/x-ndjson');
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(r.text.endsWith('\n'));
      assert.ok(r.text.includes('\\u003cb\\u003e'), 'Go-escaped <b>');
      const lines = r.text.slice(0, -1).split('\n');
      const objs = lines.map((l) => JSON.parse(l));
      assert.ok(objs.length > 5);
      for (const o of objs.slice(0, -1)) {
        assert.deepEqual(Object.keys(o), ['model', 'created_at', 'response', 'done']);
        assert.equal(o.done, false);
        assert.match(o.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
      }
      const last = objs[objs.length - 1];
      assert.equal(last.done, true);
      assert.equal(last.done_reason, 'stop');
      assert.equal(last.response, '');
      assert.ok(Array.isArray(last.context) && last.context.length > 0);
      for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) {
        assert.ok(Number.isInteger(last[k]) && last[k] > 0, k);
      }
      const text = objs.map((o) => o.response).join('');
      assert.equal(text, 'Echo: ' + PROMPT);
      assert.equal(server.lastReplyText, text);
      // second call: model already loaded → load_duration omitted (omitempty)
      const again = ndjson((await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'x' }))).text);
      assert.ok(!('load_duration' in again[again.length - 1]));
    });

    it('answers stream:false with one application/json object without newline', async () => {
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'hi there', stream: false }));
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.ok(!r.text.endsWith('\n'));
      const o = JSON.parse(r.text);
      assert.equal(o.response, 'Echo: hi there');
      assert.equal(o.done, true);
      const chat = await post(u + '/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'yo' }], stream: false });
      assert.deepEqual(chat.json().message, { role: 'assistant', content: 'You said: yo' });
    });

    it('streams chat chunks with message objects and deterministic FIM / tool calls / thinking', async () => {
      const chat = ndjson((await raw(u + '/api/chat', 'POST', JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: '世界 🌍' }] }))).text);
      assert.equal(chat.map((c) => c.message.content).join(''), 'You said: 世界 🌍');
      assert.ok(chat.every((c) => c.message.role === 'assistant'));
      assert.ok(!('context' in chat[chat.length - 1]));
      const fim = await post(u + '/api/generate', { model: 'qwen2.5-coder:1.5b', prompt: 'def f(', suffix: '\n  return x', stream: false });
      assert.equal(fim.json().response, '/* fim 6:11 */');
      const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
      const tc = ndjson((await raw(u + '/api/chat', 'POST', JSON.stringify({ model: 'llama3.2', tools, messages: [{ role: 'user', content: 'call get_weather please' }] }))).text);
      const call = tc.find((c) => c.message.tool_calls)!.message.tool_calls[0];
      assert.match(call.id, /^[a-z0-9]{8}$/);
      assert.deepEqual(call.function, { index: 0, name: 'get_weather', arguments: { city: 'test' } });
      assert.equal(tc[tc.length - 1].done_reason, 'stop');
      const think = ndjson((await raw(u + '/api/chat', 'POST', JSON.stringify({ model: 'qwen3:0.6b', messages: [{ role: 'user', content: 'q' }] }))).text);
      assert.ok(think.some((c) => c.message.thinking));
      const length = await post(u + '/api/generate', { model: 'llama3.2', prompt: 'a b c d e f', stream: false, options: { num_predict: 2 } });
      assert.deepEqual([length.json().response, length.json().done_reason, length.json().eval_count], ['Echo: a ', 'length', 2]);
    });

    it('answers load and unload requests with a single newline-less object, and tracks ps', async () => {
      const load = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2' }));
      assert.equal(JSON.parse(load.text).done_reason, 'load');
      assert.equal(server.running().length, 1);
      for (const ka of [0, '0', '0s']) {
        const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', keep_alive: ka, stream: true }));
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
        assert.ok(!r.text.endsWith('\n'));
        assert.deepEqual(Object.keys(JSON.parse(r.text)), ['model', 'created_at', 'response', 'done', 'done_reason']);
        assert.equal(JSON.parse(r.text).done_reason, 'unload');
      }
      assert.equal(server.running().length, 0);
      const chatLoad = await post(u + '/api/chat', { model: 'llama3.2' });
      assert.deepEqual(chatLoad.json().message, { role: 'assistant', content: '' });
      assert.equal(chatLoad.json().done_reason, 'load');
      const chatUnload = await post(u + '/api/chat', { model: 'llama3.2', messages: [], keep_alive: 0 });
      assert.equal(chatUnload.json().done_reason, 'unload');
      await post(u + '/api/generate', { model: 'llama3.2', prompt: 'x', keep_alive: 0, stream: false });
      assert.equal(server.running().length, 0, 'keep_alive 0 with a prompt unloads afterwards');
      await post(u + '/api/generate', { model: 'llama3.2', prompt: 'x', keep_alive: -1, stream: false });
      assert.ok(Date.parse(server.running()[0].expires_at) > Date.parse('2300-01-01'));
    });

    it('reproduces the error statuses and strings of the real server', async () => {
      const cases: [string, unknown, number, string][] = [
        ['/api/generate', '', 400, 'missing request body'],
        ['/api/generate', '{"model":', 400, 'unexpected EOF'],
        ['/api/generate', 'xyz', 400, "invalid character 'x' looking for beginning of value"],
        ['/api/generate', '{"model":"a",}', 400, "invalid character '}' looking for beginning of object key string"],
        ['/api/generate', { model: 'llama3.2', prompt: 1 }, 400, 'json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string'],
        ['/api/generate', {}, 404, "model '' not found"],
        ['/api/generate', { model: 'nope:1b', prompt: 'x' }, 404, "model 'nope:1b' not found"],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', raw: true, system: 's' }, 400, 'raw mode does not support template, system, or context'],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', suffix: 'y' }, 400, 'registry.ollama.ai/library/llama3.2:latest does not support insert'],
        ['/api/generate', { model: 'all-minilm', prompt: 'x' }, 400, '"all-minilm" does not support generate'],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', keep_alive: '10' }, 400, 'time: missing unit in duration "10"'],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', keep_alive: true }, 400, "Unsupported type: 'bool'"],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', options: { num_ctx: '4096' } }, 500, 'option "num_ctx" must be of type integer'],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', options: { stop: 'x' } }, 500, 'option "stop" must be of type array'],
        ['/api/generate', { model: 'llama3.2', prompt: 'x', think: true }, 400, '"llama3.2" does not support thinking'],
        ['/api/generate', { model: 'llava:7b', prompt: 'x', images: ['data:image/png;base64,AAAA'] }, 400, 'illegal base64 data at input byte 4'],
        ['/api/chat', '', 400, 'missing request body'],
        ['/api/chat', {}, 400, 'model is required'],
        ['/api/chat', { model: 'nope' }, 404, "model 'nope' not found"],
        ['/api/chat', { model: 'llava:7b', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] }, 400, 'registry.ollama.ai/library/llava:7b does not support tools'],
        ['/api/chat', { model: 'llama3.2', messages: 'x' }, 400, 'json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message'],
        ['/api/show', {}, 400, 'model is required'],
        ['/api/show', { model: 'llava' }, 404, "model 'llava:latest' not found"],
        ['/api/copy', { source: 'nope', destination: 'x' }, 404, 'model "nope" not found'],
        ['/api/delete', { model: 'nope:1b' }, 404, "model 'nope:1b' not found"],
        ['/api/create', { model: 'x' }, 400, "neither 'from' or 'files' was specified"],
        ['/api/push', {}, 400, 'model is required'],
        ['/api/pull', {}, 400, 'invalid model name'],
        ['/api/embed', { model: 'nope', input: 'x' }, 404, 'model "nope" not found, try pulling it first'],
        ['/api/embed', { input: 'x' }, 404, "model '' not found"],
        ['/api/embed', { model: 'all-minilm', input: [1] }, 400, 'invalid input type'],
        ['/api/embeddings', { prompt: 'x' }, 400, 'model is required'],
        ['/api/embeddings', { model: 'nope', prompt: 'x' }, 404, 'model "nope" not found, try pulling it first'],
      ];
      for (const [p, body, status, error] of cases) {
        const method = p === '/api/delete' ? 'DELETE' : 'POST';
        const r = await raw(u + p, method, typeof body === 'string' ? body : JSON.stringify(body));
        assert.equal(r.status, status, `${p} ${JSON.stringify(body)}: ${r.text}`);
        assert.deepEqual(JSON.parse(r.text), { error }, `${p} ${JSON.stringify(body)}`);
        assert.match(String(r.headers['content-type']), /^application\/json/);
      }
      // images on a non-vision model are accepted by the real server
      assert.equal((await post(u + '/api/chat', { model: 'llama3.2', stream: false, messages: [{ role: 'user', content: 'x', images: ['AAAA'] }] })).status, 200);
    });
  });

  describe('model management', () => {
    it('shows model details', async () => {
      const s = (await post(u + '/api/show', { model: 'llama3.2' })).json();
      assert.ok(s.modelfile.startsWith('# Modelfile generated by "ollama show"'));
      assert.equal(s.model_info['llama.context_length'], 131072);
      assert.equal(s.model_info['general.architecture'], 'llama');
      assert.deepEqual(s.capabilities, ['completion', 'tools']);
      assert.match(s.parameters, /^stop {27}"<\|start_header_id\|>"/);
      assert.ok(s.template.includes('<|start_header_id|>'));
      assert.ok(s.modified_at);
    });

    it('copies and deletes with 200 and an empty body', async () => {
      const c = await raw(u + '/api/copy', 'POST', JSON.stringify({ source: 'llama3.2', destination: 'me/backup' }));
      assert.deepEqual([c.status, c.text, c.headers['content-length']], [200, '', '0']);
      assert.equal(server.models()[0].name, 'me/backup:latest');
      const d = await raw(u + '/api/delete', 'DELETE', JSON.stringify({ model: 'me/backup' }));
      assert.deepEqual([d.status, d.text], [200, '']);
      assert.ok(!server.models().some((m) => m.name === 'me/backup:latest'));
    });

    it('pulls with the real progress sequence and installs the model', async () => {
      const r = await raw(u + '/api/pull', 'POST', JSON.stringify({ model: 'tinyllama' }));
      assert.equal(r.headers['content-type'], 'application/x-ndjson');
      const lines = ndjson(r.text);
      assert.deepEqual(lines[0], { status: 'pulling manifest' });
      const layer = lines.filter((l) => l.status.startsWith('pulling ') && l.digest);
      assert.ok(layer.length >= 8);
      for (const l of layer) {
        assert.equal(l.status, 'pulling ' + l.digest.slice(7, 19));
        assert.ok(!('completed' in l) || l.completed <= l.total);
      }
      assert.ok(!('completed' in layer[0]), 'first line omits completed');
      assert.deepEqual(lines.slice(-3).map((l) => l.status), ['verifying sha256 digest', 'writing manifest', 'success']);
      const tags = (await post(u + '/api/tags', undefined, 'GET')).json().models;
      assert.equal(tags[0].name, 'tinyllama:latest');
      // pulling again: layers already present → one line each with completed == total
      const again = ndjson((await raw(u + '/api/pull', 'POST', JSON.stringify({ model: 'tinyllama', stream: true }))).text);
      assert.ok(again.filter((l) => l.digest).every((l) => l.completed === l.total));
      const single = await post(u + '/api/pull', { model: 'smollm2:135m', stream: false });
      assert.deepEqual([single.status, single.ctype, single.json()], [200, 'application/json', { status: 'success' }]);
    });

    it('reports an unknown pull as 200 + error line (stream) or 500 (stream:false)', async () => {
      const r = await raw(u + '/api/pull', 'POST', JSON.stringify({ model: 'does-not-exist' }));
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"status":"pulling manifest"}\n{"error":"pull model manifest: file does not exist"}\n');
      const s = await raw(u + '/api/pull', 'POST', JSON.stringify({ model: 'does-not-exist', stream: false }));
      assert.deepEqual([s.status, s.headers['content-type'], s.text], [500, 'application/json', '{"error":"pull model manifest: file does not exist"}']);
    });

    it('pushes a namespaced model and fails for a missing one', async () => {
      await post(u + '/api/copy', { source: 'all-minilm', destination: 'me/mini' });
      const lines = ndjson((await raw(u + '/api/push', 'POST', JSON.stringify({ model: 'me/mini' }))).text);
      assert.equal(lines[0].status, 'retrieving manifest');
      assert.ok(lines.some((l) => /^pushing [0-9a-f]{12}$/.test(l.status) && l.total));
      assert.deepEqual(lines.slice(-2).map((l) => l.status), ['pushing manifest', 'success']);
      const missing = ndjson((await raw(u + '/api/push', 'POST', JSON.stringify({ model: 'me/none' }))).text);
      assert.equal(missing[0].status, 'retrieving manifest');
      assert.match(missing[missing.length - 1].error, /no such file or directory/);
    });

    it('stores blobs by hashing the upload and creates a model from one', async () => {
      const data = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(1000, 7)]);
      const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
      assert.equal((await raw(u + '/api/blobs/' + digest, 'HEAD')).status, 404);
      const up = await raw(u + '/api/blobs/' + digest, 'POST', data);
      assert.deepEqual([up.status, up.text], [201, '']);
      assert.equal(server.blobs().get(digest), data.length);
      const head = await raw(u + '/api/blobs/' + digest, 'HEAD');
      assert.deepEqual([head.status, head.text], [200, '']);
      assert.equal((await raw(u + '/api/blobs/' + digest, 'POST', data)).status, 200);
      const other = 'sha256:' + 'a'.repeat(64);
      const mm = await raw(u + '/api/blobs/' + other, 'POST', data);
      assert.equal(mm.status, 400);
      assert.equal(JSON.parse(mm.text).error, `digest mismatch, expected "${other}", got "${digest}"`);
      assert.equal(JSON.parse((await raw(u + '/api/blobs/sha256:abc', 'POST', 'x')).text).error, 'invalid digest format');

      const created = ndjson((await raw(u + '/api/create', 'POST', JSON.stringify({ model: 'mine', files: { 'model.gguf': digest }, system: 'Be brief.' }))).text);
      const statuses = created.map((l) => l.status);
      assert.equal(statuses[0], 'parsing GGUF');
      assert.ok(statuses.some((s) => /^creating new layer sha256:[0-9a-f]{64}$/.test(s)));
      assert.deepEqual(statuses.slice(-2), ['writing manifest', 'success']);
      assert.ok(server.models().some((m) => m.name === 'mine:latest' && m.system === 'Be brief.'));
      const fromModel = await post(u + '/api/create', { model: 'mario', from: 'llama3.2', system: 'You are Mario.', parameters: { temperature: 0.7 }, stream: false });
      assert.deepEqual(fromModel.json(), { status: 'success' });
      const shown = (await post(u + '/api/show', { model: 'mario' })).json();
      assert.equal(shown.system, 'You are Mario.');
      assert.match(shown.parameters, /temperature {20}0\.7/);
      const missingBlob = ndjson((await raw(u + '/api/create', 'POST', JSON.stringify({ model: 'y', files: { 'model.gguf': other } }))).text);
      assert.match(missingBlob[missingBlob.length - 1].error, /no such file or directory/);
      const unknownFrom = ndjson((await raw(u + '/api/create', 'POST', JSON.stringify({ model: 'z', from: 'no-such-model' }))).text);
      assert.equal(unknownFrom[unknownFrom.length - 1].error, 'pull model manifest: file does not exist');
    });

    it('embeds with L2-normalized deterministic vectors', async () => {
      const a = (await post(u + '/api/embed', { model: 'all-minilm', input: ['hello', 'world'] })).json();
      assert.equal(a.embeddings.length, 2);
      assert.equal(a.embeddings[0].length, 384);
      const norm = Math.sqrt(a.embeddings[0].reduce((s: number, x: number) => s + x * x, 0));
      assert.ok(Math.abs(norm - 1) < 1e-5);
      const b = (await post(u + '/api/embed', { model: 'all-minilm', input: 'hello' })).json();
      assert.deepEqual(b.embeddings[0], a.embeddings[0]);
      assert.deepEqual((await post(u + '/api/embed', { model: 'all-minilm', input: [] })).json(), { model: 'all-minilm', embeddings: [] });
      assert.equal((await post(u + '/api/embed', { model: 'all-minilm', input: 'x', dimensions: 8 })).json().embeddings[0].length, 8);
      assert.equal((await post(u + '/api/embeddings', { model: 'all-minilm', prompt: 'x' })).json().embedding.length, 384);
    });
  });

  describe('faults', () => {
    it('chunkSizes [1] delivers one byte per chunk, splitting multi-byte characters', async () => {
      server.setFaults({ chunkSizes: [1] }, { path: '/api/generate' });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: '世界 🌍' }));
      assert.ok(r.chunks.length >= r.body.length * 0.9, `${r.chunks.length} chunks for ${r.body.length} bytes`);
      assert.ok(r.chunks.some((c) => c.length === 1 && c[0] >= 0x80), 'a lone UTF-8 byte');
      assert.equal(ndjson(r.text).map((o) => o.response).join(''), 'Echo: 世界 🌍');
    });

    it('chunkSizes cycle, CRLF and blank lines reframe the stream', async () => {
      server.setFaults({ chunkSizes: [3, 5, 7], crlf: true, blankLines: true }, { path: '/api/chat' });
      const r = await raw(u + '/api/chat', 'POST', JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c' }] }));
      assert.ok(r.chunks.every((c) => c.length <= 7) && r.chunks.length > 20);
      assert.ok(r.text.includes('}\r\n\r\n{'));
      assert.ok(!/[^\r]\n/.test(r.text), 'only CRLF');
      const objs = r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(objs[objs.length - 1].done, true);
    });

    it('hugeLineBytes streams a >= 1 MiB line whose text is part of the reply', async () => {
      server.setFaults({ hugeLineBytes: 1 << 20 });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'big one' }));
      const lines = r.text.split('\n').filter(Boolean);
      assert.ok(lines.some((l) => Buffer.byteLength(l) >= 1 << 20));
      const text = lines.map((l) => JSON.parse(l).response).join('');
      assert.equal(text, server.lastReplyText);
      assert.ok(text.startsWith('Echo: x') && text.endsWith('big one'));
    });

    it('errorAfterLines writes an in-band error and closes without done (200), or a real 500 before output', async () => {
      server.setFaults({ errorAfterLines: 2 }, { times: 1 });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: PROMPT }));
      assert.equal(r.status, 200);
      assert.equal(r.error, undefined);
      const lines = ndjson(r.text);
      assert.equal(lines.length, 3);
      assert.deepEqual(lines[2], { error: 'an error was encountered while running the model: unexpected EOF' });
      server.setFaults({ errorAfterLines: 0, errorMessage: 'boom' }, { times: 1 });
      const pre = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: PROMPT }));
      assert.deepEqual([pre.status, pre.text], [500, '{"error":"boom"}']);
      const ok = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: PROMPT }));
      assert.equal(ndjson(ok.text).pop().done, true, 'times: 1 expired');
    });

    it('dropAfterLines destroys the socket: the client sees a termination error', async () => {
      server.setFaults({ dropAfterLines: 2 }, { path: '/api/generate' });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: PROMPT }));
      assert.ok(r.error, 'node:http reports an error');
      assert.equal(r.text.split('\n').filter(Boolean).length, 2);
      const res = await fetch(u + '/api/generate', { method: 'POST', body: JSON.stringify({ model: 'llama3.2', prompt: PROMPT }) });
      await assert.rejects(res.text(), /terminated|other side closed|ECONNRESET/i);
      const rec = server.requests[server.requests.length - 1];
      assert.equal(rec.dropped, true);
      assert.equal(rec.aborted, false);
    });

    it('endWithoutDone ends cleanly without the done / success line', async () => {
      server.setFaults({ endWithoutDone: true });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'a b' }));
      assert.equal(r.error, undefined);
      assert.ok(ndjson(r.text).every((o) => o.done === false));
      const p = ndjson((await raw(u + '/api/pull', 'POST', JSON.stringify({ model: 'tinyllama' }))).text);
      assert.ok(p.every((o) => o.status !== 'success'));
    });

    it('malformedLineAfter injects a non-JSON line and continues', async () => {
      server.setFaults({ malformedLineAfter: 1 });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'a b c' }));
      const lines = r.text.split('\n').filter(Boolean);
      assert.equal(lines[1], 'garbage{');
      assert.equal(JSON.parse(lines[lines.length - 1]).done, true);
    });

    it('firstTokenDelayMs delays the status line and headers', async () => {
      server.setFaults({ firstTokenDelayMs: 120 }, { path: '/api/chat' });
      const r = await raw(u + '/api/chat', 'POST', JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] }));
      assert.ok(r.headersMs >= 110, `headers after ${r.headersMs} ms`);
      const rec = server.requests[server.requests.length - 1];
      assert.ok(rec.firstByteAt! - rec.startedAt >= 110);
    });

    it('status/body/contentType replace the handler (proxy 502, busy 503)', async () => {
      server.setFaults({ status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' }, { times: 1 });
      const r = await raw(u + '/api/tags', 'GET');
      assert.deepEqual([r.status, r.headers['content-type'], r.text], [502, 'text/html', '<html>Bad Gateway</html>']);
      server.setFaults({ status: 503, body: '{"error":"server busy, please try again.  maximum pending requests exceeded"}' }, { path: '/api/chat' });
      assert.equal((await raw(u + '/api/tags', 'GET')).status, 200);
      assert.equal((await raw(u + '/api/chat', 'POST', '{}')).status, 503);
    });

    it('applies faults to OpenAI SSE: in-band error becomes an empty chunk without [DONE]', async () => {
      server.setFaults({ errorAfterLines: 2 });
      const r = await raw(u + '/v1/chat/completions', 'POST', JSON.stringify({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'a b c d' }] }));
      const events = sse(r.text);
      assert.equal(events.length, 3);
      assert.ok(!events.includes('[DONE]'));
      assert.deepEqual(JSON.parse(events[2]).choices, [{ index: 0, delta: { content: '' }, finish_reason: null }]);
    });

    // The error forms of other OpenAI-compatible servers (see SseErrorDialect for the sources).
    const dialectTail: Record<string, string> = {
      llamacpp: 'data: {"error":{"code":500,"message":"boom","type":"server_error"}}\n\n',
      'llamacpp-legacy': 'error: {"code":500,"message":"boom","type":"server_error"}\n\ndata: [DONE]\n\n',
      vllm: 'data: {"error":{"message":"boom","type":"BadRequestError","param":null,"code":400}}\n\ndata: [DONE]\n\n',
      'vllm-legacy': 'data: {"object":"error","message":"boom","type":"BadRequestError","param":null,"code":400}\n\ndata: [DONE]\n\n',
      litellm: 'data: {"error":{"message":"boom","type":"None","param":"None","code":"500"}}\n\n',
      lmstudio: 'data: {"error":{"message":"boom"}}\n\n',
      'event-error': 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\n',
      string: 'data: {"error":"boom"}\n\n',
    };
    for (const [dialect, tail] of Object.entries(dialectTail)) {
      it(`sseErrorDialect ${dialect}: two content events, then exactly the server's error bytes`, async () => {
        server.setFaults({ errorAfterLines: 2, errorMessage: 'boom', sseErrorDialect: dialect as SseErrorDialect });
        const r = await raw(u + '/v1/chat/completions', 'POST', JSON.stringify({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'a b c d' }] }));
        assert.equal(r.status, 200);
        assert.ok(r.text.endsWith(tail), r.text.slice(-300));
        assert.equal(sse(r.text.slice(0, -tail.length)).length, 2);
      });
    }

    it('nonObjectLineAfter writes a valid JSON line that is not an object (NDJSON and SSE), then continues', async () => {
      server.setFaults({ nonObjectLineAfter: 1, nonObjectLine: '[]' }, { times: 1 });
      const r = await raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'a b c' }));
      const lines = r.text.split('\n').filter(Boolean);
      assert.equal(lines[1], '[]');
      assert.equal(JSON.parse(lines.at(-1)!).done, true);
      server.setFaults({ nonObjectLineAfter: 1, nonObjectLine: '42' }, { times: 1 });
      const s = await raw(u + '/v1/chat/completions', 'POST', JSON.stringify({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'a b' }] }));
      assert.equal(sse(s.text)[1], '42');
    });

    it('holdUntil holds the status line until released; pauses stop mid-stream until released', async () => {
      let release!: () => void;
      server.setFaults({ holdUntil: new Promise<void>((r) => { release = r; }) }, { path: '/api/generate', times: 1 });
      const held = raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'x' }));
      const rec = await server.waitForRequest((q) => q.path === '/api/generate');
      await sleep(50);
      assert.equal(rec.firstByteAt, undefined);
      release();
      assert.equal((await held).status, 200);
      let go!: () => void;
      server.setFaults({ pauses: [{ afterLines: 2, until: new Promise<void>((r) => { go = r; }) }] }, { path: '/api/generate', times: 1 });
      const paused = raw(u + '/api/generate', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'one two three four five' }));
      const rec2 = await server.waitForRequest((q) => q.path === '/api/generate' && q !== rec);
      while (rec2.linesWritten < 2) await sleep(5);
      await sleep(50);
      assert.equal(rec2.linesWritten, 2);
      go();
      assert.ok(ndjson((await paused).text).at(-1).done);
    });

    it('headers go out with a status fault (Retry-After on a 429)', async () => {
      server.setFaults({ status: 429, body: '{"error":"slow down"}', headers: { 'Retry-After': '3' } }, { times: 1 });
      const r = await raw(u + '/api/tags', 'GET');
      assert.equal(r.status, 429);
      assert.equal(r.headers['retry-after'], '3');
    });
  });

  describe('aborts', () => {
    it('records a client abort mid-stream within milliseconds and stops generating', async () => {
      server.setFaults({ tokenDelayMs: 25 });
      const ac = new AbortController();
      const res = await fetch(u + '/api/generate', { method: 'POST', body: JSON.stringify({ model: 'llama3.2', prompt: PROMPT }), signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      const rec = await server.waitForRequest((r) => r.path === '/api/generate');
      const t0 = performance.now();
      ac.abort();
      await reader.read().catch(() => undefined);
      const closedAt = await server.waitForClose(rec, 1000);
      assert.ok(closedAt - t0 < 100, `server saw the close after ${closedAt - t0} ms`);
      assert.equal(rec.aborted, true);
      const written = rec.linesWritten;
      assert.ok(written < 6);
      await sleep(80);
      assert.equal(rec.linesWritten, written, 'no writes after close');
    });

    it('can be aborted while waiting for headers (model load)', async () => {
      server.setFaults({ firstTokenDelayMs: 2000 });
      const ac = new AbortController();
      const p = fetch(u + '/api/chat', { method: 'POST', body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] }), signal: ac.signal });
      const rec = await server.waitForRequest((r) => r.path === '/api/chat');
      await sleep(20);
      ac.abort();
      await assert.rejects(p);
      await server.waitForClose(rec, 500);
      assert.equal(rec.aborted, true);
      assert.equal(rec.status, undefined);
    });
  });

  describe('OpenAI-compatible endpoints', () => {
    it('streams chat completions as SSE with role first, finish chunk, usage and [DONE]', async () => {
      const r = await raw(u + '/v1/chat/completions', 'POST', JSON.stringify({ model: 'llama3.2', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi 🌍' }] }));
      assert.equal(r.headers['content-type'], 'text/event-stream');
      const events = sse(r.text);
      assert.equal(events[events.length - 1], '[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.ok(chunks.slice(1).every((c) => !c.choices[0] || !('role' in c.choices[0].delta)));
      const finish = chunks[chunks.length - 2];
      assert.deepEqual(finish.choices[0], { index: 0, delta: {}, finish_reason: 'stop' });
      const usage = chunks[chunks.length - 1];
      assert.deepEqual(usage.choices, []);
      assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + usage.usage.completion_tokens);
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'You said: hi 🌍');
      assert.ok(chunks.every((c) => c.id === chunks[0].id && /^chatcmpl-\d+$/.test(c.id)));
    });

    it('answers non-streamed completions, errors, models and embeddings in OpenAI shapes', async () => {
      const c = await post(u + '/v1/chat/completions', { model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(c.ctype, 'application/json');
      assert.equal(c.json().object, 'chat.completion');
      assert.equal(c.json().choices[0].message.content, 'You said: x');
      const nf = await post(u + '/v1/chat/completions', { model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.json(), { error: { message: "model 'gpt-4' not found", type: 'not_found_error', param: null, code: null } });
      const empty = await post(u + '/v1/chat/completions', { model: 'llama3.2', messages: [] });
      assert.deepEqual([empty.status, empty.json().error.message, empty.json().error.type], [400, "[] is too short - 'messages'", 'invalid_request_error']);
      const comp = await raw(u + '/v1/completions', 'POST', JSON.stringify({ model: 'llama3.2', prompt: 'a b', stream: true }));
      const ev = sse(comp.text);
      assert.equal(ev[ev.length - 1], '[DONE]');
      assert.equal(JSON.parse(ev[ev.length - 2]).choices[0].finish_reason, 'stop');
      const emb = (await post(u + '/v1/embeddings', { model: 'all-minilm', input: 'x' })).json();
      assert.deepEqual([emb.object, emb.data[0].object, emb.data[0].embedding.length], ['list', 'embedding', 384]);
      const models = (await post(u + '/v1/models', undefined, 'GET')).json();
      assert.ok(models.data.some((m: any) => m.id === 'llama3.2:latest' && m.owned_by === 'library'));
      server.setModels([]);
      assert.deepEqual((await post(u + '/v1/models', undefined, 'GET')).json(), { object: 'list', data: null });
      assert.deepEqual((await post(u + '/api/tags', undefined, 'GET')).json(), { models: [] });
    });
  });

  describe('deployment shapes', () => {
    it('serves under a basePath and enforces required headers', async () => {
      const s = await OllamaTestServer.start({ basePath: '/ollama', requireHeaders: { Authorization: 'Bearer t0k' } });
      try {
        assert.ok(s.url.endsWith('/ollama'));
        const outside = await raw(`http://127.0.0.1:${s.port}/api/tags`, 'GET');
        assert.deepEqual([outside.status, outside.text], [404, '404 page not found']);
        const noAuth = await raw(s.url + '/api/tags', 'GET');
        assert.deepEqual([noAuth.status, noAuth.text], [401, '{"error":"unauthorized"}']);
        const ok = await raw(s.url + '/api/tags', 'GET', undefined, { Authorization: 'Bearer t0k' });
        assert.equal(ok.status, 200);
        assert.equal(s.requests[s.requests.length - 1].path, '/api/tags');
      } finally {
        await s.close();
      }
    });

    it('runs standalone via serve.js and stops on SIGTERM', async function () {
      this.timeout(5000);
      const script = path.join(__dirname, '..', 'support', 'serve.js');
      const child = spawn(process.execPath, [script, '--token-delay-ms', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      assert.match(line, /^OLLAMA_TEST_SERVER http:\/\/127\.0\.0\.1:\d+\n$/);
      const url = line.trim().split(' ')[1];
      assert.equal(await (await fetch(url + '/')).text(), 'Ollama is running');
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    });
  });
});
