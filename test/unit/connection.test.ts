import * as assert from 'assert';
import { assembleHeaders, redactHeaders } from '../../src/core/http/headers';
import { isLoopback, selectProxy } from '../../src/core/http/proxy';

describe('proxy selection', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'proxy.corp:8080', NO_PROXY: 'internal.corp,.lan,10.1.2.3,gpu-box:11434' };
  const table: Array<[string, object, string | undefined]> = [
    ['http://127.0.0.1:11434', env, undefined],
    ['http://localhost:11434', env, undefined],
    ['http://[::1]:11434', env, undefined],
    ['http://api.localhost:11434', env, undefined],
    ['https://ollama.example.com', env, 'http://proxy.corp:3128'],
    ['http://ollama.example.com:11434', env, 'http://proxy.corp:8080'],
    ['http://internal.corp:11434', env, undefined],
    ['http://gpu.internal.corp:11434', env, undefined],
    ['http://box.lan:11434', env, undefined],
    ['http://10.1.2.3:11434', env, undefined],
    ['http://gpu-box:11434', env, undefined],
    ['http://gpu-box:8080', env, 'http://proxy.corp:8080'],
    ['https://x.example.com', { ...env, NO_PROXY: '*' }, undefined],
    ['https://x.example.com', { ...env, settingProxy: 'http://vscode-proxy:9000' }, 'http://vscode-proxy:9000'],
    ['https://x.example.com', { settingProxy: 'http://p:1', settingNoProxy: ['example.com'] }, undefined],
    ['https://x.example.com', { https_proxy: 'http://lower:1' }, 'http://lower:1'],
    ['https://x.example.com', { HTTP_PROXY: 'http://only-http:1' }, 'http://only-http:1'],
    ['http://x.example.com', { HTTPS_PROXY: 'http://only-https:1' }, undefined],
    ['http://x.example.com', {}, undefined],
    ['http://x.example.com', { no_proxy: 'example.com', http_proxy: 'http://p:1' }, undefined],
  ];
  for (const [target, e, want] of table) {
    it(`${target} with ${JSON.stringify(e)} -> ${want ?? 'direct'}`, () => {
      assert.strictEqual(selectProxy(target, e), want);
    });
  }
  it('loopback detection', () => {
    for (const h of ['127.0.0.1', '127.3.2.1', 'localhost', '[::1]', 'foo.localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });
});

describe('header assembly', () => {
  it('custom headers pass through; the token becomes a Bearer Authorization replacing any custom one', () => {
    const { headers } = assembleHeaders({ 'X-Team': 'a', authorization: 'Basic old' }, 'tok123');
    assert.deepStrictEqual(headers, { 'X-Team': 'a', Authorization: 'Bearer tok123' });
  });
  it('without a token, a custom Authorization is kept', () => {
    assert.deepStrictEqual(assembleHeaders({ Authorization: 'Basic abc' }, undefined).headers, { Authorization: 'Basic abc' });
  });
  it('a token that already names its scheme is sent as is', () => {
    assert.strictEqual(assembleHeaders({}, 'Basic Ym9iOnB3').headers.Authorization, 'Basic Ym9iOnB3');
  });
  it('drops header names/values that could inject lines, and non-strings', () => {
    const r = assembleHeaders({ 'Bad Name': 'x', 'X-Evil': 'a\r\nHost: evil', 'X-Num': 5 as unknown as string, 'X-Ok': 'fine' }, '');
    assert.deepStrictEqual(r.headers, { 'X-Ok': 'fine' });
    assert.deepStrictEqual(r.dropped.sort(), ['Bad Name', 'X-Evil', 'X-Num']);
  });
  it('redacts credentials for logs', () => {
    assert.deepStrictEqual(redactHeaders({ Authorization: 'Bearer x', 'X-Api-Key': 'k', Accept: 'a' }), { Authorization: '***', 'X-Api-Key': '***', Accept: 'a' });
  });
});

describe('header values', () => {
  it('refuses a token with characters beyond Latin-1 instead of letting the request fail as "unreachable"', () => {
    const r = assembleHeaders({ 'X-Ok': 'a' }, 'tok…en');
    assert.deepStrictEqual(r.headers, { 'X-Ok': 'a' });
    assert.strictEqual(r.dropped.length, 1);
  });
});
