/**
 * The one place every outbound TCP connection of the process passes: `net.Socket#connect`,
 * which node:http and node:https agents, tls.connect, undici (global fetch, the `undici`
 * package's pools, so every provider SDK) and ioredis all end in. A host the policy refuses
 * never reaches DNS or the network: its socket fails with EgressDeniedError on the next tick.
 * A name it allows is resolved through a lookup that checks each address, so an in-cluster
 * name that resolves outside the cluster is refused too. `dns.lookup` (callback and promise)
 * is checked the same way for code that resolves names itself. Unix sockets are not egress.
 * Not covered: UDP (dgram; no dependency of the dataplane sends any), native addons' own
 * sockets, child processes and worker threads (the dataplane starts none that connect out).
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { EgressDeniedError } from './egress-denied.ts';
import { checkAddress, checkHost, type EgressPolicy } from './egress-policy.ts';

export interface EgressGuardOptions {
  /** The policy now (read per connection, so a config reload applies at once). */
  policy: () => EgressPolicy;
  /** Told of every refusal, before the socket fails. */
  onDenied: (denial: EgressDeniedError) => void;
}

export interface EgressGuard {
  /** Puts `net`, `dns` back as they were (tests). */
  uninstall(): void;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

interface ConnectOptions {
  host?: string;
  port?: number | string;
  /** node:http passes null when there is none. */
  path?: string | null;
  lookup?: LookupFunction;
}

let installed = false;

export function installEgressGuard(options: EgressGuardOptions): EgressGuard {
  if (installed) throw new Error('An egress guard is already installed.');
  installed = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each socket
  const connect = net.Socket.prototype.connect;
  const lookup = dns.lookup;
  const promisesLookup = dns.promises.lookup;

  const refuse = (host: string, port: number | undefined, reason: EgressDeniedError['reason']) => {
    const denial = new EgressDeniedError({
      host,
      port,
      reason,
      airGapped: options.policy().airGapped,
    });
    options.onDenied(denial);
    return denial;
  };

  /** `inner` whose answers are checked address by address; none left is a refusal. */
  const checkedLookup =
    (port: number | undefined, inner: LookupFunction): LookupFunction =>
    (hostname, lookupOptions, callback) => {
      inner(hostname, lookupOptions, (error, address, family) => {
        if (error !== null) {
          callback(error, address, family);
          return;
        }
        const policy = options.policy();
        const all = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
        const verdicts = all.map((entry) => checkAddress(policy, hostname, entry.address));
        const kept = all.filter((_entry, index) => verdicts[index]?.allowed === true);
        const first = kept[0];
        if (first === undefined) {
          const verdict = verdicts[0];
          const reason = verdict?.allowed === false ? verdict.reason : 'not_in_cluster';
          callback(refuse(hostname, port, reason), Array.isArray(address) ? [] : '', family);
        } else if (Array.isArray(address)) callback(null, kept);
        else callback(null, first.address, first.family);
      });
    };

  function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    const [target, callback] = connectArguments(args);
    if (target.path !== undefined && target.path !== null) {
      return Reflect.apply(connect, this, args) as net.Socket;
    }
    const host = target.host === undefined || target.host === '' ? 'localhost' : target.host;
    const port = target.port === undefined ? undefined : Number(target.port);
    const verdict = checkHost(options.policy(), host);
    if (!verdict.allowed) {
      const denial = refuse(host, port, verdict.reason);
      process.nextTick(() => this.destroy(denial));
      return this;
    }
    if (net.isIP(host) !== 0) return Reflect.apply(connect, this, args) as net.Socket;
    const inner = target.lookup ?? lookup;
    const checked = { ...target, lookup: checkedLookup(port, inner) };
    return Reflect.apply(connect, this, [checked, callback]) as net.Socket;
  }

  function guardedLookup(this: unknown, hostname: string, ...rest: unknown[]): unknown {
    const callback = rest.at(-1) as LookupCallback;
    const lookupOptions = (typeof rest[0] === 'function' ? {} : rest[0]) ?? {};
    const verdict = checkHost(options.policy(), hostname);
    if (!verdict.allowed) {
      const denial = refuse(hostname, undefined, verdict.reason);
      process.nextTick(() => {
        callback(denial, '');
      });
      return {};
    }
    const normalized =
      typeof lookupOptions === 'number' ? { family: lookupOptions } : lookupOptions;
    checkedLookup(undefined, lookup)(hostname, normalized, callback);
    return {};
  }

  async function guardedPromisesLookup(hostname: string, lookupOptions?: LookupOptions) {
    return new Promise((resolve, reject) => {
      guardedLookup(hostname, lookupOptions ?? {}, ((error, address, family) => {
        if (error !== null) reject(error);
        else resolve(Array.isArray(address) ? address : { address, family });
      }) satisfies LookupCallback);
    });
  }

  net.Socket.prototype.connect = guardedConnect;
  (dns as { lookup: unknown }).lookup = guardedLookup;
  (dns.promises as { lookup: unknown }).lookup = guardedPromisesLookup;
  syncBuiltinESMExports();
  return {
    uninstall() {
      net.Socket.prototype.connect = connect;
      (dns as { lookup: unknown }).lookup = lookup;
      (dns.promises as { lookup: unknown }).lookup = promisesLookup;
      syncBuiltinESMExports();
      installed = false;
    },
  };
}

/**
 * What `Socket#connect` was asked: `(options[, cb])`, `(port[, host][, cb])`, `(path[, cb])`,
 * or the array of normalized arguments `net.connect` passes.
 */
function connectArguments(args: readonly unknown[]): [ConnectOptions, unknown] {
  const first = args[0];
  if (Array.isArray(first)) return [(first[0] ?? {}) as ConnectOptions, first[1]];
  const callback = args.findLast((arg) => typeof arg === 'function');
  if (typeof first === 'object' && first !== null) return [first, callback];
  if (typeof first === 'string' && !/^\d+$/.test(first)) return [{ path: first }, callback];
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return [{ port: first as number | string, ...(host === undefined ? {} : { host }) }, callback];
}
