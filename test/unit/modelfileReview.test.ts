// What a Modelfile from a repository may make us upload: hostile FROM/ADAPTER/DRAFT paths (system
// files, home-directory secrets, symlinks out of the folder, a directory hiding a non-model file, a
// misnamed file) are refused before anything is hashed; real model files pass with their real
// path, size and whether they are outside the Modelfile's folder.
import * as assert from 'assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildCreateRequest, ggufByteOrder, isSentencePiece, jsonProblem, JSON_PARSE_MAX, ModelfileBuildError, parseModelfile, reviewUploads,
  safetensorsProblem, textProblem, uploadModelFiles, UploadRefusedError, type BlobClient, type RefusalCode, type ReviewedDraft,
} from '../../src/core/modelfile';

/** A minimal GGUF v3 header (no tensors, no metadata) plus `extra` bytes. */
export function ggufBytes(extra = 64, version = 3): Buffer {
  const h = Buffer.alloc(24);
  h.write('GGUF', 0, 'latin1');
  h.writeUInt32LE(version, 4);
  return Buffer.concat([h, Buffer.alloc(extra, 7)]);
}

/** A valid safetensors file with one F32 tensor of `n` elements. */
export function safetensorsBytes(n = 4, header?: string): Buffer {
  const json = Buffer.from(header ?? JSON.stringify({ __metadata__: { format: 'pt' }, 'w.weight': { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(4 * n, 1)]);
}

const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';

describe('modelfile upload review (hostile Modelfiles)', () => {
  let tmp: string;
  let repo: string;
  let home: string;
  let elsewhere: string;

  const write = (p: string, data: string | Buffer) => { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, data); return p; };

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'modelfile-review-')));
    repo = path.join(tmp, 'repo');
    home = path.join(tmp, 'home');
    elsewhere = path.join(tmp, 'elsewhere');
    write(path.join(home, '.ssh', 'id_rsa'), PEM);
    write(path.join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n');
    write(path.join(elsewhere, 'real.gguf'), ggufBytes(1000));
    write(path.join(repo, 'ok.gguf'), ggufBytes(100));
    fs.mkdirSync(repo, { recursive: true });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Plan and review a Modelfile in `dir` (default: the repository), counting blob traffic that must never happen. */
  async function review(text: string, dir = repo): Promise<ReviewedDraft> {
    const draft = await buildCreateRequest('evil', parseModelfile(text), { modelfileDir: dir, homeDir: home });
    return reviewUploads(draft, { modelfileDir: dir });
  }

  async function refused(text: string, codes: RefusalCode[], file?: string, line = 1, dir = repo): Promise<UploadRefusedError> {
    let err: unknown;
    try { await review(text, dir); } catch (e) { err = e; }
    assert.ok(err instanceof UploadRefusedError, `${text.trim()}: expected a refusal, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `${text.trim()}: code ${err.code}, expected ${codes.join('|')}`);
    if (file) assert.strictEqual(err.path, file);
    assert.strictEqual(err.line, line, 'the refusal points at the instruction');
    assert.ok(err instanceof ModelfileBuildError, 'a build error: the editor marks the line');
    return err;
  }

  it('FROM ../../../../etc/passwd is refused: not a model file', async () => {
    const deep = path.join(tmp, 'a');
    fs.mkdirSync(deep, { recursive: true });
    // From /tmp/<x>/a, four levels up is the root whatever the temp directory is.
    const up = '../'.repeat(path.resolve(deep).split(path.sep).length) + 'etc/passwd';
    await refused(`FROM ${up}\n`, ['notGguf'], '/etc/passwd', 1, deep);
    await refused('FROM ../../../../../../../../../../etc/passwd\n', ['notGguf'], '/etc/passwd');
  });

  it('FROM ~/.ssh/id_rsa and ~/.aws/credentials are refused', async () => {
    await refused('FROM ~/.ssh/id_rsa\n', ['notGguf'], path.join(home, '.ssh', 'id_rsa'));
    await refused('# comment\nFROM ~/.aws/credentials\n', ['notGguf'], path.join(home, '.aws', 'credentials'), 2);
  });

  it('ADAPTER /etc/shadow is refused (not a model file, or not even readable)', async function () {
    if (!fs.existsSync('/etc/shadow')) this.skip();
    await refused('FROM llama3.2\nADAPTER /etc/shadow\n', ['notGguf', 'unreadable'], '/etc/shadow', 2);
  });

  it('a symlink in the repository pointing at ~/.ssh/id_rsa is judged by its target and refused', async () => {
    fs.symlinkSync(path.join(home, '.ssh', 'id_rsa'), path.join(repo, 'model.gguf'));
    try {
      await refused('FROM ./model.gguf\n', ['notGguf'], path.join(home, '.ssh', 'id_rsa'));
      await refused('FROM llama3.2\nADAPTER model.gguf\n', ['notGguf'], path.join(home, '.ssh', 'id_rsa'), 2);
      await refused('FROM m\nDRAFT model.gguf\n', ['notGguf'], path.join(home, '.ssh', 'id_rsa'), 2);
    } finally { fs.rmSync(path.join(repo, 'model.gguf')); }
  });

  it('a symlink to a real GGUF elsewhere passes, marked outside the folder, with its real path and size', async () => {
    fs.symlinkSync(path.join(elsewhere, 'real.gguf'), path.join(repo, 'linked.gguf'));
    try {
      const r = await review('FROM ./linked.gguf\nADAPTER ./ok.gguf\n');
      assert.deepStrictEqual(r.uploads.map((u) => ({ name: u.name, path: u.path, requestedPath: u.requestedPath, size: u.size, kind: u.kind, outside: u.outside, viaSymlink: u.viaSymlink })), [
        { name: 'linked.gguf', path: path.join(elsewhere, 'real.gguf'), requestedPath: path.join(repo, 'linked.gguf'), size: 1024, kind: 'gguf', outside: true, viaSymlink: true },
        { name: 'ok.gguf', path: path.join(repo, 'ok.gguf'), requestedPath: path.join(repo, 'ok.gguf'), size: 124, kind: 'gguf', outside: false, viaSymlink: false },
      ]);
      assert.strictEqual(r.totalBytes, 1024 + 124);
      assert.strictEqual(r.folder, repo);
    } finally { fs.rmSync(path.join(repo, 'linked.gguf')); }
  });

  it('a file named x.gguf that is not GGUF is refused, whatever it holds', async () => {
    const cases: Array<[string, Buffer | string]> = [
      ['text.gguf', 'just some text that is long enough\n'],
      ['pem.gguf', PEM],
      ['ggml.gguf', Buffer.concat([Buffer.from('ggml'), Buffer.alloc(60)])],
      ['v0.gguf', ggufBytes(10, 0)],
      ['v9.gguf', ggufBytes(10, 9)],
      ['short.gguf', 'GGU'],
    ];
    for (const [name, data] of cases) {
      write(path.join(repo, 'bad', name), data);
      await refused(`FROM ./bad/${name}\n`, ['notGguf'], path.join(repo, 'bad', name));
    }
    write(path.join(repo, 'bad', 'empty.gguf'), '');
    await refused('FROM ./bad/empty.gguf\n', ['empty']);
  });

  it('a directory that hides a non-model file among model files is refused at that file', async () => {
    const d = path.join(repo, 'hf');
    write(path.join(d, 'model.safetensors'), safetensorsBytes());
    write(path.join(d, 'tokenizer.json'), '{"model":{}}');
    fs.symlinkSync(path.join(home, '.ssh', 'id_rsa'), path.join(d, 'config.json'));
    try {
      await refused('FROM ./hf\n', ['notJson'], path.join(home, '.ssh', 'id_rsa'));
    } finally { fs.rmSync(path.join(d, 'config.json')); }
    write(path.join(d, 'config.json'), '[default]\naws_secret_access_key = x\n');
    await refused('FROM ./hf\n', ['notJson'], path.join(d, 'config.json'));
    write(path.join(d, 'config.json'), '{"architectures":["LlamaForCausalLM"]}');
    write(path.join(d, 'chat_template.jinja'), Buffer.from([0xff, 0xfe, 0, 0x41]));
    await refused('FROM ./hf\n', ['notText'], path.join(d, 'chat_template.jinja'));
    write(path.join(d, 'chat_template.jinja'), '{{ messages }}');
    write(path.join(d, 'tokenizer.model'), PEM);
    await refused('FROM ./hf\n', ['notTokenizer'], path.join(d, 'tokenizer.model'));
    write(path.join(d, 'tokenizer.model'), Buffer.from([0x0a, 0x0b, 0x0a, 0x05, 0x3c, 0x75, 0x6e, 0x6b, 0x3e]));
    // A gguf directory whose "weights" are a key.
    write(path.join(repo, 'gg', 'weights.gguf'), PEM);
    write(path.join(repo, 'gg', 'notes.txt'), 'notes are not uploaded');
    await refused('FROM ./gg\n', ['notGguf'], path.join(repo, 'gg', 'weights.gguf'));

    // Fixed, the directory passes: every file listed, nothing else (README, notes) taken.
    const ok = await review('FROM ./hf\n');
    assert.deepStrictEqual(ok.uploads.map((u) => [u.name, u.kind, u.outside]), [
      ['model.safetensors', 'safetensors', false], ['config.json', 'json', false], ['tokenizer.json', 'json', false],
      ['chat_template.jinja', 'text', false], ['tokenizer.model', 'sentencepiece', false],
    ]);
  });

  it('a directory with no weights, a device and a FIFO are refused without being read', async () => {
    write(path.join(repo, 'empty', 'readme.txt'), 'nothing here');
    await assert.rejects(review('FROM ./empty\n'), /no model files in/);
    await assert.rejects(review('FROM /dev/zero\n'), /neither a file nor a directory/);
    const fifo = path.join(repo, 'pipe', 'x.gguf');
    fs.mkdirSync(path.dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(review('FROM ./pipe/x.gguf\n'), /neither a file nor a directory/);
    // Reviewed directly (a plan made before the file became a FIFO): refused, never opened.
    const draft = { request: { model: 'evil' }, uploads: [{ path: fifo, field: 'files' as const, name: 'x.gguf', line: 1 }] };
    await assert.rejects(reviewUploads(draft, { modelfileDir: repo }), (e: unknown) => e instanceof UploadRefusedError && e.code === 'notRegular');
  });

  it('safetensors: a lone file points at its directory; a set needs config.json (adapter_config.json for an adapter)', async () => {
    write(path.join(repo, 'st', 'model.safetensors'), safetensorsBytes());
    await refused('FROM ./st/model.safetensors\n', ['safetensorsFile']);
    await refused('FROM ./st\n', ['missingConfig'], path.join(repo, 'st'));
    // A PEFT adapter directory (adapter_model.safetensors), which the CLI misses, with its config.
    write(path.join(repo, 'lora', 'adapter_model.safetensors'), safetensorsBytes());
    await refused('FROM llama3.2\nADAPTER ./lora\n', ['missingConfig'], path.join(repo, 'lora'), 2);
    write(path.join(repo, 'lora', 'adapter_config.json'), '{"r":8,"lora_alpha":16}');
    const r = await review('FROM llama3.2\nADAPTER ./lora\n');
    assert.deepStrictEqual(r.uploads.map((u) => [u.field, u.name, u.kind]), [['adapters', 'adapter_model.safetensors', 'safetensors'], ['adapters', 'adapter_config.json', 'json']]);
    // Two GGUF adapters: the server takes one.
    write(path.join(repo, 'two', 'a.gguf'), ggufBytes());
    write(path.join(repo, 'two', 'b.gguf'), ggufBytes());
    await refused('FROM llama3.2\nADAPTER ./two\n', ['oneAdapter'], path.join(repo, 'two'), 2);
  });

  it('PyTorch weights and Git LFS pointers are refused with what to do', async () => {
    write(path.join(repo, 'pt', 'pytorch_model.bin'), Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100)]));
    write(path.join(repo, 'pt', 'config.json'), '{}');
    await refused('FROM ./pt\n', ['pytorch']);
    write(path.join(repo, 'lfs', 'model.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    write(path.join(repo, 'lfs', 'config.json'), '{}');
    await refused('FROM ./lfs\n', ['lfsPointer']);
  });

  it('a refused Modelfile uploads nothing: the refusal comes before any hashing or blob request', async () => {
    const calls: string[] = [];
    const client: BlobClient = { hasBlob: async (d) => { calls.push(`HEAD ${d}`); return false; }, uploadBlob: async (d) => { calls.push(`POST ${d}`); } };
    for (const text of ['FROM ~/.ssh/id_rsa\n', 'FROM ./ok.gguf\nADAPTER ~/.aws/credentials\n']) {
      const draft = await buildCreateRequest('evil', parseModelfile(text), { modelfileDir: repo, homeDir: home });
      await assert.rejects(async () => uploadModelFiles(client, (await reviewUploads(draft, { modelfileDir: repo })).uploads), UploadRefusedError);
    }
    assert.deepStrictEqual(calls, []);
  });

  it('a reviewed file that changes size before the upload is refused', async () => {
    const f = write(path.join(repo, 'grow', 'g.gguf'), ggufBytes(10));
    const r = await review('FROM ./grow/g.gguf\n');
    fs.appendFileSync(f, 'more');
    const client: BlobClient = { hasBlob: async () => false, uploadBlob: async () => assert.fail('must not upload') };
    await assert.rejects(uploadModelFiles(client, r.uploads.map((u) => ({ path: u.path, name: u.name, size: u.size }))), /changed after it was checked/);
  });
});

describe('model file sniffers', () => {
  it('ggufByteOrder: GGUF v1–3 either byte order, Ollama\'s FUGG, nothing else', () => {
    const head = (magic: string, v: number, le: boolean) => { const b = Buffer.alloc(8); b.write(magic, 0, 'latin1'); if (le) b.writeUInt32LE(v, 4); else b.writeUInt32BE(v, 4); return b; };
    const table: Array<[Buffer, 'le' | 'be' | undefined]> = [
      [head('GGUF', 1, true), 'le'], [head('GGUF', 2, true), 'le'], [head('GGUF', 3, true), 'le'],
      [head('GGUF', 3, false), 'be'], [head('FUGG', 3, false), 'be'],
      [head('GGUF', 0, true), undefined], [head('GGUF', 4, true), undefined], [head('FUGG', 3, true), undefined],
      [head('GGML', 3, true), undefined], [head('ggjt', 3, true), undefined], [Buffer.from('GGUF'), undefined], [Buffer.alloc(0), undefined],
    ];
    for (const [b, want] of table) assert.strictEqual(ggufByteOrder(b), want, b.toString('hex'));
  });

  describe('with files', () => {
    let tmp: string;
    before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sniff-')); });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const file = (name: string, data: Buffer | string) => { const p = path.join(tmp, name); fs.writeFileSync(p, data); return p; };
    const check = async (name: string, data: Buffer) => safetensorsProblem(file(name, data), data.length);

    it('safetensorsProblem: valid headers pass; wrong lengths, non-JSON, bad tensors and metadata fail', async () => {
      assert.strictEqual(await check('ok.safetensors', safetensorsBytes()), undefined);
      assert.strictEqual(await check('padded.safetensors', safetensorsBytes(2, '{"a":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,8]}}    ')), undefined);
      const huge = safetensorsBytes(); huge.writeBigUInt64LE(200_000_000n);
      assert.match((await check('huge.safetensors', huge))!, /out of range/);
      const past = safetensorsBytes(); past.writeBigUInt64LE(5000n);
      assert.match((await check('past.safetensors', past))!, /past the end/);
      assert.match((await check('pem.safetensors', Buffer.from(PEM)))!, /out of range|past the end/);
      assert.match((await check('notjson.safetensors', safetensorsBytes(4, '{not json}')))!, /not JSON/);
      assert.match((await check('array.safetensors', safetensorsBytes(4, '[1,2,3]')))!, /not a JSON object/);
      assert.match((await check('offsets.safetensors', safetensorsBytes(4, '{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,999]}}')))!, /not described/);
      assert.match((await check('dtype.safetensors', safetensorsBytes(4, '{"w":{"shape":[4],"data_offsets":[0,16]}}')))!, /not described/);
      assert.match((await check('meta.safetensors', safetensorsBytes(4, '{"__metadata__":{"a":1}}')))!, /__metadata__/);
      assert.match((await check('tiny.safetensors', Buffer.from('abc')))!, /too short/);
    });

    it('jsonProblem: small files parsed; large ones streamed (UTF-8, no controls, braces)', async () => {
      const j = (name: string, s: string | Buffer) => { const p = file(name, s); return jsonProblem(p, fs.statSync(p).size); };
      assert.strictEqual(await j('a.json', '{"a": 1}'), undefined);
      assert.strictEqual(await j('b.json', '\ufeff[1, 2]'), undefined);
      assert.ok(await j('c.json', '"just a string"'));
      assert.ok(await j('d.json', '[default]\nkey = value\n'));
      assert.ok(await j('e.json', Buffer.from([0x7b, 0xff, 0x7d])));
      const big = '{"vocab": {' + Array.from({ length: 400_000 }, (_, i) => `"t${i}": ${i}`).join(', ') + '}}';
      assert.ok(big.length > JSON_PARSE_MAX);
      assert.strictEqual(await j('big.json', big), undefined);
      assert.match((await j('bigpem.json', PEM.repeat(Math.ceil(JSON_PARSE_MAX / PEM.length) + 10)))!, /does not open and close like JSON/);
      assert.match((await j('bignul.json', '{' + ' '.repeat(JSON_PARSE_MAX) + '\0}'))!, /control characters/);
    });

    it('textProblem and isSentencePiece', () => {
      assert.strictEqual(textProblem(Buffer.from('{% for m in messages %}{{ m.content }}{% endfor %}')), undefined);
      assert.ok(textProblem(Buffer.from([0xc3, 0x28])));
      assert.ok(textProblem(Buffer.from('a\0b')));
      assert.strictEqual(isSentencePiece(Buffer.from([0x0a, 0x0b])), true);
      assert.strictEqual(isSentencePiece(Buffer.from(PEM)), false);
      assert.strictEqual(isSentencePiece(Buffer.from('version https://git-lfs')), false);
    });
  });
});
