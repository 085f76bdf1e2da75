/**
 * mem_guard: whether a second version fits beside the active one (a dual-load) in the memory
 * the container has left, before a swap loads anything. Free memory is the cgroup's limit less
 * its working set (cgroup-memory.ts), never more than the host has available; without a limit,
 * what the host has available. A dual-load needs free ≥ the new model's bytes × headroomFactor.
 * Headroom is published as free memory in units of the active model's bytes:
 * `memory_headroom_low` is raised while that is below headroomFactor (no swap of the same
 * size would fit) and cleared once it is back.
 */
import { freemem } from 'node:os';
import { readCgroupMemory, type CgroupMemory } from './cgroup-memory.ts';
import type { MemoryReading } from './metrics.ts';

export interface MemoryState {
  source: 'cgroup v2' | 'cgroup v1' | 'host';
  limitBytes: number | undefined;
  workingSetBytes: number | undefined;
  freeBytes: number;
}

export interface DualLoadVerdict {
  allowed: boolean;
  reason: 'SufficientHeadroom' | 'InsufficientHeadroom';
  message: string;
  neededBytes: number;
  state: MemoryState;
}

export interface MemGuardOptions {
  /** @default 1.3 */
  headroomFactor?: number;
  /** Bytes of the version being served (its declared modelBytes, else its weights file). */
  activeBytes: () => number | undefined;
  /** Reads the cgroup; injectable for tests. @default readCgroupMemory() */
  read?: () => Promise<CgroupMemory | undefined>;
  /** Available host memory; injectable for tests. @default os.freemem */
  hostFree?: () => number;
  /** Called when memory_headroom_low is raised (true) or cleared (false). */
  onHeadroomLow?: (low: boolean, reading: MemoryReading) => void;
}

export function memoryState(cgroup: CgroupMemory | undefined, hostFree: number): MemoryState {
  if (cgroup?.limitBytes === undefined) {
    return {
      source: 'host',
      limitBytes: undefined,
      workingSetBytes: cgroup?.workingSetBytes,
      freeBytes: hostFree,
    };
  }
  return {
    source: cgroup.version === 2 ? 'cgroup v2' : 'cgroup v1',
    limitBytes: cgroup.limitBytes,
    workingSetBytes: cgroup.workingSetBytes,
    freeBytes: Math.max(0, Math.min(cgroup.limitBytes - cgroup.workingSetBytes, hostFree)),
  };
}

/** The policy itself: a dual-load fits when free memory holds the new model × the factor. */
export function dualLoadVerdict(
  state: MemoryState,
  newModelBytes: number,
  headroomFactor: number,
): DualLoadVerdict {
  const neededBytes = Math.ceil(newModelBytes * headroomFactor);
  const where =
    state.limitBytes === undefined
      ? `the host has ${mib(state.freeBytes)} available (no memory limit)`
      : `${mib(state.freeBytes)} of the ${mib(state.limitBytes)} limit is free (${state.source})`;
  if (state.freeBytes >= neededBytes) {
    return {
      allowed: true,
      reason: 'SufficientHeadroom',
      message: `A dual-load needs ${mib(neededBytes)} (${mib(newModelBytes)} × ${headroomFactor}) and ${where}.`,
      neededBytes,
      state,
    };
  }
  return {
    allowed: false,
    reason: 'InsufficientHeadroom',
    message: `A dual-load needs ${mib(neededBytes)} (${mib(newModelBytes)} × ${headroomFactor}) but only ${where}; swap blue/green instead, or raise the memory limit.`,
    neededBytes,
    state,
  };
}

export class MemGuard {
  readonly headroomFactor: number;
  readonly #options: MemGuardOptions;
  #low = false;
  #cached: { at: number; reading: Promise<MemoryReading> } | undefined;

  constructor(options: MemGuardOptions) {
    this.headroomFactor = options.headroomFactor ?? 1.3;
    this.#options = options;
  }

  async state(): Promise<MemoryState> {
    const read = this.#options.read ?? (() => readCgroupMemory());
    return memoryState(await read(), (this.#options.hostFree ?? freemem)());
  }

  /** Whether a version of `newModelBytes` may load beside the active one now. */
  async check(newModelBytes: number): Promise<DualLoadVerdict> {
    return dualLoadVerdict(await this.state(), newModelBytes, this.headroomFactor);
  }

  /** Memory and headroom for /metrics (one read per 250 ms); raises or clears the low flag. */
  reading(): Promise<MemoryReading> {
    const now = performance.now();
    if (this.#cached === undefined || now - this.#cached.at > 250) {
      this.#cached = { at: now, reading: this.#read() };
    }
    return this.#cached.reading;
  }

  async #read(): Promise<MemoryReading> {
    const state = await this.state();
    const active = this.#options.activeBytes();
    const ratio = active === undefined || active <= 0 ? undefined : state.freeBytes / active;
    const low = ratio !== undefined && ratio < this.headroomFactor;
    const reading: MemoryReading = {
      limitBytes: state.limitBytes,
      workingSetBytes: state.workingSetBytes,
      headroomBytes: state.freeBytes,
      headroomRatio: ratio,
      headroomLow: low,
    };
    if (low !== this.#low) {
      this.#low = low;
      this.#options.onHeadroomLow?.(low, reading);
    }
    return reading;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
