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

//
// componentize-js's splicer imports the bare name, so it reads through the
// top-level copy: package.json installs that one explicitly (componentize-js
// 0.22.0 lists it only as a devDependency), and it gets `/` too.
if (isMainThread) {
  for (const from of ['./node_modules/@bytecodealliance/jco-transpile/package.json',
                      './package.json']) {
    const require = createRequire(new URL(from, import.meta.url));
    const shim = require.resolve('@bytecodealliance/preview2-shim/filesystem');
    const { _setPreopens } = await import(pathToFileURL(shim).href);
    _setPreopens({ '/': '/' });
  }
}
