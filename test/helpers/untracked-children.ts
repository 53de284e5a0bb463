// Owns what a test process passes on to the processes it starts. tap runs every test file with
// its process-tracking loader (@tapjs/processinfo), which also adds itself to the NODE_OPTIONS of
// every child process, so that coverage can follow a test into them. Coverage is off here, and
// the loader costs each Node process about a second of CPU (it sees every module loaded): the
// collectors, hosts, CLI runs and builds the tests start would each pay it for nothing. So,
// loaded with --import after that loader (package.json's tap node-arg), this takes it out of each
// child's NODE_OPTIONS again, after tap's own spawn listener has put it in. The test file keeps it.

import processOnSpawn from 'process-on-spawn';
import { namesTracker, withoutTracker } from './tracker-options.js';

processOnSpawn.addListener((opts) => {
  const options = opts.env.NODE_OPTIONS;
  if (options === undefined || !namesTracker(options)) return;
  const env = { ...opts.env };
  const kept = withoutTracker(options);
  if (kept === undefined) delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = kept;
  opts.env = env;
});
