/**
 * The test cluster's nodes are simulated (kwok): a model-server pod is Running and Ready, with
 * an address in a range that is never routed and no process behind it. The operator's model
 * probe lists those addresses from the real EndpointSlices; this `fetch` answers its HTTP
 * calls for them the way a model server would once it has read its colour's ConfigMap (the
 * version there is the version served, and a chat request answers), without sending a packet.
 * The rollout decisions stay the operator's; the probe's HTTP side is tested against real
 * model-server processes (tests/e2e/model-rollout.test.ts).
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { SPEC_KEY } from '../../operator/src/render/model-server.ts';

export function simulatedModelPods(core: CoreV1Api): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const pods = await core.listPodForAllNamespaces({
      fieldSelector: `status.podIP=${url.hostname}`,
    });
    const pod = pods.items[0];
    const volume = pod?.spec?.volumes?.find((v) => v.name === 'model-spec')?.configMap?.name;
    if (pod === undefined || volume === undefined)
      return Response.json({ error: { code: 'NOT_FOUND' } }, { status: 404 });
    const configMap = await core.readNamespacedConfigMap({
      namespace: pod.metadata?.namespace ?? '',
      name: volume,
    });
    const { version } = JSON.parse(configMap.data?.[SPEC_KEY] ?? '{}') as { version?: string };
    if (url.pathname === '/readyz')
      return Response.json({ status: 'ready', version, task: 'chat' });
    if (url.pathname === '/v1/chat/completions')
      return Response.json({ object: 'chat.completion', choices: [] });
    return Response.json({ error: { code: 'NOT_FOUND' } }, { status: 404 });
  };
}
