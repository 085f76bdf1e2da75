import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** What the local runtime runs on; `/readyz` shows it under `hardware`. */
export interface HardwareReport {
  /** The execution provider local models are created with. */
  executionProvider: 'cuda' | 'cpu';
  cuda: { available: boolean; reason: string };
  /** NVIDIA GPUs the driver reports (empty without one). */
  gpus: string[];
  cpu: { model: string; cores: number };
  memoryBytes: number;
  onnxruntime: string;
}

let detected: HardwareReport | undefined;

/**
 * Detects, once, whether local models can use the CUDA execution provider: onnxruntime-node
 * must list it, its provider library must be installed beside the binding (the package's
 * install script fetches it; our installs skip that download), and the NVIDIA driver must
 * report a GPU. `INFERENCE_LOCAL_EP=cpu` forces the CPU. Without all three, models run on
 * the CPU provider, which onnxruntime-node always bundles.
 */
export function hardware(): HardwareReport {
  detected ??= detect(process.env);
  return detected;
}

/** Forgets what was detected (tests that change the environment). */
export function resetHardware(): void {
  detected = undefined;
}

function detect(env: NodeJS.ProcessEnv): HardwareReport {
  const gpus = nvidiaGpus();
  const cuda = cudaAvailability(gpus, env);
  const cpuList = cpus();
  return {
    executionProvider: cuda.available ? 'cuda' : 'cpu',
    cuda,
    gpus,
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length },
    memoryBytes: totalmem(),
    onnxruntime: ort.env.versions.node ?? 'unknown',
  };
}

function cudaAvailability(
  gpus: string[],
  env: NodeJS.ProcessEnv,
): { available: boolean; reason: string } {
  if (env['INFERENCE_LOCAL_EP'] === 'cpu')
    return { available: false, reason: 'INFERENCE_LOCAL_EP=cpu' };
  if (!ort.listSupportedBackends().some((backend) => backend.name === 'cuda')) {
    return {
      available: false,
      reason: 'this onnxruntime-node build has no CUDA execution provider',
    };
  }
  const library = join(bindingDir(), 'libonnxruntime_providers_cuda.so');
  if (!existsSync(library)) {
    return { available: false, reason: `the CUDA provider library is not installed (${library})` };
  }
  if (gpus.length === 0)
    return { available: false, reason: 'no NVIDIA GPU is visible to the driver' };
  return { available: true, reason: `CUDA on ${gpus.join(', ')}` };
}

/** The folder of onnxruntime-node's native binding, where its provider libraries live. */
function bindingDir(): string {
  const packageDir = dirname(
    createRequire(import.meta.url).resolve('onnxruntime-node/package.json'),
  );
  return join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
}

/** GPU names from the NVIDIA driver's proc files (no nvidia-smi needed). */
function nvidiaGpus(): string[] {
  const root = '/proc/driver/nvidia/gpus';
  try {
    return readdirSync(root).map((bus) => {
      const information = readFileSync(join(root, bus, 'information'), 'utf8');
      return /^Model:\s*(.+)$/m.exec(information)?.[1]?.trim() ?? bus;
    });
  } catch {
    return [];
  }
}
