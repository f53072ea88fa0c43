// jco's commands run on preview2-shim, whose filesystem sees no preopens by
// default: commands that read WIT or files from a path then fail with errno
// 44 (ENOENT). Loaded with NODE_OPTIONS=--import=THIS_FILE by scripts/jco.
//
// The copy to open `/` in is the one jco's wasm-tools component reads
// through: jco-transpile's. It is resolved from jco-transpile itself, so it
// is found whether npm nested or hoisted it (an import of the bare package
// name would find only a top-level copy, which `npm ci` need not install).
// Main thread only: NODE_OPTIONS reaches the shim's I/O worker too, and
// loading the shim there would start another worker, and so on.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const require = createRequire(
    new URL('./node_modules/@bytecodealliance/jco-transpile/package.json', import.meta.url));
  const shim = require.resolve('@bytecodealliance/preview2-shim/filesystem');
  const { _setPreopens } = await import(pathToFileURL(shim).href);
  _setPreopens({ '/': '/' });
}
