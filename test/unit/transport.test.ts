// The real transport's proxy and TLS paths: requests go through a configured proxy (CONNECT), and an
// extra CA certificate makes a self-signed HTTPS server trusted (without it: a ConnectionError).
import * as assert from 'assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { OllamaClient } from '../../src/core/ollama/client';
import { ConnectionError } from '../../src/core/http/errors';
import { OllamaTestServer } from '../support/ollamaServer';

describe('transport: proxy and custom CA', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });

  it('sends requests through the configured proxy (CONNECT tunnel)', async () => {
    const connects: string[] = [];
    const proxy = net.createServer((client) => {
      client.once('data', (head) => {
        const m = /^CONNECT ([^ ]+) HTTP/.exec(head.toString());
        if (!m) { client.destroy(); return; }
        connects.push(m[1]!);
        const [host, port] = m[1]!.split(':');
        const upstream = net.connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const c = new OllamaClient({ host: server.url, proxy: proxyUrl });
    try {
      assert.strictEqual((await c.version()).version, '0.33.0');
      assert.deepStrictEqual(connects, [`127.0.0.1:${server.port}`]);
    } finally {
      await c.close();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('trusts a self-signed server only with the extra CA certificate', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    const tls = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end('{"version":"0.33.0-tls"}');
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(tls.address() as net.AddressInfo).port}`;
    const trusted = new OllamaClient({ host: url, ca: cert });
    const untrusted = new OllamaClient({ host: url });
    try {
      assert.strictEqual((await trusted.version()).version, '0.33.0-tls');
      await assert.rejects(untrusted.version(), (e: unknown) => e instanceof ConnectionError && /CERT|SELF_SIGNED/.test(e.code ?? ''));
    } finally {
      await Promise.all([trusted.close(), untrusted.close()]);
      tls.closeAllConnections();
      await new Promise((r) => tls.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
