// Grants for `jco run` / `jco serve`, loaded with --jco-import THIS_FILE.
//
// jco 1.35's command line grants nothing: the guest sees no preopens and the
// whole environment of the node process (its run() API has sandbox options,
// but the CLI does not pass them). This module replaces both before the
// component is instantiated, from one variable:
//
//   WEFT_JCO_GRANTS='{"dirs": [["/data", "/host/dir"]], "env": {"K": "v"}}'
//
// dirs are [guest, host] pairs; env is all the guest sees (empty when
// absent, like `weft run` without --env). The variable itself is part of the
// node process's environment, not of the guest's.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';

// The shim instance the component links against is the one jco resolves
// from its own files (jco run symlinks it into the transpiled output), not
// tools/jco's top-level copy: resolve it the same way, or the settings land
// in a second, unused module instance.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const jcoMain = resolve(root, 'tools/jco/node_modules/@bytecodealliance/jco/dist/cmd/run.js');
const require = createRequire(jcoMain);
const shim = (name) =>
  import(pathToFileURL(require.resolve(`@bytecodealliance/preview2-shim/${name}`)).href);

const grants = JSON.parse(process.env.WEFT_JCO_GRANTS || '{}');
const { _setPreopens, _addPreopen } = await shim('filesystem');
const { _setEnv, _setCwd, _setArgs } = await shim('cli');

// Loading the cli shim this early fixes the guest's arguments to
// process.argv as it is now, before jco's runner replaces argv[1] (the
// runner script's path) with the component's name. Follow that write, so
// that argv[0] stays what jco itself gives.
let argv1 = process.argv[1];
Object.defineProperty(process.argv, 1, {
  configurable: true,
  enumerable: true,
  get: () => argv1,
  set: (value) => {
    argv1 = value;
    _setArgs(process.argv.slice(1));
  },
});
_setPreopens({});
for (const [guest, host] of grants.dirs || []) _addPreopen(guest, host);
_setEnv(grants.env || {});
// No initial cwd: relative paths resolve against the preopens only, as in
// `weft run`.
_setCwd(undefined);
