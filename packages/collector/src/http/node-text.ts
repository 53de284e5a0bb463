// Owns the plain-text node views of Sentinel's transport commands, laid out as
// sentinel-transport-common prints them: the `cnode` table (a resource's own node), the `origin`
// table (a resource seen from each origin) and the `tree` text (the invocation tree), with numbers
// as Java prints them.

import type { NodeSnapshot } from '../stats/types.js';
import { figuresOf, type NodeFigures, type TreeNode } from './invocation-tree.js';

/** A double as Java's Double.toString prints it for the values a node holds (1 → "1.0", 0.5 → "0.5"). */
export function javaDouble(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0`;
  return String(v);
}

/** Rows of a table (cnode, origin) and names considered for its name column's width. */
const MAX_TABLE_ROWS = 30;
const MAX_NAME_WIDTH = 79;
const MAX_ORIGINS_MEASURED = 120;

/** One row of Java's `%-Ns` cells; the name column (index 1) is `nameWidth + 1` wide. */
function row(cells: readonly string[], widths: readonly number[], nameWidth: number): string {
  return cells.map((c, i) => c.padEnd(i === 1 ? nameWidth + 1 : widths[i]!)).join('') + '\n';
}

/**
 * A table's rows: one per entry, a name longer than the column wrapped onto continuation rows
 * (the other cells blank), as Sentinel's cnode and origin commands lay them out.
 */
function table(header: readonly string[], widths: readonly number[], nameWidth: number, entries: ReadonlyArray<{ name: string; cells: string[] }>): string {
  let out = row(header, widths, nameWidth);
  entries.forEach(({ name, cells }, i) => {
    const extraRows = Math.ceil(name.length / nameWidth) - 1;
    out += row([String(i + 1), extraRows === 0 ? name : name.slice(0, nameWidth), ...cells], widths, nameWidth);
    for (let j = 1; j <= extraRows; j++) {
      out += row(['', name.slice(nameWidth * j, nameWidth * (j + 1)), ...cells.map(() => '')], widths, nameWidth);
    }
  });
  return out;
}

/** The minute window's pass, block and total (Sentinel's 1m-pass = total − block), as the views print them. */
function minuteCells(f: NodeFigures): [string, string, string] {
  return [String(f.totalRequest - f.blockRequest), String(f.blockRequest), String(f.totalRequest)];
}

/** The name column: the longest name (at most 79), at least the header's own width, so that it and the next column stay apart. */
function nameWidthOf(header: string, names: readonly string[]): number {
  return Math.min(MAX_NAME_WIDTH, Math.max(header.length, ...names.map((n) => n.length)));
}

const CNODE_COLUMNS = ['idx', 'id', 'thread', 'pass', 'blocked', 'success', 'total', 'aRt', '1m-pass', '1m-block', '1m-all', 'exception'];
/** Column widths of Sentinel's cnode format; the id column's (here 0) is set per answer. */
const CNODE_WIDTHS = [4, 0, 10, 10, 10, 11, 9, 6, 10, 11, 9, 11];

/** The `cnode` table: resources whose name contains `id`, at most 30. */
export function cnodeTable(nodes: readonly NodeSnapshot[], id: string): string {
  const matches = nodes.filter((n) => n.resource.includes(id)).slice(0, MAX_TABLE_ROWS);
  const nameWidth = nameWidthOf(CNODE_COLUMNS[1]!, matches.map((n) => n.resource));
  return table(
    CNODE_COLUMNS,
    CNODE_WIDTHS,
    nameWidth,
    matches.map((n) => {
      const f = figuresOf(n);
      const cells = [String(f.threadNum), javaDouble(f.passQps), javaDouble(f.blockQps), javaDouble(f.successQps), javaDouble(f.totalQps), javaDouble(f.avgRtMs)];
      return { name: n.resource, cells: [...cells, ...minuteCells(f), javaDouble(f.exceptionQps)] };
    }),
  );
}

const ORIGIN_COLUMNS = ['idx', 'origin', 'threadNum', 'passQps', 'blockQps', 'totalQps', 'aRt', '1m-pass', '1m-block', '1m-total'];
/** Column widths of Sentinel's origin format; the origin column's (here 0) is set per answer. */
const ORIGIN_WIDTHS = [4, 0, 10, 10, 11, 9, 6, 10, 11, 9];

/**
 * The `origin` answer for one resource: `id: <resource>`, a blank line, and the table of its
 * per-origin nodes (at most 30, in the order given).
 */
export function originTable(resource: string, origins: readonly NodeSnapshot[]): string {
  const nameWidth = nameWidthOf(ORIGIN_COLUMNS[1]!, origins.slice(0, MAX_ORIGINS_MEASURED).map((o) => o.origin));
  const rows = table(
    ORIGIN_COLUMNS,
    ORIGIN_WIDTHS,
    nameWidth,
    origins.slice(0, MAX_TABLE_ROWS).map((o) => {
      const f = figuresOf(o);
      const cells = [String(f.threadNum), javaDouble(f.passQps), javaDouble(f.blockQps), javaDouble(f.totalQps), javaDouble(f.avgRtMs)];
      return { name: o.origin, cells: [...cells, ...minuteCells(f)] };
    }),
  );
  return `id: ${resource}\n\n${rows}`;
}

/** The legend Sentinel's `tree` appends (`prq` shows the success QPS, as Sentinel's does). */
export const TREE_LEGEND = 't:threadNum  pq:passQps  bq:blockQps  tq:totalQps  rt:averageRt  prq: passRequestQps 1mp:1m-pass 1mb:1m-block 1mt:1m-total';

function treeLine(level: number, node: TreeNode): string {
  const f: NodeFigures = node.figures;
  const figures = `t:${f.threadNum} pq:${javaDouble(f.passQps)} bq:${javaDouble(f.blockQps)} tq:${javaDouble(f.totalQps)} rt:${javaDouble(f.avgRtMs)} prq:${javaDouble(f.successQps)}`;
  const [pass, block, total] = minuteCells(f);
  const minute = `1mp:${pass} 1mb:${block} 1mt:${total}`;
  return `${'-'.repeat(level)}${node.entrance ? 'EntranceNode: ' : ''}${node.name}(${figures} ${minute})\n`;
}

/**
 * The `tree` text: the whole tree from machine-root, one `-` per level; with `entranceId`, the
 * subtree of the entrance named so (exact), else of every entrance whose name contains it (none:
 * the legend alone). The legend follows.
 */
export function treeText(root: TreeNode, entranceId?: string): string {
  let out = '';
  const visit = (level: number, node: TreeNode): void => {
    out += treeLine(level, node);
    for (const c of node.children) visit(level + 1, c);
  };
  if (entranceId === undefined) visit(0, root);
  else {
    const exact = root.children.find((c) => c.name === entranceId);
    if (exact !== undefined) visit(0, exact);
    else for (const c of root.children) if (c.name.includes(entranceId)) visit(0, c);
  }
  return `${out}\r\n\r\n${TREE_LEGEND}\r\n`;
}
