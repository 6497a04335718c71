import * as assert from 'assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildCreateRequest, finalizeCreateRequest, ModelfileBuildError, parseModelfile, uploadModelFiles,
  type BlobClient, type BuildOptions, type FileInfo,
} from '../../src/core/modelfile';

const DIR = path.resolve('/models/mine');
const HOME = path.resolve('/home/me');

/** An in-memory tree: paths ending in '/' are directories. */
function fakeFs(paths: string[]): Pick<BuildOptions, 'stat' | 'readdir'> {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(p);
    if (p.endsWith('/')) dirs.add(abs); else files.add(abs);
    for (let d = path.dirname(abs); d !== path.dirname(d); d = path.dirname(d)) dirs.add(d);
  }
  return {
    stat: (p): FileInfo | undefined => (files.has(p) ? { isFile: true, isDirectory: false } : dirs.has(p) ? { isFile: false, isDirectory: true } : undefined),
    readdir: (p) => [...files, ...dirs].filter((x) => path.dirname(x) === p && x !== p).map((x) => path.basename(x)),
  };
}

async function build(text: string, tree: string[], extra: Partial<BuildOptions> = {}) {
  return buildCreateRequest('mine', parseModelfile(text), { modelfileDir: DIR, homeDir: HOME, ...fakeFs(tree), ...extra });
}

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);

