/**
 * Builds the apiextensions.k8s.io/v1 CustomResourceDefinition of a kind from its descriptor.
 * Pure: the same descriptor always gives the same object, which `make gen` writes as YAML.
 */
import { CATEGORY, GROUP, VERSION, type KindDescriptor, type PrinterColumn } from './common.ts';
import { toStructural, type JsonSchema } from './structural.ts';

/** Columns every kind shows after its own: the Ready condition, its reason, and age. */
export const COMMON_COLUMNS: readonly PrinterColumn[] = [
  {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Ready condition.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    description: 'Reason of the Ready condition.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
];

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

export function crdName(kind: KindDescriptor): string {
  return `${kind.plural}.${GROUP}`;
}

export function customResourceDefinition(kind: KindDescriptor): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(kind),
      labels: { 'app.kubernetes.io/part-of': 'inference-service' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openAPIV3Schema(kind) },
          subresources: { status: {} },
          additionalPrinterColumns: [...kind.printerColumns, ...COMMON_COLUMNS].map(column),
        },
      ],
    },
  };
}

/** The whole object's schema: the envelope, then the kind's spec and status. */
export function openAPIV3Schema(kind: KindDescriptor): JsonSchema {
  return {
    description: kind.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
        type: 'string',
      },
      metadata: { type: 'object' },
      spec: toStructural(kind.spec, 'spec'),
      status: toStructural(kind.status, 'status'),
    },
  };
}

/** Printer columns omit `priority` when it is the default 0, as kubectl writes them. */
function column(printer: PrinterColumn): PrinterColumn {
  const { priority, ...rest } = printer;
  return priority ? { ...rest, priority } : rest;
}
