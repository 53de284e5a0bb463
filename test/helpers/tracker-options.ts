// Owns reading tap's process-tracking loader (@tapjs/processinfo) out of a NODE_OPTIONS string,
// parsed and written back as tap itself does (node-options-to-argv: each option quoted).

import { argvToNodeOptions, nodeOptionsToArgv } from 'node-options-to-argv';

const TRACKER = /@tapjs[\\/]processinfo[\\/]/;

/** Whether NODE_OPTIONS (or a command line option) names tap's process-tracking loader. */
export function namesTracker(options: string): boolean {
  return TRACKER.test(options);
}

/** NODE_OPTIONS without tap's process-tracking loader; undefined when nothing else is left. */
export function withoutTracker(nodeOptions: string): string | undefined {
  const kept = nodeOptionsToArgv(nodeOptions).filter((option) => !namesTracker(option));
  return kept.length === 0 ? undefined : argvToNodeOptions(kept);
}
