// Owns wording an OS error for a message of ours: its code and description without the call's
// paths (`EACCES: permission denied`, not `…, open '/pin/map.tmp-1f0c…'`), so a message names the
// file it is about once, and a repeated failure on a fresh temp name reads the same each time.

/** `CODE: description` of a system error (its message up to the syscall and paths); any other error's message. */
export function osReason(err: unknown): string {
  const e = err as Partial<NodeJS.ErrnoException> | null;
  const message = String(e?.message ?? err);
  if (typeof e?.code !== 'string' || typeof e.syscall !== 'string') return message;
  const cut = message.indexOf(`, ${e.syscall}`);
  return cut > 0 ? message.slice(0, cut) : message;
}
