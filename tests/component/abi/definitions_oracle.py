#!/usr/bin/env python3
"""Differential oracle for weft's canonical ABI: runs the spec's own
definitions.py over random types and values and prints, per case, what the
spec computes. differential_test.cpp parses the same cases, computes the
same things in C++ and compares line by line.

Usage: definitions_oracle.py DEFINITIONS_DIR SEED COUNT [values|calls|lift]

Per case, for a type T, a host value V, a source and a destination string
encoding and a max_flat of 16, 1 or 0 (0 forces the memory path):
  A  alignment, elem_size and flattened core types of T
  R1 lower_flat_values(V) in a fresh memory with the source encoding:
     flat values, realloc calls, the bytes allocated
  L  lift_flat_values of R1's flat values back (the lifted value)
  R2 lower_flat_values of the lifted value (which remembers its source
     encoding) into a fresh memory with the destination encoding
A step that traps prints "trap".

In `lift` mode each case lifts a type from random guest input: a memory
of random bytes (biased to small numbers, so that pointers and lengths
often land inside it) and random flat values; printed: the type (T), the
encoding and max_flat (E), the memory (M), the flat values (C) and the
lifted value or "trap" (L). This is where invalid input is compared.

In `calls` mode each case is a fused call instead: a caller D (one string
encoding) lowers host values as its arguments, then calls through
`canon lower` a function that a callee C (another encoding) exports with
`canon lift` and a post-return; C's core function records its flat
arguments and lowers a given result value into its own memory. Printed:
  P  a parameter type and Q its value (repeated); RT/RV the result
  E  caller and callee encodings
  X  the caller's flat arguments, the callee's, the caller's flat results,
     the interleaved realloc/post-return log and both memories.

Text formats (shared with the C++ side):
  types  bool s8 u8 s16 u16 s32 u32 s64 u64 f32 f64 char string own borrow
         (list T) (fixed T N) (record (LABEL T)...) (tuple T...)
         (variant (LABEL T|_)...) (enum LABEL...) (option T)
         (result T|_ T|_) (flags LABEL...)
  values bool/ints: decimal; floats: raw bits in hex (#7fc00000); char:
         code point; string: x followed by its UTF-8 in hex; list, fixed,
         record, tuple: (v...); variant/enum/option/result: (INDEX v?);
         flags: the bit mask in decimal; own/borrow: the rep
"""
import random
import struct
import sys
import threading

sys.path.insert(0, sys.argv[1])
sys.setrecursionlimit(10000)
import definitions as d  # noqa: E402

d.DETERMINISTIC_PROFILE = True


# lower_flat_variant pads unused f32/f64 slots with the int 0, which the
# spec's own type assertions (types_match_values) then reject; accept ints
# there. Only an assertion changes, not a computed value.
def _type_matches_value(t, v):
  if t in ('f32', 'f64'):
    return isinstance(v, (int, float))
  return isinstance(v, int)


d.type_matches_value = _type_matches_value


# The spec runs each task on a Python thread; an exception there would
# leave the caller waiting forever, so end the run visibly instead.
def _thread_failed(args):
  sys.stdout.write('\nORACLE-THREAD-FAILED %s\n' % args.exc_type.__name__)
  sys.stdout.flush()
  import os
  os._exit(3)


threading.excepthook = _thread_failed

PRIMS = ['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char',
         'string']
PRIM_TYPES = {
    'bool': d.BoolType, 's8': d.S8Type, 'u8': d.U8Type, 's16': d.S16Type, 'u16': d.U16Type,
    's32': d.S32Type, 'u32': d.U32Type, 's64': d.S64Type, 'u64': d.U64Type, 'f32': d.F32Type,
    'f64': d.F64Type, 'char': d.CharType, 'string': d.StringType,
}
ENCODINGS = ['utf8', 'utf16', 'latin1+utf16']
ALPHABET = ['a', 'Z', ' ', '\0', '\x7f', '\x80', '\xe9', '\xff', '\u0100', '\u2603', '\u4e2d',
            '\ud7ff', '\ue000', '\U0001f370', '\U0010ffff']
MEMORY_SIZE = 1 << 16

