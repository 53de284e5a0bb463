// Owns the Sentinel views of a node: the NodeVo JSON object the dashboard parses from `clusterNode`
// (field names and integer truncation as sentinel-transport-common's NodeVo.fromClusterNode), and the
// fixed-width text table of the `cnode` command.

import { randomUUID } from 'node:crypto';
import type { NodeSnapshot } from '../stats/types.js';

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
  const s = node.second;
  const m = node.minute;
  return {
    averageRt: Math.trunc(s.avgRtMs),
    blockQps: Math.trunc(s.blockQps),
    exceptionQps: Math.trunc(s.exceptionQps),
    oneMinuteBlock: m.block,
    oneMinuteException: m.exception,
    oneMinutePass: m.totalRequest - m.block,
    oneMinuteTotal: m.totalRequest,
    passQps: Math.trunc(s.passQps),
    resource: node.resource,
    successQps: Math.trunc(s.successQps),
    threadNum: node.concurrency,
    timestamp: nowMs,
    totalQps: Math.trunc(s.totalQps),
  };
}

/** Sentinel's invocation-tree root. */
export const MACHINE_ROOT = 'machine-root';

/**
 * The `jsonTree` answer: NodeVo objects in pre-order with random `id`s and `parentId` links. The
 * collector has no per-context invocation tree, so every resource hangs directly under
 * `machine-root`, whose figures are the sums of its children (average RT weighted by success).
 */
export function jsonTree(nodes: readonly NodeSnapshot[], nowMs: number): NodeVo[] {
  const children = nodes.map((n) => toNodeVo(n, nowMs));
  const sum = (f: (v: NodeVo) => number): number => children.reduce((acc, v) => acc + f(v), 0);
  const success = sum((v) => v.successQps);
  const rootId = randomUUID();
  const root: NodeVo = {
    averageRt: success === 0 ? 0 : Math.trunc(sum((v) => v.averageRt * v.successQps) / success),
    blockQps: sum((v) => v.blockQps),
    exceptionQps: sum((v) => v.exceptionQps),
    id: rootId,
    oneMinuteBlock: sum((v) => v.oneMinuteBlock),
    oneMinuteException: sum((v) => v.oneMinuteException),
    oneMinutePass: sum((v) => v.oneMinutePass),
    oneMinuteTotal: sum((v) => v.oneMinuteTotal),
    passQps: sum((v) => v.passQps),
    resource: MACHINE_ROOT,
    successQps: success,
    threadNum: sum((v) => v.threadNum),
    timestamp: nowMs,
    totalQps: sum((v) => v.totalQps),
  };
  return [root, ...children.map((v) => alphabetical({ ...v, id: randomUUID(), parentId: rootId }))];
}

/** Keys in alphabetical order, as fastjson writes them. */
function alphabetical(v: NodeVo): NodeVo {
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as NodeVo;
}

/** A double as Java's Double.toString prints it for the values a node holds (1 → "1.0", 0.5 → "0.5"). */
export function javaDouble(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0`;
  return String(v);
}

const MAX_CNODE_ROWS = 30;
const MAX_NAME_WIDTH = 79;
const COLUMNS = ['idx', 'id', 'thread', 'pass', 'blocked', 'success', 'total', 'aRt', '1m-pass', '1m-block', '1m-all', 'exception'];
/** Column widths of Sentinel's format; the id column (here 0) is the longest matching name (at least 2) + 1. */
const WIDTHS = [4, 0, 10, 10, 10, 11, 9, 6, 10, 11, 9, 11];

function row(cells: string[], nameWidth: number): string {
  return cells.map((c, i) => c.padEnd(i === 1 ? nameWidth + 1 : WIDTHS[i]!)).join('') + '\n';
}

/** The `cnode` table: nodes whose name contains `id`, at most 30, long names wrapped onto extra rows. */
export function cnodeTable(nodes: readonly NodeSnapshot[], id: string): string {
  const matches = nodes.filter((n) => n.resource.includes(id)).slice(0, MAX_CNODE_ROWS);
  // At least the header's own width: with no match (or one-letter names) `id` and `thread` stay apart.
  const nameWidth = Math.min(MAX_NAME_WIDTH, Math.max(COLUMNS[1]!.length, ...matches.map((n) => n.resource.length)));
  let out = row(COLUMNS, nameWidth);
  matches.forEach((n, i) => {
    const name = n.resource;
    const extraRows = Math.ceil(name.length / nameWidth) - 1;
    const s = n.second;
    const m = n.minute;
    out += row(
      [
        String(i + 1),
        extraRows === 0 ? name : name.slice(0, nameWidth),
        String(n.concurrency),
        javaDouble(s.passQps),
        javaDouble(s.blockQps),
        javaDouble(s.successQps),
        javaDouble(s.totalQps),
        javaDouble(s.avgRtMs),
        String(m.totalRequest - m.block),
        String(m.block),
        String(m.totalRequest),
        javaDouble(s.exceptionQps),
      ],
      nameWidth,
    );
    for (let j = 1; j <= extraRows; j++) {
      out += row(['', name.slice(nameWidth * j, nameWidth * (j + 1)), '', '', '', '', '', '', '', '', '', ''], nameWidth);
    }
  });
  return out;
}
