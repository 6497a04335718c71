// "Create Model from Modelfile" with a Modelfile from a hostile repository, in the real extension
// host against the protocol test server: whatever FROM/ADAPTER name (system files, home-directory
// secrets, a symlink out of the folder, a directory hiding a non-model file, a misnamed file), nothing
// reaches /api/blobs or /api/create and the user is not even asked; a real GGUF reached through a
// symlink is listed with its real path and called out as outside the folder, and is uploaded only
// once the user confirms.
import * as assert from 'assert';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OperationResult } from '../../src/vscode/models';
import type { UploadApproval } from '../../src/vscode/models/modelfile';
import { OllamaTestServer } from '../support/ollamaServer';
import { activate, setSetting } from './helpers';

const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
const gguf = (extra: number) => Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), Buffer.alloc(16), randomBytes(extra)]);

describe('modelfile trust: create uploads only reviewed model files (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;
  let tmp: string;
  let repo: string;
  /** A directory in the real home (what `~` expands to in the host), removed afterwards. */
  let homeDir: string;
  let homeRel: string;

  const write = (p: string, data: string | Buffer) => { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, data); return p; };
  const blobTraffic = (from: number) => server.requests.slice(from).filter((r) => /^\/api\/(blobs|create)/.test(r.path)).map((r) => `${r.method} ${r.path}`);

  async function create(modelfile: string, approve: (a: UploadApproval) => boolean, name = 'evil'): Promise<{ r: OperationResult; asked: UploadApproval[]; traffic: string[]; uri: vscode.Uri }> {
    const file = write(path.join(repo, `Modelfile.${Math.random().toString(36).slice(2)}`), modelfile);
    const uri = vscode.Uri.file(file);
    const asked: UploadApproval[] = [];
    const start = server.requests.length;
    const r = await vscode.commands.executeCommand<OperationResult>('ollamaAssistant.models.createFromModelfile', uri, {
      name, approveUploads: (a: UploadApproval) => { asked.push(a); return approve(a); },
    });
    return { r, asked, traffic: blobTraffic(start), uri };
  }

  before(async () => {
    await activate();
    server = await OllamaTestServer.start();
    await setSetting('endpoint', server.url);
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'oa-trust-')));
    repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo, { recursive: true });
    homeDir = fs.mkdtempSync(path.join(os.homedir(), '.oa-trust-test-'));
    homeRel = path.basename(homeDir);
    write(path.join(homeDir, '.ssh', 'id_rsa'), PEM);
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('endpoint', undefined);
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(homeDir, { recursive: true, force: true });
  });

  it('modelfile trust: hostile FROM/ADAPTER paths are refused before anything is hashed or sent, with the line marked', async () => {
    fs.symlinkSync(path.join(homeDir, '.ssh', 'id_rsa'), path.join(repo, 'escape.gguf'));
    write(path.join(repo, 'notgguf.gguf'), 'this is a text file with a .gguf name, long enough to be read\n');
    write(path.join(repo, 'hf', 'model.safetensors'), (() => { const j = Buffer.from('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'); const n = Buffer.alloc(8); n.writeBigUInt64LE(BigInt(j.length)); return Buffer.concat([n, j, Buffer.alloc(4)]); })());
    fs.symlinkSync(path.join(homeDir, '.ssh', 'id_rsa'), path.join(repo, 'hf', 'config.json'));
    write(path.join(repo, 'gg', 'weights.gguf'), PEM);
    const cases: Array<[string, string, RegExp]> = [
      ['FROM ../../../../../../../../etc/passwd', 'FROM ../../../../../../../../etc/passwd\n', /\/etc\/passwd is not a model file/],
      ['FROM ~/<dir>/.ssh/id_rsa', `FROM ~/${homeRel}/.ssh/id_rsa\n`, /id_rsa is not a model file/],
      ['ADAPTER /etc/shadow', 'FROM llama3.2\nADAPTER /etc/shadow\n', /\/etc\/shadow (is not a model file|cannot be read)/],
      ['a symlink escaping the folder to a key', 'FROM ./escape.gguf\n', /id_rsa is not a model file/],
      ['a directory whose config.json is a link to a key', 'FROM ./hf\n', /id_rsa should be JSON but is not/],
      ['a directory whose weights are a key', 'FROM ./gg\n', /weights\.gguf is not a model file/],
      ['a file named x.gguf that is not GGUF', '# from a repo\nPARAMETER temperature 1\nFROM ./notgguf.gguf\n', /notgguf\.gguf is not a model file/],
    ];
    for (const [label, text, message] of cases) {
      const { r, asked, traffic, uri } = await create(text, () => true);
      assert.strictEqual(r.ok, false, `${label}: must not succeed`);
      assert.match(r.error ?? '', message, label);
      assert.strictEqual(asked.length, 0, `${label}: a refused file is not even offered for confirmation`);
      assert.deepStrictEqual(traffic, [], `${label}: nothing may reach /api/blobs or /api/create`);
      const line = text.split('\n').findIndex((l) => /^(FROM|ADAPTER) [./~]/.test(l));
      const diag = vscode.languages.getDiagnostics(uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error);
      assert.strictEqual(diag?.range.start.line, line, `${label}: the error is on the instruction's line`);
    }
    // ~/.ssh/id_rsa itself: refused if it exists (by its bytes), a missing file otherwise; never sent.
    const real = await create('FROM ~/.ssh/id_rsa\n', () => true);
    assert.strictEqual(real.r.ok, false);
    assert.deepStrictEqual([real.asked.length, real.traffic], [0, []]);
    console.log(`[exthost] hostile Modelfile refusals: ${JSON.stringify(cases.map(([l]) => l))}; ~/.ssh/id_rsa -> ${real.r.error}`);
  });

  it('modelfile trust: a symlink to a real GGUF elsewhere is listed as outside with its real path, and uploaded only after confirmation', async () => {
    const elsewhere = path.join(tmp, 'elsewhere');
    const weights = gguf(256_000 - 24);
    write(path.join(elsewhere, 'real.gguf'), weights);
    fs.symlinkSync(path.join(elsewhere, 'real.gguf'), path.join(repo, 'linked.gguf'));
    const digest = 'sha256:' + createHash('sha256').update(weights).digest('hex');

    const declined = await create('FROM ./linked.gguf\nSYSTEM hi\n', () => false, 'linked');
    assert.deepStrictEqual([declined.r.ok, declined.r.cancelled], [false, true]);
    assert.deepStrictEqual(declined.traffic, [], 'declined: nothing sent');
    assert.strictEqual(declined.asked.length, 1);
    const a = declined.asked[0]!;
    assert.deepStrictEqual(a.files, [{
      name: 'linked.gguf', field: 'files', path: path.join(elsewhere, 'real.gguf'), requestedPath: path.join(repo, 'linked.gguf'),
      size: weights.length, kind: 'gguf', outside: true, viaSymlink: true,
    }]);
    assert.match(a.message, new RegExp(`^Upload 1 file\\(s\\) \\(256 KB\\) to ${server.url.replace(/[.]/g, '\\.')}.* to create linked\\? 1 of them are outside the Modelfile's folder\\.$`));
    assert.ok(a.detail.includes(`linked.gguf: ${path.join(elsewhere, 'real.gguf')} (256 KB) [linked from ${path.join(repo, 'linked.gguf')}] [OUTSIDE the Modelfile's folder]`), a.detail);
    console.log(`[exthost] upload confirmation: ${a.message}\n${a.detail}`);

    const accepted = await create('FROM ./linked.gguf\nSYSTEM hi\n', () => true, 'linked');
    assert.strictEqual(accepted.r.ok, true, accepted.r.error);
    assert.deepStrictEqual(accepted.traffic, [`HEAD /api/blobs/${digest}`, `POST /api/blobs/${digest}`, 'POST /api/create']);
    assert.strictEqual(server.blobs().get(digest), weights.length);
    const createReq = server.requests.filter((x) => x.path === '/api/create').at(-1)!;
    assert.deepStrictEqual(createReq.body, { model: 'linked', files: { 'linked.gguf': digest }, system: 'hi', stream: true });
  });
});
