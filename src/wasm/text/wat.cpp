#include "wasm/text/wat.h"

#include <string>
#include <utility>

#include "wasm/text/component_parser.h"
#include "wasm/text/module_parser.h"
#include "wasm/text/numbers.h"
#include "wasm/text/sexpr.h"

namespace weft::text {

Result<std::vector<uint8_t>> wat_to_wasm(std::string_view source, std::string_view filename,
                                         bool* is_component) {
  if (is_component) *is_component = false;
  auto nodes = read_sexprs(source, filename);
  if (!nodes.ok()) return std::move(nodes).error();
  Node whole;
  whole.is_list = true;
  whole.line = 1;
  whole.col = 1;
  whole.items = std::move(nodes.value());
  if (whole.items.size() == 1 && whole.items[0].is_list_of("component")) {
    if (is_component) *is_component = true;
    return encode_component_node(whole.items[0], filename);
  }
  if (whole.items.size() == 1 && whole.items[0].is_list_of("module")) {
    return encode_module_node(whole.items[0], filename);
  }
  for (const Node& item : whole.items) {
    if (item.is_list_of("module")) {
      return make_text_error(filename, item.line, item.col, "expected a single module");
    }
  }
  return encode_module_fields(whole, 0, filename);
}

namespace {

class ScriptParser {
 public:
  ScriptParser(std::string_view source, std::string_view filename)
      : source_(source), filename_(filename) {}

  Result<wast::Script> run() {
    auto nodes = read_sexprs(source_, filename_);
    if (!nodes.ok()) return std::move(nodes).error();
    wast::Script script;
    script.filename = std::string(filename_);
    if (!nodes->empty() && is_module_field(nodes->front())) {
      // A script may be just the fields of one module.
      Node whole;
      whole.is_list = true;
      whole.line = nodes->front().line;
      whole.col = nodes->front().col;
      whole.items = std::move(nodes.value());
      auto bytes = encode_module_fields(whole, 0, filename_);
      if (!bytes.ok()) return std::move(bytes).error();
      wast::Command command;
      command.line = whole.line;
      command.module.bytes = std::move(bytes.value());
      script.commands.push_back(std::move(command));
      return script;
    }
    for (const Node& node : nodes.value()) {
      wast::Command command;
      if (!parse_command(node, command)) return std::move(error_);
      script.commands.push_back(std::move(command));
    }
    return script;
  }

 private:
  static bool is_module_field(const Node& node) {
    static constexpr std::string_view kFields[] = {"type",   "import", "func",  "table", "memory",
                                                   "global", "export", "start", "elem",  "data"};
    for (std::string_view field : kFields) {
      if (node.is_list_of(field)) return true;
    }
    return false;
  }

  bool fail(const Node& at, std::string_view reason) {
    error_ = make_text_error(filename_, at.line, at.col, reason);
    return false;
  }
  bool fail(Error error) {
    error_ = std::move(error);
    return false;
  }

  // For a (module ...) or (component ...) node: its source, encoded when it
  // is text. A text module that fails to encode in assert_malformed becomes
  // Quote, so the runner sees the failure when it parses it. A leading
  // `definition` keyword is skipped (the caller records it).
  bool module_source(const Node& node, bool malformed_ok, wast::ModuleSource& out) {
    const bool component = node.is_list_of("component");
    if (!component && !node.is_list_of("module")) {
      return fail(node, "expected (module ...) or (component ...)");
    }
    out.is_component = component;
    size_t pos = 1;
    if (pos < node.items.size() && node.items[pos].is_keyword("definition")) ++pos;
    if (pos < node.items.size() && node.items[pos].is_atom(AtomKind::Id)) ++pos;
    if (pos < node.items.size() &&
        (node.items[pos].is_keyword("quote") || node.items[pos].is_keyword("binary"))) {
      const bool quote = node.items[pos].text == "quote";
      std::string joined;
      for (size_t i = pos + 1; i < node.items.size(); ++i) {
        if (!node.items[i].is_atom(AtomKind::String))
          return fail(node.items[i], "expected a string");
        joined += node.items[i].str;
      }
      if (quote) {
        out.kind = wast::ModuleSource::Kind::Quote;
        // A quoted component is its definitions; wrapped, wat_to_wasm takes it.
        out.text = component ? "(component " + joined + ")" : std::move(joined);
      } else {
        out.kind = wast::ModuleSource::Kind::Binary;
        out.bytes.assign(joined.begin(), joined.end());
      }
      return true;
    }
    auto bytes = component ? encode_component_node(node, filename_)
                           : encode_module_fields(node, pos, filename_);
    if (!bytes.ok()) {
      if (!malformed_ok) return fail(std::move(bytes).error());
      out.kind = wast::ModuleSource::Kind::Quote;
      out.text = std::string(source_.substr(node.begin, node.end - node.begin));
      return true;
    }
    out.kind = wast::ModuleSource::Kind::Binary;
    out.bytes = std::move(bytes.value());
    return true;
  }

