/**
 * cdk8s constructs lowered to plain JSON objects, without App.synth or YAML: each builder gets a
 * fresh Chart, adds its constructs, and takes `Chart.toJson()`.
 */
import { App, Chart } from 'cdk8s';
import type { KubeObject } from '../runtime/objects.ts';

const CDK8S_ADDRESS_LABEL = 'cdk8s.io/metadata.addr';

/** Runs build on a fresh Chart and returns the objects it defined, as plain JSON. */
export function lower(build: (chart: Chart) => void): KubeObject[] {
  const chart = new Chart(new App(), 'render', { disableResourceNameHashes: true });
  build(chart);
  return chart.toJson().map((object) => stripAddress(object as KubeObject));
}

/**
 * cdk8s-plus labels pod templates with the construct's address; the operator selects pods by
 * its own labels, so the address is dropped (it would tie pod templates to construct paths).
 */
function stripAddress(value: KubeObject): KubeObject {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      if (key === CDK8S_ADDRESS_LABEL) continue;
      if (key === 'labels' && isEmptyAfterStrip(child)) continue;
      out[key] = strip(child);
    }
    return out;
  };
  return strip(value) as KubeObject;
}

function isEmptyAfterStrip(labels: unknown): boolean {
  return (
    labels !== null &&
    typeof labels === 'object' &&
    Object.keys(labels).every((key) => key === CDK8S_ADDRESS_LABEL)
  );
}
