// jco's commands run on preview2-shim, whose filesystem sees no preopens by
// default: commands that read WIT or files from a path then fail with errno
// 44. Loaded with NODE_OPTIONS=--import=THIS_FILE by scripts/jco.
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
_setPreopens({ '/': '/' });
