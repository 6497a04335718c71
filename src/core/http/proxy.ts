// Which proxy (if any) a request to the endpoint goes through. undici from npm does not see the
// proxy patch VS Code applies to Node's http module, so the extension reads `http.proxy` and the
// usual environment variables itself. Loopback is never proxied.

export interface ProxyEnv {
  /** VS Code's `http.proxy` setting (wins over the environment when set). */
  settingProxy?: string;
  /** VS Code's `http.noProxy` setting. */
  settingNoProxy?: string[];
  HTTPS_PROXY?: string; https_proxy?: string;
  HTTP_PROXY?: string; http_proxy?: string;
  ALL_PROXY?: string; all_proxy?: string;
  NO_PROXY?: string; no_proxy?: string;
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '0:0:0:0:0:0:0:1';
}

/** curl-style NO_PROXY matching: `*`, exact host, domain suffix (`example.com` and `.example.com`
 * both match `a.example.com`), optional `:port`. */
export function matchesNoProxy(url: URL, list: string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of list) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let pattern = entry;
    let entryPort: string | undefined;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.startsWith('[') ? entry.replace(/^\[([^\]]+)\](:\d+)?$/, '$1$2') : entry);
    if (m && m[2] && !entry.includes('::')) { pattern = m[1]!; entryPort = m[2]; }
    if (entryPort && entryPort !== port) continue;
    pattern = pattern.replace(/^\*?\./, '');
    if (host === pattern || host.endsWith('.' + pattern)) return true;
  }
  return false;
}

/** The proxy URL for `target`, or undefined to connect directly. */
export function selectProxy(target: string, env: ProxyEnv): string | undefined {
  let url: URL;
  try { url = new URL(target); } catch { return undefined; }
  if (isLoopback(url.hostname)) return undefined;
  const noProxy = [
    ...(env.settingNoProxy ?? []),
    ...(env.NO_PROXY ?? env.no_proxy ?? '').split(','),
  ];
  if (matchesNoProxy(url, noProxy)) return undefined;
  const pick = (...v: Array<string | undefined>) => v.map((x) => x?.trim()).find((x) => x);
  const proxy = pick(env.settingProxy) ?? (url.protocol === 'https:'
    ? pick(env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy, env.ALL_PROXY, env.all_proxy)
    : pick(env.HTTP_PROXY, env.http_proxy, env.ALL_PROXY, env.all_proxy));
  if (!proxy) return undefined;
  return /^[a-z]+:\/\//i.test(proxy) ? proxy : 'http://' + proxy;
}

/** The proxy's host:port and whether its URL carries credentials, for messages (never the
 * credentials themselves). A URL that cannot be parsed is named "the configured proxy". */
export function proxyInfo(proxy: string): { host: string; credentials: boolean } {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : 'http://' + proxy);
    return { host: u.host, credentials: u.username !== '' || u.password !== '' };
  } catch {
    return { host: 'the configured proxy', credentials: false };
  }
}
