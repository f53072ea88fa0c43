// V8's side of the differential oracle: the same protocol and trace as
// fuzz/diff/weft_diff_run.cpp (see there). Needs
// `node --experimental-wasm-type-reflection` for the exports' signatures.
//
// usage: node --experimental-wasm-type-reflection v8_run.mjs FILE.wasm [DUMP_PREFIX]
//   with DUMP_PREFIX, each exported memory is also written to DUMP_PREFIX.NAME
import { readFileSync, writeFileSync, writeSync } from 'node:fs';

// Trace lines, written once at the end; after MAX_TRACE_LINES the trace is
// cut with "output limit" exactly as weft_diff_run cuts it.
const MAX_TRACE_LINES = 100000;
const MAX_CALLBACK_DEPTH = 50;
const out = [];
let flushed = false;
const flush = () => {
  if (flushed) return;
  flushed = true;
  writeSync(1, out.length ? out.join('\n') + '\n' : '');
};
const print = (line) => {
  if (flushed) return;
  out.push(line);
  if (out.length >= MAX_TRACE_LINES) {
    out.push('output limit');
    flush();
    // process.exit() called beneath wasm frames can surface as an exception
    // that a call-export-catch below us would catch; nothing prints after
    // the flush either way.
    process.exit(0);
  }
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32Text = (x) => (Number.isNaN(x) ? 'nan' : ((f32[0] = x), '0x' + u32[0].toString(16)));
const f64Text = (x) => (Number.isNaN(x) ? 'nan' : ((f64[0] = x), '0x' + u64[0].toString(16)));

function valueText(type, v) {
  switch (type) {
    case 'i32': return 'i32:' + (v | 0);
    case 'i64': return 'i64:' + BigInt.asIntN(64, v).toString();
    case 'f32': return 'f32:' + f32Text(v);
    case 'f64': return 'f64:' + f64Text(v);
    case 'funcref':
    case 'anyfunc': return v === null ? 'funcref:null' : 'funcref:func';
    case 'externref': return v === null ? 'externref:null' : 'externref:value';
    default: return type;
  }
}

// V8's trap messages onto weft_diff_run's categories. Near V8's stack limit
// this harness's own code can run out of stack too (a regular expression
// fails with "Stack overflow"), so a failure to classify is "stack" as well.
function trapCategory(e) {
  try {
    return classify(e);
  } catch {
    return 'stack';
  }
}

function classify(e) {
  if (e instanceof RangeError) return 'stack';  // "Maximum call stack size exceeded"
  if (!(e instanceof WebAssembly.RuntimeError)) return 'host';
  const m = e.message;
  if (/unreachable/.test(m)) return 'unreachable';
  if (/memory access out of bounds|data segment out of bounds|out of bounds memory/.test(m)) {
    return 'memory-bounds';
  }
  if (/table index is out of bounds|table access out of bounds|element segment out of bounds|out of bounds table/.test(m)) {
    return 'table-bounds';
  }
  if (/signature mismatch|null function|uninitialized element/.test(m)) return 'indirect-call';
  if (/divide by zero|remainder by zero/.test(m)) return 'divide-by-zero';
  if (/divide result unrepresentable|float unrepresentable/.test(m)) return 'overflow-or-conversion';
  return 'other: ' + m;
}

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; ++i) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const zeroOf = (t) => (t === 'i64' ? 0n : t === 'i32' || t === 'f32' || t === 'f64' ? 0 : null);

