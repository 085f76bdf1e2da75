/**
 * A gateway name is `<server>__<name>`: server names are DNS labels, which hold no `_`, so
 * the first `__` splits it back exactly and two servers' names never collide.
 */
const SEPARATOR = '__';

export const gatewayName = (server: string, name: string) => `${server}${SEPARATOR}${name}`;

/** The server and the upstream's own name; server `''` when the name has no prefix. */
export function splitName(name: string): { server: string; name: string } {
  const cut = name.indexOf(SEPARATOR);
  return cut < 0
    ? { server: '', name }
    : { server: name.slice(0, cut), name: name.slice(cut + SEPARATOR.length) };
}

/**
 * A resource URI through the gateway is `<server>+<uri>`: a DNS label is a valid URI scheme
 * prefix and holds no `+`, so the first `+` splits it back exactly.
 */
export const gatewayUri = (server: string, uri: string) => `${server}+${uri}`;

export function splitUri(uri: string): { server: string; uri: string } {
  const cut = uri.indexOf('+');
  return cut < 0 ? { server: '', uri } : { server: uri.slice(0, cut), uri: uri.slice(cut + 1) };
}