  // (module|component definition ...) and (module|component instance ...).
  static bool is_definition(const Node& node) {
    return node.items.size() > 1 && node.items[1].is_keyword("definition");
  }
  static bool is_instance(const Node& node) {
    return node.items.size() > 1 && node.items[1].is_keyword("instance");
  }

  // (module|component instance $name? $definition?)
  bool instance_command(const Node& node, wast::Command& cmd) {
    cmd.kind = wast::Command::Kind::Module;
    cmd.instantiation = wast::Command::Instantiation::Instance;
    cmd.module.is_component = node.is_list_of("component");
    std::vector<std::string> ids;
    for (size_t i = 2; i < node.items.size(); ++i) {
      if (!node.items[i].is_atom(AtomKind::Id)) return fail(node.items[i], "expected a $name");
      ids.emplace_back(node.items[i].text);
    }
    if (ids.size() > 2) return fail(node, "expected an instance and a definition name");
    if (ids.size() == 2) cmd.name = ids[0];
    if (!ids.empty()) cmd.definition = ids.back();
    return true;
  }

  static std::optional<std::string> module_name(const Node& node) {
    const size_t pos = is_definition(node) ? 2 : 1;
    if (node.items.size() > pos && node.items[pos].is_atom(AtomKind::Id)) {
      return std::string(node.items[pos].text);
    }
    return std::nullopt;
  }

  bool parse_const(const Node& node, Value& out) {
    const std::string_view head = node.head();
    if (node.items.size() != 2 || node.items[1].is_list) return fail(node, "expected a constant");
    const std::string_view text = node.items[1].text;
    if (head == "i32.const") {
      uint32_t v;
      if (!parse_i32(text, &v)) return fail(node.items[1], "malformed i32 constant");
      out = Value{ValType::I32, v};
    } else if (head == "i64.const") {
      uint64_t v;
      if (!parse_i64(text, &v)) return fail(node.items[1], "malformed i64 constant");
      out = Value{ValType::I64, v};
    } else if (head == "f32.const") {
      uint32_t v;
      if (!parse_f32(text, &v)) return fail(node.items[1], "malformed f32 constant");
      out = Value::f32_bits(v);
    } else if (head == "f64.const") {
      uint64_t v;
      if (!parse_f64(text, &v)) return fail(node.items[1], "malformed f64 constant");
      out = Value::f64_bits(v);
    } else if (head == "ref.null") {
      if (node.items[1].is_keyword("func")) {
        out = Value::null(ValType::FuncRef);
      } else if (node.items[1].is_keyword("extern")) {
        out = Value::null(ValType::ExternRef);
      } else if (node.items[1].is_keyword("exn")) {
        out = Value::null(ValType::ExnRef);
      } else {
        return fail(node.items[1], "expected a heap type");
      }
    } else if (head == "ref.extern") {
      uint64_t v;
      if (!node.items[1].is_atom(AtomKind::Number) || !parse_u64(node.items[1].text, &v) ||
          v == UINT64_MAX) {
        return fail(node.items[1], "malformed extern reference");
      }
      out = Value::extern_ref(v);
    } else {
      return fail(node, "expected a constant");
    }
    return true;
  }

