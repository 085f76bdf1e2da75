/**
 * A target's outbound TLS (`targets[].tls` of routes.yaml), read from `upstream-tls/` of the
 * contract and checked as a whole: a file that is missing, not PEM, a key that does not match
 * its certificate, a certificate or CA that has expired or is not valid yet, a bundle entry that
 * is not a CA, or an http:// target, are a ConfigError naming the target, so the snapshot is
 * refused (the served one stays, `/readyz` says why). Never a silent plaintext call.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { RouteTarget } from '../../../crds/provider-route.ts';
import {
  UPSTREAM_TLS_PREFIX,
  upstreamFiles,
  type UpstreamTls,
} from '../../../crds/upstream-tls.ts';
import type { TargetTls } from '../core/route.ts';
import { certificates, checkValidity } from './tls-material.ts';
import { ConfigError } from './validate.ts';

let sequence = 0;

export function readUpstreamTls(
  target: Pick<RouteTarget, 'name' | 'provider' | 'baseURL'> & { tls: UpstreamTls },
  files: ReadonlyMap<string, string>,
  where: string,
  nowMs: number,
): TargetTls {
  const at = `${where}: target ${target.name}: tls`;
  if (target.provider === 'mock') throw new ConfigError(`${at}: the mock provider takes no tls.`);
  if (target.baseURL?.startsWith('http://') === true)
    throw new ConfigError(`${at} needs an https:// baseURL, not ${target.baseURL}.`);
  if (target.provider === 'local' && target.baseURL === undefined)
    throw new ConfigError(`${at}: a local model in this process has no connection to secure.`);

  const text: Partial<Record<'ca' | 'cert' | 'key', { path: string; pem: string }>> = {};
  for (const { part, file } of upstreamFiles(target.tls)) {
    const path = `${UPSTREAM_TLS_PREFIX}${file}`;
    const pem = files.get(path);
    if (pem === undefined) throw new ConfigError(`${at}: ${path} is missing.`);
    text[part] = { path, pem };
  }
  const notAfter: { client?: number; ca?: number } = {};
  if (text.ca !== undefined) {
    const authorities = certificates(text.ca.pem, text.ca.path);
    if (authorities.length === 0)
      throw new ConfigError(`${at}: ${text.ca.path} holds no certificate.`);
    for (const [index, authority] of authorities.entries()) {
      const name = `${at}: ${text.ca.path} certificate ${index} (${authority.subject})`;
      if (!authority.ca) throw new ConfigError(`${name} is not a CA.`);
      checkValidity(authority, name, nowMs);
    }
    notAfter.ca = Math.min(...authorities.map((a) => a.validToDate.getTime()));
  }
  if (text.cert !== undefined && text.key !== undefined) {
    const leaf = certificates(text.cert.pem, text.cert.path)[0];
    if (leaf === undefined) throw new ConfigError(`${at}: ${text.cert.path} holds no certificate.`);
    checkValidity(leaf, `${at}: ${text.cert.path}`, nowMs);
    let key;
    try {
      key = createPrivateKey(text.key.pem);
    } catch {
      throw new ConfigError(`${at}: ${text.key.path} is not a PEM private key.`);
    }
    if (!leaf.checkPrivateKey(key))
      throw new ConfigError(`${at}: ${text.key.path} does not match ${text.cert.path}.`);
    notAfter.client = leaf.validToDate.getTime();
  }
  const material = {
    ...(text.ca === undefined ? {} : { ca: text.ca.pem }),
    ...(text.cert === undefined ? {} : { cert: text.cert.pem }),
    ...(text.key === undefined ? {} : { key: text.key.pem }),
  };
  try {
    createSecureContext({ ...material, minVersion: 'TLSv1.2' });
  } catch (error) {
    throw new ConfigError(`${at}: refused by OpenSSL (${(error as Error).message}).`);
  }
  const serverName = target.tls.serverName;
  const slot = [...Object.values(text).map((file) => file.path), `sni=${serverName ?? ''}`].join(
    '\u0000',
  );
  return {
    id: `sha256:${createHash('sha256')
      .update(
        `${material.ca ?? ''}\0${material.cert ?? ''}\0${material.key ?? ''}\0${serverName ?? ''}`,
      )
      .digest('hex')}`,
    slot,
    sequence: ++sequence,
    ...material,
    ...(serverName === undefined ? {} : { serverName }),
    notAfter,
  };
}
