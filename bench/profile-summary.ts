/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and
 * self time per package or source area.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  area: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded, in ms. */
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  areas: { area: string; selfMs: number }[];
  /**
   * Self time charged to the nearest caller outside node's internals and native code: what
   * each package or area of ours costs with the runtime work it asks for (fetch, streams,
   * timers, buffers) included.
   */
  charged: { area: string; selfMs: number }[];
}

/** Areas whose time is charged to their caller in `charged`. */
const RUNTIME = new Set(['node internals', '(native)']);

const repo = fileURLToPath(new URL('../', import.meta.url));

/** Where a function lives, coarsely: a package, a folder of ours, node's internals, or V8. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const relative = path.startsWith(repo) ? path.slice(repo.length) : path;
  return relative.split('/').slice(0, -1).join('/') || relative;
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const chargedArea = (id: number): string => {
    const own = areaOf(byId.get(id)!.callFrame);
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const area = areaOf(byId.get(at)!.callFrame);
      if (!RUNTIME.has(area) && area !== '(root)') return area;
    }
    return own;
  };
  const selfById = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    // timeDeltas[i] is the time before sample i; attribute the gap to the sample that follows.
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfById.set(id, (selfById.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, SelfTime>();
  const areas = new Map<string, number>();
  const charged = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, selfMs] of selfById) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    if (frame.functionName === '(idle)') {
      idleMs += selfMs;
      continue;
    }
    busyMs += selfMs;
    const area = areaOf(frame);
    const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    const where =
      file === ''
        ? ''
        : `${file.startsWith(repo) ? file.slice(repo.length) : file}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}\u0000${where}`;
    const entry = functions.get(key) ?? {
      name: frame.functionName === '' ? '(anonymous)' : frame.functionName,
      where,
      area,
      selfMs: 0,
    };
    entry.selfMs += selfMs;
    functions.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + selfMs);
    const payer = chargedArea(id);
    charged.set(payer, (charged.get(payer) ?? 0) + selfMs);
  }
  const sorted = (map: Map<string, number>) =>
    [...map.entries()]
      .map(([area, selfMs]) => ({ area, selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return {
    busyMs,
    idleMs,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
    areas: sorted(areas),
    charged: sorted(charged),
  };
}

export function renderProfile(summary: ProfileSummary, top: number): string {
  const share = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1)} %`;
  const where = (w: string) => (w.length > 70 ? `…${w.slice(-69)}` : w);
  const name = (n: string) => (n.length > 60 ? `${n.slice(0, 59)}…` : n).replaceAll('|', '\\|');
  const charged = new Map(summary.charged.map((a) => [a.area, a.selfMs]));
  return [
    `busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s (shares below are of busy time)`,
    '',
    '| area | self ms | share | with the runtime work it called | share |',
    '| --- | --- | --- | --- | --- |',
    ...summary.areas.slice(0, top).map((a) => {
      const withRuntime = charged.get(a.area) ?? 0;
      return `| ${a.area} | ${a.selfMs.toFixed(0)} | ${share(a.selfMs)} | ${withRuntime.toFixed(0)} | ${share(withRuntime)} |`;
    }),
    '',
    '| function | where | self ms | share |',
    '| --- | --- | --- | --- |',
    ...summary.functions
      .slice(0, top)
      .map(
        (f) =>
          `| ${name(f.name)} | ${where(f.where) || f.area} | ${f.selfMs.toFixed(0)} | ${share(f.selfMs)} |`,
      ),
  ].join('\n');
}

if (import.meta.main) {
  const [file, top = '25'] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [top=25]');
    process.exit(2);
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  console.log(renderProfile(summarizeProfile(profile), Number(top)));
}