rng = random.Random(int(sys.argv[2]))

# ---- random types: ('prim', name) | (kind, ...) ------------------------------


def labels(n):
  return ['l%d' % i for i in range(n)]


def gen_type(depth, handles=()):
  """A random type; `handles` adds 'own' and/or 'borrow' (of the one
  resource type of a call) to the primitives."""
  if depth == 0 or rng.random() < 0.3:
    return ('prim', rng.choice(PRIMS + list(handles) * 3))
  k = rng.choice(['list', 'fixed', 'record', 'tuple', 'variant', 'enum', 'option', 'result',
                  'flags'])
  sub = lambda: gen_type(depth - 1, handles)
  if k == 'list':
    return ('list', sub())
  if k == 'fixed':
    return ('fixed', sub(), rng.randint(1, 3))
  if k == 'record':
    return ('record', [(l, sub()) for l in labels(rng.randint(1, 4))])
  if k == 'tuple':
    return ('tuple', [sub() for _ in range(rng.randint(1, 4))])
  if k == 'variant':
    n = rng.choice([1, 2, 3, 4, 4, 300]) if rng.random() < 0.1 else rng.randint(1, 4)
    return ('variant', [(l, sub() if rng.random() < 0.7 else None) for l in labels(n)])
  if k == 'enum':
    return ('enum', labels(rng.choice([1, 2, 5, 256, 257])))
  if k == 'option':
    return ('option', sub())
  if k == 'result':
    return ('result', sub() if rng.random() < 0.7 else None,
            sub() if rng.random() < 0.7 else None)
  return ('flags', labels(rng.choice([1, 3, 8, 9, 16, 17, 31, 32])))


def type_text(t):
  if t is None:
    return '_'
  k = t[0]
  if k == 'prim':
    return t[1]
  if k == 'list':
    return '(list %s)' % type_text(t[1])
  if k == 'fixed':
    return '(fixed %s %d)' % (type_text(t[1]), t[2])
  if k == 'record':
    return '(record %s)' % ' '.join('(%s %s)' % (l, type_text(u)) for l, u in t[1])
  if k == 'tuple':
    return '(tuple %s)' % ' '.join(type_text(u) for u in t[1])
  if k == 'variant':
    return '(variant %s)' % ' '.join('(%s %s)' % (l, type_text(u)) for l, u in t[1])
  if k in ('enum', 'flags'):
    return '(%s %s)' % (k, ' '.join(t[1]))
  if k == 'option':
    return '(option %s)' % type_text(t[1])
  if k == 'result':
    return '(result %s %s)' % (type_text(t[1]), type_text(t[2]))
  raise AssertionError(k)


CURRENT_RT = None  # the resource type 'own' and 'borrow' name


def spec_type(t):
  if t is None:
    return None
  k = t[0]
  if k == 'prim':
    if t[1] == 'own':
      return d.OwnType(CURRENT_RT)
    if t[1] == 'borrow':
      return d.BorrowType(CURRENT_RT)
    return PRIM_TYPES[t[1]]()
  if k == 'list':
    return d.ListType(spec_type(t[1]))
  if k == 'fixed':
    return d.ListType(spec_type(t[1]), t[2])
  if k == 'record':
    return d.RecordType([d.FieldType(l, spec_type(u)) for l, u in t[1]])
  if k == 'tuple':
    return d.TupleType([spec_type(u) for u in t[1]])
  if k == 'variant':
    return d.VariantType([d.CaseType(l, spec_type(u)) for l, u in t[1]])
  if k == 'enum':
    return d.EnumType(t[1])
  if k == 'option':
    return d.OptionType(spec_type(t[1]))
  if k == 'result':
    return d.ResultType(spec_type(t[1]), spec_type(t[2]))
  if k == 'flags':
    return d.FlagsType(t[1])
  raise AssertionError(k)


# ---- random values, as spec host values ---------------------------------------

INT_RANGES = {'s8': (-128, 127), 'u8': (0, 255), 's16': (-32768, 32767), 'u16': (0, 65535),
              's32': (-2**31, 2**31 - 1), 'u32': (0, 2**32 - 1), 's64': (-2**63, 2**63 - 1),
              'u64': (0, 2**64 - 1)}
