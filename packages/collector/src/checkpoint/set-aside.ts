// Owns setting an unusable state file aside (the checkpoint, the map's id file): `checkpoint.json` is
// renamed to `checkpoint.json.invalid-<ms>` (kept for whoever wants to look at it), and of such files
// only the newest KEPT_SET_ASIDE stay, so that a file damaged at every start (a disk going bad, a
// script that keeps writing over it) does not fill the collector's directory.

import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Set-aside files of one name kept (the newest ones); older ones are removed when another is set aside. */
export const KEPT_SET_ASIDE = 3;

export interface SetAside {
  /** Where the file went. */
  aside: string;
  /** Older set-aside files of that name removed to keep KEPT_SET_ASIDE. */
  removed: string[];
}

/** Moves `path` aside as `<name>.invalid-<nowMs>` and removes all but the newest `keep` such files. */
export function setFileAside(path: string, nowMs: number, keep = KEPT_SET_ASIDE): SetAside {
  const aside = `${path}.invalid-${nowMs}`;
  renameSync(path, aside);
  const dir = dirname(path);
  const prefix = `${basename(path)}.invalid-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { aside, removed: [] };
  }
  const older = names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ name: n, ms: Number(n.slice(prefix.length)) }))
    .sort((a, b) => b.ms - a.ms || (a.name < b.name ? 1 : -1))
    .slice(keep);
  const removed: string[] = [];
  for (const { name } of older) {
    const old = join(dir, name);
    if (old === aside) continue;
    try {
      unlinkSync(old);
      removed.push(old);
    } catch {
      // gone meanwhile, or not removable: left
    }
  }
  return { aside, removed };
}
