import { length, sub, type Pose } from './geometry.ts';
import { headLocal, type Anchor, type Resolution } from './resolve.ts';

/** The anchors a prompt lists, nearest the head first: bounds the prompt whatever the scene. */
export const SCENE_ANCHORS = 24;
/** Relations listed for each referent: to its nearest neighbours. */
export const RELATIONS = 3;

/** The variables of prompts/xr.yaml that ground a turn in the scene. */
export interface XrPromptVariables {
  scene: string;
  referents: string;
  gesture: string;
  avatar: string;
}

const m = (value: number) => `${Math.abs(value).toFixed(2)} m`;

/** Where a point lies as the head sees it: "1.20 m ahead, 0.30 m left, 0.10 m down". */
function whereFromHead(anchor: Anchor, head: Pose | undefined): string {
  const [x, y, z] = headLocal(anchor.pose.position, head);
  return [
    `${m(z)} ${z <= 0 ? 'ahead' : 'behind'}`,
    `${m(x)} ${x < 0 ? 'left' : 'right'}`,
    `${m(y)} ${y < 0 ? 'down' : 'up'}`,
  ].join(', ');
}

/**
 * The spatial relations of `anchor` to another, in the head's frame: left of / right of,
 * above / below, in front of / behind, each only past 10 cm, and the distance.
 */
export function relation(anchor: Anchor, other: Anchor, head: Pose | undefined): string {
  const a = headLocal(anchor.pose.position, head);
  const b = headLocal(other.pose.position, head);
  const words: string[] = [];
  if (Math.abs(a[0] - b[0]) > 0.1) words.push(a[0] < b[0] ? 'left of' : 'right of');
  if (Math.abs(a[1] - b[1]) > 0.1) words.push(a[1] > b[1] ? 'above' : 'below');
  if (Math.abs(a[2] - b[2]) > 0.1) words.push(a[2] > b[2] ? 'in front of' : 'behind');
  const distance = length(sub(anchor.pose.position, other.pose.position));
  const how = words.length === 0 ? 'next to' : words.join(', ');
  return `${anchor.id} is ${how} ${other.id} (${m(distance)} apart)`;
}

/** Anchors and referents as the text the prompt's slices carry. Pure. */
export function groundingVariables(
  anchors: readonly Anchor[],
  head: Pose | undefined,
  resolution: Resolution,
  gesture: string,
  avatar: string,
): XrPromptVariables {
  const fromHead = (anchor: Anchor) =>
    head === undefined ? 0 : length(sub(anchor.pose.position, head.position));
  const listed = [...anchors]
    .sort((a, b) => fromHead(a) - fromHead(b) || (a.id < b.id ? -1 : 1))
    .slice(0, SCENE_ANCHORS);
  const scene =
    listed.length === 0
      ? 'No anchors are registered.'
      : listed
          .map(
            (anchor) =>
              `- ${anchor.id} (${JSON.stringify(anchor.label)}): ${whereFromHead(anchor, head)}`,
          )
          .join('\n');
  const lines = resolution.referents.map((referent) => {
    const anchor = anchors.find((a) => a.id === referent.anchor_id);
    const by = { point: 'pointed at', gaze: 'looked at', hand: 'held' }[referent.source];
    const neighbours =
      anchor === undefined
        ? []
        : anchors
            .filter((other) => other.id !== anchor.id)
            .sort(
              (a, b) =>
                length(sub(a.pose.position, anchor.pose.position)) -
                  length(sub(b.pose.position, anchor.pose.position)) || (a.id < b.id ? -1 : 1),
            )
            .slice(0, RELATIONS)
            .map((other) => `; ${relation(anchor, other, head)}`);
    return `- ${referent.anchor_id} (${JSON.stringify(referent.label)}), ${by}${neighbours.join('')}`;
  });
  const overruled =
    resolution.overruled === undefined
      ? []
      : [`- (the user was looking at ${resolution.overruled.anchor_id} while pointing)`];
  return {
    scene,
    referents:
      lines.length === 0
        ? 'Nothing in the scene was looked or pointed at when the user spoke.'
        : [...lines, ...overruled].join('\n'),
    gesture,
    avatar,
  };
}
