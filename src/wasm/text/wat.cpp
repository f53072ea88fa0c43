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

  // For a (module ...) node: its source, encoded when it is text. A text
  // module that fails to encode in assert_malformed becomes Quote, so the
  // runner sees the failure when it parses it.
  bool module_source(const Node& node, bool malformed_ok, wast::ModuleSource& out) {
    if (!node.is_list_of("module")) return fail(node, "expected (module ...)");
    size_t pos = 1;
    if (pos < node.items.size() && node.items[pos].is_atom(AtomKind::Id)) ++pos;
    if (pos < node.items.size() && node.items[pos].is_keyword("quote")) {
      out.kind = wast::ModuleSource::Kind::Quote;
      for (size_t i = pos + 1; i < node.items.size(); ++i) {
        if (!node.items[i].is_atom(AtomKind::String))
          return fail(node.items[i], "expected a string");
        out.text += node.items[i].str;
      }
      return true;
    }
    auto bytes = encode_module_node(node, filename_);
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

  static std::optional<std::string> module_name(const Node& node) {
    if (node.items.size() > 1 && node.items[1].is_atom(AtomKind::Id)) {
      return std::string(node.items[1].text);
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
      Value v;
      if (!node.items[pos].is_list || !parse_const(node.items[pos], v)) {
        return fail(node.items[pos], "expected a constant argument");
      }
      out.args.push_back(v);
    }
    return true;
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
    if (head == "module") {
      cmd.kind = Kind::Module;
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
        wast::Expected e;
        if (!parse_expected(node.items[i], e)) return false;
        cmd.expected.push_back(e);
      }
      return true;
    }
    if (head == "assert_trap" || head == "assert_exhaustion") {
      if (n < 2) return fail(node, "expected an action");
      if (head == "assert_trap" && node.items[1].is_list_of("module")) {
        cmd.kind = Kind::AssertUninstantiable;
        return module_source(node.items[1], false, cmd.module) && message(node, 2, cmd.text);
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
