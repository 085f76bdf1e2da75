import { watch, type FSWatcher } from 'node:fs';
import { EventEmitter } from 'node:events';
import { readConfigTree } from './read-tree.ts';
import { buildSnapshot, type ConfigSnapshot } from './snapshot.ts';

export interface ConfigStatus {
  /** The checksum being served, if any. */
  checksum: string | undefined;
  /** Why the last reload was refused; cleared by a good one. */
  lastError: string | undefined;
  reloads: { ok: number; refused: number };
}

export interface ConfigStoreEvents {
  swapped: [snapshot: ConfigSnapshot];
  refused: [error: Error];
}

/**
 * Holds the current snapshot and swaps it atomically. A reload that fails keeps the old
 * snapshot serving and records why. `watch()` reloads on any change under the directories,
 * kubelet's `..data` symlink swap included, debounced, plus a periodic poll for missed events.
 */
export class ConfigStore extends EventEmitter<ConfigStoreEvents> {
  #current: ConfigSnapshot | undefined;
  #status: ConfigStatus = {
    checksum: undefined,
    lastError: undefined,
    reloads: { ok: 0, refused: 0 },
  };
  #watchers: FSWatcher[] = [];
  #timers: NodeJS.Timeout[] = [];
  #reloading: Promise<void> | undefined;
  #again = false;
  readonly #dirs: readonly string[];
  readonly #env: NodeJS.ProcessEnv;

  constructor(dirs: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    super();
    this.#dirs = dirs;
    this.#env = env;
  }

  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  get status(): ConfigStatus {
    return { ...this.#status, reloads: { ...this.#status.reloads } };
  }

  /** Reloads now; concurrent calls coalesce into one more pass. Never throws. */
  reload(): Promise<void> {
    if (this.#reloading !== undefined) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#reloadRequested());
    })().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  /** Whether a reload was asked for while one ran (read through a call: it changes across awaits). */
  #reloadRequested(): boolean {
    return this.#again;
  }

  async #reloadOnce(): Promise<void> {
    try {
      const files = await readConfigTree(this.#dirs);
      if (files.checksum === this.#current?.checksum) {
        this.#status.lastError = undefined;
        return;
      }
      const snapshot = buildSnapshot(files, this.#env);
      this.#current = snapshot;
      this.#status = {
        checksum: snapshot.checksum,
        lastError: undefined,
        reloads: { ...this.#status.reloads, ok: this.#status.reloads.ok + 1 },
      };
      this.emit('swapped', snapshot);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#status.lastError = failure.message;
      this.#status.reloads.refused++;
      this.emit('refused', failure);
    }
  }

  /** Starts watching. @param pollMs the safety-net poll period. @default 5000 */
  watch(options: { debounceMs?: number; pollMs?: number } = {}): void {
    const debounceMs = options.debounceMs ?? 100;
    let pending: NodeJS.Timeout | undefined;
    const schedule = () => {
      clearTimeout(pending);
      pending = setTimeout(() => void this.reload(), debounceMs);
      pending.unref();
    };
    for (const dir of this.#dirs) {
      try {
        const watcher = watch(dir, { recursive: true, persistent: false }, schedule);
        watcher.on('error', schedule);
        this.#watchers.push(watcher);
      } catch {
        // A directory that does not exist yet is picked up by the poll.
      }
    }
    const poll = setInterval(() => void this.reload(), options.pollMs ?? 5000);
    poll.unref();
    this.#timers.push(poll);
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    for (const timer of this.#timers) clearInterval(timer);
    this.#watchers = [];
    this.#timers = [];
  }
}
