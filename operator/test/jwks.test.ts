// JWKS rotation without a restart, against the real control plane: a namespace's Secret
// inference-auth-jwks replaces the operator's own JWKS in keys/jwks.json as soon as it is
// written; a key removed from it stays published for the retention plus the propagation
// delay (here 1 s + 1 s), then leaves. An issuer's JWKS URL the operator fetches on a schedule
// serves the same way where no Secret is.
import { createServer, type Server } from 'node:http';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorHandle } from '../src/operator.ts';
import {
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  eventually,
  installCrds,
  newNamespace,
  operatorIdentity,
  startTestOperator,
} from './support.ts';

const key = (kid: string) => ({ kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid });
const jwks = (...kids: string[]) => JSON.stringify({ keys: kids.map(key) });

let namespace: string;
let operator: OperatorHandle;
beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('jwks');
  operator = await startTestOperator([namespace], await operatorIdentity(namespace), {
    INFERENCE_AUTH_JWKS_RETENTION_MS: '1000',
    INFERENCE_RESUME_KEY_PROPAGATION_MS: '1000',
  });
  await createResource(namespace, {
    kind: 'ProviderRoute',
    metadata: { name: 'chat' },
    spec: { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
  });
}, 60_000);
afterAll(async () => {
  await operator.stop();
  await deleteNamespaces();
  await deleteClusterRoles();
});

const file = (secret: V1Secret, name: string) => {
  const value = secret.data?.[name];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

/** The kids of keys/jwks.json once `ready` holds for them. */
function published(
  ready: (kids: string[]) => boolean,
  where: () => string = () => namespace,
): Promise<string[]> {
  return eventually(async () => {
    const namespace = where();
    const keys = await core.readNamespacedSecret({ namespace, name: 'inference-keys' });
    const parsed = JSON.parse(file(keys, 'jwks.json') ?? '{"keys":[]}') as {
      keys: { kid?: string }[];
    };
    const kids = parsed.keys.map((k) => k.kid ?? '');
    return ready(kids) ? kids : undefined;
  }, 30_000);
}

async function writeJwks(text: string): Promise<void> {
  const body = { metadata: { name: 'inference-auth-jwks' }, stringData: { 'jwks.json': text } };
  try {
    await core.replaceNamespacedSecret({ namespace, name: 'inference-auth-jwks', body });
  } catch {
    await core.createNamespacedSecret({ namespace, body });
  }
}

describe('a JWKS Secret in the namespace', () => {
  it('replaces the operator JWKS without a restart, and retires a removed key after its window', async () => {
    // The operator's own JWKS (one generated key) serves until the Secret exists.
    await published((kids) => kids.length === 1 && kids[0] !== 'a');
    await writeJwks(jwks('a', 'b'));
    // The operator's key left the source too: it is retained for its window, then drops.
    expect(await published((kids) => kids.join() === 'a,b')).toEqual(['a', 'b']);

    await writeJwks(jwks('b', 'c'));
    const during = await published((kids) => kids.includes('c'));
    expect(during).toEqual(['b', 'c', 'a']);
    const keys = await core.readNamespacedSecret({ namespace, name: 'inference-keys' });
    expect(Object.keys(JSON.parse(file(keys, 'jwks-removed.json') ?? '{}') as object)).toEqual([
      'kid:a',
    ]);
    expect(await published((kids) => !kids.includes('a'))).toEqual(['b', 'c']);
  }, 60_000);
});

describe("an issuer's JWKS URL", () => {
  let issuer: Server;
  let served = jwks('u1');
  let other: string;
  let fetching: OperatorHandle;
  beforeAll(async () => {
    issuer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(served);
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    const address = issuer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    other = await newNamespace('jwks-url');
    fetching = await startTestOperator([other], await operatorIdentity(other), {
      INFERENCE_AUTH_JWKS: '',
      INFERENCE_AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      INFERENCE_AUTH_JWKS_REFRESH_MS: '1000',
      INFERENCE_AUTH_JWKS_RETENTION_MS: '1000',
      INFERENCE_RESUME_KEY_PROPAGATION_MS: '1000',
    });
    await createResource(other, {
      kind: 'ProviderRoute',
      metadata: { name: 'chat' },
      spec: { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    });
  }, 60_000);
  afterAll(async () => {
    await fetching.stop();
    await new Promise((resolve) => issuer.close(resolve));
  });

  it('is fetched and rendered, and a rotation at the issuer reaches the contract', async () => {
    const where = () => other;
    expect(await published((kids) => kids.join() === 'u1', where)).toEqual(['u1']);
    served = jwks('u1', 'u2');
    expect(await published((kids) => kids.join() === 'u1,u2', where)).toEqual(['u1', 'u2']);
    served = jwks('u2');
    expect(await published((kids) => kids.join() === 'u2,u1', where)).toEqual(['u2', 'u1']);
    expect(await published((kids) => kids.join() === 'u2', where)).toEqual(['u2']);
  }, 60_000);
});