function run(bytes) {
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    print('module invalid');
    process.stderr.write(String(e.message) + '\n');
    return;
  }
  // The imports of weft_diff_run.cpp's protocol, by the names the module
  // asks for; anything else stays missing and fails to link.
  let instance;
  // Read once: with type reflection each call builds every export's type,
  // which made a callback-heavy module of many exports take 11 s here.
  const moduleExports = WebAssembly.Module.exports(module);
  const exportList = () => moduleExports;
  const logOne = (v, t) => {
    if (t === 'i32') print('log i32 ' + v);
    else if (t === 'i64') print('log i64 ' + BigInt.asIntN(64, v).toString());
    else if (t === 'f32') print('log f32 ' + f32Text(v));
    else if (t === 'f64') print('log f64 ' + f64Text(v));
    else print('log ' + valueText(t, v));
  };
  // Nesting of callbacks is capped at the same depth in both runners, so the
  // engines' own (different, implementation-defined) stack limits never
  // decide a trace.
  let depth = 0;
  const callBack = (f) => {
    if (depth >= MAX_CALLBACK_DEPTH) throw new Error('callback depth limit');
    const { parameters } = WebAssembly.Function.type(f);
    ++depth;
    try {
      f(...parameters.map(zeroOf));
    } finally {
      --depth;
    }
  };
  // A start function that reaches for the exports finds no instance yet
  // (weft_diff_run fails it the same way).
  const exportAt = (index) => {
    if (instance === undefined) throw new Error('call-export: the instance is not ready');
    const e = exportList()[index >>> 0];
    if (!e || e.kind !== 'function') throw new Error('call-export: no function export ' + index);
    return instance.exports[e.name];
  };
  const funcOf = (ref) => {
    if (ref === null) throw new Error('call-ref: null');
    return ref;
  };
  const caught = (thunk) => {
    try {
      thunk();
      print('callback returned');
      return 0;
    } catch (e) {
      print('callback caught ' + trapCategory(e));
      process.stderr.write('caught: ' + String(e && e.message) + '\n');
      return 1;
    }
  };
  const table = () => {
    if (instance === undefined) throw new Error('table: the instance is not ready');
    const t = instance.exports.table;
    if (!(t instanceof WebAssembly.Table)) throw new Error('no table export');
    return t;
  };
  const support = {
    'call-export': (index) => { print('callback export ' + (index >>> 0)); callBack(exportAt(index)); },
    'call-export-catch': (index) => {
      print('callback export ' + (index >>> 0));
      return caught(() => callBack(exportAt(index)));
    },
    'call-ref': (ref) => { print('callback ref'); callBack(funcOf(ref)); },
    'call-ref-catch': (ref) => { print('callback ref'); return caught(() => callBack(funcOf(ref))); },
    'sleep': (ms, id) => id,
    'table-get': (i) => table().get(i >>> 0),
    'table-set': (i, v) => table().set(i >>> 0, v),
  };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    let value;
    if (imp.module === '__fuzz_import' && imp.kind === 'global' &&
        (imp.type.value === 'externref' || imp.type.value === 'anyfunc' || imp.type.value === 'funcref')) {
      value = new WebAssembly.Global({ value: imp.type.value, mutable: imp.type.mutable }, null);
    } else if (imp.module === 'fuzzing-support' && imp.kind === 'function') {
      if (imp.name.startsWith('log-')) {
        const types = imp.type.parameters;
        value = (...args) => args.forEach((v, i) => logOne(v, types[i]));
      } else {
        value = support[imp.name];
      }
    }
    if (value !== undefined) (imports[imp.module] ??= {})[imp.name] = value;
  }
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) print('module link-error');
    else print('module start-trap ' + trapCategory(e));
    process.stderr.write(String(e.message) + '\n');
    return;
  }
  print('module ok');
  const exports = WebAssembly.Module.exports(module);
  const hangReset = instance.exports.hangLimitInitializer;
  for (const e of exports) {
    if (e.kind !== 'function') continue;
    print('call ' + e.name);
    if (typeof hangReset === 'function') hangReset();
    const { parameters, results } = e.type;
    try {
      let r = instance.exports[e.name](...parameters.map(zeroOf));
      if (results.length === 1) r = [r];
      else if (results.length === 0) r = [];
      print(['return', ...results.map((t, i) => valueText(t, r[i]))].join(' '));
    } catch (err) {
      print('trap ' + trapCategory(err));
    }
  }
  for (const e of exports) {
    if (e.kind !== 'global') continue;
    const g = instance.exports[e.name];
    print(`global ${e.name} ${valueText(e.type.value, g.value)}`);
  }
  for (const e of exports) {
    if (e.kind !== 'memory') continue;
    const mem = instance.exports[e.name];
    const pages = mem.buffer.byteLength / 65536;
    print(`memory ${e.name} ${pages} ${fnv1a(new Uint8Array(mem.buffer))}`);
    if (process.argv[3]) writeFileSync(`${process.argv[3]}.${e.name}`, new Uint8Array(mem.buffer));
  }
}

run(readFileSync(process.argv[2]));
flush();
