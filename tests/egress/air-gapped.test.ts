/**
 * Zero egress, proven in a network namespace (tests/egress/netns.ts): the real dataplane
 * (`node dataplane/src/main.ts`) runs in the gateway namespace, where an in-cluster name, an
 * external name and an outside address all resolve and answer (the positive control shows it).
 * Air-gapped, the guard refuses the external name before DNS ever sees it, the outside
 * address, and an in-cluster name that resolves outside; the outside host receives nothing;
 * the in-cluster service answers. Needs root and iproute2; skipped, with the reason in its
 * name, anywhere else. Every namespace and process it starts is removed by PID / name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../dataplane/src/core/error-codes.ts';
import { createTopology, netnsUnavailable, type Topology } from './netns.ts';
import { chat, refusals, startGateway, startWorld, type Gateway, type World } from './processes.ts';

const skip = netnsUnavailable();

const target = (name: string, baseURL: string) => ({
  name,
  provider: 'openai-compatible',
  model: 'm',
  baseURL,
});
const ROUTES = {
  routes: [
    {
      alias: 'chat',
      targets: [target('cluster', 'http://model.inference.svc.cluster.local:8080/v1')],
    },
    // Three attempts allowed: a refused target is still tried once only.
    {
      alias: 'external',
      targets: [target('external', 'http://api.external.test/v1')],
      retry: { maxAttempts: 3 },
    },
    { alias: 'outside-ip', targets: [target('outside-ip', 'http://198.51.100.1/v1')] },
    { alias: 'rogue', targets: [target('rogue', 'http://rogue.inference.svc.cluster.local/v1')] },
    {
      alias: 'external-then-cluster',
      targets: [
        target('external', 'http://api.external.test/v1'),
        target('cluster', 'http://model.inference.svc.cluster.local:8080/v1'),
      ],
    },
  ],
};

let topology: Topology | undefined;
let world: World | undefined;

describe.skipIf(skip !== undefined)(
  `the dataplane in a network namespace${skip === undefined ? '' : ` (skipped: ${skip})`}`,
  () => {
    beforeAll(async () => {
      topology = createTopology();
      world = await startWorld(topology);
    });

    afterAll(async () => {
      await world?.stop();
      topology?.destroy();
    });

    describe('air-gapped', () => {
      let gateway: Gateway | undefined;
      let since = 0;
      beforeAll(async () => {
        since = world!.lifetime.length;
        gateway = await startGateway(topology!, { airGapped: true, port: 8080, routes: ROUTES });
      }, 90_000);
      afterAll(async () => {
        await gateway?.stop();
      });

      it('reaches the in-cluster service by its cluster name', async () => {
        const answer = await chat(world!, gateway!, 'chat');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
        expect(answer.asked).toEqual(['model.inference.svc.cluster.local']);
        expect(answer.served).toEqual(['cluster']);
      });

      it('refuses the external name before DNS sees it, once, and says why', async () => {
        const answer = await chat(world!, gateway!, 'external');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({
          error: {
            code: 'UPSTREAM_UNAVAILABLE',
            details: { reason: 'egress_denied', host: 'api.external.test', policy: 'air-gapped' },
          },
        });
        expect(answer.asked).toEqual([]);
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual(['api.external.test not_in_cluster']);
      });

      it('refuses the outside address', async () => {
        const answer = await chat(world!, gateway!, 'outside-ip');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({
          error: { details: { reason: 'egress_denied', host: '198.51.100.1' } },
        });
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual(['198.51.100.1 not_in_cluster']);
      });

      it('refuses an in-cluster name that resolves outside the cluster', async () => {
        const answer = await chat(world!, gateway!, 'rogue');
        expect(answer.status).toBe(ERRORS.UPSTREAM_UNAVAILABLE.status);
        expect(answer.json).toMatchObject({ error: { details: { reason: 'egress_denied' } } });
        expect(answer.asked).toEqual(['rogue.inference.svc.cluster.local']);
        expect(answer.served).toEqual([]);
        expect(answer.refusals).toEqual([
          'rogue.inference.svc.cluster.local resolves_outside_cluster',
        ]);
      });

      it('falls back from a refused target to an in-cluster one', async () => {
        const answer = await chat(world!, gateway!, 'external-then-cluster');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
        expect(answer.served).toEqual(['cluster']);
      });

      it('counts the refusals by host and reason', async () => {
        const metrics = await world!.call(`${gateway!.url}/metrics`);
        expect(metrics.text).toMatch(
          /inference_egress_denied_total\{host="api\.external\.test",reason="not_in_cluster"\} 2/,
        );
        expect(metrics.text).toMatch(
          /inference_egress_denied_total\{host="198\.51\.100\.1",reason="not_in_cluster"\} 1/,
        );
      });

      // No dependency phoned home around the tests' own requests (update checks, telemetry):
      // it would have been refused and logged, or been seen by the world's DNS or hosts.
      it('made no connection over its whole life but those the requests asked for', () => {
        const seen = world!.lifetime.slice(since);
        const asked = new Set(seen.flatMap((e) => (e.event === 'dns' ? [e.name] : [])));
        expect([...asked].sort()).toEqual([
          'model.inference.svc.cluster.local',
          'rogue.inference.svc.cluster.local',
        ]);
        expect(seen.filter((e) => e.event === 'http' && e.server === 'outside')).toEqual([]);
        const refused = refusals(gateway!.output());
        expect(refused).toHaveLength(4);
      });
    });

    describe('not air-gapped (the positive control)', () => {
      let gateway: Gateway | undefined;
      beforeAll(async () => {
        gateway = await startGateway(topology!, { airGapped: false, port: 8081, routes: ROUTES });
      }, 90_000);
      afterAll(async () => {
        await gateway?.stop();
      });

      it('reaches the in-cluster service', async () => {
        const answer = await chat(world!, gateway!, 'chat');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('cluster: hello');
      });

      it('reaches the external name its route names, through DNS', async () => {
        const answer = await chat(world!, gateway!, 'external');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('outside: hello');
        expect(answer.asked).toEqual(['api.external.test']);
        expect(answer.served).toEqual(['outside']);
        expect(answer.refusals).toEqual([]);
      });

      it('reaches the outside address its route names', async () => {
        const answer = await chat(world!, gateway!, 'outside-ip');
        expect(answer.status).toBe(200);
        expect(answer.content).toBe('outside: hello');
      });
    });
  },
);
