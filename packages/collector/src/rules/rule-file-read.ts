// Owns reading one rules file of the pin (`<pin>/rules/flow.json`, `degrade.json`) without
// trusting what is at its name: whoever can write `rules/` (the pin's owner, another user of a
// shared pin, a filter that has the pin preopened) could put a link, a FIFO, a device or a hard
// link to another file there. The name is looked at with lstat (a link is refused, never followed),
// opened O_NOFOLLOW|O_NONBLOCK (a FIFO never blocks the event loop), and the open file must be a
// regular file with one link (a hard link to a file elsewhere is refused) of at most
// MAX_RULES_FILE_BYTES. Refusals are RuleFileReadError with a stable code; nothing of the file's
// bytes is in a message.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';

/** The largest rules file read: 2 048 rules of about 2 KiB each. */
export const MAX_RULES_FILE_BYTES = 4 * 1024 * 1024;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class RuleFileReadError extends Error {
  constructor(
    readonly code: 'E_RULES_NOT_FILE' | 'E_RULES_TOO_LARGE' | 'E_RULES_READ',
    message: string,
  ) {
    super(message);
  }
}

/** What identifies the file now at `path` for change detection (size, mtime, inode), or 'missing'; never follows a link. */
export function ruleFileStamp(path: string): string {
  try {
    const st = lstatSync(path);
    return `${st.size}:${st.mtimeMs}:${st.ino}:${st.mode}`;
  } catch {
    return 'missing';
  }
}

/** The text of the rules file at `path`; throws RuleFileReadError when it is not one to read. */
export function readRuleFile(path: string, maxBytes = MAX_RULES_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new RuleFileReadError('E_RULES_NOT_FILE', `${path} is a symbolic link: a rules file is read only as a regular file of its own`);
    throw new RuleFileReadError('E_RULES_READ', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RuleFileReadError('E_RULES_NOT_FILE', `${path} is not a regular file (a FIFO, device or directory is never read)`);
    if (st.nlink !== 1) throw new RuleFileReadError('E_RULES_NOT_FILE', `${path} has ${st.nlink} hard links: a rules file must be a file of its own (one link)`);
    if (st.size > maxBytes) throw new RuleFileReadError('E_RULES_TOO_LARGE', `${path} is ${st.size} bytes, over the ${maxBytes} a rules file may take`);
    // Read at most maxBytes + 1: a file that grew since fstat is refused, not read without end.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, st.size + 1));
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, length);
      if (n === 0) break;
      length += n;
      if (length === buf.length) {
        if (length > maxBytes) throw new RuleFileReadError('E_RULES_TOO_LARGE', `${path} is over the ${maxBytes} bytes a rules file may take`);
        break;
      }
    }
    return buf.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof RuleFileReadError) throw err;
    throw new RuleFileReadError('E_RULES_READ', `cannot read ${path}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
