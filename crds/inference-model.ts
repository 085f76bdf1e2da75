/** InferenceModel: a model served inside the cluster, by the dataplane (ONNX) or by an image. */
import { Type, type Static } from '@sinclair/typebox';
import {
  cel,
  Conditions,
  ObservedGeneration,
  Quantity,
  RenderedConfigChecksum,
  StringEnum,
  Struct,
  type KindDescriptor,
  type Resource,
} from './common.ts';

export const INFERENCE_MODEL_CONDITIONS = [
  'Ready',
  'Progressing',
  'Degraded',
  'MemoryHeadroomOK',
  'TLSReady',
] as const;

const ResourceList = (description: string) =>
  Struct(
    {
      cpu: Type.Optional(Quantity('CPU, in cores or millicores (e.g. 2, 500m).')),
      memory: Type.Optional(Quantity('Memory, in bytes or with a suffix (e.g. 4Gi).')),
    },
    { description },
  );

export const InferenceModelSpec = Struct(
  {
    runtime: StringEnum(['onnx', 'container'], {
      description:
        'How the model is served: onnx runs it in the dataplane image in model-server mode (onnxruntime-node, CPU or CUDA); container runs `image`, any OpenAI-compatible server (e.g. vLLM).',
    }),
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'Container image of the model server. Required when runtime is container.',
      }),
    ),
    source: Struct(
      {
        uri: Type.String({
          minLength: 1,
          maxLength: 2048,
          description:
            'Where the weights are fetched from (https://, s3://, hf://, oci:// or file://).',
        }),
        checksum: Type.String({
          pattern: '^sha256:[0-9a-f]{64}$',
          description:
            'SHA-256 of the weights, `sha256:<64 lowercase hex>`; a mismatch fails the load.',
        }),
      },
      { description: 'The model weights.' },
    ),
    quantization: Type.Optional(
      StringEnum(['fp32', 'fp16', 'int8', 'int4'], {
        default: 'fp32',
        description: 'Numeric precision of the weights.',
      }),
    ),
    modelBytes: Type.Integer({
      format: 'int64',
      minimum: 1,
      description:
        'Declared size of the loaded model in bytes; sizes memory requests and picks the Auto rollout strategy.',
    }),
    headroomFactor: Type.Optional(
      Type.Number({
        default: 1.3,
        description:
          'Memory needed per replica as a multiple of modelBytes; must be at least 1. MemoryHeadroomOK turns False when the memory limit is below modelBytes × headroomFactor.',
        ...cel({ rule: 'self >= 1.0', message: 'headroomFactor must be at least 1.' }),
      }),
    ),
    resources: Type.Optional(
      Struct(
        {
          requests: Type.Optional(ResourceList('Resources the scheduler reserves per replica.')),
          limits: Type.Optional(ResourceList('Most a replica may use.')),
        },
        { description: 'Compute resources of each model-server replica.' },
      ),
    ),
    replicas: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 0,
        default: 1,
        description: 'Number of model-server replicas; 0 scales the model down.',
      }),
    ),
    version: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
      description:
        'Version of the model; changing it rolls out the new weights and keeps the old version for rollback. A valid label value.',
    }),
    rollout: Type.Optional(
      Struct(
        {
          strategy: Type.Optional(
            StringEnum(['Auto', 'InPlace', 'BlueGreen'], {
              default: 'Auto',
              description:
                'Auto swaps in place (dual-load, atomic swap) below 8 GiB of modelBytes when the memory limit holds both versions and no pod refuses the dual-load, and uses blue/green Deployments otherwise; InPlace and BlueGreen force one. runtime: container is always blue/green.',
            }),
          ),
          rollbackWindowSeconds: Type.Optional(
            Type.Integer({
              format: 'int32',
              minimum: 0,
              maximum: 86400,
              default: 600,
              description:
                'Blue/green: how long the previous colour keeps its pods after the switch, so that setting version back to status.previousVersion switches back at once; then it scales to zero.',
            }),
          ),
        },
        { default: {}, description: 'How a new version replaces the active one.' },
      ),
    ),
    tls: Type.Optional(
      Struct(
        {},
        {
          description:
            "Serve mTLS (runtime onnx only). The operator issues the model server's serving certificate (for `model-<name>`, `model-<name>-blue` and `model-<name>-green` in the namespace) from the gateway's CA, which it keeps when INFERENCE_TLS=operator, into the Secret `model-<name>-tls` with ca.crt = the gateway's CA bundle, and renews it at two thirds of its lifetime. Every request but the probes and /metrics then needs a client certificate from that CA: a ProviderRoute's local target for this model sets tls: {ca: {gateway: true}, clientCertificate: {gateway: true}}. Until the certificate is issued the pods wait for the Secret; TLSReady says why.",
        },
      ),
    ),
  },
  {
    description: 'Desired state of the InferenceModel.',
    ...cel(
      {
        rule: "self.runtime != 'container' || has(self.image)",
        message: 'image is required when runtime is container.',
        fieldPath: '.image',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.runtime != 'container' || !has(self.rollout) || !has(self.rollout.strategy) || self.rollout.strategy != 'InPlace'",
        message:
          "rollout.strategy InPlace needs runtime onnx: an image's server cannot swap models in its pods.",
        fieldPath: '.rollout.strategy',
        reason: 'FieldValueInvalid',
      },
      {
        rule: "self.runtime != 'container' || !has(self.tls)",
        message:
          "tls needs runtime onnx: the operator cannot set an image's own server's TLS settings.",
        fieldPath: '.tls',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);
export type InferenceModelSpec = Static<typeof InferenceModelSpec>;

export const InferenceModelStatus = Struct(
  {
    conditions: Type.Optional(Conditions(INFERENCE_MODEL_CONDITIONS)),
    observedGeneration: Type.Optional(ObservedGeneration),
    activeVersion: Type.Optional(
      Type.String({ description: 'Version currently serving traffic.' }),
    ),
    previousVersion: Type.Optional(
      Type.String({ description: 'Version served before the active one, kept for rollback.' }),
    ),
    activeColor: Type.Optional(
      StringEnum(['blue', 'green'], {
        description: 'Which of the blue/green Deployments serves traffic.',
      }),
    ),
    endpoint: Type.Optional(
      Type.String({ description: 'In-cluster URL of the model server (its Service).' }),
    ),
    replicas: Type.Optional(
      Type.Integer({ format: 'int32', minimum: 0, description: 'Replicas that exist.' }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ format: 'int32', minimum: 0, description: 'Replicas that are ready.' }),
    ),
    renderedConfigChecksum: Type.Optional(RenderedConfigChecksum),
  },
  { description: 'Observed state of the InferenceModel, written by the operator.' },
);
export type InferenceModelStatus = Static<typeof InferenceModelStatus>;

export type InferenceModel = Resource<'InferenceModel', InferenceModelSpec, InferenceModelStatus>;

export const inferenceModelKind: KindDescriptor<
  typeof InferenceModelSpec,
  typeof InferenceModelStatus
> = {
  kind: 'InferenceModel',
  plural: 'inferencemodels',
  singular: 'inferencemodel',
  shortNames: ['im', 'infmodel'],
  description:
    'InferenceModel is a model served by the cluster: ONNX weights run by the dataplane in model-server mode, or any OpenAI-compatible server image.',
  conditionTypes: INFERENCE_MODEL_CONDITIONS,
  printerColumns: [
    {
      name: 'Runtime',
      type: 'string',
      jsonPath: '.spec.runtime',
      description: 'onnx or container.',
    },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Desired version.' },
    {
      name: 'Active',
      type: 'string',
      jsonPath: '.status.activeVersion',
      description: 'Version serving traffic.',
    },
    {
      name: 'Color',
      type: 'string',
      jsonPath: '.status.activeColor',
      description: 'Active blue/green colour.',
    },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.readyReplicas',
      description: 'Ready replicas.',
      priority: 1,
    },
  ],
  spec: InferenceModelSpec,
  status: InferenceModelStatus,
};
