#include "wasm/text/component_parser.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "wasm/text/module_parser.h"
#include "wasm/text/numbers.h"

namespace weft::text {
namespace {

using Bytes = std::vector<uint8_t>;

void put_u32(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
}

// Component value types that are type indices are s33s, like core heap types.
void put_s33(Bytes& out, int64_t v) {
  while (true) {
    const uint8_t b = v & 0x7F;
    v >>= 7;
    const bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : static_cast<uint8_t>(b | 0x80));
    if (done) return;
  }
}

void put_name(Bytes& out, std::string_view s) {
  put_u32(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_bytes(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }

// The index spaces of a component (and of the type scopes inside one).
enum Ns : uint8_t {
  kCoreFunc,
  kCoreTable,
  kCoreMemory,
  kCoreGlobal,
  kCoreTag,
  kCoreType,
  kCoreModule,
  kCoreInstance,
  kFunc,
  kValue,
  kType,
  kComponent,
  kInstance,
  kNsCount,
};

const char* ns_name(Ns ns) {
  static constexpr const char* kNames[kNsCount] = {
      "core func", "core table",  "core memory",   "core global", "core tag",
      "core type", "core module", "core instance", "func",        "value",
      "type",      "component",   "instance"};
  return kNames[ns];
}

bool is_core(Ns ns) { return ns <= kCoreInstance; }

uint8_t core_sort_byte(Ns ns) {
  switch (ns) {
    case kCoreFunc:
      return 0x00;
    case kCoreTable:
      return 0x01;
    case kCoreMemory:
      return 0x02;
    case kCoreGlobal:
      return 0x03;
    case kCoreTag:
      return 0x04;
    case kCoreType:
      return 0x10;
    case kCoreModule:
      return 0x11;
    default:
      return 0x12;
  }
}

void put_sort(Bytes& out, Ns ns) {
  if (is_core(ns)) {
    out.push_back(0x00);
    out.push_back(core_sort_byte(ns));
    return;
  }
  switch (ns) {
    case kFunc:
      out.push_back(0x01);
      break;
    case kValue:
      out.push_back(0x02);
      break;
    case kType:
      out.push_back(0x03);
      break;
    case kComponent:
      out.push_back(0x04);
      break;
    default:
      out.push_back(0x05);
      break;
  }
}

// A core sort keyword (without the `core` prefix).
std::optional<Ns> core_sort(std::string_view kw) {
  if (kw == "func") return kCoreFunc;
  if (kw == "table") return kCoreTable;
  if (kw == "memory") return kCoreMemory;
  if (kw == "global") return kCoreGlobal;
  if (kw == "tag") return kCoreTag;
  if (kw == "type") return kCoreType;
  if (kw == "module") return kCoreModule;
  if (kw == "instance") return kCoreInstance;
  return std::nullopt;
}

std::optional<Ns> component_sort(std::string_view kw) {
  if (kw == "func") return kFunc;
  if (kw == "value") return kValue;
  if (kw == "type") return kType;
  if (kw == "component") return kComponent;
  if (kw == "instance") return kInstance;
  return std::nullopt;
}

std::optional<uint8_t> primitive(std::string_view kw) {
  static const std::unordered_map<std::string_view, uint8_t> kTable = {
      {"bool", 0x7f},    {"s8", 0x7e},   {"u8", 0x7d},      {"s16", 0x7c},
      {"u16", 0x7b},     {"s32", 0x7a},  {"u32", 0x79},     {"s64", 0x78},
      {"u64", 0x77},     {"f32", 0x76},  {"float32", 0x76}, {"f64", 0x75},
      {"float64", 0x75}, {"char", 0x74}, {"string", 0x73},  {"error-context", 0x64}};
  auto it = kTable.find(kw);
  if (it == kTable.end()) return std::nullopt;
  return it->second;
}

std::optional<uint8_t> core_valtype(std::string_view kw) {
  static const std::unordered_map<std::string_view, uint8_t> kTable = {
      {"i32", 0x7f},       {"i64", 0x7e},     {"f32", 0x7d},         {"f64", 0x7c},
      {"v128", 0x7b},      {"funcref", 0x70}, {"externref", 0x6f},   {"anyref", 0x6e},
      {"eqref", 0x6d},     {"i31ref", 0x6c},  {"structref", 0x6b},   {"arrayref", 0x6a},
      {"exnref", 0x69},    {"nullref", 0x71}, {"nullfuncref", 0x73}, {"nullexternref", 0x72},
      {"nullexnref", 0x74}};
  auto it = kTable.find(kw);
  if (it == kTable.end()) return std::nullopt;
  return it->second;
}

// An index as written: a number, an identifier, possibly followed by export
// names that reach into an instance (the inline alias sugar).
struct Ref {
  const Node* at = nullptr;
  bool is_num = false;
  uint32_t num = 0;
  std::string id;
  std::vector<std::string> exports;
};

// What an item is; in a component each kind has its section, in a type scope
// its declarator tag.
enum class Kind : uint8_t {
  CoreModule = 1,
  CoreInstance = 2,
  CoreType = 3,
  Component = 4,
  Instance = 5,
  Alias = 6,
  Type = 7,
  Canon = 8,
  Start = 9,
  Import = 10,
  Export = 11,
};

enum class ScopeKind : uint8_t { Component, ComponentType, InstanceType, ModuleType };

struct Hole {
  Ref ref;
  Ns ns;
  bool s33 = false;  // a value type: signed LEB
};

// A nested scope encoded when its item is: a component, a component or
// instance type's declarators, a module type's declarators, or a core module.
struct Nested {
  ScopeKind kind = ScopeKind::Component;
  bool core_module = false;
  const Node* node = nullptr;
  size_t first = 0;
  std::string id;
};

struct Piece {
  enum class Tag : uint8_t { Lit, Hole, Nested } tag = Tag::Lit;
  Bytes lit;
  size_t index = 0;  // into holes or nested
};

// One desugared definition: bytes with holes for indices that are resolved,
// in order, just before it is written.
struct Item {
  Kind kind = Kind::Type;
  const Node* at = nullptr;
  bool defines = false;  // takes an index in `ns`
  Ns ns = kType;
  std::string id;
  std::vector<Piece> pieces;
  std::vector<Hole> holes;
  std::vector<Nested> nested;
  std::vector<std::string> values;  // a start's results join the value space

  void lit(std::initializer_list<uint8_t> b) { tail().insert(tail().end(), b); }
  void u32(uint32_t v) { put_u32(tail(), v); }
  void name(std::string_view s) { put_name(tail(), s); }
  void bytes(const Bytes& b) { put_bytes(tail(), b); }
  void hole(Ref ref, Ns ns, bool s33 = false) {
    Piece p;
    p.tag = Piece::Tag::Hole;
    p.index = holes.size();
    pieces.push_back(std::move(p));
    holes.push_back(Hole{std::move(ref), ns, s33});
  }
  // A hole resolved now (for its place in the resolution order) but written
  // at a later add_hole_piece.
  size_t hole_only(Ref ref, Ns ns) {
    holes.push_back(Hole{std::move(ref), ns, false});
    return holes.size() - 1;
  }
  void hole_piece(size_t index) {
    Piece p;
    p.tag = Piece::Tag::Hole;
    p.index = index;
    pieces.push_back(std::move(p));
  }
  void nest(Nested n) {
    Piece p;
    p.tag = Piece::Tag::Nested;
    p.index = nested.size();
    pieces.push_back(std::move(p));
    nested.push_back(std::move(n));
  }
  Bytes& tail() {
    if (pieces.empty() || pieces.back().tag != Piece::Tag::Lit) pieces.emplace_back();
    return pieces.back().lit;
  }
};

struct Space {
  std::unordered_map<std::string, uint32_t> names;
  uint32_t count = 0;
};

// Explicit core function types of a module type, for reusing them in inline
// type uses (wasm-tools does the same).
using FuncKey = std::string;

FuncKey func_key(const Bytes& params, const Bytes& results) {
  std::string key = std::to_string(params.size()) + ":";
  key.append(params.begin(), params.end());
  key.append(results.begin(), results.end());
  return key;
}

struct Frame {
  ScopeKind kind = ScopeKind::Component;
  std::string id;
  std::array<Space, kNsCount> spaces;
  Bytes out;  // sections (component) or declarators (type scopes)
  uint32_t decls = 0;
  int section = -1;
  Bytes section_bytes;
  uint32_t section_count = 0;
  std::vector<Item> appended;  // exports from inline (export "x") sugar
  std::unordered_map<FuncKey, std::string> module_func_types;
  // Forward references: the identifiers the scope's definitions bind, known
  // before any is encoded (as in wasm-tools, a name may be used before its
  // definition), and this scope's place in the order scopes are entered.
  std::array<std::unordered_set<std::string>, kNsCount> declared;
  uint32_t serial = 0;
};

using Names = std::array<std::unordered_map<std::string, uint32_t>, kNsCount>;

struct Cur {
  const Node* list;
  size_t pos;
  bool done() const { return pos >= list->items.size(); }
  const Node& peek() const { return list->items[pos]; }
  const Node& next() { return list->items[pos++]; }
  bool peek_list_of(std::string_view kw) const { return !done() && peek().is_list_of(kw); }
  bool peek_atom(AtomKind k) const { return !done() && peek().is_atom(k); }
  bool peek_keyword(std::string_view kw) const { return !done() && peek().is_keyword(kw); }
  bool peek_index() const { return peek_atom(AtomKind::Number) || peek_atom(AtomKind::Id); }
};

class ComponentEncoder {
 public:
  explicit ComponentEncoder(std::string_view filename) : filename_(filename) {}

  // A name used before its definition resolves to the index the definition
  // gets, which the first run learns: then a second run encodes with it.
  // Which aliases are inserted depends only on which names each scope binds,
  // so both runs define the same items in the same order.
  Result<Bytes> run(const Node& whole, size_t first, const std::string& id) {
    Bytes out;
    for (int attempt = 0; attempt < 2; ++attempt) {
      stack_.clear();
      gensym_ = 0;
      frames_ = 0;
      guessed_ = false;
      final_run_ = attempt == 1;
      out.clear();
      if (!component(whole, first, id, out)) return std::move(error_);
      if (!guessed_) break;
      finals_ = std::move(names_);
      names_.clear();
    }
    return out;
  }

 private:
  // ---- errors -------------------------------------------------------------

  bool fail(const Node& at, std::string_view reason) {
    if (!failed_) {
      error_ = make_text_error(filename_, at.line, at.col, reason);
      failed_ = true;
    }
    return false;
  }
  bool fail_end(const Cur& c, std::string_view reason) {
    if (!c.done()) return fail(c.peek(), reason);
    const Node& l = *c.list;
    return fail(l, reason);
  }
  bool expect_done(const Cur& c) {
    if (!c.done()) return fail(c.peek(), "unexpected token");
    return true;
  }
  bool string(Cur& c, std::string* out) {
    if (!c.peek_atom(AtomKind::String)) return fail_end(c, "expected a string");
    const Node& n = c.next();
    if (!is_valid_utf8(n.str)) return fail(n, "malformed UTF-8 encoding");
    *out = n.str;
    return true;
  }
  bool u32(Cur& c, uint32_t* out) {
    if (!c.peek_atom(AtomKind::Number) || !parse_u32(c.peek().text, out)) {
      return fail_end(c, "expected a u32");
    }
    c.next();
    return true;
  }
  std::string take_id(Cur& c) {
    if (c.peek_atom(AtomKind::Id)) return std::string(c.next().text);
    return {};
  }
  std::string gensym() { return "\x01gen" + std::to_string(++gensym_); }

  Frame& top() { return *stack_.back(); }

  // ---- references ---------------------------------------------------------

  // idx: a number or an identifier.
  bool index_atom(const Node& n, Ref* out) {
    out->at = &n;
    if (n.is_atom(AtomKind::Id)) {
      out->id = std::string(n.text);
      return true;
    }
    if (n.is_atom(AtomKind::Number) && parse_u32(n.text, &out->num)) {
      out->is_num = true;
      return true;
    }
    return fail(n, "expected an index or an identifier");
  }

  // The rest of a (sort idx "name"*) list from `c`: idx and export names.
  bool ref_body(Cur& c, Ref* out) {
    if (c.done()) return fail_end(c, "expected an index or an identifier");
    if (!index_atom(c.next(), out)) return false;
    while (!c.done()) {
      std::string name;
      if (!string(c, &name)) return false;
      out->exports.push_back(std::move(name));
    }
    return true;
  }

  // `idx` or `(kw idx "name"*)` where kw is the expected sort keyword
  // (`core memory` for two-word ones).
  bool sort_ref(const Node& n, std::string_view kw1, std::string_view kw2, Ref* out) {
    if (!n.is_list) {
      if (!index_atom(n, out)) return false;
      return true;
    }
    Cur c{&n, 0};
    if (!c.peek_keyword(kw1)) return fail(n, "expected (" + std::string(kw1) + " ...)");
    c.next();
    if (!kw2.empty()) {
      if (!c.peek_keyword(kw2)) return fail_end(c, "expected `" + std::string(kw2) + "`");
      c.next();
    }
    return ref_body(c, out);
  }

  // Resolves an identifier in `ns`, looking outward; a hit in an enclosing
  // scope becomes an outer alias in the current one.
  bool resolve_ns(const Ref& ref, Ns ns, uint32_t* out) {
    if (ref.is_num || scratch_ > 0) {
      *out = ref.num;
      return true;
    }
    for (size_t depth = 0; depth < stack_.size(); ++depth) {
      Frame& f = *stack_[stack_.size() - 1 - depth];
      auto it = f.spaces[ns].names.find(ref.id);
      uint32_t found = 0;
      if (it != f.spaces[ns].names.end()) {
        found = it->second;
      } else if (f.declared[ns].count(ref.id) != 0) {
        if (!forward_index(f, ns, ref, &found)) return false;
      } else {
        continue;
      }
      if (depth == 0) {
        *out = found;
        return true;
      }
      if (ns != kCoreModule && ns != kCoreType && ns != kType && ns != kComponent) {
        return fail(*ref.at,
                    "outer item `" + ref.id.substr(1) + "` is not a module, type, or component");
      }
      // Anonymous, as in wasm-tools: each use of an outer name gets its own alias.
      Item alias;
      alias.kind = Kind::Alias;
      alias.at = ref.at;
      alias.defines = true;
      alias.ns = ns;
      put_sort(alias.tail(), ns);
      alias.lit({0x02});
      alias.u32(static_cast<uint32_t>(depth));
      alias.u32(found);
      if (!emit(std::move(alias))) return false;
      *out = top().spaces[ns].count - 1;
      return true;
    }
    return fail(*ref.at,
                "unknown " + std::string(ns_name(ns)) + ": failed to find name `" + ref.id + "`");
  }

  // Resolves a reference with an optional export path into an instance.
  bool resolve(const Hole& h, uint32_t* out) {
    if (h.ref.exports.empty()) return resolve_ns(h.ref, h.ns, out);
    uint32_t instance = 0;
    // Core items reach into core instances; everything else, core modules
    // included, into component instances.
    const bool core = h.ns <= kCoreTag;
    if (!resolve_ns(h.ref, core ? kCoreInstance : kInstance, &instance)) return false;
    for (size_t i = 0; i < h.ref.exports.size(); ++i) {
      const bool last = i + 1 == h.ref.exports.size();
      const Ns ns = last ? h.ns : (core ? kCoreInstance : kInstance);
      Item alias;
      alias.kind = Kind::Alias;
      alias.at = h.ref.at;
      alias.defines = true;
      alias.ns = ns;
      put_sort(alias.tail(), ns);
      alias.lit({static_cast<uint8_t>(core ? 0x01 : 0x00)});
      alias.u32(instance);
      alias.name(h.ref.exports[i]);
      if (!emit(std::move(alias))) return false;
      instance = top().spaces[ns].count - 1;
    }
    *out = instance;
    return true;
  }

  bool define(Ns ns, const std::string& id, const Node* at) {
    Space& space = top().spaces[ns];
    if (!id.empty() && !space.names.emplace(id, space.count).second) {
      return fail(*at, "duplicate " + std::string(ns_name(ns)) + " identifier " + id);
    }
    ++space.count;
    return true;
  }

  // ---- writing ------------------------------------------------------------

  void flush() {
    Frame& f = top();
    if (f.section >= 0) {
      Bytes body;
      put_u32(body, f.section_count);
      put_bytes(body, f.section_bytes);
      f.out.push_back(static_cast<uint8_t>(f.section));
      put_u32(f.out, body.size());
      put_bytes(f.out, body);
    }
    f.section = -1;
    f.section_bytes.clear();
    f.section_count = 0;
  }

  bool write(const Item& it, const Bytes& bytes) {
    Frame& f = top();
    if (f.kind == ScopeKind::Component) {
      const int id = static_cast<int>(it.kind);
      if (it.kind == Kind::CoreModule || it.kind == Kind::Component || it.kind == Kind::Start) {
        flush();
        f.out.push_back(static_cast<uint8_t>(id));
        put_u32(f.out, bytes.size());
        put_bytes(f.out, bytes);
        return true;
      }
      if (f.section != id) {
        flush();
        f.section = id;
      }
      put_bytes(f.section_bytes, bytes);
      ++f.section_count;
      return true;
    }
    uint8_t tag = 0;
    if (f.kind == ScopeKind::ModuleType) {
      switch (it.kind) {
        case Kind::Import:
          tag = 0x00;
          break;
        case Kind::CoreType:
          tag = 0x01;
          break;
        case Kind::Alias:
          tag = 0x02;
          break;
        case Kind::Export:
          tag = 0x03;
          break;
        default:
          return fail(*it.at, "not allowed in a module type");
      }
    } else {
      switch (it.kind) {
        case Kind::CoreType:
          tag = 0x00;
          break;
        case Kind::Type:
          tag = 0x01;
          break;
        case Kind::Alias:
          tag = 0x02;
          break;
        case Kind::Import:
          if (f.kind == ScopeKind::InstanceType) {
            return fail(*it.at, "imports are not allowed in an instance type");
          }
          tag = 0x03;
          break;
        case Kind::Export:
          tag = 0x04;
          break;
        default:
          return fail(*it.at, "not allowed in a type");
      }
    }
    f.out.push_back(tag);
    put_bytes(f.out, bytes);
    ++f.decls;
    return true;
  }

  // Resolves `it`'s holes (which may write aliases first), encodes its nested
  // scopes, writes it and gives it its index.
  bool emit(Item it) {
    if (++emit_depth_ > kMaxDepth) return fail(*it.at, "nesting too deep");
    std::vector<uint32_t> indices(it.holes.size());
    for (size_t i = 0; i < it.holes.size(); ++i) {
      if (!resolve(it.holes[i], &indices[i])) return false;
    }
    Bytes bytes;
    for (const Piece& p : it.pieces) {
      switch (p.tag) {
        case Piece::Tag::Lit:
          put_bytes(bytes, p.lit);
          break;
        case Piece::Tag::Hole:
          if (it.holes[p.index].s33) {
            put_s33(bytes, indices[p.index]);
          } else {
            put_u32(bytes, indices[p.index]);
          }
          break;
        case Piece::Tag::Nested: {
          Bytes inner;
          if (!nested(it.nested[p.index], inner)) return false;
          put_bytes(bytes, inner);
          break;
        }
      }
    }
    if (it.defines && !define(it.ns, it.id, it.at)) return false;
    for (const std::string& v : it.values) {
      if (!define(kValue, v, it.at)) return false;
    }
    --emit_depth_;
    return write(it, bytes);
  }

  bool emit_all(std::vector<Item>& types, std::vector<Item>& fields, std::vector<Item>& main) {
    for (Item& i : types) {
      if (!emit(std::move(i))) return false;
    }
    for (Item& i : fields) {
      if (!emit(std::move(i))) return false;
    }
    for (Item& i : main) {
      if (!emit(std::move(i))) return false;
    }
    types.clear();
    fields.clear();
    main.clear();
    return true;
  }

  // ---- scopes -------------------------------------------------------------

  bool push(ScopeKind kind, std::string id, const Node& list, size_t first) {
    if (stack_.size() > static_cast<size_t>(kMaxDepth)) return fail(list, "nesting too deep");
    auto f = std::make_unique<Frame>();
    f->kind = kind;
    f->id = std::move(id);
    f->serial = frames_++;
    stack_.push_back(std::move(f));
    declare_all(list, first);
    return true;
  }

  void pop() {
    Frame& f = top();
    if (names_.size() <= f.serial) names_.resize(f.serial + 1);
    for (size_t ns = 0; ns < kNsCount; ++ns) names_[f.serial][ns] = f.spaces[ns].names;
    stack_.pop_back();
  }

  // The index a name declared later in frame `f` gets: known from the first
  // run, a guess of 0 in it.
  bool forward_index(const Frame& f, Ns ns, const Ref& ref, uint32_t* out) {
    if (f.serial < finals_.size()) {
      auto it = finals_[f.serial][ns].find(ref.id);
      if (it != finals_[f.serial][ns].end()) {
        *out = it->second;
        return true;
      }
    }
    if (final_run_) {
      return fail(*ref.at,
                  "unknown " + std::string(ns_name(ns)) + ": failed to find name `" + ref.id + "`");
    }
    guessed_ = true;
    *out = 0;
    return true;
  }

  // ---- forward declarations -------------------------------------------------

  void declare(Ns ns, const Node& n) {
    if (n.is_atom(AtomKind::Id)) top().declared[ns].insert(std::string(n.text));
  }

  // The `$id` of a (sort $id ...) list, for the sort's index space.
  void declare_sort_list(const Node& n) {
    if (!n.is_list || n.items.empty()) return;
    size_t pos = 0;
    std::optional<Ns> ns;
    if (n.items[0].is_keyword("core") && n.items.size() > 1 &&
        n.items[1].is_atom(AtomKind::Keyword)) {
      ns = core_sort(n.items[1].text);
      pos = 2;
    } else if (n.items[0].is_atom(AtomKind::Keyword)) {
      ns = top().kind == ScopeKind::ModuleType && n.items[0].is_keyword("type")
               ? std::optional<Ns>(kCoreType)
               : component_sort(n.items[0].text);
      pos = 1;
    }
    if (ns && pos < n.items.size()) declare(*ns, n.items[pos]);
  }

  // After "name" and attributes: the externtype or item reference.
  static const Node* after_name(const Node& n, size_t from) {
    for (size_t i = from; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      if (item.is_atom(AtomKind::String) || item.is_list_of("implements") ||
          item.is_list_of("versionsuffix") || item.is_list_of("external-id")) {
        continue;
      }
      return &item;
    }
    return nullptr;
  }

  void declare_all(const Node& list, size_t first) {
    const ScopeKind kind = top().kind;
    for (size_t i = first; i < list.items.size(); ++i) {
      const Node& f = list.items[i];
      if (!f.is_list || f.items.size() < 2) continue;
      const std::string_view head = f.head();
      if (kind == ScopeKind::ModuleType) {
        if (head == "type") declare(kCoreType, f.items[1]);
        if (head == "alias") declare_sort_list(f.items.back());
        continue;
      }
      if (head == "core" && f.items.size() > 2 && f.items[1].is_atom(AtomKind::Keyword)) {
        if (auto ns = core_sort(f.items[1].text)) declare(*ns, f.items[2]);
      } else if (head == "component" || head == "instance" || head == "type" || head == "func") {
        declare(*component_sort(head), f.items[1]);
      } else if (head == "alias") {
        declare_sort_list(f.items.back());
      } else if (head == "import" || (head == "export" && kind != ScopeKind::Component)) {
        if (const Node* sig = after_name(f, 1)) declare_sort_list(*sig);
      } else if (head == "export") {
        const bool named = f.items[1].is_atom(AtomKind::Id);
        const Node* target = after_name(f, named ? 2 : 1);
        if (named && target != nullptr && target->is_list && !target->items.empty()) {
          const Node& k = target->items[0];
          std::optional<Ns> ns;
          if (k.is_keyword("core") && target->items.size() > 1) {
            ns = core_sort(target->items[1].text);
          } else if (k.is_atom(AtomKind::Keyword)) {
            ns = component_sort(k.text);
          }
          if (ns) declare(*ns, f.items[1]);
        }
      } else if (head == "canon") {
        const Node& last = f.items.back();
        if (last.is_list_of("func") && last.items.size() > 1) declare(kFunc, last.items[1]);
        if (last.is_list_of("core") && last.items.size() > 2) declare(kCoreFunc, last.items[2]);
      } else if (head == "start") {
        for (const Node& r : f.items) {
          if (r.is_list_of("result") && r.items.size() > 1 && r.items[1].is_list_of("value") &&
              r.items[1].items.size() > 1) {
            declare(kValue, r.items[1].items[1]);
          }
        }
      }
    }
  }

  bool component(const Node& list, size_t first, std::string id, Bytes& out) {
    if (!push(ScopeKind::Component, std::move(id), list, first)) return false;
    top().out = {0x00, 0x61, 0x73, 0x6D, 0x0d, 0x00, 0x01, 0x00};
    Cur c{&list, first};
    while (!c.done()) {
      if (!component_field(c.next())) return false;
    }
    std::vector<Item> appended = std::move(top().appended);
    for (Item& i : appended) {
      if (!emit(std::move(i))) return false;
    }
    flush();
    out = std::move(top().out);
    pop();
    return true;
  }

  bool nested(const Nested& n, Bytes& out) {
    if (n.core_module) {
      auto bytes = encode_module_fields(*n.node, n.first, filename_, Flavor::WasmTools);
      if (!bytes.ok()) {
        if (!failed_) {
          error_ = std::move(bytes).error();
          failed_ = true;
        }
        return false;
      }
      out = std::move(bytes.value());
      return true;
    }
    if (n.kind == ScopeKind::Component) return component(*n.node, n.first, n.id, out);
    if (!push(n.kind, n.id, *n.node, n.first)) return false;
    Cur c{n.node, n.first};
    while (!c.done()) {
      const Node& decl = c.next();
      const bool ok = n.kind == ScopeKind::ModuleType ? module_decl(decl) : type_decl(decl);
      if (!ok) return false;
    }
    put_u32(out, top().decls);
    put_bytes(out, top().out);
    pop();
    return true;
  }

  // ---- component fields ---------------------------------------------------

  bool component_field(const Node& f) {
    if (!f.is_list || f.items.empty() || !f.items[0].is_atom(AtomKind::Keyword)) {
      return fail(f, "expected a component definition");
    }
    const std::string_view head = f.head();
    std::vector<Item> types, fields, main;
    bool ok = false;
    if (head == "core") {
      if (f.items.size() < 2 || !f.items[1].is_atom(AtomKind::Keyword)) {
        return fail(f, "expected a core definition");
      }
      const std::string_view kw = f.items[1].text;
      if (kw == "module") {
        ok = core_module(f, types, main);
      } else if (kw == "instance") {
        ok = core_instance(f, fields, main);
      } else if (kw == "type") {
        ok = core_type(f, main);
      } else if (kw == "func") {
        ok = core_func(f, types, main);
      } else {
        return fail(f.items[1], "unknown core definition");
      }
    } else if (head == "component") {
      ok = nested_component(f, types, main);
    } else if (head == "instance") {
      ok = instance(f, types, fields, main);
    } else if (head == "alias") {
      ok = alias(f, main);
    } else if (head == "type") {
      ok = type_field(f, types, main);
    } else if (head == "canon") {
      ok = canon(f, types, main);
    } else if (head == "func") {
      ok = func(f, types, main);
    } else if (head == "start") {
      ok = start(f, main);
    } else if (head == "import") {
      ok = import(f, types, main);
    } else if (head == "export") {
      ok = export_field(f, types, main);
    } else {
      return fail(f, "unknown component definition `" + std::string(head) + "`");
    }
    return ok && emit_all(types, fields, main);
  }

  // (type idx "name"*), as opposed to a (type $id? deftype) declarator.
  static bool is_type_ref(const Node& n) {
    if (n.items.size() < 2) return false;
    if (!n.items[1].is_atom(AtomKind::Id) && !n.items[1].is_atom(AtomKind::Number)) return false;
    for (size_t i = 2; i < n.items.size(); ++i) {
      if (!n.items[i].is_atom(AtomKind::String)) return false;
    }
    return true;
  }

  // (import "name") or (export "name"): the inline sugar. A nested
  // definition's own imports and exports have more after the name.
  static bool is_inline_name(const Node& n) {
    // Just the name: wasm-tools takes no attributes in this sugar.
    return n.items.size() == 2 && n.items[1].is_atom(AtomKind::String);
  }

  // (export "x")* after an item's id: exports at the end of the component.
  bool inline_exports(Cur& c, Ns ns, std::string& id, const Node& at) {
    while (c.peek_list_of("export") && is_inline_name(c.peek())) {
      const Node& e = c.next();
      Cur ec{&e, 1};
      Bytes name;
      if (!name_attributes(ec, name) || !expect_done(ec)) return false;
      if (id.empty()) id = gensym();
      Item ex;
      ex.kind = Kind::Export;
      ex.at = &e;
      ex.defines = true;
      ex.ns = ns;
      ex.bytes(name);
      put_sort(ex.tail(), ns);
      Ref r;
      r.at = &at;
      r.id = id;
      ex.hole(std::move(r), ns);
      ex.lit({0x00});
      top().appended.push_back(std::move(ex));
    }
    return true;
  }

  // "name" attribute*: the nameattributes encoding.
  bool name_attributes(Cur& c, Bytes& out) {
    std::string name;
    if (!string(c, &name)) return false;
    Bytes attrs;
    uint32_t count = 0;
    uint32_t seen = 0;
    while (c.peek_list_of("implements") || c.peek_list_of("versionsuffix") ||
           c.peek_list_of("external-id")) {
      const Node& a = c.next();
      Cur ac{&a, 1};
      std::string value;
      if (!string(ac, &value) || !expect_done(ac)) return false;
      const std::string_view h = a.head();
      const uint8_t kind = h == "implements" ? 0x00 : h == "versionsuffix" ? 0x01 : 0x02;
      // wasm-tools takes each attribute at most once and in this order:
      // implements, versionsuffix, external-id.
      if (seen >= (1u << kind)) return fail(a, "unexpected token");
      seen |= 1u << kind;
      attrs.push_back(kind);
      put_name(attrs, value);
      ++count;
    }
    if (count == 0) {
      out.push_back(0x00);
      put_name(out, name);
      return true;
    }
    out.push_back(0x02);
    put_name(out, name);
    put_u32(out, count);
    put_bytes(out, attrs);
    return true;
  }

  // (import "name") right after an id; false with no error if absent.
  bool inline_import(Cur& c, std::optional<Bytes>* name) {
    if (!c.peek_list_of("import")) return true;
    if (!is_inline_name(c.peek())) return true;
    const Node& imp = c.next();
    Cur ic{&imp, 1};
    Bytes n;
    if (!name_attributes(ic, n) || !expect_done(ic)) return false;
    *name = std::move(n);
    return true;
  }

  Item make_import(const Node& at, Bytes name, Ns ns, std::string id) {
    Item it;
    it.kind = Kind::Import;
    it.at = &at;
    it.defines = true;
    it.ns = ns;
    it.id = std::move(id);
    it.bytes(name);
    return it;
  }

  bool core_module(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 2};
    std::string id = take_id(c);
    if (!inline_exports(c, kCoreModule, id, f)) return false;
    std::optional<Bytes> import_name;
    if (!inline_import(c, &import_name)) return false;
    if (import_name) {
      Item it = make_import(f, std::move(*import_name), kCoreModule, id);
      it.lit({0x00, 0x11});
      if (!core_type_use(c, f, types, it)) return false;
      main.push_back(std::move(it));
      return expect_done(c);
    }
    Item it;
    it.kind = Kind::CoreModule;
    it.at = &f;
    it.defines = true;
    it.ns = kCoreModule;
    it.id = id;
    if (c.peek_keyword("binary")) {
      c.next();
      std::string joined;
      while (!c.done()) {
        if (!c.peek_atom(AtomKind::String)) return fail(c.peek(), "expected a string");
        joined += c.next().str;
      }
      it.bytes(Bytes(joined.begin(), joined.end()));
    } else {
      Nested n;
      n.core_module = true;
      n.node = &f;
      n.first = c.pos;
      it.nest(std::move(n));
    }
    main.push_back(std::move(it));
    return true;
  }

  // (type idx) or inline module type declarators: the module type index.
  bool core_type_use(Cur& c, const Node& at, std::vector<Item>& types, Item& user) {
    if (c.peek_list_of("type") && is_type_ref(c.peek())) {
      const Node& t = c.next();
      Cur tc{&t, 1};
      Ref r;
      if (!ref_body(tc, &r)) return false;
      user.hole(std::move(r), kCoreType);
      return true;
    }
    Item ty;
    ty.kind = Kind::CoreType;
    ty.at = &at;
    ty.defines = true;
    ty.ns = kCoreType;
    ty.id = gensym();
    ty.lit({0x50});
    Nested n;
    n.kind = ScopeKind::ModuleType;
    n.node = c.list;
    n.first = c.pos;
    ty.nest(std::move(n));
    c.pos = c.list->items.size();
    Ref r;
    r.at = &at;
    r.id = ty.id;
    user.hole(std::move(r), kCoreType);
    types.push_back(std::move(ty));
    return true;
  }

  // A core sort reference `(func idx "name"?)` in a core export list.
  bool core_export_ref(const Node& n, Ns* ns, Ref* r) {
    if (!n.is_list || n.items.empty() || !n.items[0].is_atom(AtomKind::Keyword)) {
      return fail(n, "expected a core item reference");
    }
    auto sort = core_sort(n.items[0].text);
    if (!sort) return fail(n.items[0], "expected a core sort");
    *ns = *sort;
    Cur c{&n, 1};
    return ref_body(c, r);
  }

  bool core_instance(const Node& f, std::vector<Item>& fields, std::vector<Item>& main) {
    Cur c{&f, 2};
    Item it;
    it.kind = Kind::CoreInstance;
    it.at = &f;
    it.defines = true;
    it.ns = kCoreInstance;
    it.id = take_id(c);
    if (c.peek_list_of("instantiate")) {
      const Node& inst = c.next();
      Cur ic{&inst, 1};
      if (ic.done()) return fail_end(ic, "expected a module index");
      Ref m;
      if (!sort_ref(ic.next(), "module", "", &m)) return false;
      it.lit({0x00});
      it.hole(std::move(m), kCoreModule);
      std::vector<std::pair<std::string, Ref>> args;
      while (!ic.done()) {
        const Node& w = ic.next();
        if (!w.is_list_of("with")) return fail(w, "expected (with ...)");
        Cur wc{&w, 1};
        std::string name;
        if (!string(wc, &name)) return false;
        if (wc.done() || !wc.peek().is_list_of("instance")) {
          return fail_end(wc, "expected (instance ...)");
        }
        const Node& arg = wc.next();
        if (!expect_done(wc)) return false;
        Ref r;
        if (arg.items.size() >= 2 && !arg.items[1].is_list) {
          Cur ac{&arg, 1};
          if (!ref_body(ac, &r)) return false;
        } else {
          Item bundle;
          if (!core_bundle(arg, 1, bundle)) return false;
          bundle.id = gensym();
          r.at = &arg;
          r.id = bundle.id;
          fields.push_back(std::move(bundle));
        }
        args.emplace_back(std::move(name), std::move(r));
      }
      it.u32(static_cast<uint32_t>(args.size()));
      for (auto& [name, r] : args) {
        it.name(name);
        it.lit({0x12});
        it.hole(std::move(r), kCoreInstance);
      }
      main.push_back(std::move(it));
      return expect_done(c);
    }
    Item bundle;
    if (!core_bundle(f, c.pos, bundle)) return false;
    bundle.id = it.id;
    main.push_back(std::move(bundle));
    return true;
  }

  // (export "name" (sort idx))*: a core instance of exports.
  bool core_bundle(const Node& list, size_t first, Item& it) {
    it.kind = Kind::CoreInstance;
    it.at = &list;
    it.defines = true;
    it.ns = kCoreInstance;
    Cur c{&list, first};
    it.lit({0x01});
    it.u32(static_cast<uint32_t>(list.items.size() - first));
    while (!c.done()) {
      const Node& e = c.next();
      if (!e.is_list_of("export")) return fail(e, "expected (export ...)");
      Cur ec{&e, 1};
      std::string name;
      if (!string(ec, &name)) return false;
      if (ec.done()) return fail_end(ec, "expected an item reference");
      Ns ns = kType;
      Ref r;
      if (!core_export_ref(ec.next(), &ns, &r) || !expect_done(ec)) return false;
      it.name(name);
      it.lit({core_sort_byte(ns)});
      it.hole(std::move(r), ns);
    }
    return true;
  }

  // (param ...)* (result ...)* of a core function type.
  bool core_func_sig(Cur& c, Bytes* params, Bytes* results) {
    while (c.peek_list_of("param")) {
      const Node& p = c.next();
      Cur pc{&p, 1};
      if (pc.peek_atom(AtomKind::Id)) {
        pc.next();
        if (!core_val(pc, *params) || !expect_done(pc)) return false;
        continue;
      }
      while (!pc.done()) {
        if (!core_val(pc, *params)) return false;
      }
    }
    while (c.peek_list_of("result")) {
      const Node& r = c.next();
      Cur rc{&r, 1};
      while (!rc.done()) {
        if (!core_val(rc, *results)) return false;
      }
    }
    return true;
  }

  bool core_val(Cur& c, Bytes& out) {
    if (c.done()) return fail_end(c, "expected a core value type");
    const Node& n = c.next();
    if (n.is_atom(AtomKind::Keyword)) {
      if (auto b = core_valtype(n.text)) {
        out.push_back(*b);
        return true;
      }
    }
    if (n.is_list_of("ref")) {
      // (ref null? func|extern|...) in the abbreviated heap-type forms.
      Cur rc{&n, 1};
      bool null = false;
      if (rc.peek_keyword("null")) {
        rc.next();
        null = true;
      }
      if (rc.done()) return fail_end(rc, "expected a heap type");
      const Node& h = rc.next();
      static const std::unordered_map<std::string_view, uint8_t> kHeap = {
          {"func", 0x70}, {"extern", 0x6f}, {"any", 0x6e},      {"eq", 0x6d},
          {"i31", 0x6c},  {"struct", 0x6b}, {"array", 0x6a},    {"exn", 0x69},
          {"none", 0x71}, {"nofunc", 0x73}, {"noextern", 0x72}, {"noexn", 0x74}};
      out.push_back(null ? 0x63 : 0x64);
      if (h.is_atom(AtomKind::Keyword)) {
        auto it = kHeap.find(h.text);
        if (it == kHeap.end()) return fail(h, "unknown heap type");
        out.push_back(it->second);
      } else {
        uint32_t idx;
        if (!h.is_atom(AtomKind::Number) || !parse_u32(h.text, &idx)) {
          return fail(h, "expected a heap type");
        }
        put_s33(out, idx);
      }
      return expect_done(rc);
    }
    return fail(n, "expected a core value type");
  }

  bool core_type(const Node& f, std::vector<Item>& main) {
    Cur c{&f, 2};
    Item it;
    it.kind = Kind::CoreType;
    it.at = &f;
    it.defines = true;
    it.ns = kCoreType;
    it.id = take_id(c);
    if (c.done()) return fail_end(c, "expected a core type");
    const Node& def = c.next();
    if (!expect_done(c)) return false;
    if (def.is_list_of("func")) {
      Cur fc{&def, 1};
      Bytes params, results;
      if (!core_func_sig(fc, &params, &results) || !expect_done(fc)) return false;
      it.lit({0x60});
      it.bytes(vec_of(params));
      it.bytes(vec_of(results));
      if (top().kind == ScopeKind::ModuleType) {
        if (it.id.empty()) it.id = gensym();
        top().module_func_types[func_key(params, results)] = it.id;
      }
    } else if (def.is_list_of("module")) {
      if (top().kind == ScopeKind::ModuleType) return fail(def, "module types cannot nest");
      it.lit({0x50});
      Nested n;
      n.kind = ScopeKind::ModuleType;
      n.node = &def;
      n.first = 1;
      n.id = it.id;
      it.nest(std::move(n));
    } else {
      return fail(def, "unsupported core type");
    }
    main.push_back(std::move(it));
    return true;
  }

  // Value types are counted by their encoding: each one byte here.
  static Bytes vec_of(const Bytes& one_byte_types) {
    Bytes out;
    put_u32(out, one_byte_types.size());
    put_bytes(out, one_byte_types);
    return out;
  }

  bool core_func(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 2};
    std::string id = take_id(c);
    if (c.done()) return fail_end(c, "expected (canon ...) or (alias ...)");
    const Node& body = c.next();
    if (!expect_done(c)) return false;
    if (body.is_list_of("canon")) {
      Item it;
      if (!canon_builtin(body, types, it, /*sugar=*/true)) return false;
      it.id = id;
      main.push_back(std::move(it));
      return true;
    }
    if (body.is_list_of("alias")) {
      Cur ac{&body, 1};
      if (!ac.peek_keyword("core")) return fail_end(ac, "expected `core export`");
      ac.next();
      if (!ac.peek_keyword("export")) return fail_end(ac, "expected `export`");
      ac.next();
      Item it;
      if (!export_alias(ac, body, kCoreFunc, true, it) || !expect_done(ac)) return false;
      it.id = id;
      main.push_back(std::move(it));
      return true;
    }
    return fail(body, "expected (canon ...) or (alias ...)");
  }

  // idx "name": the rest of an export alias of sort `ns`.
  bool export_alias(Cur& c, const Node& at, Ns ns, bool core, Item& it) {
    it.kind = Kind::Alias;
    it.at = &at;
    it.defines = true;
    it.ns = ns;
    if (c.done()) return fail_end(c, "expected an instance index");
    Ref inst;
    if (!index_atom(c.next(), &inst)) return false;
    std::string name;
    if (!string(c, &name)) return false;
    put_sort(it.tail(), ns);
    it.lit({static_cast<uint8_t>(core ? 0x01 : 0x00)});
    it.hole(std::move(inst), core ? kCoreInstance : kInstance);
    it.name(name);
    return true;
  }

  bool nested_component(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    std::string id = take_id(c);
    if (!inline_exports(c, kComponent, id, f)) return false;
    std::optional<Bytes> import_name;
    if (!inline_import(c, &import_name)) return false;
    if (import_name) {
      Item it = make_import(f, std::move(*import_name), kComponent, id);
      it.lit({0x04});
      if (!type_use(c, f, ScopeKind::ComponentType, types, it)) return false;
      main.push_back(std::move(it));
      return expect_done(c);
    }
    Item it;
    it.kind = Kind::Component;
    it.at = &f;
    it.defines = true;
    it.ns = kComponent;
    it.id = id;
    if (c.peek_keyword("binary")) {
      c.next();
      std::string joined;
      while (!c.done()) {
        if (!c.peek_atom(AtomKind::String)) return fail(c.peek(), "expected a string");
        joined += c.next().str;
      }
      it.bytes(Bytes(joined.begin(), joined.end()));
    } else {
      Nested n;
      n.kind = ScopeKind::Component;
      n.node = &f;
      n.first = c.pos;
      n.id = id;
      it.nest(std::move(n));
    }
    main.push_back(std::move(it));
    return true;
  }

  // (type idx) or an inline type of the given kind (component or instance
  // declarators, or a function type): the type index.
  bool type_use(Cur& c, const Node& at, ScopeKind kind, std::vector<Item>& types, Item& user,
                bool func = false) {
    if (c.peek_list_of("type") && is_type_ref(c.peek())) {
      const Node& t = c.next();
      Cur tc{&t, 1};
      Ref r;
      if (!ref_body(tc, &r)) return false;
      user.hole(std::move(r), kType);
      return true;
    }
    Item ty;
    ty.kind = Kind::Type;
    ty.at = &at;
    ty.defines = true;
    ty.ns = kType;
    ty.id = gensym();
    if (func) {
      if (!func_type(c, ty, types)) return false;
    } else {
      ty.lit({static_cast<uint8_t>(kind == ScopeKind::ComponentType ? 0x41 : 0x42)});
      Nested n;
      n.kind = kind;
      n.node = c.list;
      n.first = c.pos;
      ty.nest(std::move(n));
      c.pos = c.list->items.size();
    }
    Ref r;
    r.at = &at;
    r.id = ty.id;
    user.hole(std::move(r), kType);
    types.push_back(std::move(ty));
    return true;
  }

  // async? (param "a" t)* (result t)?: a function type's body.
  bool func_type(Cur& c, Item& ty, std::vector<Item>& types) {
    bool async = false;
    if (c.peek_keyword("async")) {
      c.next();
      async = true;
    }
    ty.lit({static_cast<uint8_t>(async ? 0x43 : 0x40)});
    std::vector<const Node*> params;
    while (c.peek_list_of("param")) params.push_back(&c.next());
    ty.u32(static_cast<uint32_t>(params.size()));
    for (const Node* p : params) {
      Cur pc{p, 1};
      std::string name;
      if (!string(pc, &name)) return false;
      ty.name(name);
      if (!valtype(pc, ty, types) || !expect_done(pc)) return false;
    }
    if (c.peek_list_of("result")) {
      const Node& r = c.next();
      Cur rc{&r, 1};
      if (rc.peek_atom(AtomKind::String)) return fail(rc.peek(), "named results are not supported");
      ty.lit({0x00});
      if (!valtype(rc, ty, types) || !expect_done(rc)) return false;
    } else {
      ty.lit({0x01, 0x00});
    }
    if (c.peek_list_of("result")) return fail(c.peek(), "a function has at most one result");
    return true;
  }

  // A value type: a primitive, an index, or an inline defined type (which
  // becomes a type definition before the user).
  bool valtype(Cur& c, Item& user, std::vector<Item>& types) {
    if (c.done()) return fail_end(c, "expected a value type");
    const Node& n = c.next();
    if (n.is_atom(AtomKind::Keyword)) {
      if (auto p = primitive(n.text)) {
        user.lit({*p});
        return true;
      }
      return fail(n, "unknown value type `" + std::string(n.text) + "`");
    }
    if (!n.is_list) {
      Ref r;
      if (!index_atom(n, &r)) return false;
      user.hole(std::move(r), kType, true);
      return true;
    }
    Item ty;
    ty.kind = Kind::Type;
    ty.at = &n;
    ty.defines = true;
    ty.ns = kType;
    ty.id = gensym();
    if (!defined_type(n, ty, types)) return false;
    Ref r;
    r.at = &n;
    r.id = ty.id;
    user.hole(std::move(r), kType, true);
    types.push_back(std::move(ty));
    return true;
  }

  bool optional_valtype(Cur& c, Item& user, std::vector<Item>& types) {
    if (c.done()) {
      user.lit({0x00});
      return true;
    }
    user.lit({0x01});
    return valtype(c, user, types);
  }

  // A (list ...)-style defined value type.
  bool defined_type(const Node& n, Item& ty, std::vector<Item>& types) {
    const std::string_view head = n.head();
    Cur c{&n, 1};
    if (head == "record") {
      ty.lit({0x72});
      ty.u32(static_cast<uint32_t>(n.items.size() - 1));
      while (!c.done()) {
        const Node& f = c.next();
        if (!f.is_list_of("field")) return fail(f, "expected (field ...)");
        Cur fc{&f, 1};
        std::string name;
        if (!string(fc, &name)) return false;
        ty.name(name);
        if (!valtype(fc, ty, types) || !expect_done(fc)) return false;
      }
      return true;
    }
    if (head == "variant") {
      ty.lit({0x71});
      ty.u32(static_cast<uint32_t>(n.items.size() - 1));
      while (!c.done()) {
        const Node& k = c.next();
        if (!k.is_list_of("case")) return fail(k, "expected (case ...)");
        Cur kc{&k, 1};
        take_id(kc);
        std::string name;
        if (!string(kc, &name)) return false;
        ty.name(name);
        if (kc.done() || kc.peek().is_list_of("refines")) {
          ty.lit({0x00});
        } else {
          ty.lit({0x01});
          if (!valtype(kc, ty, types)) return false;
        }
        if (kc.peek_list_of("refines")) return fail(kc.peek(), "refines is not supported");
        if (!expect_done(kc)) return false;
        ty.lit({0x00});
      }
      return true;
    }
    if (head == "list") {
      if (n.items.size() == 3 && n.items[2].is_atom(AtomKind::Number)) {
        ty.lit({0x67});
        if (!valtype(c, ty, types)) return false;
        uint32_t len;
        if (!u32(c, &len)) return false;
        ty.u32(len);
        return expect_done(c);
      }
      ty.lit({0x70});
      return valtype(c, ty, types) && expect_done(c);
    }
    if (head == "tuple") {
      ty.lit({0x6f});
      ty.u32(static_cast<uint32_t>(n.items.size() - 1));
      while (!c.done()) {
        if (!valtype(c, ty, types)) return false;
      }
      return true;
    }
    if (head == "flags" || head == "enum") {
      ty.lit({static_cast<uint8_t>(head == "flags" ? 0x6e : 0x6d)});
      ty.u32(static_cast<uint32_t>(n.items.size() - 1));
      while (!c.done()) {
        std::string name;
        if (!string(c, &name)) return false;
        ty.name(name);
      }
      return true;
    }
    if (head == "option") {
      ty.lit({0x6b});
      return valtype(c, ty, types) && expect_done(c);
    }
    if (head == "result") {
      ty.lit({0x6a});
      if (!c.done() && !c.peek().is_list_of("error")) {
        ty.lit({0x01});
        if (!valtype(c, ty, types)) return false;
      } else {
        ty.lit({0x00});
      }
      if (c.peek_list_of("error")) {
        const Node& e = c.next();
        Cur ec{&e, 1};
        ty.lit({0x01});
        if (!valtype(ec, ty, types) || !expect_done(ec)) return false;
      } else {
        ty.lit({0x00});
      }
      return expect_done(c);
    }
    if (head == "own" || head == "borrow") {
      ty.lit({static_cast<uint8_t>(head == "own" ? 0x69 : 0x68)});
      if (c.done()) return fail_end(c, "expected a type index");
      Ref r;
      if (!index_atom(c.next(), &r)) return false;
      ty.hole(std::move(r), kType);
      return expect_done(c);
    }
    if (head == "stream" || head == "future") {
      ty.lit({static_cast<uint8_t>(head == "stream" ? 0x66 : 0x65)});
      return optional_valtype(c, ty, types) && expect_done(c);
    }
    if (head == "map") {
      ty.lit({0x63});
      return valtype(c, ty, types) && valtype(c, ty, types) && expect_done(c);
    }
    return fail(n, "expected a defined value type");
  }

  // The body of (type $id? ...): any deftype.
  bool deftype(const Node& def, Item& ty, std::vector<Item>& types) {
    if (def.is_atom(AtomKind::Keyword)) {
      if (auto p = primitive(def.text)) {
        ty.lit({*p});
        return true;
      }
      return fail(def, "unknown type `" + std::string(def.text) + "`");
    }
    if (!def.is_list) return fail(def, "expected a type definition");
    const std::string_view head = def.head();
    if (head == "func") {
      Cur c{&def, 1};
      return func_type(c, ty, types) && expect_done(c);
    }
    if (head == "component" || head == "instance") {
      ty.lit({static_cast<uint8_t>(head == "component" ? 0x41 : 0x42)});
      Nested n;
      n.kind = head == "component" ? ScopeKind::ComponentType : ScopeKind::InstanceType;
      n.node = &def;
      n.first = 1;
      n.id = ty.id;
      ty.nest(std::move(n));
      return true;
    }
    if (head == "resource") {
      Cur c{&def, 1};
      ty.lit({0x3f});
      if (!c.peek_list_of("rep")) return fail_end(c, "expected (rep i32)");
      const Node& rep = c.next();
      Cur rc{&rep, 1};
      if (!core_val(rc, ty.tail()) || !expect_done(rc)) return false;
      if (c.peek_list_of("dtor")) {
        const Node& d = c.next();
        Cur dc{&d, 1};
        if (dc.done()) return fail_end(dc, "expected a function index");
        const Node& target = dc.next();
        Ref r;
        if (target.is_list && !target.is_list_of("core")) {
          return fail(target, "the `core` keyword is required: (core func ...)");
        }
        if (!sort_ref(target, "core", "func", &r)) return false;
        if (!expect_done(dc)) return false;
        ty.lit({0x01});
        ty.hole(std::move(r), kCoreFunc);
      } else {
        ty.lit({0x00});
      }
      return expect_done(c);
    }
    return defined_type(def, ty, types);
  }

  bool type_field(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    Item it;
    it.kind = Kind::Type;
    it.at = &f;
    it.defines = true;
    it.ns = kType;
    it.id = take_id(c);
    if (top().kind == ScopeKind::Component) {
      if (!inline_exports(c, kType, it.id, f)) return false;
    }
    if (c.done()) return fail_end(c, "expected a type definition");
    const Node& def = c.next();
    if (!expect_done(c)) return false;
    if (!deftype(def, it, types)) return false;
    main.push_back(std::move(it));
    return true;
  }

  bool alias(const Node& f, std::vector<Item>& main) {
    Item it;
    it.kind = Kind::Alias;
    it.at = &f;
    it.defines = true;
    // The target sort comes last: (alias ... (sort $id?)).
    if (f.items.size() < 3 || !f.items.back().is_list) return fail(f, "expected an alias sort");
    const Node& target = f.items.back();
    Cur tc{&target, 0};
    Ns ns = kType;
    if (!sort_keyword(tc, &ns)) return false;
    it.ns = ns;
    it.id = take_id(tc);
    if (!expect_done(tc)) return false;
    Cur body{&f, 1};
    const size_t end = f.items.size() - 1;
    if (body.peek_keyword("export")) {
      body.next();
      if (end - body.pos != 2) return fail(f, "expected an instance index and a name");
      Ref inst;
      if (!index_atom(body.next(), &inst)) return false;
      std::string name;
      if (!string(body, &name)) return false;
      put_sort(it.tail(), ns);
      it.lit({0x00});
      it.hole(std::move(inst), kInstance);
      it.name(name);
    } else if (body.peek_keyword("core")) {
      body.next();
      if (!body.peek_keyword("export")) return fail_end(body, "expected `export`");
      body.next();
      if (end - body.pos != 2) return fail(f, "expected an instance index and a name");
      Ref inst;
      if (!index_atom(body.next(), &inst)) return false;
      std::string name;
      if (!string(body, &name)) return false;
      if (!is_core(ns)) return fail(target, "expected keyword `core`");
      put_sort(it.tail(), ns);
      it.lit({0x01});
      it.hole(std::move(inst), kCoreInstance);
      it.name(name);
    } else if (body.peek_keyword("outer")) {
      body.next();
      if (ns != kCoreModule && ns != kCoreType && ns != kType && ns != kComponent) {
        return fail(target, "an outer alias is of a core module, core type, type or component");
      }
      if (end - body.pos != 2) return fail(f, "expected an outer scope and an index");
      const Node& outer = body.next();
      const Node& index = body.next();
      uint32_t depth = 0, idx = 0;
      if (!outer_alias(outer, index, ns, &depth, &idx)) return false;
      if (top().kind == ScopeKind::ModuleType) {
        if (ns != kCoreType) return fail(target, "only types can be aliased in a module type");
        it.lit({0x10, 0x01});
      } else {
        put_sort(it.tail(), ns);
        it.lit({0x02});
      }
      it.u32(depth);
      it.u32(idx);
    } else {
      return fail_end(body, "expected `export`, `core export` or `outer`");
    }
    main.push_back(std::move(it));
    return true;
  }

  // (sort ...) head keywords: `func`, `core func`, ... (a module type's
  // aliases say just `type`, meaning a core type).
  bool sort_keyword(Cur& c, Ns* out) {
    if (c.peek_keyword("core")) {
      c.next();
      if (!c.peek_atom(AtomKind::Keyword)) return fail_end(c, "expected a core sort");
      auto s = core_sort(c.peek().text);
      if (!s) return fail(c.peek(), "expected a core sort");
      c.next();
      *out = *s;
      return true;
    }
    if (!c.peek_atom(AtomKind::Keyword)) return fail_end(c, "expected a sort");
    if (top().kind == ScopeKind::ModuleType && c.peek().is_keyword("type")) {
      c.next();
      *out = kCoreType;
      return true;
    }
    auto s = component_sort(c.peek().text);
    if (!s) return fail(c.peek(), "expected a sort");
    c.next();
    *out = *s;
    return true;
  }

  bool outer_alias(const Node& outer, const Node& index, Ns ns, uint32_t* depth, uint32_t* idx) {
    Ref o, i;
    if (!index_atom(outer, &o) || !index_atom(index, &i)) return false;
    if (scratch_ > 0) return true;
    if (o.is_num && i.is_num) {
      *depth = o.num;
      *idx = i.num;
      return true;
    }
    if (o.is_num) {
      *depth = o.num;
    } else {
      size_t d = 0;
      for (; d < stack_.size(); ++d) {
        if (stack_[stack_.size() - 1 - d]->id == o.id) break;
      }
      if (d == stack_.size()) {
        return fail(outer, "outer component `" + o.id.substr(1) + "` not found");
      }
      *depth = static_cast<uint32_t>(d);
    }
    if (*depth >= stack_.size()) {
      return fail(outer, "outer count of `" + std::to_string(*depth) + "` is too large");
    }
    if (top().kind == ScopeKind::ModuleType && *depth > 1) {
      return fail(outer, "only the local or enclosing scope can be aliased");
    }
    if (i.is_num) {
      *idx = i.num;
      return true;
    }
    Frame& f = *stack_[stack_.size() - 1 - *depth];
    auto it = f.spaces[ns].names.find(i.id);
    if (it != f.spaces[ns].names.end()) {
      *idx = it->second;
      return true;
    }
    if (f.declared[ns].count(i.id) != 0) return forward_index(f, ns, i, idx);
    return fail(index,
                "unknown " + std::string(ns_name(ns)) + ": failed to find name `" + i.id + "`");
  }

  // Canonical options up to the first item that is not one.
  bool canon_opts(Cur& c, Item& it) {
    std::vector<std::pair<uint8_t, std::optional<Hole>>> opts;
    while (!c.done()) {
      const Node& n = c.next();
      if (n.is_keyword("string-encoding=utf8")) {
        opts.emplace_back(0x00, std::nullopt);
      } else if (n.is_keyword("string-encoding=utf16")) {
        opts.emplace_back(0x01, std::nullopt);
      } else if (n.is_keyword("string-encoding=latin1+utf16")) {
        opts.emplace_back(0x02, std::nullopt);
      } else if (n.is_keyword("async")) {
        opts.emplace_back(0x06, std::nullopt);
      } else if (n.is_list_of("memory") || n.is_list_of("realloc") || n.is_list_of("post-return") ||
                 n.is_list_of("callback")) {
        const std::string_view head = n.head();
        const bool memory = head == "memory";
        Cur oc{&n, 1};
        if (oc.done()) return fail_end(oc, "expected an index");
        const Node& target = oc.next();
        Ref r;
        if (target.is_list) {
          if (!sort_ref(target, "core", memory ? "memory" : "func", &r)) return false;
        } else if (!index_atom(target, &r)) {
          return false;
        }
        if (!expect_done(oc)) return false;
        const uint8_t code = memory                  ? 0x03
                             : head == "realloc"     ? 0x04
                             : head == "post-return" ? 0x05
                                                     : 0x07;
        opts.emplace_back(code, Hole{std::move(r), memory ? kCoreMemory : kCoreFunc, false});
      } else {
        --c.pos;
        break;
      }
    }
    it.u32(static_cast<uint32_t>(opts.size()));
    for (auto& [code, hole] : opts) {
      it.lit({code});
      if (hole) it.hole(std::move(hole->ref), hole->ns);
    }
    return true;
  }

  // (canon lift ...) sugar inside (func ...): `user` already has the type
  // hole resolved first, so it is built with a deferred type piece.
  bool canon_lift(Cur& c, const Node& at, Item& it, size_t type_hole) {
    it.kind = Kind::Canon;
    it.at = &at;
    it.defines = true;
    it.ns = kFunc;
    if (c.done()) return fail_end(c, "expected a core function");
    Ref f;
    if (!sort_ref(c.next(), "core", "func", &f)) return false;
    it.lit({0x00, 0x00});
    it.hole(std::move(f), kCoreFunc);
    if (!canon_opts(c, it)) return false;
    it.hole_piece(type_hole);
    return true;
  }

  // (func $id? (export ..)* (import ..)? | (canon lift ..) | (alias export ..))
  bool func(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    std::string id = take_id(c);
    if (!inline_exports(c, kFunc, id, f)) return false;
    std::optional<Bytes> import_name;
    if (!inline_import(c, &import_name)) return false;
    if (import_name) {
      Item it = make_import(f, std::move(*import_name), kFunc, id);
      it.lit({0x01});
      if (!type_use(c, f, ScopeKind::Component, types, it, true)) return false;
      main.push_back(std::move(it));
      return expect_done(c);
    }
    if (c.peek_list_of("alias")) {
      const Node& a = c.next();
      Cur ac{&a, 1};
      if (!ac.peek_keyword("export")) return fail_end(ac, "expected `export`");
      ac.next();
      Item it;
      if (!export_alias(ac, a, kFunc, false, it) || !expect_done(ac) || !expect_done(c)) {
        return false;
      }
      it.id = id;
      main.push_back(std::move(it));
      return true;
    }
    // A type use, then (canon lift ...).
    Item it;
    Item holder;
    const size_t end = f.items.size();
    if (end == c.pos || !f.items[end - 1].is_list_of("canon")) {
      return fail(f, "expected (canon lift ...)");
    }
    // The type use is the items before (canon ...); the copy outlives the
    // items that point into it.
    Node sig;
    sig.is_list = true;
    sig.line = f.line;
    sig.col = f.col;
    for (size_t i = c.pos; i + 1 < end; ++i) sig.items.push_back(f.items[i]);
    signatures_.push_back(std::make_unique<Node>(std::move(sig)));
    Cur kc{signatures_.back().get(), 0};
    if (!type_use(kc, f, ScopeKind::Component, types, holder, true) || !expect_done(kc)) {
      return false;
    }
    const size_t type_hole = it.hole_only(std::move(holder.holes[0].ref), kType);
    const Node& canon_node = f.items[end - 1];
    Cur cc{&canon_node, 1};
    if (!cc.peek_keyword("lift")) return fail_end(cc, "expected `lift`");
    cc.next();
    if (!canon_lift(cc, canon_node, it, type_hole) || !expect_done(cc)) return false;
    it.id = id;
    main.push_back(std::move(it));
    return true;
  }

  // (canon ...) at the component level.
  bool canon(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    if (c.peek_keyword("lift")) {
      c.next();
      // The trailing (func $id? typeuse) names and types the lifted function.
      const Node& last = f.items.back();
      if (!last.is_list_of("func")) return fail(f, "expected (func ...)");
      Cur fc{&last, 1};
      std::string id = take_id(fc);
      Item holder, it;
      if (!type_use(fc, last, ScopeKind::Component, types, holder, true) || !expect_done(fc)) {
        return false;
      }
      const size_t type_hole = it.hole_only(std::move(holder.holes[0].ref), kType);
      Node body;
      body.is_list = true;
      body.line = f.line;
      body.col = f.col;
      for (size_t i = 0; i + 1 < f.items.size(); ++i) body.items.push_back(f.items[i]);
      signatures_.push_back(std::make_unique<Node>(std::move(body)));
      Cur bc{signatures_.back().get(), 2};
      if (!canon_lift(bc, f, it, type_hole) || !expect_done(bc)) return false;
      it.id = id;
      main.push_back(std::move(it));
      return true;
    }
    Item it;
    if (!canon_builtin(f, types, it, false)) return false;
    main.push_back(std::move(it));
    return true;
  }

  // canon definitions that make a core function; without `sugar` the last
  // item is (core func $id?).
  bool canon_builtin(const Node& f, std::vector<Item>& types, Item& it, bool sugar) {
    it.kind = Kind::Canon;
    it.at = &f;
    it.defines = true;
    it.ns = kCoreFunc;
    size_t end = f.items.size();
    if (!sugar) {
      const Node& last = f.items.back();
      if (!last.is_list_of("core")) return fail(f, "expected (core func ...)");
      Cur lc{&last, 1};
      if (!lc.peek_keyword("func")) return fail_end(lc, "expected `func`");
      lc.next();
      it.id = take_id(lc);
      if (!expect_done(lc)) return false;
      --end;
    }
    Node body;
    body.is_list = true;
    body.line = f.line;
    body.col = f.col;
    for (size_t i = 0; i < end; ++i) body.items.push_back(f.items[i]);
    signatures_.push_back(std::make_unique<Node>(std::move(body)));
    const Node& b = *signatures_.back();
    Cur c{&b, 1};
    if (!c.peek_atom(AtomKind::Keyword)) return fail_end(c, "expected a canonical function");
    const Node& kw = c.next();
    const std::string_view op = kw.text;
    auto type_arg = [&](Item& item) {
      if (c.done()) return fail_end(c, "expected a type index");
      Ref r;
      if (!sort_ref(c.next(), "type", "", &r)) return false;
      item.hole(std::move(r), kType);
      return true;
    };
    auto flag = [&](std::string_view word) {
      const bool present = c.peek_keyword(word);
      if (present) c.next();
      it.lit({static_cast<uint8_t>(present ? 0x01 : 0x00)});
    };
    // Binary.md still has `cancellable`, but wasm-tools, the reference
    // parser, rejects it since component-model#716; the byte stays 0.
    auto no_cancellable = [&]() {
      if (c.peek_keyword("cancellable")) {
        return fail(c.peek(), "the `cancellable` option is no longer supported");
      }
      it.lit({0x00});
      return true;
    };
    if (op == "lower") {
      if (c.done()) return fail_end(c, "expected a function");
      Ref r;
      if (!sort_ref(c.next(), "func", "", &r)) return false;
      it.lit({0x01, 0x00});
      it.hole(std::move(r), kFunc);
      if (!canon_opts(c, it)) return false;
    } else if (op == "resource.new" || op == "resource.drop" || op == "resource.rep") {
      it.lit({static_cast<uint8_t>(op == "resource.new"    ? 0x02
                                   : op == "resource.drop" ? 0x03
                                                           : 0x04)});
      if (!type_arg(it)) return false;
      if (c.peek_keyword("async")) {
        c.next();
        return fail(kw, "resource.drop async is not supported");
      }
    } else if (op == "backpressure.inc" || op == "backpressure.dec") {
      it.lit({static_cast<uint8_t>(op == "backpressure.inc" ? 0x24 : 0x25)});
    } else if (op == "task.return") {
      it.lit({0x09});
      if (c.peek_list_of("result")) {
        const Node& r = c.next();
        Cur rc{&r, 1};
        it.lit({0x00});
        if (!valtype(rc, it, types) || !expect_done(rc)) return false;
      } else {
        it.lit({0x01, 0x00});
      }
      if (!canon_opts(c, it)) return false;
    } else if (op == "task.cancel") {
      it.lit({0x05});
    } else if (op == "context.get" || op == "context.set") {
      it.lit({static_cast<uint8_t>(op == "context.get" ? 0x0a : 0x0b)});
      if (!core_val(c, it.tail())) return false;
      uint32_t i;
      if (!u32(c, &i)) return false;
      it.u32(i);
    } else if (op == "subtask.cancel") {
      it.lit({0x06});
      flag("async");
    } else if (op == "subtask.drop") {
      it.lit({0x0d});
    } else if (op == "stream.new" || op == "stream.drop-readable" || op == "stream.drop-writable" ||
               op == "future.new" || op == "future.drop-readable" || op == "future.drop-writable") {
      static const std::unordered_map<std::string_view, uint8_t> kCodes = {
          {"stream.new", 0x0e}, {"stream.drop-readable", 0x13}, {"stream.drop-writable", 0x14},
          {"future.new", 0x15}, {"future.drop-readable", 0x1a}, {"future.drop-writable", 0x1b}};
      it.lit({kCodes.at(op)});
      if (!type_arg(it)) return false;
    } else if (op == "stream.read" || op == "stream.write" || op == "future.read" ||
               op == "future.write") {
      static const std::unordered_map<std::string_view, uint8_t> kCodes = {{"stream.read", 0x0f},
                                                                           {"stream.write", 0x10},
                                                                           {"future.read", 0x16},
                                                                           {"future.write", 0x17}};
      it.lit({kCodes.at(op)});
      if (!type_arg(it) || !canon_opts(c, it)) return false;
    } else if (op == "stream.cancel-read" || op == "stream.cancel-write" ||
               op == "future.cancel-read" || op == "future.cancel-write") {
      static const std::unordered_map<std::string_view, uint8_t> kCodes = {
          {"stream.cancel-read", 0x11},
          {"stream.cancel-write", 0x12},
          {"future.cancel-read", 0x18},
          {"future.cancel-write", 0x19}};
      it.lit({kCodes.at(op)});
      if (!type_arg(it)) return false;
      flag("async");
    } else if (op == "error-context.new" || op == "error-context.debug-message") {
      it.lit({static_cast<uint8_t>(op == "error-context.new" ? 0x1c : 0x1d)});
      if (!canon_opts(c, it)) return false;
    } else if (op == "error-context.drop") {
      it.lit({0x1e});
    } else if (op == "waitable-set.new") {
      it.lit({0x1f});
    } else if (op == "waitable-set.wait" || op == "waitable-set.poll") {
      it.lit({static_cast<uint8_t>(op == "waitable-set.wait" ? 0x20 : 0x21)});
      if (!no_cancellable()) return false;
      if (!c.peek_list_of("memory")) return fail_end(c, "expected (memory ...)");
      const Node& m = c.next();
      Cur mc{&m, 1};
      if (mc.done()) return fail_end(mc, "expected a memory index");
      const Node& target = mc.next();
      Ref r;
      if (target.is_list) {
        if (!sort_ref(target, "core", "memory", &r)) return false;
      } else if (!index_atom(target, &r)) {
        return false;
      }
      if (!expect_done(mc)) return false;
      it.hole(std::move(r), kCoreMemory);
    } else if (op == "waitable-set.drop") {
      it.lit({0x22});
    } else if (op == "waitable.join") {
      it.lit({0x23});
    } else if (op == "thread.index") {
      it.lit({0x26});
    } else if (op == "thread.new-indirect") {
      it.lit({0x27});
      if (c.done()) return fail_end(c, "expected a core type index");
      Ref t;
      const Node& tn = c.next();
      if (tn.is_list) {
        if (!sort_ref(tn, "core", "type", &t)) return false;
      } else if (!index_atom(tn, &t)) {
        return false;
      }
      it.hole(std::move(t), kCoreType);
      if (c.done()) return fail_end(c, "expected a core table index");
      Ref tb;
      const Node& tbn = c.next();
      if (tbn.is_list) {
        if (!sort_ref(tbn, "core", "table", &tb)) return false;
      } else if (!index_atom(tbn, &tb)) {
        return false;
      }
      it.hole(std::move(tb), kCoreTable);
    } else if (op == "thread.yield") {
      it.lit({0x0c});
      if (!no_cancellable()) return false;
    } else if (op == "thread.resume-later") {
      it.lit({0x28});
    } else if (op == "thread.suspend" || op == "thread.suspend-then-resume" ||
               op == "thread.yield-then-resume" || op == "thread.suspend-then-promote" ||
               op == "thread.yield-then-promote") {
      static const std::unordered_map<std::string_view, uint8_t> kCodes = {
          {"thread.suspend", 0x29},
          {"thread.suspend-then-resume", 0x2a},
          {"thread.yield-then-resume", 0x2b},
          {"thread.suspend-then-promote", 0x2c},
          {"thread.yield-then-promote", 0x2d}};
      it.lit({kCodes.at(op)});
      if (!no_cancellable()) return false;
    } else {
      return fail(kw, "unknown canonical function `" + std::string(op) + "`");
    }
    return expect_done(c);
  }

  bool start(const Node& f, std::vector<Item>& main) {
    Cur c{&f, 1};
    Item it;
    it.kind = Kind::Start;
    it.at = &f;
    if (c.done()) return fail_end(c, "expected a function index");
    Ref fn;
    if (!sort_ref(c.next(), "func", "", &fn)) return false;
    it.hole(std::move(fn), kFunc);
    std::vector<Ref> args;
    while (c.peek_list_of("value")) {
      const Node& v = c.next();
      Cur vc{&v, 1};
      Ref r;
      if (!ref_body(vc, &r)) return false;
      args.push_back(std::move(r));
    }
    it.u32(static_cast<uint32_t>(args.size()));
    for (Ref& r : args) it.hole(std::move(r), kValue);
    uint32_t results = 0;
    std::vector<std::string> result_ids;
    while (c.peek_list_of("result")) {
      const Node& r = c.next();
      Cur rc{&r, 1};
      if (!rc.peek_list_of("value")) return fail_end(rc, "expected (value ...)");
      const Node& v = rc.next();
      Cur vc{&v, 1};
      result_ids.push_back(take_id(vc));
      if (!expect_done(vc) || !expect_done(rc)) return false;
      ++results;
    }
    it.u32(results);
    it.values = std::move(result_ids);
    main.push_back(std::move(it));
    return expect_done(c);
  }

  // An externtype with its binding id: (func $id? typeuse), (instance ...),
  // (component ...), (core module ...), (type $id? bound), (value $id? t).
  bool item_sig(const Node& sig, std::vector<Item>& types, Item& it) {
    if (!sig.is_list || sig.items.empty()) return fail(sig, "expected an external type");
    Cur c{&sig, 1};
    const std::string_view head = sig.head();
    if (head == "core") {
      if (!c.peek_keyword("module")) return fail_end(c, "expected `module`");
      c.next();
      it.ns = kCoreModule;
      it.id = take_id(c);
      it.lit({0x00, 0x11});
      return core_type_use(c, sig, types, it) && expect_done(c);
    }
    if (head == "func") {
      it.ns = kFunc;
      it.id = take_id(c);
      it.lit({0x01});
      return type_use(c, sig, ScopeKind::Component, types, it, true) && expect_done(c);
    }
    if (head == "component" || head == "instance") {
      const bool comp = head == "component";
      it.ns = comp ? kComponent : kInstance;
      it.id = take_id(c);
      it.lit({static_cast<uint8_t>(comp ? 0x04 : 0x05)});
      return type_use(c, sig, comp ? ScopeKind::ComponentType : ScopeKind::InstanceType, types,
                      it) &&
             expect_done(c);
    }
    if (head == "type") {
      it.ns = kType;
      it.id = take_id(c);
      it.lit({0x03});
      if (c.peek_list_of("eq")) {
        const Node& e = c.next();
        Cur ec{&e, 1};
        if (ec.done()) return fail_end(ec, "expected a type index");
        Ref r;
        if (!index_atom(ec.next(), &r) || !expect_done(ec)) return false;
        it.lit({0x00});
        it.hole(std::move(r), kType);
      } else if (c.peek_list_of("sub")) {
        const Node& s = c.next();
        Cur sc{&s, 1};
        if (!sc.peek_keyword("resource")) return fail_end(sc, "expected `resource`");
        sc.next();
        if (!expect_done(sc)) return false;
        it.lit({0x01});
      } else {
        return fail_end(c, "expected (eq ...) or (sub resource)");
      }
      return expect_done(c);
    }
    if (head == "value") {
      // wasm-tools writes the value type right after the sort (the older
      // form of Binary.md's valuebound) and has no (eq ...) bound.
      it.ns = kValue;
      it.id = take_id(c);
      it.lit({0x02});
      return valtype(c, it, types) && expect_done(c);
    }
    return fail(sig, "expected an external type");
  }

  bool import(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    Item it;
    it.kind = Kind::Import;
    it.at = &f;
    it.defines = true;
    Bytes name;
    if (!name_attributes(c, name)) return false;
    it.bytes(name);
    if (c.done()) return fail_end(c, "expected an external type");
    if (!item_sig(c.next(), types, it) || !expect_done(c)) return false;
    main.push_back(std::move(it));
    return true;
  }

  // (export $id? "name" attrs* (sort idx) externtype?)
  bool export_field(const Node& f, std::vector<Item>& types, std::vector<Item>& main) {
    Cur c{&f, 1};
    Item it;
    it.kind = Kind::Export;
    it.at = &f;
    it.defines = true;
    it.id = take_id(c);
    Bytes name;
    if (!name_attributes(c, name)) return false;
    it.bytes(name);
    if (c.done()) return fail_end(c, "expected an item reference");
    const Node& target = c.next();
    Ns ns = kType;
    Ref r;
    if (!extern_ref(target, &ns, &r)) return false;
    it.ns = ns;
    put_sort(it.tail(), ns);
    it.hole(std::move(r), ns);
    if (c.done()) {
      it.lit({0x00});
    } else {
      Item sig;
      const Node& ascribed = c.next();
      if (!item_sig(ascribed, types, sig) || !expect_done(c)) return false;
      if (!sig.id.empty()) return fail(ascribed, "unexpected identifier");
      it.lit({0x01});
      for (Piece& p : sig.pieces) {
        if (p.tag == Piece::Tag::Hole) {
          it.hole(std::move(sig.holes[p.index].ref), sig.holes[p.index].ns, sig.holes[p.index].s33);
        } else if (p.tag == Piece::Tag::Lit) {
          it.bytes(p.lit);
        }
      }
    }
    main.push_back(std::move(it));
    return true;
  }

  // (sort idx "name"*) in component sorts, or (core module idx ...).
  bool extern_ref(const Node& n, Ns* ns, Ref* r) {
    if (!n.is_list || n.items.empty()) return fail(n, "expected an item reference");
    Cur c{&n, 0};
    if (!sort_keyword(c, ns)) return false;
    return ref_body(c, r);
  }

  bool instance(const Node& f, std::vector<Item>& types, std::vector<Item>& fields,
                std::vector<Item>& main) {
    Cur c{&f, 1};
    std::string id = take_id(c);
    if (!inline_exports(c, kInstance, id, f)) return false;
    std::optional<Bytes> import_name;
    if (!inline_import(c, &import_name)) return false;
    if (import_name) {
      Item it = make_import(f, std::move(*import_name), kInstance, id);
      it.lit({0x05});
      if (!type_use(c, f, ScopeKind::InstanceType, types, it)) return false;
      main.push_back(std::move(it));
      return expect_done(c);
    }
    Item it;
    it.kind = Kind::Instance;
    it.at = &f;
    it.defines = true;
    it.ns = kInstance;
    it.id = id;
    if (c.peek_list_of("instantiate")) {
      const Node& inst = c.next();
      Cur ic{&inst, 1};
      if (ic.done()) return fail_end(ic, "expected a component index");
      Ref comp;
      if (!sort_ref(ic.next(), "component", "", &comp)) return false;
      it.lit({0x00});
      it.hole(std::move(comp), kComponent);
      it.u32(static_cast<uint32_t>(inst.items.size() - 2));
      while (!ic.done()) {
        const Node& w = ic.next();
        if (!w.is_list_of("with")) return fail(w, "expected (with ...)");
        Cur wc{&w, 1};
        std::string name;
        if (!string(wc, &name)) return false;
        if (wc.done()) return fail_end(wc, "expected an item reference");
        const Node& arg = wc.next();
        if (!expect_done(wc)) return false;
        it.name(name);
        const bool bundle = arg.is_list_of("instance") &&
                            (arg.items.size() == 1 || arg.items[1].is_list_of("export"));
        if (bundle) {
          Item b;
          if (!instance_bundle(arg, 1, b)) return false;
          b.id = gensym();
          Ref r;
          r.at = &arg;
          r.id = b.id;
          put_sort(it.tail(), kInstance);
          it.hole(std::move(r), kInstance);
          fields.push_back(std::move(b));
          continue;
        }
        Ns ns = kType;
        Ref r;
        if (!extern_ref(arg, &ns, &r)) return false;
        put_sort(it.tail(), ns);
        it.hole(std::move(r), ns);
      }
      main.push_back(std::move(it));
      return expect_done(c);
    }
    if (!instance_bundle(f, c.pos, it)) return false;
    it.id = id;
    main.push_back(std::move(it));
    return true;
  }

  bool instance_bundle(const Node& list, size_t first, Item& it) {
    it.kind = Kind::Instance;
    it.at = &list;
    it.defines = true;
    it.ns = kInstance;
    it.lit({0x01});
    it.u32(static_cast<uint32_t>(list.items.size() - first));
    Cur c{&list, first};
    while (!c.done()) {
      const Node& e = c.next();
      if (!e.is_list_of("export")) return fail(e, "expected (export ...)");
      Cur ec{&e, 1};
      Bytes name;
      if (!name_attributes(ec, name)) return false;
      if (ec.done()) return fail_end(ec, "expected an item reference");
      Ns ns = kType;
      Ref r;
      if (!extern_ref(ec.next(), &ns, &r)) return false;
      if (!ec.done()) {
        // wasm-tools parses a type ascription here but does not encode it.
        Item ignored;
        std::vector<Item> ignored_types;
        const Node& ascribed = ec.next();
        if (!item_sig(ascribed, ignored_types, ignored)) return false;
        if (!ignored.id.empty()) return fail(ascribed, "unexpected identifier");
        // Its inline types are still checked for syntax, in a scope thrown away.
        if (!push(ScopeKind::Component, "", e, e.items.size())) return false;
        ++scratch_;
        bool ok = true;
        for (Item& t : ignored_types) ok = ok && emit(std::move(t));
        --scratch_;
        stack_.pop_back();
        if (!ok) return false;
      }
      if (!expect_done(ec)) return false;
      it.bytes(name);
      put_sort(it.tail(), ns);
      it.hole(std::move(r), ns);
    }
    return true;
  }

  // ---- type scopes --------------------------------------------------------

  // A declarator of a component or instance type.
  bool type_decl(const Node& d) {
    if (!d.is_list || d.items.empty()) return fail(d, "expected a declarator");
    const std::string_view head = d.head();
    std::vector<Item> types, fields, main;
    bool ok = false;
    if (head == "core") {
      if (d.items.size() < 2 || !d.items[1].is_keyword("type")) {
        return fail(d, "expected (core type ...)");
      }
      ok = core_type(d, main);
    } else if (head == "type") {
      ok = type_field(d, types, main);
    } else if (head == "alias") {
      ok = alias(d, main);
    } else if (head == "import" || head == "export") {
      Cur c{&d, 1};
      Item it;
      it.kind = head == "import" ? Kind::Import : Kind::Export;
      it.at = &d;
      it.defines = true;
      Bytes name;
      if (!name_attributes(c, name)) return false;
      it.bytes(name);
      if (c.done()) return fail_end(c, "expected an external type");
      ok = item_sig(c.next(), types, it) && expect_done(c);
      main.push_back(std::move(it));
    } else {
      return fail(d, "unknown declarator `" + std::string(head) + "`");
    }
    return ok && emit_all(types, fields, main);
  }

  // A declarator of a core module type.
  bool module_decl(const Node& d) {
    if (!d.is_list || d.items.empty()) return fail(d, "expected a declarator");
    const std::string_view head = d.head();
    std::vector<Item> types, fields, main;
    if (head == "type") {
      Cur c{&d, 1};
      Item it;
      it.kind = Kind::CoreType;
      it.at = &d;
      it.defines = true;
      it.ns = kCoreType;
      it.id = take_id(c);
      if (!c.peek_list_of("func")) return fail_end(c, "expected (func ...)");
      const Node& fn = c.next();
      Cur fc{&fn, 1};
      Bytes params, results;
      if (!core_func_sig(fc, &params, &results) || !expect_done(fc) || !expect_done(c)) {
        return false;
      }
      if (it.id.empty()) it.id = gensym();
      top().module_func_types[func_key(params, results)] = it.id;
      it.lit({0x60});
      it.bytes(vec_of(params));
      it.bytes(vec_of(results));
      main.push_back(std::move(it));
    } else if (head == "alias") {
      if (!alias(d, main)) return false;
    } else if (head == "import" || head == "export") {
      Cur c{&d, 1};
      Item it;
      it.kind = head == "import" ? Kind::Import : Kind::Export;
      it.at = &d;
      std::string module, name;
      if (head == "import") {
        if (!string(c, &module)) return false;
        it.name(module);
      }
      if (!string(c, &name)) return false;
      it.name(name);
      if (c.done()) return fail_end(c, "expected an external type");
      if (!core_extern(c.next(), types, it) || !expect_done(c)) return false;
      main.push_back(std::move(it));
    } else {
      return fail(d, "unknown module type declarator `" + std::string(head) + "`");
    }
    return emit_all(types, fields, main);
  }

  // A core externtype in a module type: func, table, memory, global, tag.
  bool core_extern(const Node& n, std::vector<Item>& types, Item& it) {
    if (!n.is_list || n.items.empty()) return fail(n, "expected a core external type");
    Cur c{&n, 1};
    const std::string_view head = n.head();
    take_id(c);
    if (head == "func" || head == "tag") {
      if (head == "func") {
        it.lit({0x00});
      } else {
        it.lit({0x04, 0x00});
      }
      if (c.peek_list_of("type")) {
        const Node& t = c.next();
        Cur tc{&t, 1};
        Ref r;
        if (tc.done() || !index_atom(tc.next(), &r) || !expect_done(tc)) {
          return fail(t, "expected a type index");
        }
        // Explicit uses resolve in the module type only.
        uint32_t idx = r.num;
        if (!r.is_num && scratch_ == 0) {
          auto f = top().spaces[kCoreType].names.find(r.id);
          if (f != top().spaces[kCoreType].names.end()) {
            idx = f->second;
          } else if (top().declared[kCoreType].count(r.id) != 0) {
            if (!forward_index(top(), kCoreType, r, &idx)) return false;
          } else {
            return fail(*r.at, "unknown type: failed to find name `" + r.id + "`");
          }
        }
        it.u32(idx);
        // An inline signature after (type ..) must match; it is not checked here.
        Bytes p, q;
        return core_func_sig(c, &p, &q) && expect_done(c);
      }
      Bytes params, results;
      if (!core_func_sig(c, &params, &results) || !expect_done(c)) return false;
      auto found = top().module_func_types.find(func_key(params, results));
      std::string id;
      if (found != top().module_func_types.end()) {
        id = found->second;
      } else {
        Item ty;
        ty.kind = Kind::CoreType;
        ty.at = &n;
        ty.defines = true;
        ty.ns = kCoreType;
        ty.id = gensym();
        ty.lit({0x60});
        ty.bytes(vec_of(params));
        ty.bytes(vec_of(results));
        id = ty.id;
        types.push_back(std::move(ty));
      }
      Ref r;
      r.at = &n;
      r.id = id;
      it.hole(std::move(r), kCoreType);
      return true;
    }
    if (head == "memory") {
      it.lit({0x02});
      return core_limits(c, it, /*shared_ok=*/true) && expect_done(c);
    }
    if (head == "table") {
      it.lit({0x01});
      // The text gives limits then the reference type; the binary the reverse.
      Item tmp;
      if (!core_limits(c, tmp, false)) return false;
      if (!core_val(c, it.tail())) return false;
      for (Piece& p : tmp.pieces) it.bytes(p.lit);
      return expect_done(c);
    }
    if (head == "global") {
      it.lit({0x03});
      if (c.peek_list_of("mut")) {
        const Node& m = c.next();
        Cur mc{&m, 1};
        if (!core_val(mc, it.tail()) || !expect_done(mc)) return false;
        it.lit({0x01});
      } else {
        if (!core_val(c, it.tail())) return false;
        it.lit({0x00});
      }
      return expect_done(c);
    }
    return fail(n, "expected a core external type");
  }

  bool core_limits(Cur& c, Item& it, bool shared_ok) {
    bool i64 = false;
    if (c.peek_keyword("i64") || c.peek_keyword("i32")) i64 = c.next().text == "i64";
    uint32_t min = 0, max = 0;
    if (!u32(c, &min)) return false;
    bool has_max = false;
    if (c.peek_atom(AtomKind::Number)) {
      if (!u32(c, &max)) return false;
      has_max = true;
    }
    bool shared = false;
    if (shared_ok && c.peek_keyword("shared")) {
      c.next();
      shared = true;
    }
    uint8_t flags = (has_max ? 0x01 : 0x00) | (shared ? 0x02 : 0x00) | (i64 ? 0x04 : 0x00);
    it.lit({flags});
    it.u32(min);
    if (has_max) it.u32(max);
    return true;
  }

  std::string_view filename_;
  std::vector<std::unique_ptr<Frame>> stack_;
  std::vector<std::unique_ptr<Node>> signatures_;
  uint64_t gensym_ = 0;
  uint32_t frames_ = 0;
  int scratch_ = 0;            // > 0: encoding only to check syntax, names unresolved
  bool guessed_ = false;       // a forward reference was guessed this run
  bool final_run_ = false;     // the run that knows every forward index
  std::vector<Names> names_;   // per scope serial: its names at the end of this run
  std::vector<Names> finals_;  // the same from the first run
  int emit_depth_ = 0;
  bool failed_ = false;
  Error error_;
};

}  // namespace