describe('buildCreateRequest', () => {
  it('FROM a model name → from (a name is not looked up as a path unless something is there)', async () => {
    const d = await build('FROM qwen2.5-coder:1.5b\n', []);
    assert.deepStrictEqual(d, { request: { model: 'mine', from: 'qwen2.5-coder:1.5b' }, uploads: [] });
    const hf = await build('FROM hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M\n', []);
    assert.strictEqual(hf.request.from, 'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M');
  });

  it('FROM ./x.gguf resolves against the Modelfile directory and becomes files after upload', async () => {
    const d = await build('FROM ./weights/x.gguf\n', [`${DIR}/weights/x.gguf`]);
    assert.deepStrictEqual(d.request, { model: 'mine' });
    assert.deepStrictEqual(d.uploads, [{ path: path.join(DIR, 'weights', 'x.gguf'), field: 'files', name: 'x.gguf', line: 1 }]);
    const req = finalizeCreateRequest(d, new Map([[path.join(DIR, 'weights', 'x.gguf'), D1]]));
    assert.deepStrictEqual(req, { model: 'mine', files: { 'x.gguf': D1 } });
  });

  it('FROM a bare x.gguf that exists, an absolute path, and a ~ path', async () => {
    const bare = await build('FROM x.gguf\n', [`${DIR}/x.gguf`]);
    assert.strictEqual(bare.uploads[0].path, path.join(DIR, 'x.gguf'));
    const abs = await build(`FROM ${path.resolve('/data/llm/big.gguf')}\n`, ['/data/llm/big.gguf']);
    assert.strictEqual(abs.uploads[0].path, path.resolve('/data/llm/big.gguf'));
    assert.strictEqual(abs.uploads[0].name, 'big.gguf');
    const home = await build('FROM ~/llm/h.gguf\n', [`${HOME}/llm/h.gguf`]);
    assert.strictEqual(home.uploads[0].path, path.join(HOME, 'llm', 'h.gguf'));
    const parent = await build('FROM ../shared/p.gguf\n', [path.join(DIR, '..', 'shared', 'p.gguf')]);
    assert.strictEqual(parent.uploads[0].path, path.resolve(DIR, '../shared/p.gguf'));
  });

  it('a missing file that is plainly a path is an error with the line, not a pull', async () => {
    for (const from of ['./missing.gguf', 'missing.gguf', '/abs/missing.gguf', '~/missing.gguf']) {
      await assert.rejects(build(`# c\nFROM ${from}\n`, []), (e: unknown) => {
        assert.ok(e instanceof ModelfileBuildError);
        assert.strictEqual(e.line, 2);
        assert.match(e.message, /no such file or directory/);
        return true;
      }, from);
    }
  });

  it('ADAPTER <path> → adapters; a missing adapter is an error', async () => {
    const d = await build('FROM llama3.2\nADAPTER ./lora/adapter.gguf\n', [`${DIR}/lora/adapter.gguf`]);
    assert.deepStrictEqual(d.uploads, [{ path: path.join(DIR, 'lora', 'adapter.gguf'), field: 'adapters', name: 'adapter.gguf', line: 2 }]);
    assert.deepStrictEqual(finalizeCreateRequest(d, new Map([[d.uploads[0].path, D2]])),
      { model: 'mine', from: 'llama3.2', adapters: { 'adapter.gguf': D2 } });
    await assert.rejects(build('FROM llama3.2\nADAPTER nope.gguf\n', []), /line 2.*ADAPTER nope\.gguf: no such file/);
  });

  it('a later ADAPTER replaces an earlier one (the server takes one)', async () => {
    const d = await build('FROM m\nADAPTER a.gguf\nADAPTER b.gguf\n', [`${DIR}/a.gguf`, `${DIR}/b.gguf`]);
    assert.deepStrictEqual(d.uploads.map((u) => u.name), ['b.gguf']);
  });

  it('DRAFT <path> → draft_files, and may not be the FROM file', async () => {
    const d = await build('FROM m.gguf\nDRAFT small.gguf\n', [`${DIR}/m.gguf`, `${DIR}/small.gguf`]);
    const req = finalizeCreateRequest(d, new Map([[path.join(DIR, 'm.gguf'), D1], [path.join(DIR, 'small.gguf'), D2]]));
    assert.deepStrictEqual(req, { model: 'mine', files: { 'm.gguf': D1 }, draft_files: { 'small.gguf': D2 } });
    await assert.rejects(build('FROM m.gguf\nDRAFT ./m.gguf\n', [`${DIR}/m.gguf`]), /DRAFT must not reference the same local path as FROM/);
  });

  it('a safetensors directory uploads its weights, configs and tokenizer, named relative to it', async () => {
    const m = `${DIR}/hf`;
    const d = await build('FROM ./hf\n', [
      `${m}/model-00002-of-00002.safetensors`, `${m}/model-00001-of-00002.safetensors`, `${m}/config.json`,
      `${m}/tokenizer.json`, `${m}/tokenizer.model`, `${m}/chat_template.jinja`, `${m}/README.md`, `${m}/1_Pooling/config.json`,
      `${m}/pytorch_model.bin`,
    ]);
    assert.deepStrictEqual(d.uploads.map((u) => u.name), [
      'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'config.json', 'tokenizer.json',
      '1_Pooling/config.json', 'chat_template.jinja', 'tokenizer.model',
    ]);
    assert.strictEqual(d.uploads[4].path, path.join(m, '1_Pooling', 'config.json'));
    assert.ok(d.uploads.every((u) => u.field === 'files'));
  });

  it('a directory of gguf files, and one with no weights', async () => {
    const g = await build('FROM ./g\n', [`${DIR}/g/a.gguf`, `${DIR}/g/notes.txt`]);
    assert.deepStrictEqual(g.uploads.map((u) => u.name), ['a.gguf']);
    await assert.rejects(build('FROM ./empty\n', [`${DIR}/empty/readme.txt`]), /no model files in/);
  });

  it('TEMPLATE, SYSTEM, PARAMETERs, MESSAGEs, LICENSE (one → string, several → array), RENDERER, PARSER, REQUIRES', async () => {
    const one = await build('FROM m\nLICENSE MIT\n', []);
    assert.strictEqual(one.request.license, 'MIT');
    const d = await build([
      'FROM m', 'TEMPLATE """{{ .Prompt }}"""', 'SYSTEM s1', 'SYSTEM s2', 'PARAMETER num_ctx 2048', 'PARAMETER num_ctx 4096',
      'PARAMETER stop a', 'PARAMETER use_mmap true', 'PARAMETER stop b', 'MESSAGE user q', 'MESSAGE assistant a',
      'LICENSE one', 'LICENSE """two"""', 'RENDERER r', 'PARSER p', 'REQUIRES v0.14.1',
    ].join('\n'), [], { quantize: 'q4_K_M' });
    assert.deepStrictEqual(d.request, {
      model: 'mine', from: 'm', parameters: { num_ctx: 4096, stop: ['a', 'b'], use_mmap: true }, template: '{{ .Prompt }}', system: 's2',
      messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }], license: ['one', 'two'],
      renderer: 'r', parser: 'p', requires: '0.14.1', quantize: 'q4_K_M',
    });
  });

  it('refuses a Modelfile with parse errors, pointing at the first', async () => {
    await assert.rejects(build('FROM m\nPARAMETER nope 1\nBAD\n', []), (e: unknown) => {
      assert.ok(e instanceof ModelfileBuildError);
      assert.strictEqual(e.line, 2);
      assert.strictEqual(e.errors.length, 2);
      assert.match(e.message, /unknown parameter 'nope' \(and 1 more\)/);
      return true;
    });
  });

  it('finalizeCreateRequest needs a digest for every upload and does not touch the draft', async () => {
    const d = await build('FROM x.gguf\n', [`${DIR}/x.gguf`]);
    assert.throws(() => finalizeCreateRequest(d, new Map()), /no digest for/);
    assert.throws(() => finalizeCreateRequest(d, new Map([[d.uploads[0].path, 'sha256:xyz']])), /bad digest/);
    finalizeCreateRequest(d, new Map([[d.uploads[0].path, D1]]));
    assert.deepStrictEqual(d.request, { model: 'mine' });
  });

  describe('with real files', () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfile-create-'));
      fs.mkdirSync(path.join(tmp, 'lora'));
      fs.writeFileSync(path.join(tmp, 'model.gguf'), Buffer.from('GGUF fake weights '.repeat(1000)));
      fs.writeFileSync(path.join(tmp, 'lora', 'adapter.gguf'), Buffer.from('GGUF fake adapter'));
      fs.writeFileSync(path.join(tmp, 'Modelfile'), 'FROM ./model.gguf\nADAPTER lora/adapter.gguf\nPARAMETER temperature 0.1\n');
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('plans, uploads (HEAD then POST when missing) and finalizes with digests of the real bytes', async () => {
      const parsed = parseModelfile(fs.readFileSync(path.join(tmp, 'Modelfile'), 'utf8'));
      const draft = await buildCreateRequest('mine', parsed, { modelfileDir: tmp, homeDir: os.homedir() });
      const calls: string[] = [];
      const stored = new Map<string, Buffer>();
      const client: BlobClient = {
        hasBlob: async (digest) => { calls.push(`HEAD ${digest}`); return stored.has(digest); },
        uploadBlob: async (digest, data) => {
          calls.push(`POST ${digest}`);
          const parts: Uint8Array[] = [];
          for await (const c of data as AsyncIterable<Uint8Array>) parts.push(c);
          stored.set(digest, Buffer.concat(parts));
        },
      };
      const digests = await uploadModelFiles(client, draft.uploads);
      const sha = (p: string) => 'sha256:' + createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      const model = sha(path.join(tmp, 'model.gguf'));
      const adapter = sha(path.join(tmp, 'lora', 'adapter.gguf'));
      assert.deepStrictEqual(calls, [`HEAD ${model}`, `POST ${model}`, `HEAD ${adapter}`, `POST ${adapter}`]);
      assert.deepStrictEqual(stored.get(model), fs.readFileSync(path.join(tmp, 'model.gguf')));
      assert.deepStrictEqual(finalizeCreateRequest(draft, digests), {
        model: 'mine', files: { 'model.gguf': model }, adapters: { 'adapter.gguf': adapter }, parameters: { temperature: 0.1 },
      });
    });
  });
});