F32_BITS = [0, 0x80000000, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00001,
            0xffc00000, 0x7f800001, 0x00000001]
F64_BITS = [0, 0x8000000000000000, 0x3ff0000000000000, 0x7ff0000000000000, 0x7ff8000000000000,
            0x7ff8000000000001, 0xfff8000000000000, 0x7ff0000000000001, 1]
CHARS = [0, 0x41, 0x7f, 0x80, 0xe9, 0xff, 0x100, 0x2603, 0xd7ff, 0xe000, 0xfffd, 0x1f370,
         0x10ffff]


def f32_of(bits):
  return struct.unpack('<f', struct.pack('<I', bits))[0]


def f64_of(bits):
  return struct.unpack('<d', struct.pack('<Q', bits))[0]


def bits32(f):
  return struct.unpack('<I', struct.pack('<f', f))[0]


def bits64(f):
  return struct.unpack('<Q', struct.pack('<d', f))[0]


def gen_string():
  n = rng.choice([0, 1, 2, 3, 5, 8])
  mode = rng.random()
  if mode < 0.3:
    pool = ALPHABET[:5]  # ascii only
  elif mode < 0.55:
    pool = ALPHABET[:8]  # latin1 only
  else:
    pool = ALPHABET
  return ''.join(rng.choice(pool) for _ in range(n))


def gen_value(t):
  """Returns (text, spec host value)."""
  k = t[0]
  if k == 'prim':
    p = t[1]
    if p == 'bool':
      b = rng.random() < 0.5
      return str(int(b)), b
    if p in ('own', 'borrow'):
      r = rng.choice([0, 1, 0x41, 2**32 - 1, rng.getrandbits(32)])
      return str(r), r
    if p in INT_RANGES:
      lo, hi = INT_RANGES[p]
      v = rng.choice([lo, hi, 0, -1 if lo < 0 else 1, rng.randint(lo, hi)])
      return str(v), v
    if p == 'f32':
      bits = rng.choice(F32_BITS + [rng.getrandbits(32)])
      return '#%x' % bits, f32_of(bits)
    if p == 'f64':
      bits = rng.choice(F64_BITS + [rng.getrandbits(64)])
      return '#%x' % bits, f64_of(bits)
    if p == 'char':
      c = rng.choice(CHARS)
      return str(c), chr(c)
    if p == 'string':
      s = gen_string()
      b = s.encode('utf-8')
      return 'x' + b.hex(), (s, 'utf8', len(b))
  if k in ('list', 'fixed'):
    n = t[2] if k == 'fixed' else rng.choice([0, 1, 2, 3])
    items = [gen_value(t[1]) for _ in range(n)]
    return '(%s)' % ' '.join(x for x, _ in items), [v for _, v in items]
  if k == 'record':
    items = [(l, gen_value(u)) for l, u in t[1]]
    return '(%s)' % ' '.join(x for _, (x, _) in items), {l: v for l, (_, v) in items}
  if k == 'tuple':
    items = [gen_value(u) for u in t[1]]
    return '(%s)' % ' '.join(x for x, _ in items), {str(i): v for i, (_, v) in enumerate(items)}
  if k in ('variant', 'option', 'result', 'enum'):
    cases = case_list(t)
    i = rng.randrange(len(cases))
    label, ct = cases[i]
    if ct is None:
      return '(%d)' % i, {label: None}
    x, v = gen_value(ct)
    return '(%d %s)' % (i, x), {label: v}
  if k == 'flags':
    mask = rng.getrandbits(len(t[1]))
    return str(mask), {l: bool(mask >> i & 1) for i, l in enumerate(t[1])}
  raise AssertionError(k)


def case_list(t):
  k = t[0]
  if k == 'variant':
    return t[1]
  if k == 'enum':
    return [(l, None) for l in t[1]]
  if k == 'option':
    return [('none', None), ('some', t[1])]
  if k == 'result':
    return [('ok', t[1]), ('error', t[2])]
  raise AssertionError(k)


