import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/objects.ts';
import { MODEL_TLS_DIR, withModelServerTls } from './model-server-tls.ts';

const deployment = (command?: string[]): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'phi-3-mini-blue', namespace: 'team' },
  spec: {
    template: {
      spec: {
        volumes: [{ name: 'model-spec', configMap: { name: 'phi-3-mini-blue' } }],
        containers: [
          {
            name: 'model-server',
            ...(command === undefined ? {} : { command }),
            env: [{ name: 'PORT', value: '8080' }],
            volumeMounts: [{ name: 'model-spec', mountPath: '/etc/model', readOnly: true }],
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 } },
            livenessProbe: { httpGet: { path: '/livez', port: 8080 } },
            startupProbe: { tcpSocket: { port: 8080 } },
          },
        ],
      },
    },
  },
});
interface PodSpec {
  volumes: unknown[];
  containers: {
    env: { name: string; value: string }[];
    volumeMounts: unknown[];
    readinessProbe: { httpGet: { scheme?: string } };
    livenessProbe: { httpGet: { scheme?: string } };
    startupProbe: Record<string, unknown>;
  }[];
}
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'phi-3-mini' } };
const onnx = ['node', '--expose-gc', 'dataplane/src/model-server.ts'];

describe('withModelServerTls', () => {
  it('mounts the Secret, tells the model server to require client certificates, and probes over HTTPS', () => {
    const [patched, untouched] = withModelServerTls([deployment(onnx), service], 'phi-3-mini-tls');
    const pod = (patched as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
      .spec;
    expect(pod.volumes).toContainEqual({
      name: 'model-tls',
      secret: { secretName: 'phi-3-mini-tls' },
    });
    const container = pod.containers[0]!;
    expect(container.volumeMounts).toContainEqual({
      name: 'model-tls',
      mountPath: MODEL_TLS_DIR,
      readOnly: true,
    });
    expect(container.env).toEqual([
      { name: 'MODEL_TLS_CLIENT_CERTIFICATES', value: 'required' },
      { name: 'MODEL_TLS_DIR', value: MODEL_TLS_DIR },
      { name: 'PORT', value: '8080' },
    ]);
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(container.livenessProbe.httpGet.scheme).toBe('HTTPS');
    expect(container.startupProbe).toEqual({ tcpSocket: { port: 8080 } });
    expect(untouched).toBe(service);
  });

  it('leaves the Deployment it was given as it was', () => {
    const original = deployment(onnx);
    const copy = structuredClone(original);
    withModelServerTls([original], 'phi-3-mini-tls');
    expect(original).toEqual(copy);
  });

  it('refuses a model server that runs an image of its own, which cannot read MODEL_TLS_DIR', () => {
    expect(() => withModelServerTls([deployment()], 'x')).toThrow(
      'Deployment phi-3-mini-blue runs an image of its own',
    );
  });
});
