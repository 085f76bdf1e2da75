import type { PeerCertificate } from 'node:tls';

/**
 * The identity a client certificate names: its SPIFFE ID (the first `spiffe://` URI SAN), else
 * its first DNS SAN, else its subject CN. Undefined when it names none, or only ambiguously (a
 * subject with several CNs, which node gives as an array).
 */
export function clientIdentity(certificate: PeerCertificate): string | undefined {
  const names = subjectAltNames(certificate.subjectaltname ?? '');
  const spiffe = names.find((name) => name.type === 'URI' && name.value.startsWith('spiffe://'));
  if (spiffe !== undefined) return spiffe.value;
  const dns = names.find((name) => name.type === 'DNS');
  if (dns !== undefined) return dns.value;
  const commonName = (certificate.subject as Partial<Record<string, unknown>> | undefined)?.['CN'];
  return typeof commonName === 'string' && commonName !== '' ? commonName : undefined;
}

/** Whether `identity` is one of `allowed`: an exact entry, or a prefix ending in `*`. */
export function identityAllowed(identity: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) =>
    entry.endsWith('*') ? identity.startsWith(entry.slice(0, -1)) : identity === entry,
  );
}

/**
 * Node's `subjectaltname`: `DNS:a, URI:spiffe://x, IP Address:10.0.0.1`. A value holding `, `
 * or `"` is JSON-quoted (`URI:"spiffe://a, b"`), so a SAN cannot smuggle in a second one.
 */
function subjectAltNames(text: string): { type: string; value: string }[] {
  const names: { type: string; value: string }[] = [];
  const entry =
    /(DNS|URI|IP Address|email|othername|DirName|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  for (const match of text.matchAll(entry)) {
    const [, type = '', raw = ''] = match;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    names.push({ type, value });
  }
  return names;
}
