// Turns every form OLLAMA_HOST / the endpoint setting may take into a base URL, with the same
// semantics as the Ollama server and ollama-js: `127.0.0.1:11434`, `:11434`, `example.com`,
// `http://x` (port 80), `https://x` (443), a path prefix for reverse proxies, userinfo.
import { InvalidHostError } from './errors';
import { Redactor, scrubUrlCredentials } from './redact';

export const DEFAULT_HOST = 'http://127.0.0.1:11434';
export const DEFAULT_PORT = 11434;

export interface ParsedHost {
  /** Base URL with no trailing slash and no credentials, e.g. `https://example.com/ollama`. */
  url: string;
  /** Basic-auth credentials found in the host string (sent as an Authorization header, never in the URL). */
  username?: string;
  password?: string;
}

/** Parse a host string; throws InvalidHostError when it cannot be a URL. */
export function parseHost(input: string | undefined | null): ParsedHost {
  // Go's envconfig trims quotes and spaces around the value.
  let s = (input ?? '').trim().replace(/^["' ]+|["' ]+$/g, '');
  // Messages name the host as given, but never its user name and password.
  const shown = scrubUrlCredentials(s);
  if (s === '') return { url: DEFAULT_HOST };

  let explicitScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(s);
  if (!explicitScheme) {
    // Bare ollama.com is the cloud service, which is HTTPS (as the server's envconfig says).
    if (/^ollama\.com(\/|$)/i.test(s)) { s = 'https://' + s; explicitScheme = true; }
    else if (/^[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*$/i.test(s)) s = `http://[${s}]`; // bare IPv6 such as ::1 or ::
    else if (s.startsWith(':')) s = 'http://127.0.0.1' + s;
    else s = 'http://' + s;
  }

  let u: URL;
  try {
    u = new URL(s);
  } catch (cause) {
    throw new InvalidHostError(`Invalid Ollama host "${shown}": not a URL.`, { cause: new Redactor([]).redactError(cause) });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidHostError(`Invalid Ollama host "${shown}": scheme must be http or https.`);
  }
  if (!u.hostname) throw new InvalidHostError(`Invalid Ollama host "${shown}": no host name.`);
  // A port in the string that URL dropped (because it is the scheme's default) is fine; an explicit
  // port that URL rejected already threw. Without scheme and port, Ollama's own port is implied.
  if (!explicitScheme && u.port === '' && !hasExplicitPort(s)) u.port = String(DEFAULT_PORT);

  // Listening on all interfaces means "connect to this machine".
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  else if (u.hostname === '[::]') u.hostname = '[::1]';

  const out: ParsedHost = { url: '' };
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  out.url = u.toString().replace(/\/+$/, '');
  return out;
}

function hasExplicitPort(s: string): boolean {
  const authority = s.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.replace(/^[^@]*@/, '');
  return /\]:\d+$/.test(authority) || /^[^\[\]:]+:\d+$/.test(authority);
}
