// Owns the invocation tree the collector presents as Sentinel's (the `jsonTree` and `tree`
// commands): `machine-root`, one entrance node for the default context, and every tracked
// resource under it; and the figures of a node as Sentinel's Node interface gives them.
//
// Filters enter no named context, so every resource is an entry of Sentinel's default context
// (`sentinel_default_context`, what Sentinel uses when nothing was entered) and the tree has one
// entrance. Entrance nodes (machine-root is one too) carry no counters of their own: as Sentinel's
// EntranceNode, their figures are their children's summed, the average RT weighted by pass QPS.
// Exceptions are summed as well (Sentinel's entrance nodes leave them at 0).

import type { NodeSnapshot } from '../stats/types.js';

/** Sentinel's invocation-tree root. */
export const MACHINE_ROOT = 'machine-root';
/** The context of every entry a filter makes (Sentinel's default context name). */
export const DEFAULT_CONTEXT = 'sentinel_default_context';

/** A node's figures: second-window rates and average RT as doubles, minute totals as counts. */
export interface NodeFigures {
  threadNum: number;
  passQps: number;
  blockQps: number;
  totalQps: number;
  successQps: number;
  exceptionQps: number;
  avgRtMs: number;
  /** Minute window: pass + block. */
  totalRequest: number;
  blockRequest: number;
  exceptionRequest: number;
}

export interface TreeNode {
  name: string;
  /** An entrance node (machine-root or a context): figures summed from its children. */
  entrance: boolean;
  figures: NodeFigures;
  children: TreeNode[];
}

export function figuresOf(node: NodeSnapshot): NodeFigures {
  const s = node.second;
  const m = node.minute;
  return {
    threadNum: node.concurrency,
    passQps: s.passQps,
    blockQps: s.blockQps,
    totalQps: s.totalQps,
    successQps: s.successQps,
    exceptionQps: s.exceptionQps,
    avgRtMs: s.avgRtMs,
    totalRequest: m.totalRequest,
    blockRequest: m.block,
    exceptionRequest: m.exception,
  };
}

/** A node with nothing counted (and the start of an entrance's sums). */
export const ZERO_FIGURES: Readonly<NodeFigures> = { threadNum: 0, passQps: 0, blockQps: 0, totalQps: 0, successQps: 0, exceptionQps: 0, avgRtMs: 0, totalRequest: 0, blockRequest: 0, exceptionRequest: 0 };

/** An entrance node's figures: its children's summed in order, the average RT weighted by pass QPS. */
export function entranceFigures(children: readonly NodeFigures[]): NodeFigures {
  const sum: NodeFigures = { ...ZERO_FIGURES };
  let rtWeighted = 0;
  for (const c of children) {
    sum.threadNum += c.threadNum;
    sum.passQps += c.passQps;
    sum.blockQps += c.blockQps;
    sum.totalQps += c.totalQps;
    sum.successQps += c.successQps;
    sum.exceptionQps += c.exceptionQps;
    sum.totalRequest += c.totalRequest;
    sum.blockRequest += c.blockRequest;
    sum.exceptionRequest += c.exceptionRequest;
    rtWeighted += c.avgRtMs * c.passQps;
  }
  sum.avgRtMs = sum.passQps === 0 ? 0 : rtWeighted / sum.passQps;
  return sum;
}

function entrance(name: string, children: TreeNode[]): TreeNode {
  return { name, entrance: true, figures: entranceFigures(children.map((c) => c.figures)), children };
}

/** machine-root → the default context's entrance (while any resource is tracked) → the resources, in the order given. */
export function invocationTree(resources: readonly NodeSnapshot[]): TreeNode {
  const leaves = resources.map((n): TreeNode => ({ name: n.resource, entrance: false, figures: figuresOf(n), children: [] }));
  return entrance(MACHINE_ROOT, leaves.length === 0 ? [] : [entrance(DEFAULT_CONTEXT, leaves)]);
}
