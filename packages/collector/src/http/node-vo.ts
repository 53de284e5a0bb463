// Owns the NodeVo JSON object of a node, as the dashboard parses it from `clusterNode` and `jsonTree`
// (field names, fastjson's key order and integer truncation as sentinel-transport-common's NodeVo).

import { randomUUID } from 'node:crypto';
import type { NodeSnapshot } from '../stats/types.js';
import { figuresOf, invocationTree, type NodeFigures, type TreeNode } from './invocation-tree.js';

/** NodeVo fields with fastjson's default alphabetical order; id/parentId are null for cluster nodes and so omitted. */
export interface NodeVo {
  averageRt: number;
  blockQps: number;
  exceptionQps: number;
  id?: string;
  oneMinuteBlock: number;
  oneMinuteException: number;
  oneMinutePass: number;
  oneMinuteTotal: number;
  parentId?: string;
  passQps: number;
  resource: string;
  successQps: number;
  threadNum: number;
  timestamp: number;
  totalQps: number;
}

export function toNodeVo(node: NodeSnapshot, nowMs: number): NodeVo {
  return voOf(node.resource, figuresOf(node), nowMs);
}

/** A NodeVo from a node's figures: rates and RT truncated as Java's (long) casts do. */
function voOf(resource: string, f: NodeFigures, nowMs: number): NodeVo {
  return {
    averageRt: Math.trunc(f.avgRtMs),
    blockQps: Math.trunc(f.blockQps),
    exceptionQps: Math.trunc(f.exceptionQps),
    oneMinuteBlock: f.blockRequest,
    oneMinuteException: f.exceptionRequest,
    oneMinutePass: f.totalRequest - f.blockRequest,
    oneMinuteTotal: f.totalRequest,
    passQps: Math.trunc(f.passQps),
    resource,
    successQps: Math.trunc(f.successQps),
    threadNum: f.threadNum,
    timestamp: nowMs,
    totalQps: Math.trunc(f.totalQps),
  };
}

/**
 * The `jsonTree` answer: the invocation tree's nodes (invocation-tree.ts: machine-root, the default
 * context's entrance, the resources) in pre-order, each with a random `id` and its parent's as
 * `parentId` (none on the root, as fastjson leaves out a null).
 */
export function jsonTree(resources: readonly NodeSnapshot[], nowMs: number): NodeVo[] {
  const out: NodeVo[] = [];
  const visit = (n: TreeNode, parentId: string | undefined): void => {
    const id = randomUUID();
    out.push(alphabetical({ ...voOf(n.name, n.figures, nowMs), id, ...(parentId === undefined ? {} : { parentId }) }));
    for (const c of n.children) visit(c, id);
  };
  visit(invocationTree(resources), undefined);
  return out;
}

/** Keys in alphabetical order, as fastjson writes them. */
function alphabetical(v: NodeVo): NodeVo {
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as NodeVo;
}