def value_text(t, v):
  """The text of a lifted spec value."""
  k = t[0]
  if k == 'prim':
    p = t[1]
    if p == 'bool':
      return str(int(v))
    if p in INT_RANGES or p in ('own', 'borrow'):
      return str(v)
    if p == 'f32':
      return '#%x' % bits32(v)
    if p == 'f64':
      return '#%x' % bits64(v)
    if p == 'char':
      return str(ord(v))
    if p == 'string':
      return 'x' + v[0].encode('utf-8').hex()
  if k in ('list', 'fixed'):
    return '(%s)' % ' '.join(value_text(t[1], e) for e in v)
  if k == 'record':
    return '(%s)' % ' '.join(value_text(u, v[l]) for l, u in t[1])
  if k == 'tuple':
    return '(%s)' % ' '.join(value_text(u, v[str(i)]) for i, u in enumerate(t[1]))
  if k in ('variant', 'option', 'result', 'enum'):
    cases = case_list(t)
    [(label, payload)] = v.items()
    i = [c for c, _ in cases].index(label)
    ct = cases[i][1]
    if ct is None:
      return '(%d)' % i
    return '(%d %s)' % (i, value_text(ct, payload))
  if k == 'flags':
    return str(sum(1 << i for i, l in enumerate(t[1]) if v[l]))
  raise AssertionError(k)


# ---- running the spec -----------------------------------------------------------


class Heap:
  """run_tests.py's bump allocator (shrinks in place), recording calls."""

  def __init__(self):
    self.memory = bytearray(MEMORY_SIZE)
    self.last_alloc = 0
    self.calls = []

  def realloc(self, args):
    original_ptr, original_size, alignment, new_size = args
    if original_ptr != 0 and new_size < original_size:
      ret = d.align_to(original_ptr, alignment)
    else:
      ret = d.align_to(self.last_alloc, alignment)
      self.last_alloc = ret + new_size
      if self.last_alloc > len(self.memory):
        d.trap()
      self.memory[ret:ret + original_size] = self.memory[original_ptr:original_ptr + original_size]
    self.calls.append('%d,%d,%d,%d>%d' % (original_ptr, original_size, alignment, new_size, ret))
    return [ret]


def mk_cx(heap, encoding):
  opts = d.CanonicalOptions()
  opts.memory = d.MemInst(heap.memory, 'i32')
  opts.string_encoding = encoding
  opts.realloc = heap.realloc
  return d.LiftLowerContext(opts, d.ComponentInstance(d.Store()))


def flat_text(flat, types):
  out = []
  for v, ct in zip(flat, types):
    if ct == 'f32':
      out.append('f32:%x' % bits32(v))
    elif ct == 'f64':
      out.append('f64:%x' % bits64(v))
    else:
      out.append('%s:%x' % (ct, v))
  return ' '.join(out)


def flat_types(st, max_flat, opts):
  ts = d.flatten_types([st], opts)
  return ['i32'] if len(ts) > max_flat else ts


def lower(st, v, encoding, max_flat):
  heap = Heap()
  cx = mk_cx(heap, encoding)
  try:
    flat = d.lower_flat_values(cx, max_flat, [v], [st])
  except d.Trap:
    return 'trap', None, None
  text = 'flat=%s calls=%s mem=%s' % (flat_text(flat, flat_types(st, max_flat, cx.opts)),
                                     ' '.join(heap.calls), heap.memory[:heap.last_alloc].hex())
  return text, heap, flat


def realloc_logger(heap, name, log):
  def realloc(args):
    [ret] = heap.realloc(args)
    log.append('%s:%d,%d,%d,%d>%d' % ((name,) + tuple(args) + (ret,)))
    return [ret]
  return realloc


def table_text(table):
  out = ['%d:%s%d:%d' % (i, 'o' if e.own else 'b', e.rep, e.num_lends)
         for i, e in enumerate(table.array) if e is not None]
  return ','.join(out) + ';free=' + ','.join(str(i) for i in table.free)


