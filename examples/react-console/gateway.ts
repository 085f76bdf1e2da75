/**
 * The gateway both pages talk to: the one on the page's origin, or the one `?gateway=` names,
 * with the token of `?token=`, else the one `GET /demo/token` hands out (asked again when it
 * expired).
 */
import { demoToken } from '../shared/demo-token.ts';

const params = new URLSearchParams(location.search);

export const GATEWAY = params.get('gateway') ?? location.origin;
export const TOKEN = demoToken(params);
/** The sockets' backoff: 200 ms doubling up to 2 s, as the vanilla pages'. */
export const RECONNECT = { baseDelayMs: 200, maxDelayMs: 2000 };
