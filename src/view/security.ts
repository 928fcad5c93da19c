/**
 * @module view/security — what guards `reelset view`: the random token of the printed URL (query, cookie or
 * header; compared in constant time), and the Host header allow-list that defeats DNS rebinding.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/**
 * The header the page sends the token in (the cookie covers `<img>` and `<video>`, which send no header).
 *
 * @example
 * ```ts
 * fetch('/api/summary', { headers: { [TOKEN_HEADER]: token } });
 * ```
 */
export const TOKEN_HEADER = 'x-reelset-token';

/**
 * A fresh random token: 24 bytes from the system's CSPRNG, as 48 hex digits.
 *
 * @example
 * ```ts
 * const token = newToken(); // 'b6c1...' (48 characters)
 * ```
 */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/**
 * The name of the cookie that carries the token of the server on `port`: cookies ignore ports, so two
 * viewers on one host each get their own.
 *
 * @example
 * ```ts
 * tokenCookieName(8765); // 'reelset_token_8765'
 * ```
 */
export function tokenCookieName(port: number): string {
  return `reelset_token_${port}`;
}

/**
 * True when `given` is the token, compared in constant time (no timing leak of a prefix).
 *
 * @example
 * ```ts
 * tokenMatches(token, url.searchParams.get('token')); // true or false
 * ```
 */
export function tokenMatches(token: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

/** True for the wildcard addresses: a server bound to one answers on every interface. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** A host as it appears in a Host header: IPv6 in brackets, lower case. */
function hostForm(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/**
 * The Host header values the server accepts: the address it was bound to, the loopback names, and for a
 * wildcard bind (`0.0.0.0`, `::`) every address of this machine's interfaces, each with the port. Any other
 * Host (a DNS name an attacker points at 127.0.0.1) is refused.
 *
 * @example
 * ```ts
 * allowedHosts('127.0.0.1', 8765).has('localhost:8765'); // true
 * ```
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set<string>([host, 'localhost', '127.0.0.1', '::1']);
  if (isWildcard(host)) {
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? []) names.add(address.address);
    }
  }
  const allowed = new Set<string>();
  for (const name of names) {
    if (isWildcard(name)) continue;
    allowed.add(`${hostForm(name)}:${port}`);
  }
  return allowed;
}

/**
 * True when a request's Host header names the server: one of `allowed` (compared in lower case). A missing
 * Host header is refused.
 *
 * @example
 * ```ts
 * hostAllowed(allowedHosts('127.0.0.1', 8765), 'evil.example:8765'); // false
 * ```
 */
export function hostAllowed(allowed: ReadonlySet<string>, hostHeader: string | undefined | null): boolean {
  if (typeof hostHeader !== 'string' || hostHeader === '') return false;
  return allowed.has(hostHeader.trim().toLowerCase());
}

/**
 * Whether binding to `host` exposes the server beyond this machine (anything but a loopback address).
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true
 * isLoopback('0.0.0.0'); // false
 * ```
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
