/**
 * The token source of an example page: the `?token=` of `params` first, else (and once it
 * expired) the one the demo host's `GET /demo/token?why=` hands out; `onRefreshed` is told of
 * each refresh after an expired one.
 */
export function demoToken(
  params: URLSearchParams,
  onRefreshed?: () => void,
): (why: 'initial' | 'expired') => Promise<string> {
  return async (why) => {
    const fixed = params.get('token');
    if (fixed !== null && why === 'initial') return fixed;
    const response = await fetch(`/demo/token?why=${why}`);
    if (!response.ok) throw new Error(`no token (${response.status})`);
    if (why === 'expired') onRefreshed?.();
    return response.text();
  };
}
