import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';

/** Which llama.cpp binary serves GGUF models; `/readyz`'s hardware report can show it. */
export interface LlamaRuntimeReport {
  /** `false` is the CPU; otherwise the GPU backend llama.cpp loaded (cuda, vulkan, metal). */
  gpu: Llama['gpu'];
  reason: string;
}

let loading: Promise<{ llama: Llama; report: LlamaRuntimeReport }> | undefined;

/**
 * The process's one llama.cpp instance (node-llama-cpp), loaded on first use. Only prebuilt
 * binaries (`build: 'never'`: nothing compiles at run time). The GPU is tried first
 * (`gpu: 'auto'`: a CUDA or Vulkan binary when its npm package and a device are present; our
 * slim install carries only the CPU package) and the CPU serves when that fails;
 * `INFERENCE_LOCAL_EP=cpu` asks for the CPU, as it does for the ONNX runtime.
 */
export function llamaRuntime(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ llama: Llama; report: LlamaRuntimeReport }> {
  loading ??= load(env);
  return loading;
}

async function load(env: NodeJS.ProcessEnv): Promise<{ llama: Llama; report: LlamaRuntimeReport }> {
  const options = { build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error } as const;
  if (env['INFERENCE_LOCAL_EP'] !== 'cpu') {
    try {
      const llama = await getLlama({ ...options, gpu: 'auto' });
      const reason =
        llama.gpu === false ? 'no GPU binary or device was found' : `${llama.gpu} binary loaded`;
      return { llama, report: { gpu: llama.gpu, reason } };
    } catch (error) {
      const reason = `the GPU binary failed to load (${(error as Error).message.split('\n')[0] ?? ''})`;
      const llama = await getLlama({ ...options, gpu: false });
      return { llama, report: { gpu: false, reason } };
    }
  }
  const llama = await getLlama({ ...options, gpu: false });
  return { llama, report: { gpu: false, reason: 'INFERENCE_LOCAL_EP=cpu' } };
}