def run_call(params, result, src, dst):
  """One fused call; returns the X line. The callee C implements the
  resource type, so borrows reach it as reps."""
  global CURRENT_RT
  store = d.Store()
  log = []
  heap_d, heap_c = Heap(), Heap()
  # `log` interleaves both heaps; their own call lists go unused.
  opts_d = d.CanonicalOptions()
  opts_d.memory = d.MemInst(heap_d.memory, 'i32')
  opts_d.string_encoding = src
  opts_d.realloc = realloc_logger(heap_d, 'D', log)
  opts_c = d.CanonicalOptions()
  opts_c.memory = d.MemInst(heap_c.memory, 'i32')
  opts_c.string_encoding = dst
  opts_c.realloc = realloc_logger(heap_c, 'C', log)
  inst_d = d.ComponentInstance(store)
  inst_c = d.ComponentInstance(store)
  CURRENT_RT = d.ResourceType(inst_c, None)
  ptypes = [spec_type(t) for t, _ in params]
  rtypes = [spec_type(result[0])] if result else []
  ft = d.FuncType([('p%d' % i, u) for i, u in enumerate(ptypes)], rtypes)
  lower_ft = d.flatten_functype(opts_d, ft, 'lower')
  lift_ft = d.flatten_functype(opts_c, ft, 'lift')

  def post_return(args):
    log.append('C:post_return(%s)' % flat_text(args, lift_ft.results))
    return []
  opts_c.post_return = post_return
  out = {}
  try:
    # D's own handles come from lowering owns; its borrows from lowering
    # borrows in a call D is serving.
    cx = d.LiftLowerContext(opts_d, inst_d, d.Task(ft, opts_d, inst_d, None, None))
    flat_args = d.lower_flat_values(cx, d.MAX_FLAT_PARAMS, [v for _, v in params], ptypes)
    if len(lower_ft.params) > len(flat_args):  # the result spills: a retptr
      tt = d.TupleType(rtypes)
      flat_args.append(opts_d.realloc([0, 0, d.alignment(tt, 'i32'), d.elem_size(tt, 'i32')])[0])
  except d.Trap:
    return 'trap preparing'
  out['args'] = flat_text(flat_args, lower_ft.params)

  def callee(args):
    out['callee'] = flat_text(args, lift_ft.params)
    cx = d.LiftLowerContext(opts_c, inst_c)
    return d.lower_flat_values(cx, d.MAX_FLAT_RESULTS, [result[1]] if result else [], rtypes)

  lifted = store.lift(callee, ft, opts_c, inst_c)

  def consumer(args):
    out['res'] = flat_text(store.lower(lifted, ft, opts_d, inst_d)(flat_args), lower_ft.results)
    return []

  try:
    d.Store.invoke(store, store.lift(consumer, d.FuncType([], []), d.CanonicalOptions(), inst_d),
                   lambda: [], lambda _: None)
  except d.Trap:
    return 'trap args=%s log=%s' % (out['args'], ' '.join(log))
  return 'args=%s callee=%s res=%s log=%s dmem=%s cmem=%s dh=%s ch=%s' % (
      out['args'], out.get('callee', ''), out['res'], ' '.join(log),
      heap_d.memory[:heap_d.last_alloc].hex(), heap_c.memory[:heap_c.last_alloc].hex(),
      table_text(inst_d.handles), table_text(inst_c.handles))


def main_calls(count):
  for _ in range(count):
    params = []
    for _ in range(rng.choice([0, 1, 2, 3, 5, 17])):
      t = gen_type(rng.choice([0, 0, 1, 2]), ('own', 'borrow'))
      params.append((t, gen_value(t)))
    result = None
    if rng.random() < 0.8:
      t = gen_type(rng.choice([0, 1, 2, 3]), ('own',))
      result = (t, gen_value(t))
    src, dst = rng.choice(ENCODINGS), rng.choice(ENCODINGS)
    print('call')
    for t, (vtext, _) in params:
      print('P ' + type_text(t))
      print('Q ' + vtext)
    if result:
      print('RT ' + type_text(result[0]))
      print('RV ' + result[1][0])
    print('E %s %s' % (src, dst))
    print('X ' + run_call([(t, v) for t, (_, v) in params],
                          (result[0], result[1][1]) if result else None, src, dst))
    print('end')


