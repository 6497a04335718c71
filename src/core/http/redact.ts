// Credentials never leave through an error. A server, a reverse proxy or a corporate proxy may echo
// the request back in an error (a debugging server's "unauthorized: got header Authorization: Bearer
// …", an HTML error page listing the request headers, a 407 page quoting Proxy-Authorization, a
// transport error that prints the proxy URL with its user:password). Whatever an error says ends up
// in a notification, the Output channel, the chat history file on disk or a translation message, so
// the request core (core.ts) passes every error it throws through the Redactor of its client, which
// knows every credential that client sends and replaces each (and its common encodings) with `***`.
// Successful replies are not touched: they are data (model names, sizes, answers), and rewriting a
// number that happens to equal a short password would corrupt them.

/** What stands in for a credential. */
export const REDACTED = '***';

/** Credentials shorter than this are not replaced on their own (a 2-letter password would turn every
 * "ab" in a message into ***); their longer forms (`Bearer x`, `user:x`, the base64 of `user:x`)
 * still are. */
export const MIN_SECRET_CHARS = 4;

/**
 * Whether a request header carries a secret, by its name: `Authorization`, `Proxy-Authorization`,
 * `Cookie`, and any name containing `auth`, `token`, `key`, `secret`, `passw`, `pwd`, `credential`,
 * `session`, `cookie`, `signature` or `jwt` (`X-Api-Key`, `Api-Key` of Azure OpenAI,
 * `Ocp-Apim-Subscription-Key`, `X-Goog-Api-Key`, `CF-Access-Client-Secret`, `X-Auth-Token`,
 * `PRIVATE-TOKEN`…). Erring towards secret costs nothing: only its value is hidden in errors and logs.
 */
export function isSecretHeader(name: string): boolean {
  return /auth|token|key|secret|passw|pwd|credential|session|cookie|signature|jwt/i.test(name);
}

/** Where the credentials a client sends come from. */
export interface CredentialSources {
  /** Every header sent with each request; the secret-bearing ones (isSecretHeader) are used. */
  headers?: Record<string, string>;
  /** Basic-auth userinfo of the endpoint (`http://user:pass@host`), decoded. */
  userinfo?: { username?: string; password?: string };
  /** The proxy URL, whose userinfo becomes Proxy-Authorization. */
  proxy?: string;
}

/** `scheme://user:pass@` or `scheme://token@` in any text -> `scheme://***@`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

/** Removes the userinfo of every URL in `text` (`http://user:pass@host` -> `http://***@host`). */
export function scrubUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text;
}

/**
 * Replaces every credential a client sends with `***` in text the server (or a proxy, or the
 * transport) produced. Each credential is matched as sent and in the forms an echo may take:
 * percent-encoded (upper and lower case hex, and `+` for space as in a form body), JSON-escaped
 * (plain, with `\/`, and Go's `\u003c`/`\u003e`/`\u0026`), HTML-escaped, and for Basic credentials
 * `user:pass` and its base64 (standard and URL-safe, with and without padding). URL userinfo is
 * removed from any URL in the text whether or not it is known.
 */
export class Redactor {
  /** Every form to replace, longest first (so `user:pass` goes before `pass`). */
  private readonly forms: readonly string[];

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (s.length < MIN_SECRET_CHARS) continue;
      for (const f of encodings(s)) if (f.length >= MIN_SECRET_CHARS) forms.add(f);
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  /** The redactor for everything a client sends (see CredentialSources). */
  static forRequest(src: CredentialSources): Redactor {
    const secrets: string[] = [];
    for (const [name, value] of Object.entries(src.headers ?? {})) {
      if (isSecretHeader(name)) secrets.push(...headerSecrets(name, value));
    }
    if (src.userinfo) secrets.push(...userinfoSecrets(src.userinfo.username, src.userinfo.password));
    if (src.proxy) secrets.push(...proxySecrets(src.proxy));
    return new Redactor(secrets);
  }