  bool parse_expected(const Node& node, wast::Expected& out) {
    if (!node.is_list) return fail(node, "expected a result");
    const std::string_view head = node.head();
    if (node.items.size() == 2 && (head == "f32.const" || head == "f64.const") &&
        (node.items[1].is_keyword("nan:canonical") || node.items[1].is_keyword("nan:arithmetic"))) {
      out.kind = node.items[1].text == "nan:canonical" ? wast::Expected::Kind::CanonicalNan
                                                       : wast::Expected::Kind::ArithmeticNan;
      out.value = Value{head == "f32.const" ? ValType::F32 : ValType::F64, 0};
      return true;
    }
    if ((head == "ref.func" || head == "ref.extern") && node.items.size() == 1) {
      out.kind = wast::Expected::Kind::RefNonNull;
      out.value = Value{head == "ref.func" ? ValType::FuncRef : ValType::ExternRef, 0};
      return true;
    }
    if (head == "ref.func") {
      out.kind = wast::Expected::Kind::RefNonNull;
      out.value = Value{ValType::FuncRef, 0};
      return true;
    }
    if (!parse_const(node, out.value)) return false;
    if (head == "ref.null") {
      out.kind = wast::Expected::Kind::RefNull;
    } else if (head == "ref.extern") {
      out.kind = wast::Expected::Kind::RefExtern;
    } else {
      out.kind = wast::Expected::Kind::Exact;
    }
    return true;
  }

  bool parse_action(const Node& node, wast::Action& out) {
    const std::string_view head = node.head();
    if (head != "invoke" && head != "get") return fail(node, "expected (invoke ...) or (get ...)");
    out.kind = head == "invoke" ? wast::Action::Kind::Invoke : wast::Action::Kind::Get;
    size_t pos = 1;
    if (pos < node.items.size() && node.items[pos].is_atom(AtomKind::Id)) {
      out.module = std::string(node.items[pos].text);
      ++pos;
    }
    if (pos >= node.items.size() || !node.items[pos].is_atom(AtomKind::String)) {
      return fail(node, "expected an export name");
    }
    out.field = node.items[pos].str;
    ++pos;
    for (; pos < node.items.size(); ++pos) {
      if (out.kind == wast::Action::Kind::Get) return fail(node.items[pos], "unexpected argument");
      const Node& arg = node.items[pos];
      if (!arg.is_list) return fail(arg, "expected a constant argument");
      Value v;
      if (out.args_are_core && parse_const(arg, v)) {
        out.args.push_back(v);
      } else {
        out.args_are_core = false;
        out.args.clear();
      }
      component::Val cv;
      if (out.args_are_component && parse_component_value(arg, 0, cv)) {
        out.component_args.push_back(std::move(cv));
      } else {
        out.args_are_component = false;
        out.component_args.clear();
      }
      if (!out.args_are_core && !out.args_are_component) return either_error(arg);
    }
    return true;
  }

  // An argument or result that is neither a core nor a component value:
  // the error of the syntax its head belongs to.
  bool either_error(const Node& node) {
    const std::string_view head = node.head();
    const bool core_head = head == "i32.const" || head == "i64.const" ||
                           head.substr(0, 4) == "ref." || head == "f32.const" ||
                           head == "f64.const";
    if (core_head) {
      Value v;
      wast::Expected e;
      if (!parse_expected(node, e)) return false;
      if (!parse_const(node, v)) return false;
    }
    component::Val cv;
    if (!parse_component_value(node, 0, cv)) return false;
    return fail(node, "expected a constant");
  }

