// The Redactor (core/http/redact.ts) on exact inputs: which headers carry secrets, every form a
// credential takes in an echo (as sent, percent-encoded, form-encoded, JSON- and Go-escaped,
// HTML-escaped, Basic's user:pass and its base64), URL userinfo, short secrets, and errors walked
// field by field and down their causes.
import * as assert from 'assert';
import * as util from 'node:util';
import { assembleHeaders, redactHeaders } from '../../src/core/http/headers';
import { parseHost } from '../../src/core/http/host';
import { InvalidHostError, OllamaError, ResponseError } from '../../src/core/http/errors';
import { isSecretHeader, MIN_SECRET_CHARS, REDACTED, Redactor, scrubUrlCredentials } from '../../src/core/http/redact';

const TOKEN = 'sk-Tok3n/with+odd=chars&<x>"q\'';
const PASS = 'p@ss w/rd:+&"';
const USER = 'alice';

describe('redaction of credentials (core/http/redact)', () => {
  it('secret-bearing headers, by name', () => {
    for (const h of ['Authorization', 'authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'api-key', 'Ocp-Apim-Subscription-Key',
      'X-Goog-Api-Key', 'CF-Access-Client-Secret', 'X-Auth-Token', 'PRIVATE-TOKEN', 'X-Session-Id', 'X-Password', 'X-Pwd', 'X-Credential', 'X-Signature', 'X-JWT']) {
      assert.ok(isSecretHeader(h), h);
    }
    for (const h of ['Accept', 'User-Agent', 'Content-Type', 'X-Request-Id', 'OpenAI-Organization', 'X-Custom']) assert.ok(!isSecretHeader(h), h);
    assert.deepStrictEqual(redactHeaders({ 'X-Auth-Token': 'abc', 'X-Request-Id': '1' }), { 'X-Auth-Token': REDACTED, 'X-Request-Id': '1' });
  });

  it('every encoding of a token an echo may use is replaced', () => {
    const r = Redactor.forRequest({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const json = JSON.stringify(TOKEN).slice(1, -1);
    const forms = [
      TOKEN,
      `Bearer ${TOKEN}`,
      encodeURIComponent(TOKEN),
      encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      json,
      json.replace(/\//g, '\\/'),
      json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'),
      TOKEN.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'),
      TOKEN.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;'),
    ];
    for (const f of forms) {
      const out = r.redact(`unauthorized: got ${f} here`);
      assert.ok(!out.includes(f), `${f} survived: ${out}`);
      assert.ok(out.startsWith('unauthorized: got ') && out.endsWith(' here') && out.includes(REDACTED), out);
      for (const piece of ['sk-Tok3n', 'odd=chars']) assert.ok(!out.includes(piece), `${piece} of ${f} survived: ${out}`);
    }
  });

  it('Basic credentials (endpoint userinfo, or an Authorization: Basic header): user:pass, its base64 in every alphabet, the password, percent- and form-encoded', () => {
    const b64 = Buffer.from(`${USER}:${PASS}`).toString('base64');
    const viaUserinfo = Redactor.forRequest({ userinfo: { username: USER, password: PASS } });
    const viaHeader = Redactor.forRequest({ headers: { Authorization: `Basic ${b64}` } });
    const forms = [
      `${USER}:${PASS}`, b64, b64.replace(/=+$/, ''), b64.replace(/\+/g, '-').replace(/\//g, '_'), PASS,
      encodeURIComponent(PASS), encodeURIComponent(PASS).replace(/%20/g, '+'), JSON.stringify(PASS).slice(1, -1),
    ];
    for (const r of [viaUserinfo, viaHeader]) {
      for (const f of forms) {
        const out = r.redact(`[${f}]`);
        assert.strictEqual(out, `[${REDACTED}]`, `${f} -> ${out}`);
      }
      // The user name alone is not a secret when there is a password.
      assert.strictEqual(r.redact(`user ${USER} denied`), `user ${USER} denied`);
    }
    // A user name with no password is the credential (https://TOKEN@host).
    assert.strictEqual(Redactor.forRequest({ userinfo: { username: 'ghp_onlyAUser' } }).redact('x ghp_onlyAUser y'), `x ${REDACTED} y`);
  });

  it('proxy URL credentials, decoded and as written (percent-encoded), and the Proxy-Authorization base64', () => {
    const r = Redactor.forRequest({ proxy: 'http://bob:s%40cret%2Fpw@proxy.corp:3128' });
    for (const f of ['s@cret/pw', 's%40cret%2Fpw', 'bob:s@cret/pw', 'bob:s%40cret%2Fpw', Buffer.from('bob:s@cret/pw').toString('base64')]) {
      assert.strictEqual(r.redact(`<${f}>`), `<${REDACTED}>`, f);
    }
    assert.strictEqual(r.redact('proxy.corp:3128'), 'proxy.corp:3128', 'the host is not a secret');
  });

  it('cookies: the whole header, each pair and each value', () => {
    const r = Redactor.forRequest({ headers: { Cookie: 'sid=abcd1234; theme=dark-mode' } });
    assert.strictEqual(r.redact('got sid=abcd1234; theme=dark-mode'), `got ${REDACTED}`);
    assert.strictEqual(r.redact('session abcd1234'), `session ${REDACTED}`);
    assert.strictEqual(r.redact('v=dark-mode'), `v=${REDACTED}`);
  });

  it('headers that carry no secret are not matched; URL userinfo is always scrubbed', () => {
    const r = Redactor.forRequest({ headers: { 'X-Request-Id': 'req-12345', 'User-Agent': 'ollama-assistant' } });
    assert.strictEqual(r.size, 0);
    assert.strictEqual(r.redact('req-12345 by ollama-assistant'), 'req-12345 by ollama-assistant');
    assert.strictEqual(r.redact('dial http://u:pw@10.0.0.1:3128 failed; see https://tok@h.example/x'), `dial http://${REDACTED}@10.0.0.1:3128 failed; see https://${REDACTED}@h.example/x`);
    assert.strictEqual(scrubUrlCredentials('mail me at a@b.example'), 'mail me at a@b.example');
  });

  it(`secrets shorter than ${MIN_SECRET_CHARS} characters are not replaced alone, their longer forms are`, () => {
    const r = Redactor.forRequest({ headers: { Authorization: 'Bearer abc' }, userinfo: { username: 'me', password: 'pw' } });
    const out = r.redact('Bearer abc and me:pw and ' + Buffer.from('me:pw').toString('base64') + ' and the word cabbage');
    assert.strictEqual(out, `${REDACTED} and ${REDACTED} and ${REDACTED} and the word cabbage`);
  });

  it('a custom header secret and the API token together (as the extension assembles them)', () => {
    const { headers } = assembleHeaders({ 'X-Api-Key': 'key-0123456789', Authorization: 'Bearer replaced' }, 'tok-abcdef');
    const r = Redactor.forRequest({ headers });
    assert.strictEqual(r.redact('key-0123456789 / tok-abcdef / Bearer tok-abcdef'), `${REDACTED} / ${REDACTED} / ${REDACTED}`);
  });

  it('errors: message, stack, every own string field, causes and aggregated errors, cycles tolerated', () => {
    const r = Redactor.forRequest({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const inner = Object.assign(new Error(`inner ${TOKEN}`), { input: `http://x:${TOKEN}@h`, code: 'E_X' });
    const agg = new AggregateError([new Error(`agg ${TOKEN}`)], 'several');
    const e = new ResponseError(`HTTP 401: ${TOKEN}`, { status: 401, url: 'http://h', error: `bad ${TOKEN}`, body: `{"error":"${TOKEN}"}` });
    Object.defineProperty(e, 'cause', { value: inner, writable: true, configurable: true, enumerable: false });
    (inner as { cause?: unknown }).cause = agg;
    (agg as { cause?: unknown }).cause = e; // a cycle
    assert.strictEqual(r.redactError(e), e);
    const all = util.inspect(e, { depth: 20, showHidden: true }) + String(e.stack) + String(inner.stack);
    assert.ok(!all.includes('sk-Tok3n'), all);
    assert.strictEqual(e.status, 401);
    assert.strictEqual(inner.code, 'E_X');
  });

  it('an invalid host with userinfo: the message and its cause name the host without the credentials', () => {
    let err: unknown;
    try { parseHost('http://alice:hunter22@[not a host'); } catch (e) { err = e; }
    assert.ok(err instanceof InvalidHostError);
    const all = util.inspect(err, { depth: 10, showHidden: true });
    assert.ok(!all.includes('hunter22'), all);
    assert.match((err as OllamaError).message, /Invalid Ollama host "http:\/\/\*\*\*@\[not a host"/);
  });
});