def random_byte():
  r = rng.random()
  if r < 0.45:
    return 0
  if r < 0.75:
    return rng.randint(1, 8)
  if r < 0.85:
    return rng.choice([0x80, 0xc3, 0xd8, 0xdc, 0xe2, 0xed, 0xf0, 0xff])
  return rng.getrandbits(8)


def random_core(ct):
  if ct == 'i32':
    r = rng.random()
    if r < 0.6:
      return rng.randint(0, 12)
    if r < 0.8:
      return rng.randint(0, 300)
    if r < 0.9:
      return rng.choice([0x80000000, 0x80000003, 0xd800, 0x110000, 0xffffffff])
    return rng.getrandbits(32)
  if ct == 'i64':
    return rng.choice([0, 1, 2, rng.getrandbits(64)])
  return None  # floats: drawn as bits by the caller


def main_lift(count):
  opts0 = d.CanonicalOptions(memory=d.MemInst(bytearray(), 'i32'))
  for _ in range(count):
    t = gen_type(rng.choice([0, 1, 1, 2, 3]))
    st = spec_type(t)
    enc = rng.choice(ENCODINGS)
    max_flat = rng.choice([16, 16, 0])
    mem = bytearray(random_byte() for _ in range(256))
    ts = d.flatten_types([st], opts0)
    if len(ts) > max_flat:
      ts = ['i32']
    flat, texts = [], []
    for ct in ts:
      if ct == 'f32':
        bits = rng.choice(F32_BITS + [rng.getrandbits(32)])
        flat.append(f32_of(bits))
        texts.append('f32:%x' % bits)
      elif ct == 'f64':
        bits = rng.choice(F64_BITS + [rng.getrandbits(64)])
        flat.append(f64_of(bits))
        texts.append('f64:%x' % bits)
      else:
        v = random_core(ct)
        flat.append(v)
        texts.append('%s:%x' % (ct, v))
    print('case')
    print('T ' + type_text(t))
    print('E %s %d' % (enc, max_flat))
    print('M ' + mem.hex())
    print('C ' + ' '.join(texts))
    opts = d.CanonicalOptions()
    opts.memory = d.MemInst(mem, 'i32')
    opts.string_encoding = enc
    cx = d.LiftLowerContext(opts, d.ComponentInstance(d.Store()))
    try:
      [v] = d.lift_flat_values(cx, max_flat, d.CoreValueIter(flat), [st])
      print('L ' + value_text(t, v))
    except d.Trap:
      print('L trap')
    print('end')


def main():
  count = int(sys.argv[3])
  if len(sys.argv) > 4 and sys.argv[4] == 'lift':
    main_lift(count)
    return
  if len(sys.argv) > 4 and sys.argv[4] == 'calls':
    main_calls(count)
    return
  opts = d.CanonicalOptions(memory=d.MemInst(bytearray(), 'i32'))
  for _ in range(count):
    t = gen_type(rng.choice([0, 1, 2, 3, 3, 4]))
    st = spec_type(t)
    vtext, v = gen_value(t)
    src, dst = rng.choice(ENCODINGS), rng.choice(ENCODINGS)
    max_flat = rng.choice([16, 16, 1, 0])
    print('case')
    print('T ' + type_text(t))
    print('V ' + vtext)
    print('E %s %s %d' % (src, dst, max_flat))
    flat = d.flatten_type(st, opts)
    print('A %d %d %s' % (d.alignment(st, 'i32'), d.elem_size(st, 'i32'),
                          ' '.join(flat) if len(flat) <= 64 else 'many'))
    r1, heap, flat1 = lower(st, v, src, max_flat)
    print('R1 ' + r1)
    if heap is None:
      print('end')
      continue
    cx = mk_cx(heap, src)
    try:
      lifted = d.lift_flat_values(cx, max_flat, d.CoreValueIter(flat1), [st])[0]
    except d.Trap:
      print('L trap')
      print('end')
      continue
    print('L ' + value_text(t, lifted))
    r2, _, _ = lower(st, lifted, dst, max_flat)
    print('R2 ' + r2)
    print('end')


main()
