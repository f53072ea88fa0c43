// `weft inspect FILE.wasm`: what a module imports and exports, its memories
// and tables, and where each section sits in the file. For a component: its
// world in WIT, and nothing else, so that the output is itself a WIT file.
#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "component/binary/decoder.h"
#include "component/validate/validator.h"
#include "component/wit/printer.h"

namespace weft::cli {
namespace {

std::string limits_string(const Limits& limits) {
  std::string text = "min " + std::to_string(limits.min);
  if (limits.max) text += " max " + std::to_string(*limits.max);
  return text;
}

std::string memory_string(const MemoryType& memory) {
  return limits_string(memory.limits) + " (pages)";
}

std::string table_string(const TableType& table) {
  return std::string(to_string(table.element)) + " " + limits_string(table.limits);
}

std::string global_string(const GlobalType& global) {
  return std::string(global.is_mutable ? "mut " : "") + to_string(global.type);
}

template <class Info>
std::string extern_type_string(const Info& info) {
  switch (info.kind) {
    case ExternKind::Func:
      return info.func.to_string();
    case ExternKind::Table:
      return table_string(info.table);
    case ExternKind::Memory:
      return memory_string(info.memory);
    case ExternKind::Global:
      return global_string(info.global);
    case ExternKind::Tag:
      return info.tag.to_string();
  }
  return "?";
}

void print_module(const Module& module) {
  const auto& imports = module.imports();
  std::printf("imports (%zu):\n", imports.size());
  uint32_t imported_memories = 0;
  uint32_t imported_tables = 0;
  for (const auto& import : imports) {
    std::printf("  %s.%s %s %s\n", import.module.c_str(), import.name.c_str(),
                to_string(import.kind), extern_type_string(import).c_str());
    if (import.kind == ExternKind::Memory) ++imported_memories;
    if (import.kind == ExternKind::Table) ++imported_tables;
  }

  const auto& exports = module.exports();
  std::printf("exports (%zu):\n", exports.size());
  for (const auto& export_info : exports) {
    std::printf("  %s %s[%u] %s\n", export_info.name.c_str(), to_string(export_info.kind),
                export_info.index, extern_type_string(export_info).c_str());
  }

  const auto& memories = module.memories();
  std::printf("memories (%zu defined):\n", memories.size());
  for (size_t i = 0; i < memories.size(); ++i) {
    std::printf("  memory[%zu] %s\n", imported_memories + i, memory_string(memories[i]).c_str());
  }

  const auto& tables = module.tables();
  std::printf("tables (%zu defined):\n", tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    std::printf("  table[%zu] %s\n", imported_tables + i, table_string(tables[i]).c_str());
  }

  const auto& sections = module.sections();
  std::printf("sections (%zu):\n", sections.size());
  for (const auto& section : sections) {
    std::printf("  %-10s id %2u offset 0x%08" PRIx64 " size %" PRIu64 "\n", section.name.c_str(),
                section.id, section.offset, section.size);
  }
}

}  // namespace

Subcommand add_inspect_command(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* app =
      parent.add_subcommand("inspect",
                            "Show a module's imports, exports, memories and sections, or a "
                            "component's world in WIT");
  app->add_option("file", *path, "The .wasm module or component")->required();
  return {app, [path]() -> int {
            auto bytes = read_file_bytes(*path);
            if (!bytes) {
              std::fprintf(stderr, "%s\n", bytes.error().message.c_str());
              return kExitError;
            }
            if (component::is_component(*bytes)) {
              auto validated = component::validate_component(*bytes);
              if (!validated) {
                std::fprintf(stderr, "%s: %s\n", path->c_str(),
                             validated.error().to_string().c_str());
                return kExitError;
              }
              std::fputs(component::world_to_wit(**validated).c_str(), stdout);
              return kExitOk;
            }
            auto module = load_module(*path);
            if (!module) {
              std::fprintf(stderr, "%s\n", module.error().message.c_str());
              return kExitError;
            }
            std::printf("%s:\n", path->c_str());
            if (!(*module)->name().empty()) std::printf("name: %s\n", (*module)->name().c_str());
            print_module(**module);
            return kExitOk;
          }};
}

}  // namespace weft::cli
