// Assembles the headers sent with every request from the user's custom headers and the API token
// kept in secret storage. The token is the dedicated mechanism, so it replaces any Authorization
// header among the custom ones. Names and values that could smuggle extra header lines are dropped.

import { isSecretHeader, REDACTED } from './redact';

const TOKEN_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** HTTP header values are bytes: tab, visible ASCII and Latin-1, no CR/LF/NUL (which would inject
 * lines) and nothing beyond U+00FF (undici refuses it, which would look like a network failure). */
export function isHeaderValue(v: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(v);
}

export interface HeaderAssembly {
  headers: Record<string, string>;
  /** Custom header names that were dropped as invalid (for a warning in the log, values never logged). */
  dropped: string[];
}

export function assembleHeaders(custom: Record<string, unknown> | undefined, token: string | undefined): HeaderAssembly {
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(custom ?? {})) {
    if (!TOKEN_NAME.test(name) || typeof value !== 'string' || !isHeaderValue(value)) { dropped.push(name); continue; }
    headers[name] = value;
  }
  const t = token?.trim();
  if (t && !isHeaderValue(t)) dropped.push('Authorization (API token has characters a header cannot carry)');
  else if (t) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
    headers['Authorization'] = /^(Bearer|Basic)\s/i.test(t) ? t : `Bearer ${t}`;
  }
  return { headers, dropped };
}

/** A copy of headers safe to log: the values of secret-bearing headers (isSecretHeader) masked. */
export function redactHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = isSecretHeader(k) ? REDACTED : v;
  return out;
}