  // A component value whose head keyword is node.items[first], its operands
  // the items after it: (u32.const 7), or the inline form inside a record
  // field, (field "a" u32.const 7).
  bool parse_component_value(const Node& node, size_t first, component::Val& out, int depth = 0) {
    using component::Val;
    if (depth > kMaxDepth) return fail(node, "nesting too deep");
    if (!node.is_list || first >= node.items.size() ||
        !node.items[first].is_atom(AtomKind::Keyword)) {
      return fail(node, "expected a component value");
    }
    const std::string_view head = node.items[first].text;
    const size_t argc = node.items.size() - first - 1;
    auto arg = [&](size_t i) -> const Node& { return node.items[first + 1 + i]; };
    auto values = [&](std::vector<Val>& items) {
      for (size_t i = 0; i < argc; ++i) {
        Val v;
        if (!parse_component_value(arg(i), 0, v, depth + 1)) return false;
        items.push_back(std::move(v));
      }
      return true;
    };
    auto optional_payload = [&](std::optional<Val>& payload, size_t from) {
      if (argc == from) return true;
      if (argc != from + 1) return fail(node, "expected at most one payload");
      Val v;
      if (!parse_component_value(arg(from), 0, v, depth + 1)) return false;
      payload = std::move(v);
      return true;
    };
    auto one_string = [&](std::string& str) {
      if (argc != 1 || !arg(0).is_atom(AtomKind::String)) return fail(node, "expected a string");
      str = arg(0).str;
      return true;
    };
    if (head == "bool.const") {
      if (argc != 1 || !(arg(0).is_keyword("true") || arg(0).is_keyword("false"))) {
        return fail(node, "expected true or false");
      }
      out = Val::boolean(arg(0).text == "true");
      return true;
    }
    struct IntKind {
      std::string_view head;
      component::ValKind kind;
      bool is_signed;
      int bits;
    };
    static constexpr IntKind kInts[] = {
        {"s8.const", component::ValKind::S8, true, 8},
        {"u8.const", component::ValKind::U8, false, 8},
        {"s16.const", component::ValKind::S16, true, 16},
        {"u16.const", component::ValKind::U16, false, 16},
        {"s32.const", component::ValKind::S32, true, 32},
        {"u32.const", component::ValKind::U32, false, 32},
        {"s64.const", component::ValKind::S64, true, 64},
        {"u64.const", component::ValKind::U64, false, 64},
    };
    for (const IntKind& k : kInts) {
      if (head != k.head) continue;
      if (argc != 1 || !arg(0).is_atom(AtomKind::Number)) return fail(node, "expected a number");
      std::string_view text = arg(0).text;
      const bool negative = !text.empty() && text[0] == '-';
      if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
      uint64_t magnitude;
      if (text.empty() || text[0] == '-' || text[0] == '+' || !parse_u64(text, &magnitude)) {
        return fail(arg(0), "malformed integer");
      }
      const uint64_t limit = k.bits == 64 ? UINT64_MAX : (uint64_t{1} << k.bits) - 1;
      uint64_t bits;
      if (k.is_signed) {
        const uint64_t max = limit >> 1;  // 2^(N-1) - 1
        if (negative ? magnitude > max + 1 : magnitude > max) {
          return fail(arg(0), "integer out of range");
        }
        bits = negative ? 0 - magnitude : magnitude;  // two's complement, sign-extended
      } else {
        if (negative || magnitude > limit) return fail(arg(0), "integer out of range");
        bits = magnitude;
      }
      out = Val{};
      out.kind = k.kind;
      out.bits = bits;
      return true;
    }
    if (head == "f32.const" || head == "f64.const") {
      if (argc != 1 || arg(0).is_list) return fail(node, "expected a number");
      if (head == "f32.const") {
        uint32_t bits;
        if (!parse_f32(arg(0).text, &bits)) return fail(arg(0), "malformed f32 constant");
        out = Val::f32_bits(bits);
      } else {
        uint64_t bits;
        if (!parse_f64(arg(0).text, &bits)) return fail(arg(0), "malformed f64 constant");
        out = Val::f64_bits(bits);
      }
      return true;
    }
    if (head == "char.const") {
      std::string str;
      if (!one_string(str)) return false;
      // Exactly one scalar value, given as UTF-8.
      uint32_t cp = 0;
      const auto* b = reinterpret_cast<const uint8_t*>(str.data());
      const size_t len = str.empty()       ? 0
                         : b[0] < 0x80     ? 1
                         : b[0] >> 5 == 6  ? 2
                         : b[0] >> 4 == 14 ? 3
                                           : 4;
      if (str.empty() || str.size() != len || !is_valid_utf8(str)) {
        return fail(arg(0), "expected one character");
      }
      static constexpr uint8_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
      cp = b[0] & kLeadMask[len];
      for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (b[i] & 0x3F);
      out = Val::character(cp);
      return true;
    }
    if (head == "str.const") {
      std::string str;
      if (!one_string(str)) return false;
      if (!is_valid_utf8(str)) return fail(arg(0), "malformed UTF-8 encoding");
      out = Val::string(std::move(str));
      return true;
    }
    if (head == "list.const" || head == "tuple.const") {
      std::vector<Val> items;
      if (!values(items)) return false;
      out = head == "list.const" ? Val::list(std::move(items)) : Val::tuple(std::move(items));
      return true;
    }
    if (head == "record.const") {
      std::vector<std::pair<std::string, Val>> fields;
      for (size_t i = 0; i < argc; ++i) {
        const Node& f = arg(i);
        if (!f.is_list_of("field") || f.items.size() < 3 || !f.items[1].is_atom(AtomKind::String)) {
          return fail(f, "expected (field \"label\" value)");
        }
        Val v;
        // (field "a" u32.const 7), or with the value parenthesized.
        const bool wrapped = f.items.size() == 3 && f.items[2].is_list;
        if (!parse_component_value(wrapped ? f.items[2] : f, wrapped ? 0 : 2, v, depth + 1)) {
          return false;
        }
        fields.emplace_back(f.items[1].str, std::move(v));
      }
      out = Val::record(std::move(fields));
      return true;
    }
    if (head == "variant.const") {
      if (argc < 1 || !arg(0).is_atom(AtomKind::String)) return fail(node, "expected a case label");
      std::optional<Val> payload;
      if (!optional_payload(payload, 1)) return false;
      out = Val::variant(arg(0).str, std::move(payload));
      return true;
    }
    if (head == "enum.const") {
      std::string label;
      if (!one_string(label)) return false;
      out = Val::enumeration(std::move(label));
      return true;
    }
    if (head == "option.none") {
      if (argc != 0) return fail(node, "unexpected payload");
      out = Val::none();
      return true;
    }
    if (head == "option.some") {
      if (argc != 1) return fail(node, "expected one payload");
      Val v;
      if (!parse_component_value(arg(0), 0, v, depth + 1)) return false;
      out = Val::some(std::move(v));
      return true;
    }
    if (head == "result.ok" || head == "result.err") {
      std::optional<Val> payload;
      if (!optional_payload(payload, 0)) return false;
      out = head == "result.ok" ? Val::ok(std::move(payload)) : Val::err(std::move(payload));
      return true;
    }
    if (head == "flags.const") {
      std::vector<std::string> labels;
      for (size_t i = 0; i < argc; ++i) {
        if (!arg(i).is_atom(AtomKind::String)) return fail(arg(i), "expected a flag label");
        labels.push_back(arg(i).str);
      }
      out = Val::flags(std::move(labels));
      return true;
    }
    return fail(node, "expected a component value");
  }

