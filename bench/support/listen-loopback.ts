/**
 * Preloaded (`node --import`) into a third-party server that listens on every interface and
 * has no option to choose: a `listen(port)` without a host binds 127.0.0.1 instead.
 */
import { Server } from 'node:net';

type Listen = (...args: unknown[]) => Server;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with `this` below
const listen = Server.prototype.listen as Listen;
(Server.prototype as unknown as { listen: Listen }).listen = function (
  this: Server,
  ...args: unknown[]
) {
  const [first, second] = args;
  if (typeof first === 'number' && typeof second !== 'string') {
    return listen.call(this, first, '127.0.0.1', ...args.slice(1));
  }
  if (typeof first === 'object' && first !== null && !('host' in first) && 'port' in first) {
    return listen.call(this, { ...first, host: '127.0.0.1' }, ...args.slice(1));
  }
  return listen.call(this, ...args);
};