  /** How many forms are looked for (0: only URL userinfo is scrubbed). */
  get size(): number { return this.forms.length; }

  /** `text` with every credential form and URL userinfo replaced by `***`. */
  redact(text: string): string {
    let out = scrubUrlCredentials(text);
    for (const f of this.forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
    return out;
  }

  /**
   * Redacts an error in place and returns it: its message, stack and every other own string field
   * (`error`, `body`, `raw`, `url`, `input`…), then the same for its `cause` chain and an
   * AggregateError's `errors`, so that nothing that prints or stores the error can show a
   * credential. Fields that cannot be written are left as they are.
   */
  redactError<T>(e: T): T {
    this.walk(e, new Set(), 0);
    return e;
  }

  private walk(e: unknown, seen: Set<object>, depth: number): void {
    if (typeof e !== 'object' || e === null || seen.has(e) || depth > 8) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    const keys = new Set(Object.getOwnPropertyNames(o));
    if (e instanceof Error) { keys.add('message'); keys.add('stack'); }
    for (const k of keys) {
      let v: unknown;
      try { v = o[k]; } catch { continue; }
      if (typeof v === 'string') {
        const r = this.redact(v);
        if (r !== v) { try { o[k] = r; } catch { /* read-only: left */ } }
      } else if ((k === 'cause' || k === 'errors' || k === 'error') && typeof v === 'object' && v !== null) {
        if (Array.isArray(v)) for (const x of v) this.walk(x, seen, depth + 1);
        else this.walk(v, seen, depth + 1);
      }
    }
  }
}

/** The forms a credential may take in an echo (see Redactor). */
function encodings(s: string): string[] {
  const uri = encodeURIComponent(s);
  const json = JSON.stringify(s).slice(1, -1);
  const goJson = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  const html = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return [
    s,
    uri, uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), uri.replace(/%20/g, '+'),
    json, json.replace(/\//g, '\\/'), goJson, goJson.replace(/\//g, '\\/'),
    html, html.replace(/'/g, '&#39;'), html.replace(/'/g, '&#x27;'),
  ];
}

/** The secrets in one header value: the value, the credentials after an auth scheme (`Bearer x` ->
 * `x`), a Basic value decoded (`user:pass`, pass), each cookie's value. */
function headerSecrets(name: string, value: string): string[] {
  const v = value.trim();
  const out = [v];
  const scheme = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(v);
  if (scheme) {
    const cred = scheme[2]!.trim();
    out.push(cred);
    if (/^basic$/i.test(scheme[1]!)) {
      const decoded = Buffer.from(cred, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i >= 0) out.push(...userinfoSecrets(decoded.slice(0, i), decoded.slice(i + 1)));
    }
  }
  if (/cookie/i.test(name)) {
    for (const part of v.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) out.push(part.trim(), part.slice(eq + 1).trim());
    }
  }
  return out;
}

/** Basic credentials: `user:pass`, its base64 (as in the Authorization header), the password; a user
 * name alone is the credential when there is no password (`https://TOKEN@host`). */
function userinfoSecrets(username: string | undefined, password: string | undefined): string[] {
  const user = username ?? '';
  const pass = password ?? '';
  if (!user && !pass) return [];
  if (!pass) return [user];
  const pair = `${user}:${pass}`;
  const b64 = Buffer.from(pair).toString('base64');
  const b64url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  return [pair, b64, b64.replace(/=+$/, ''), b64url, b64url.replace(/=+$/, ''), pass];
}

/** The credentials in a proxy URL, decoded and as written (percent-encoded). */
function proxySecrets(proxy: string): string[] {
  let u: URL;
  try { u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : 'http://' + proxy); } catch { return []; }
  if (!u.username && !u.password) return [];
  const dec = (x: string) => { try { return decodeURIComponent(x); } catch { return x; } };
  const out = userinfoSecrets(dec(u.username), dec(u.password) || undefined);
  if (u.password) out.push(`${u.username}:${u.password}`, u.password);
  else out.push(u.username);
  return out;
}
