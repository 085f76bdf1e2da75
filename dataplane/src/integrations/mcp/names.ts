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
