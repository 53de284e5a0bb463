// Owns how the packages describe a permission refusal (E_PIN_ACCESS): who this process is to the
// file system (its effective uid and groups) and what a file allows (mode, owner, group), the two
// sides the kernel compared.

import { statSync } from 'node:fs';

/** This process as the file system sees it: `uid 65534, groups 65534`. */
export function thisUser(): string {
  const uid = process.geteuid?.() ?? process.getuid?.();
  const groups = process.getgroups?.() ?? [];
  return `uid ${uid ?? '?'}, groups ${groups.join(',') || 'none'}`;
}

/** What `path` allows: `mode 0700, owner uid 0, group gid 0`; null when this user cannot look at it. */
export function permissionsOf(path: string): string | null {
  try {
    const st = statSync(path);
    return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}, group gid ${st.gid}`;
  } catch {
    return null;
  }
}
