// Owns watching `<pin>/log` for the daemon: one fs.watch on the directory (inotify on Linux:
// a write to a file in it is reported for the directory, with the file's name). A change of a
// segment's content calls onSegmentChange(name) at once, from the event itself, so the daemon can
// read that segment before anything else runs; any other event (a file created, renamed or
// removed, or an event without a name) calls onDirectoryChange, which asks for a full pass.
// Watching is only a way to be sooner: the periodic pass stays the source of truth, so a watcher
// that fails to start or reports an error is logged by the caller (onError) and collecting goes on.

import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { parseSegmentName } from '@sentinel-wasi/protocol/encode';

export interface LogWatchHandlers {
  /** A segment's content changed (named by its file name). */
  onSegmentChange(name: string): void;
  /** Something else changed in the directory: a file appeared, moved or went, or an event without a name. */
  onDirectoryChange(): void;
  /** The watcher could not start or failed (E_WATCH): events stop, the periodic pass goes on. */
  onError(err: Error): void;
}

/** The fs.watch the log watcher uses (a seam for tests). */
export type WatchFn = (dir: string, listener: (eventType: string, fileName: string | Buffer | null) => void) => FSWatcher;

const nodeWatch: WatchFn = (dir, listener) => fsWatch(dir, { persistent: true }, listener);

export interface LogWatch {
  close(): void;
}

/** Watches logDir until close(); never throws (a failure to start goes to onError). */
export function watchLogDir(logDir: string, handlers: LogWatchHandlers, watchFn: WatchFn = nodeWatch): LogWatch {
  let watcher: FSWatcher | null = null;
  try {
    watcher = watchFn(logDir, (eventType, fileName) => {
      const name = fileName === null ? null : String(fileName);
      if (eventType === 'change' && name !== null && parseSegmentName(name) !== null) {
        try {
          handlers.onSegmentChange(name);
        } catch {
          // Nothing thrown here may reach the event loop: a full pass reads the segment instead.
          handlers.onDirectoryChange();
        }
      } else handlers.onDirectoryChange();
    });
    watcher.on('error', (err) => {
      handlers.onError(err);
      watcher?.close();
      watcher = null;
    });
  } catch (err) {
    handlers.onError(err as Error);
    watcher = null;
  }
  return {
    close(): void {
      watcher?.close();
      watcher = null;
    },
  };
}
