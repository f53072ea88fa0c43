// V8's side of the differential oracle: the same protocol and trace as
// fuzz/diff/weft_diff_run.cpp (see there). Needs
// `node --experimental-wasm-type-reflection` for the exports' signatures.
//
// usage: node --experimental-wasm-type-reflection v8_run.mjs FILE.wasm [DUMP_PREFIX]
//   with DUMP_PREFIX, each exported memory is also written to DUMP_PREFIX.NAME
import { readFileSync, writeFileSync } from 'node:fs';

const out = [];
const print = (line) => out.push(line);

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

// V8's trap messages onto weft_diff_run's categories.
function trapCategory(e) {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'stack';
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
  const log = (t) => (v) => {
    if (t === 'i32') print('log i32 ' + v);
    else if (t === 'i64') print('log i64 ' + BigInt.asIntN(64, v).toString());
    else if (t === 'f32') print('log f32 ' + f32Text(v));
    else print('log f64 ' + f64Text(v));
  };
  const imports = {
    'fuzzing-support': {
      'log-i32': log('i32'), 'log-i64': log('i64'), 'log-f32': log('f32'), 'log-f64': log('f64'),
    },
  };
  let instance;
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
    if (e.kind !== 'memory') continue;
    const mem = instance.exports[e.name];
    const pages = mem.buffer.byteLength / 65536;
    print(`memory ${e.name} ${pages} ${fnv1a(new Uint8Array(mem.buffer))}`);
    if (process.argv[3]) writeFileSync(`${process.argv[3]}.${e.name}`, new Uint8Array(mem.buffer));
  }
}

run(readFileSync(process.argv[2]));
process.stdout.write(out.join('\n') + '\n');