Result<std::vector<uint8_t>> encode_component_fields(const Node& whole, size_t first,
                                                     std::string_view filename) {
  ComponentEncoder encoder(filename);
  return encoder.run(whole, first, {});
}

Result<std::vector<uint8_t>> encode_component_node(const Node& component, std::string_view filename,
                                                   int quote_depth) {
  Cur c{&component, 1};
  if (c.peek_keyword("definition")) c.next();
  std::string id;
  if (c.peek_atom(AtomKind::Id)) id = std::string(c.next().text);
  if (c.peek_keyword("binary") || c.peek_keyword("quote")) {
    const bool quote = c.next().text == "quote";
    std::string joined;
    while (!c.done()) {
      const Node& s = c.next();
      if (!s.is_atom(AtomKind::String)) {
        return make_text_error(filename, s.line, s.col, "expected a string");
      }
      joined += s.str;
    }
    if (!quote) return std::vector<uint8_t>(joined.begin(), joined.end());
    if (quote_depth >= 8) {
      return make_text_error(filename, component.line, component.col,
                             "quoted components nested too deeply");
    }
    auto nodes = read_sexprs(joined, filename);
    if (!nodes.ok()) return std::move(nodes).error();
    Node wrapper;
    wrapper.is_list = true;
    wrapper.line = component.line;
    wrapper.col = component.col;
    wrapper.items = std::move(nodes.value());
    if (wrapper.items.size() == 1 && wrapper.items[0].is_list_of("component")) {
      return encode_component_node(wrapper.items[0], filename, quote_depth + 1);
    }
    return encode_component_fields(wrapper, 0, filename);
  }
  ComponentEncoder encoder(filename);
  return encoder.run(component, c.pos, id);
}

}  // namespace weft::text
