// Copy-on-write memory images: a module's initial memory contents, built once
// at compile time into a sealed memfd and mapped MAP_PRIVATE over each
// instance's memory, so instantiation costs one mmap (or nothing, when a
// pooled range still maps the image) instead of a copy of every segment.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "wasm/runtime/runtime.h"

namespace weft::detail {
namespace {

constexpr uint64_t kWasmPage = 65536;
// Past this an image is not worth it: resetting a pooled range reads one
// pagemap entry per page of the image, whatever the guest touched, and a
// hostile module could place one byte at the end of a 4 GiB memory.
constexpr uint64_t kMaxImageBytes = 64ull << 20;

uint64_t initial_min_bytes() {
  const char* env = std::getenv("WEFT_MEMORY_IMAGE_MIN_BYTES");
  if (env == nullptr || *env == '\0') return kDefaultMemoryImageMinBytes;
  char* end = nullptr;
  unsigned long long value = std::strtoull(env, &end, 10);
  return *end == '\0' ? value : kDefaultMemoryImageMinBytes;
}

std::atomic<uint64_t>& min_bytes() {
  static std::atomic<uint64_t> value{initial_min_bytes()};
  return value;
}

uint64_t host_page_size() {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// The value of an offset expression made only of i32.const and i32
// add/sub/mul (extended-const), or nullopt for anything else (global.get):
// those are left to the instantiation-time evaluator.
std::optional<uint32_t> constant_offset(const std::vector<uint8_t>& bytes,
                                        const wasm::ConstExpr& expr) {
  if (expr.code.begin > expr.code.end || expr.code.end > bytes.size()) return std::nullopt;
  const uint8_t* pos = bytes.data() + expr.code.begin;
  const uint8_t* end = bytes.data() + expr.code.end;
  uint32_t stack[16];
  size_t depth = 0;
  while (pos < end) {
    uint8_t op = *pos++;
    if (op == 0x0B) {
      if (depth != 1) return std::nullopt;
      return stack[0];
    }
    if (op == 0x41) {  // i32.const: signed LEB128, at most 5 bytes
      uint64_t result = 0;
      int shift = 0;
      uint8_t byte = 0;
      do {
        if (pos >= end || shift >= 35) return std::nullopt;
        byte = *pos++;
        result |= static_cast<uint64_t>(byte & 0x7F) << shift;
        shift += 7;
      } while (byte & 0x80);
      if (shift < 64 && (byte & 0x40)) result |= ~uint64_t{0} << shift;
      if (depth == std::size(stack)) return std::nullopt;
      stack[depth++] = static_cast<uint32_t>(result);
      continue;
    }
    if (op == 0x6A || op == 0x6B || op == 0x6C) {  // i32.add / sub / mul
      if (depth < 2) return std::nullopt;
      uint32_t b = stack[--depth];
      uint32_t a = stack[depth - 1];
      stack[depth - 1] = op == 0x6A ? a + b : op == 0x6B ? a - b : a * b;
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool write_all(int fd, const uint8_t* data, uint64_t len, uint64_t offset) {
  while (len > 0) {
    ssize_t n = pwrite(fd, data, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

void set_memory_image_min_bytes(uint64_t bytes) {
  min_bytes().store(bytes, std::memory_order_relaxed);
}
uint64_t memory_image_min_bytes() { return min_bytes().load(std::memory_order_relaxed); }

namespace {
std::atomic<bool> selective_reset{true};
}  // namespace

int pagemap_for_reset() {
  // Opened once; -1 when the kernel does not report what reset_image_part
  // relies on (checked on a private memfd mapping: a page only read is
  // "present, file", a page written is "present, not file").
  static const int fd = [] {
    const uint64_t page = host_page_size();
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) return -1;
    bool works = false;
    int file = memfd_create("weft-pagemap-probe", MFD_CLOEXEC);
    if (file >= 0 && ftruncate(file, static_cast<off_t>(2 * page)) == 0) {
      void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, file, 0);
      if (map != MAP_FAILED) {
        volatile uint8_t* bytes = static_cast<volatile uint8_t*>(map);
        (void)bytes[0];
        bytes[page] = 1;
        uint64_t entries[2] = {0, 0};
        off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(map) / page * 8);
        if (pread(pagemap, entries, sizeof entries, offset) == sizeof entries) {
          constexpr uint64_t kPresent = 1ull << 63, kFile = 1ull << 61;
          works = (entries[0] & (kPresent | kFile)) == (kPresent | kFile) &&
                  (entries[1] & (kPresent | kFile)) == kPresent;
        }
        munmap(map, 2 * page);
      }
    }
    if (file >= 0) close(file);
    if (!works) {
      close(pagemap);
      return -1;
    }
    return pagemap;
  }();
  return fd;
}
void set_memory_image_selective_reset(bool on) {
  selective_reset.store(on, std::memory_order_relaxed);
}
bool memory_image_selective_reset() { return selective_reset.load(std::memory_order_relaxed); }

MemoryImage::~MemoryImage() {
  if (contents != nullptr) munmap(const_cast<uint8_t*>(contents), bytes);
  if (fd >= 0) close(fd);
}

std::shared_ptr<const MemoryImage> build_memory_image(const ModuleImpl& mod) {
  const wasm::ModuleDecl& decl = mod.decl;
  if (decl.memories_imported != 0 || decl.memories.size() != 1) return nullptr;
  uint64_t page = host_page_size();
  if (page == 0 || page > kWasmPage || kWasmPage % page != 0) return nullptr;
  uint64_t initial_bytes = decl.memories[0].limits.min * kWasmPage;

  struct Placement {
    uint64_t start;
    const wasm::DataSegment* seg;
  };
  std::vector<Placement> placements;
  uint64_t copied_bytes = 0;
  uint64_t end = 0;  // past the last nonzero byte
  for (const wasm::DataSegment& seg : decl.datas) {
    if (seg.mode != wasm::SegmentMode::Active) continue;
    if (seg.memory != 0) return nullptr;
    std::optional<uint32_t> offset = constant_offset(decl.bytes, seg.offset);
    if (!offset) return nullptr;
    if (seg.init.begin > seg.init.end || seg.init.end > decl.bytes.size()) return nullptr;
    uint64_t len = seg.init.size();
    // Out of bounds: instantiation must trap after the earlier segments.
    if (*offset > initial_bytes || len > initial_bytes - *offset) return nullptr;
    placements.push_back({*offset, &seg});
    copied_bytes += len;
    const uint8_t* data = decl.bytes.data() + seg.init.begin;
    for (uint64_t i = len; i > 0; --i) {
      if (data[i - 1] != 0) {
        end = std::max(end, *offset + i);
        break;
      }
    }
  }
  if (placements.empty() || copied_bytes < memory_image_min_bytes()) return nullptr;
  if (end > kMaxImageBytes) return nullptr;

  auto image = std::make_shared<MemoryImage>();
  // Beyond the last nonzero byte the memory's own zero pages serve; an
  // all-zero image maps nothing at all.
  image->bytes = (end + page - 1) / page * page;
  if (image->bytes == 0) return image;
  image->fd = memfd_create("weft-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (image->fd < 0) return nullptr;
  if (ftruncate(image->fd, static_cast<off_t>(image->bytes)) != 0) return nullptr;
  // In order, so a later segment overwrites an earlier one as copying would;
  // clipped to the image (past it every segment byte is zero).
  for (const Placement& p : placements) {
    if (p.start >= image->bytes) continue;
    uint64_t len = std::min<uint64_t>(p.seg->init.size(), image->bytes - p.start);
    if (!write_all(image->fd, decl.bytes.data() + p.seg->init.begin, len, p.start)) return nullptr;
  }
  // Sealed so nothing can change what later instances start from.
  if (fcntl(image->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
      0) {
    return nullptr;
  }
  void* view = mmap(nullptr, image->bytes, PROT_READ, MAP_SHARED, image->fd, 0);
  if (view == MAP_FAILED) return nullptr;
  image->contents = static_cast<const uint8_t*>(view);
  return image;
}

Result<bool> map_memory_image(MemoryInst& mem, const std::shared_ptr<const MemoryImage>& image) {
  if (mem.image == image) return true;  // a pooled range that still maps it
  if (image->bytes > mem.size_bytes || mem.image != nullptr) return false;
  if (image->bytes == 0) return true;
  void* mapped =
      mmap(mem.base, image->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd, 0);
  if (mapped == mem.base) {
    mem.image = image;
    return true;
  }
  // A failed MAP_FIXED may have unmapped the range: put zero pages back.
  void* restored = mmap(mem.base, image->bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (restored != mem.base) return Error::limit("cannot map the memory image");
  return false;
}

void discard_memory_image(MemoryInst& mem) {
  // Writing zeros makes private copies; the pool's reset drops them again.
  if (mem.image != nullptr) std::memset(mem.base, 0, mem.image->bytes);
}

}  // namespace weft::detail