  bool message(const Node& node, size_t index, std::string& out) {
    if (index >= node.items.size() || !node.items[index].is_atom(AtomKind::String)) {
      return fail(node, "expected a message string");
    }
    if (index + 1 != node.items.size()) return fail(node.items[index + 1], "unexpected token");
    out = node.items[index].str;
    return true;
  }

  bool parse_command(const Node& node, wast::Command& cmd) {
    using Kind = wast::Command::Kind;
    const std::string_view head = node.head();
    const size_t n = node.items.size();
    // Like wast2json, an assertion is placed at the line of its action or module.
    // (the line of its keyword, which is where the command's '(' usually is).
    const Node& anchor = (head.substr(0, 7) == "assert_" && n > 1) ? node.items[1] : node;
    cmd.line = (anchor.is_list && !anchor.items.empty()) ? anchor.items[0].line : anchor.line;
    if (head == "module" || head == "component") {
      if (is_instance(node)) return instance_command(node, cmd);
      cmd.kind = Kind::Module;
      if (is_definition(node)) cmd.instantiation = wast::Command::Instantiation::Definition;
      cmd.name = module_name(node);
      return module_source(node, false, cmd.module);
    }
    if (head == "register") {
      cmd.kind = Kind::Register;
      if (n < 2 || !node.items[1].is_atom(AtomKind::String)) return fail(node, "expected a name");
      cmd.as = node.items[1].str;
      if (n > 2) {
        if (!node.items[2].is_atom(AtomKind::Id) || n > 3)
          return fail(node, "expected a module name");
        cmd.name = std::string(node.items[2].text);
      }
      return true;
    }
    if (head == "invoke" || head == "get") {
      cmd.kind = Kind::Action;
      return parse_action(node, cmd.action);
    }
    if (head == "assert_return") {
      cmd.kind = Kind::AssertReturn;
      if (n < 2 || !parse_action(node.items[1], cmd.action))
        return n < 2 ? fail(node, "expected an action") : false;
      for (size_t i = 2; i < n; ++i) {
        const Node& result = node.items[i];
        wast::Expected e;
        if (cmd.expected_are_core && parse_expected(result, e)) {
          cmd.expected.push_back(e);
        } else {
          cmd.expected_are_core = false;
          cmd.expected.clear();
        }
        component::Val cv;
        if (cmd.expected_are_component && parse_component_value(result, 0, cv)) {
          cmd.component_expected.push_back(std::move(cv));
        } else {
          cmd.expected_are_component = false;
          cmd.component_expected.clear();
        }
        if (!cmd.expected_are_core && !cmd.expected_are_component) return either_error(result);
      }
      return true;
    }
    if (head == "assert_exception") {
      if (n != 2) return fail(node, "expected an action");
      cmd.kind = Kind::AssertException;
      return parse_action(node.items[1], cmd.action);
    }
    if (head == "assert_trap" || head == "assert_exhaustion") {
      if (n < 2) return fail(node, "expected an action");
      const Node& target = node.items[1];
      if (head == "assert_trap" &&
          (target.is_list_of("module") || target.is_list_of("component"))) {
        cmd.kind = Kind::AssertUninstantiable;
        if (is_instance(target)) {
          if (!instance_command(target, cmd)) return false;
          cmd.kind = Kind::AssertUninstantiable;
          return message(node, 2, cmd.text);
        }
        return module_source(target, false, cmd.module) && message(node, 2, cmd.text);
      }
      cmd.kind = head == "assert_trap" ? Kind::AssertTrap : Kind::AssertExhaustion;
      return parse_action(node.items[1], cmd.action) && message(node, 2, cmd.text);
    }
    if (head == "assert_malformed" || head == "assert_invalid" || head == "assert_unlinkable" ||
        head == "assert_uninstantiable") {
      cmd.kind = head == "assert_malformed"    ? Kind::AssertMalformed
                 : head == "assert_invalid"    ? Kind::AssertInvalid
                 : head == "assert_unlinkable" ? Kind::AssertUnlinkable
                                               : Kind::AssertUninstantiable;
      if (n < 2) return fail(node, "expected a module");
      return module_source(node.items[1], cmd.kind == Kind::AssertMalformed, cmd.module) &&
             message(node, 2, cmd.text);
    }
    return fail(node, "unknown command");
  }

  std::string_view source_;
  std::string_view filename_;
  Error error_;
};

}  // namespace

Result<wast::Script> parse_wast(std::string_view source, std::string_view filename) {
  ScriptParser parser(source, filename);
  return parser.run();
}

}  // namespace weft::text
