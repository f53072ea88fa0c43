// The canonical ABI against the spec's own definitions.py: the oracle
// script (definitions_oracle.py, which documents the case format) prints
// random types and values with what the spec computes for them; this test
// computes the same in C++ and compares every line.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "component/abi/abi.h"

namespace weft::component::abi {
namespace {

// ---- s-expressions -------------------------------------------------------------

struct Node {
  std::string atom;
  std::vector<Node> kids;
  bool is_list = false;
};

class SexprParser {
 public:
  explicit SexprParser(std::string_view s) : s_(s) {}
  Node parse() {
    skip();
    Node n;
    if (s_[i_] == '(') {
      n.is_list = true;
      ++i_;
      for (skip(); s_[i_] != ')'; skip()) n.kids.push_back(parse());
      ++i_;
    } else {
      size_t b = i_;
      while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '(' && s_[i_] != ')') ++i_;
      n.atom = std::string(s_.substr(b, i_ - b));
    }
    return n;
  }

 private:
  void skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  std::string_view s_;
  size_t i_ = 0;
};

// The one resource type `own` and `borrow` name in a fused call.
std::shared_ptr<const ResourceType> g_resource = std::make_shared<const ResourceType>();

ValTypePtr parse_type(const Node& n) {
  static const std::pair<const char*, ValKind> prims[] = {
      {"bool", ValKind::Bool},    {"s8", ValKind::S8},   {"u8", ValKind::U8},
      {"s16", ValKind::S16},      {"u16", ValKind::U16}, {"s32", ValKind::S32},
      {"u32", ValKind::U32},      {"s64", ValKind::S64}, {"u64", ValKind::U64},
      {"f32", ValKind::F32},      {"f64", ValKind::F64}, {"char", ValKind::Char},
      {"string", ValKind::String}};
  if (!n.is_list) {
    if (n.atom == "_") return nullptr;
    if (n.atom == "own" || n.atom == "borrow") {
      auto t = std::make_shared<ValType>();
      t->kind = n.atom == "own" ? ValKind::Own : ValKind::Borrow;
      t->resource = g_resource;
      return t;
    }
    for (auto& [name, kind] : prims)
      if (n.atom == name) return ValType::prim(kind);
    ADD_FAILURE() << "unknown type " << n.atom;
    return ValType::prim(ValKind::Bool);
  }
  auto t = std::make_shared<ValType>();
  const std::string& head = n.kids[0].atom;
  if (head == "list") {
    t->kind = ValKind::List;
    t->element = parse_type(n.kids[1]);
  } else if (head == "fixed") {
    t->kind = ValKind::FixedList;
    t->element = parse_type(n.kids[1]);
    t->length = static_cast<uint32_t>(std::stoul(n.kids[2].atom));
  } else if (head == "record") {
    t->kind = ValKind::Record;
    for (size_t i = 1; i < n.kids.size(); ++i)
      t->fields.push_back(Field{n.kids[i].kids[0].atom, parse_type(n.kids[i].kids[1])});
  } else if (head == "tuple") {
    t->kind = ValKind::Tuple;
    for (size_t i = 1; i < n.kids.size(); ++i)
      t->fields.push_back(Field{"", parse_type(n.kids[i])});
  } else if (head == "variant") {
    t->kind = ValKind::Variant;
    for (size_t i = 1; i < n.kids.size(); ++i)
      t->cases.push_back(Case{n.kids[i].kids[0].atom, parse_type(n.kids[i].kids[1])});
  } else if (head == "enum" || head == "flags") {
    t->kind = head == "enum" ? ValKind::Enum : ValKind::Flags;
    for (size_t i = 1; i < n.kids.size(); ++i) t->labels.push_back(n.kids[i].atom);
  } else if (head == "option") {
    t->kind = ValKind::Option;
    t->element = parse_type(n.kids[1]);
  } else if (head == "result") {
    t->kind = ValKind::Result;
    t->element = parse_type(n.kids[1]);
    t->error = parse_type(n.kids[2]);
  } else {
    ADD_FAILURE() << "unknown type " << head;
  }
  return t;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

const ValType* case_type_of(const ValType& t, size_t i) {
  switch (t.kind) {
    case ValKind::Variant:
      return t.cases[i].type.get();
    case ValKind::Option:
      return i == 1 ? t.element.get() : nullptr;
    case ValKind::Result:
      return i == 0 ? t.element.get() : t.error.get();
    default:
      return nullptr;
  }
}

Val parse_value(const Node& n, const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool:
      return Val::boolean(n.atom == "1");
    case ValKind::S8:
    case ValKind::S16:
    case ValKind::S32:
    case ValKind::S64: {
      Val v;
      v.kind = t.kind;
      v.bits = static_cast<uint64_t>(std::stoll(n.atom));
      return v;
    }
    case ValKind::U8:
    case ValKind::U16:
    case ValKind::U32:
    case ValKind::U64:
    case ValKind::Own:
    case ValKind::Borrow: {
      Val v;
      v.kind = t.kind;
      v.bits = std::stoull(n.atom);
      return v;
    }
    case ValKind::F32:
      return Val::f32_bits(static_cast<uint32_t>(std::stoull(n.atom.substr(1), nullptr, 16)));
    case ValKind::F64:
      return Val::f64_bits(std::stoull(n.atom.substr(1), nullptr, 16));
    case ValKind::Char:
      return Val::character(static_cast<uint32_t>(std::stoul(n.atom)));
    case ValKind::String:
      return Val::string(unhex(std::string_view(n.atom).substr(1)));
    case ValKind::List:
    case ValKind::FixedList: {
      std::vector<Val> items;
      for (const Node& k : n.kids) items.push_back(parse_value(k, *t.element));
      Val v = Val::list(std::move(items));
      v.kind = t.kind;
      return v;
    }
    case ValKind::Record: {
      std::vector<std::pair<std::string, Val>> fs;
      for (size_t i = 0; i < t.fields.size(); ++i)
        fs.emplace_back(t.fields[i].label, parse_value(n.kids[i], *t.fields[i].type));
      return Val::record(std::move(fs));
    }
    case ValKind::Tuple: {
      std::vector<Val> items;
      for (size_t i = 0; i < t.fields.size(); ++i)
        items.push_back(parse_value(n.kids[i], *t.fields[i].type));
      return Val::tuple(std::move(items));
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      auto i = static_cast<uint32_t>(std::stoul(n.kids[0].atom));
      std::optional<Val> payload;
      if (const ValType* ct = case_type_of(t, i)) payload = parse_value(n.kids[1], *ct);
      if (t.kind == ValKind::Enum) return Val::enumeration(t.labels[i], i);
      if (t.kind == ValKind::Option) return i ? Val::some(std::move(*payload)) : Val::none();
      if (t.kind == ValKind::Result)
        return i ? Val::err(std::move(payload)) : Val::ok(std::move(payload));
      // Label only, as `weft wast` builds them: the ABI resolves the index.
      return Val::variant(t.cases[i].label, std::move(payload));
    }
    case ValKind::Flags: {
      uint64_t mask = std::stoull(n.atom);
      std::vector<std::string> set;
      for (size_t i = 0; i < t.labels.size(); ++i)
        if (mask >> i & 1) set.push_back(t.labels[i]);
      return Val::flags(std::move(set));
    }
    default:
      ADD_FAILURE() << "unsupported kind";
      return Val();
  }
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string print_value(const Val& v, const ValType& t) {
  char buf[32];
  switch (t.kind) {
    case ValKind::Bool:
      return v.bits ? "1" : "0";
    case ValKind::S8:
    case ValKind::S16:
    case ValKind::S32:
    case ValKind::S64:
      return std::to_string(static_cast<int64_t>(v.bits));
    case ValKind::U8:
    case ValKind::U16:
    case ValKind::U32:
    case ValKind::U64:
    case ValKind::Own:
    case ValKind::Borrow:
    case ValKind::Char:
      return std::to_string(v.bits);
    case ValKind::F32:
    case ValKind::F64:
      std::snprintf(buf, sizeof buf, "#%llx", static_cast<unsigned long long>(v.bits));
      return buf;
    case ValKind::String:
      return "x" + hex(reinterpret_cast<const uint8_t*>(v.str.data()), v.str.size());
    case ValKind::List:
    case ValKind::FixedList: {
      std::string out = "(";
      for (size_t i = 0; i < v.list_size(); ++i)
        out += (i ? " " : "") + print_value(v.list_item(i), *t.element);
      return out + ")";
    }
    case ValKind::Record:
    case ValKind::Tuple: {
      std::string out = "(";
      for (size_t i = 0; i < v.items.size(); ++i)
        out += (i ? " " : "") + print_value(v.items[i], *t.fields[i].type);
      return out + ")";
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      std::string out = "(" + std::to_string(v.discriminant);
      if (const ValType* ct = case_type_of(t, v.discriminant))
        out += " " + print_value(v.items.at(0), *ct);
      return out + ")";
    }
    case ValKind::Flags: {
      uint64_t mask = 0;
      for (const std::string& l : v.labels)
        for (size_t i = 0; i < t.labels.size(); ++i)
          if (t.labels[i] == l) mask |= 1ull << i;
      return std::to_string(mask);
    }
    default:
      return "?";
  }
}

// run_tests.py's Heap: a bump allocator that shrinks in place.
struct Heap {
  std::vector<uint8_t> memory = std::vector<uint8_t>(1 << 16);
  uint64_t last_alloc = 0;
  std::string calls;

  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size) {
    uint64_t ret;
    if (old_ptr != 0 && new_size < old_size) {
      ret = (uint64_t{old_ptr} + align - 1) / align * align;
    } else {
      ret = (last_alloc + align - 1) / align * align;
      last_alloc = ret + new_size;
      if (last_alloc > memory.size()) return Error::make_trap(TrapKind::Unreachable, "heap full");
      std::memmove(memory.data() + ret, memory.data() + old_ptr, old_size);
    }
    if (!calls.empty()) calls += ' ';
    calls += std::to_string(old_ptr) + "," + std::to_string(old_size) + "," +
             std::to_string(align) + "," + std::to_string(new_size) + ">" + std::to_string(ret);
    return static_cast<uint32_t>(ret);
  }

  CanonicalOptions options(StringEncoding e) {
    CanonicalOptions o;
    o.string_encoding = e;
    o.memory = [this] { return std::span<uint8_t>(memory); };
    o.realloc = [this](uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
      return realloc(a, b, c, d);
    };
    return o;
  }
};

StringEncoding encoding(const std::string& s) {
  if (s == "utf16") return StringEncoding::Utf16;
  if (s == "latin1+utf16") return StringEncoding::Latin1Utf16;
  return StringEncoding::Utf8;
}

std::string flat_text(const std::vector<CoreValue>& flat) {
  std::string out;
  char buf[48];
  for (const CoreValue& v : flat) {
    std::snprintf(buf, sizeof buf, "%s%s:%llx", out.empty() ? "" : " ", weft::to_string(v.type),
                  static_cast<unsigned long long>(v.bits));
    out += buf;
  }
  return out;
}

struct Lowered {
  std::string text;
  std::unique_ptr<Heap> heap;
  std::vector<CoreValue> flat;
};

Lowered lower_into(const Val& v, const ValTypePtr& t, StringEncoding e, size_t max_flat) {
  Lowered out;
  out.heap = std::make_unique<Heap>();
  CanonicalOptions opts = out.heap->options(e);
  ComponentInstance inst;
  LiftLowerContext cx(opts, inst);
  std::vector<Val> vs{v};
  std::vector<ValTypePtr> ts{t};
  auto flat = lower_flat_values(cx, max_flat, vs, ts);
  if (!flat) {
    out.text = "trap";
    out.heap.reset();
    if (!flat.error().is_trap()) out.text += " (not a trap: " + flat.error().to_string() + ")";
    return out;
  }
  out.flat = *flat;
  out.text = "flat=" + flat_text(out.flat) + " calls=" + out.heap->calls +
             " mem=" + hex(out.heap->memory.data(), out.heap->last_alloc);
  return out;
}

std::string layout_text(const ValType& t) {
  auto flat = flatten_type(t, 64);
  std::string out = std::to_string(alignment(t)) + " " + std::to_string(elem_size(t)) + " ";
  if (!flat) return out + "many";
  for (size_t i = 0; i < flat->size(); ++i)
    out += std::string(i ? " " : "") + weft::to_string((*flat)[i]);
  return out;
}

// WEFT_ABI_DIFF_SEED shifts every seed, so a longer hunt for divergences
// is `WEFT_ABI_DIFF_SEED=N component_abi_tests --gtest_filter=Against*`.
int seed_offset() {
  const char* env = std::getenv("WEFT_ABI_DIFF_SEED");
  return env ? std::atoi(env) : 0;
}

std::string run_oracle(int seed, int count, const char* mode = "values") {
  seed += seed_offset();
  std::filesystem::path spec =
      std::filesystem::path(WEFT_SOURCE_DIR) / ".." / "shared" / "component-model-spec";
  if (!std::filesystem::exists(spec / "definitions.py")) return {};
  std::string cmd = "python3 " + std::string(WEFT_SOURCE_DIR) +
                    "/tests/component/abi/definitions_oracle.py " + spec.string() + " " +
                    std::to_string(seed) + " " + std::to_string(count) + " " + mode;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  return out;
}

void check_against_oracle(int seed, int count) {
  std::string text = run_oracle(seed, count);
  if (text.empty()) GTEST_SKIP() << "python3 or definitions.py not available";
  std::istringstream in(text);
  std::string line, type_line, value_line;
  int cases = 0, failures = 0;
  ValTypePtr t;
  Val v;
  StringEncoding src{}, dst{};
  size_t max_flat = 0;
  Lowered r1;
  std::optional<Val> lifted;
  auto expect = [&](const std::string& what, const std::string& want, const std::string& got) {
    if (want == got) return;
    if (++failures <= 5)
      ADD_FAILURE() << "case " << cases << "\n  T " << type_line << "\n  V " << value_line << "\n  "
                    << what << " spec: " << want << "\n  " << what << " weft: " << got;
  };
  while (std::getline(in, line)) {
    std::string tag = line.substr(0, line.find(' '));
    std::string rest = line.size() > tag.size() ? line.substr(tag.size() + 1) : "";
    if (tag == "case") {
      ++cases;
      lifted.reset();
    } else if (tag == "T") {
      type_line = rest;
      t = parse_type(SexprParser(rest).parse());
    } else if (tag == "V") {
      value_line = rest;
      v = parse_value(SexprParser(rest).parse(), *t);
    } else if (tag == "E") {
      std::istringstream e(rest);
      std::string s, d;
      e >> s >> d >> max_flat;
      src = encoding(s);
      dst = encoding(d);
    } else if (tag == "A") {
      expect("A", rest, layout_text(*t));
    } else if (tag == "R1") {
      r1 = lower_into(v, t, src, max_flat);
      expect("R1", rest, r1.text);
    } else if (tag == "L") {
      std::string got = "trap";
      if (r1.heap) {
        CanonicalOptions opts = r1.heap->options(src);
        ComponentInstance inst;
        LiftLowerContext cx(opts, inst);
        CoreValueIter vi(r1.flat);
        std::vector<ValTypePtr> ts{t};
        auto vals = lift_flat_values(cx, max_flat, vi, ts);
        if (vals) {
          lifted = (*vals)[0];
          got = print_value(*lifted, *t);
        }
      }
      expect("L", rest, got);
    } else if (tag == "R2") {
      expect("R2", rest, lifted ? lower_into(*lifted, t, dst, max_flat).text : "no lifted value");
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cases << " cases";
  EXPECT_GT(cases, count / 2);
}

TEST(AgainstDefinitionsPy, RandomTypesAndValues) { check_against_oracle(1, 3000); }
TEST(AgainstDefinitionsPy, MoreSeeds) {
  for (int seed = 2; seed < 6; ++seed) check_against_oracle(seed, 500);
}

}  // namespace
}  // namespace weft::component::abi

namespace weft::component::abi {
namespace {

// ---- fused calls -----------------------------------------------------------------

std::string table_text(const HandleTable& t) {
  std::string out;
  for (uint32_t i = 1; i < t.size(); ++i) {
    auto h = t.get(i);
    if (!h) continue;
    if (!out.empty()) out += ",";
    out += std::to_string(i) + ":" + ((*h)->own ? "o" : "b") + std::to_string((*h)->rep) + ":" +
           std::to_string((*h)->num_lends);
  }
  out += ";free=";
  for (size_t i = 0; i < t.free_list().size(); ++i)
    out += (i ? "," : "") + std::to_string(t.free_list()[i]);
  return out;
}

std::string run_call(const std::vector<std::pair<ValTypePtr, Val>>& params,
                     const std::optional<std::pair<ValTypePtr, Val>>& result, StringEncoding src,
                     StringEncoding dst) {
  std::vector<std::string> log;
  Heap hd, hc;
  auto logged = [&log](Heap& h, const char* name) {
    return [&log, &h, name](uint32_t a, uint32_t b, uint32_t c, uint32_t d) -> Result<uint32_t> {
      auto r = h.realloc(a, b, c, d);
      if (r.ok())
        log.push_back(std::string(name) + ":" + std::to_string(a) + "," + std::to_string(b) + "," +
                      std::to_string(c) + "," + std::to_string(d) + ">" + std::to_string(*r));
      return r;
    };
  };
  CanonicalOptions opts_d = hd.options(src);
  opts_d.realloc = logged(hd, "D");
  CanonicalOptions opts_c = hc.options(dst);
  opts_c.realloc = logged(hc, "C");
  opts_c.post_return = [&log](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    log.push_back("C:post_return(" + flat_text({args.begin(), args.end()}) + ")");
    return std::vector<CoreValue>{};
  };
  FuncType ft;
  std::vector<ValTypePtr> ptypes;
  std::vector<Val> pvals;
  for (size_t i = 0; i < params.size(); ++i) {
    ft.params.push_back(Field{"p" + std::to_string(i), params[i].first});
    ptypes.push_back(params[i].first);
    pvals.push_back(params[i].second);
  }
  std::vector<ValTypePtr> rtypes;
  std::vector<Val> rvals;
  if (result) {
    ft.result = result->first;
    rtypes.push_back(result->first);
    rvals.push_back(result->second);
  }
  CoreFuncType lower_ft = flatten_functype(ft, FlattenContext::Lower);

  // D's own handles come from lowering owns; its borrows from lowering
  // borrows in a call D is serving. The callee C implements the resource.
  ComponentInstance inst_c, inst_d;
  inst_c.add_resource_impl(g_resource.get());
  LiftLowerContext cx(opts_d, inst_d, std::make_shared<Task>());
  auto prepared = lower_flat_values(cx, kMaxFlatParams, pvals, ptypes);
  if (!prepared) return "trap preparing";
  std::vector<CoreValue> flat_args = *prepared;
  if (lower_ft.params.size() > flat_args.size()) {
    ValType tup;
    tup.kind = ValKind::Tuple;
    tup.fields.push_back(Field{"", result->first});
    auto retptr = opts_d.realloc(0, 0, alignment(tup), static_cast<uint32_t>(elem_size(tup)));
    if (!retptr) return "trap preparing";
    flat_args.push_back(CoreValue{CoreType::I32, *retptr});
  }
  std::string callee_args;
  CoreFn callee = [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    callee_args = flat_text({args.begin(), args.end()});
    LiftLowerContext ccx(opts_c, inst_c);
    return lower_flat_values(ccx, kMaxFlatResults, rvals, rtypes);
  };
  auto exported = lift(callee, ft, opts_c, inst_c);
  if (!exported) return "lift failed: " + exported.error().to_string();
  auto imported = lower(*exported, ft, opts_d, inst_d);
  if (!imported) return "lower failed: " + imported.error().to_string();
  auto res = (*imported)(flat_args);
  std::string joined;
  for (const std::string& l : log) joined += (joined.empty() ? "" : " ") + l;
  if (!res) return "trap args=" + flat_text(flat_args) + " log=" + joined;
  return "args=" + flat_text(flat_args) + " callee=" + callee_args + " res=" + flat_text(*res) +
         " log=" + joined + " dmem=" + hex(hd.memory.data(), hd.last_alloc) +
         " cmem=" + hex(hc.memory.data(), hc.last_alloc) + " dh=" + table_text(inst_d.handles) +
         " ch=" + table_text(inst_c.handles);
}

void check_calls_against_oracle(int seed, int count) {
  std::string text = run_oracle(seed, count, "calls");
  if (text.empty()) GTEST_SKIP() << "python3 or definitions.py not available";
  std::istringstream in(text);
  std::string line, block;
  int cases = 0, failures = 0;
  std::vector<std::pair<ValTypePtr, Val>> params;
  std::optional<std::pair<ValTypePtr, Val>> result;
  ValTypePtr pending;
  StringEncoding src{}, dst{};
  while (std::getline(in, line)) {
    std::string tag = line.substr(0, line.find(' '));
    std::string rest = line.size() > tag.size() ? line.substr(tag.size() + 1) : "";
    if (tag == "call") {
      ++cases;
      params.clear();
      result.reset();
      block.clear();
    } else if (tag == "P" || tag == "RT") {
      pending = parse_type(SexprParser(rest).parse());
    } else if (tag == "Q") {
      params.emplace_back(pending, parse_value(SexprParser(rest).parse(), *pending));
    } else if (tag == "RV") {
      result.emplace(pending, parse_value(SexprParser(rest).parse(), *pending));
    } else if (tag == "E") {
      std::istringstream e(rest);
      std::string s, d;
      e >> s >> d;
      src = encoding(s);
      dst = encoding(d);
    } else if (tag == "X") {
      std::string got = run_call(params, result, src, dst);
      if (got != rest && ++failures <= 5)
        ADD_FAILURE() << "call " << cases << "\n"
                      << block << "  spec: " << rest << "\n  weft: " << got;
    } else if (tag.starts_with("ORACLE")) {
      ADD_FAILURE() << line;
    }
    if (tag != "X") block += "  " + line + "\n";
  }
  EXPECT_EQ(failures, 0) << "of " << cases << " calls";
  EXPECT_GT(cases, count / 2);
}

TEST(AgainstDefinitionsPy, FusedCalls) { check_calls_against_oracle(7, 1000); }

}  // namespace
}  // namespace weft::component::abi

namespace weft::component::abi {
namespace {

// ---- lifting random guest input ---------------------------------------------------

CoreValue parse_core(const std::string& text) {
  size_t colon = text.find(':');
  std::string type = text.substr(0, colon);
  uint64_t bits = std::stoull(text.substr(colon + 1), nullptr, 16);
  CoreType t = type == "i64"   ? CoreType::I64
               : type == "f32" ? CoreType::F32
               : type == "f64" ? CoreType::F64
                               : CoreType::I32;
  return CoreValue{t, bits};
}

void check_lifts_against_oracle(int seed, int count) {
  std::string text = run_oracle(seed, count, "lift");
  if (text.empty()) GTEST_SKIP() << "python3 or definitions.py not available";
  std::istringstream in(text);
  std::string line, block;
  int cases = 0, failures = 0, traps = 0;
  ValTypePtr t;
  StringEncoding enc{};
  size_t max_flat = 0;
  std::vector<uint8_t> memory;
  std::vector<CoreValue> flat;
  while (std::getline(in, line)) {
    std::string tag = line.substr(0, line.find(' '));
    std::string rest = line.size() > tag.size() ? line.substr(tag.size() + 1) : "";
    if (tag == "case") {
      ++cases;
      block.clear();
      flat.clear();
    } else if (tag == "T") {
      t = parse_type(SexprParser(rest).parse());
    } else if (tag == "E") {
      std::istringstream e(rest);
      std::string s;
      e >> s >> max_flat;
      enc = encoding(s);
    } else if (tag == "M") {
      std::string bytes = unhex(rest);
      memory.assign(bytes.begin(), bytes.end());
    } else if (tag == "C") {
      std::istringstream c(rest);
      std::string v;
      while (c >> v) flat.push_back(parse_core(v));
    } else if (tag == "L") {
      CanonicalOptions opts;
      opts.string_encoding = enc;
      opts.memory = [&memory] { return std::span<uint8_t>(memory); };
      ComponentInstance inst;
      LiftLowerContext cx(opts, inst);
      CoreValueIter vi(flat);
      std::vector<ValTypePtr> ts{t};
      auto vals = lift_flat_values(cx, max_flat, vi, ts);
      std::string got;
      if (vals) {
        got = print_value((*vals)[0], *t);
      } else {
        got = vals.error().is_trap() ? "trap" : "error: " + vals.error().to_string();
        ++traps;
      }
      if (got != rest && ++failures <= 5)
        ADD_FAILURE() << "case " << cases << "\n"
                      << block << "  spec: " << rest << "\n  weft: " << got
                      << (vals ? "" : "\n  (" + vals.error().to_string() + ")");
    }
    if (tag != "L") block += "  " + line.substr(0, 300) + "\n";
  }
  EXPECT_EQ(failures, 0) << "of " << cases << " cases";
  EXPECT_GT(cases, count / 2);
  EXPECT_GT(traps, count / 10);  // the input really is often invalid
}

TEST(AgainstDefinitionsPy, LiftingRandomGuestInput) { check_lifts_against_oracle(3, 4000); }

}  // namespace
}  // namespace weft::component::abi
