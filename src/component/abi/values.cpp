// Loading, storing, flat lifting and flat lowering of every value type
// (CanonicalABI.md, "Loading" through "Lifting and Lowering Values").
#include <algorithm>
#include <cstring>

#include "component/abi/abi.h"
#include "component/abi/shape.h"
#include "component/abi/util.h"
#include "component/value/scalars.h"

namespace weft::component::abi {

using detail::kListOob;
using detail::kReallocOob;
using detail::kReallocUnaligned;
using detail::kUnaligned;
using detail::mismatch;
using detail::oob;
using detail::trap;

namespace {

constexpr const char* kMemOob = "out of bounds memory access";

uint32_t canon32(uint32_t bits) {
  return (bits & 0x7f800000) == 0x7f800000 && (bits & 0x007fffff) ? kCanonicalNan32 : bits;
}
uint64_t canon64(uint64_t bits) {
  return (bits & 0x7ff0000000000000) == 0x7ff0000000000000 && (bits & 0x000fffffffffffff)
             ? kCanonicalNan64
             : bits;
}

bool is_signed(ValKind k) {
  return k == ValKind::S8 || k == ValKind::S16 || k == ValKind::S32 || k == ValKind::S64;
}

// An integer Val from the low `width` bits of raw: the spec's `i % 2^w`,
// then sign extension for the signed kinds (Val keeps them 64-bit).
Val make_int(ValKind k, uint64_t raw) {
  unsigned w = int_width(k);
  uint64_t v = w == 64 ? raw : raw & ((1ull << w) - 1);
  if (is_signed(k) && w < 64 && (v >> (w - 1)) & 1) v |= ~0ull << w;
  Val out;
  out.kind = k;
  out.bits = v;
  return out;
}

using detail::flags_size;
using detail::max_case_alignment;
uint32_t disc_size(size_t n) { return detail::discriminant_size(n); }
uint64_t align_to(uint64_t p, uint32_t a) { return (p + a - 1) / a * a; }

Result<uint64_t> load_int(LiftLowerContext& cx, uint64_t ptr, unsigned n) {
  std::span<uint8_t> m = cx.memory();
  if (ptr + n > m.size()) return oob(kMemOob);
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= static_cast<uint64_t>(m[ptr + i]) << (8 * i);
  return v;
}

Result<void> store_int(LiftLowerContext& cx, uint64_t v, uint64_t ptr, unsigned n) {
  std::span<uint8_t> m = cx.memory();
  if (ptr + n > m.size()) return oob(kMemOob);
  for (unsigned i = 0; i < n; ++i) m[ptr + i] = static_cast<uint8_t>(v >> (8 * i));
  return {};
}

Error unsupported(const ValType& t) {
  return Error::usage(std::string("canonical ABI: ") + to_string(t.kind) +
                      " values need the async ABI, which is not supported");
}

Result<Val> lift_own(LiftLowerContext& cx, uint32_t i, const ValType& t) {
  WEFT_ABI_ASSIGN(std::shared_ptr<ResourceHandle> h, cx.inst.handles.remove(i));
  if (h->rt != t.resource.get()) return detail::wrong_handle_type(i, t.resource.get(), h->rt);
  if (h->num_lends != 0) return trap("cannot remove owned resource while borrowed");
  if (!h->own) return trap("handle index " + std::to_string(i) + " is a borrow, not an own");
  Val v;
  v.kind = ValKind::Own;
  v.bits = h->rep;
  return v;
}

Result<Val> lift_borrow(LiftLowerContext& cx, uint32_t i, const ValType& t) {
  // Only arguments flowing out through `canon lower` can hold borrows;
  // validation keeps them out of results.
  if (!cx.subtask) return trap("borrow handle lifted outside a lowered call's arguments");
  WEFT_ABI_ASSIGN(std::shared_ptr<ResourceHandle> h, cx.inst.handles.get(i));
  if (h->rt != t.resource.get()) return detail::wrong_handle_type(i, t.resource.get(), h->rt);
  uint32_t rep = h->rep;
  cx.subtask->add_lender(std::move(h));
  Val v;
  v.kind = ValKind::Borrow;
  v.bits = rep;
  return v;
}

Result<uint32_t> lower_own(LiftLowerContext& cx, uint32_t rep, const ValType& t) {
  auto h = std::make_shared<ResourceHandle>();
  h->rt = t.resource.get();
  h->rep = rep;
  h->own = true;
  return cx.inst.handles.add(std::move(h));
}

Result<uint32_t> lower_borrow(LiftLowerContext& cx, uint32_t rep, const ValType& t) {
  if (!cx.task) return trap("borrow handle lowered outside a lifted call's arguments");
  if (cx.inst.implements(t.resource.get())) return rep;
  auto h = std::make_shared<ResourceHandle>();
  h->rt = t.resource.get();
  h->rep = rep;
  h->own = false;
  h->borrow_scope = cx.task;
  cx.task->num_borrows += 1;
  return cx.inst.handles.add(std::move(h));
}

Result<Val> convert_i32_to_char(uint64_t i) {
  if (i >= 0x110000 || (i >= 0xD800 && i <= 0xDFFF))
    return trap("invalid `char` bit pattern: " + std::to_string(i));
  return Val::character(static_cast<uint32_t>(i));
}

Val make_case(const ValType& t, size_t index, std::optional<Val> payload) {
  switch (t.kind) {
    case ValKind::Enum:
      return Val::enumeration(t.labels[index], static_cast<uint32_t>(index));
    case ValKind::Option:
      return index == 0 ? Val::none() : Val::some(std::move(*payload));
    case ValKind::Result:
      return index == 0 ? Val::ok(std::move(payload)) : Val::err(std::move(payload));
    default:
      return Val::variant(t.cases[index].label, std::move(payload), static_cast<uint32_t>(index));
  }
}

Val make_flags(const ValType& t, uint64_t i) {
  std::vector<std::string> set;
  for (const std::string& l : t.labels) {
    if (i & 1) set.push_back(l);
    i >>= 1;
  }
  return Val::flags(std::move(set));
}

// The spec's match_case: which case a host value is, and its payload.
struct CaseMatch {
  size_t index;
  const Val* payload;  // nullptr when the case has no payload type
};

Result<CaseMatch> match_case(const Val& v, const ValType& t) {
  if (v.kind != t.kind) return mismatch(t, v);
  size_t n = detail::num_cases(t);
  size_t index = v.discriminant;
  if ((t.kind == ValKind::Variant || t.kind == ValKind::Enum) && !v.labels.empty()) {
    size_t found = n;
    for (size_t i = 0; i < n; ++i)
      if (detail::case_label(t, i) == v.labels[0]) found = i;
    if (found == n || (v.discriminant != UINT32_MAX && v.discriminant != found))
      return mismatch(t, v);
    index = found;
  }
  if (index >= n) return mismatch(t, v);
  const ValType* ct = detail::case_type(t, index);
  if (!ct) return CaseMatch{index, nullptr};
  if (v.items.size() != 1) return mismatch(t, v);
  return CaseMatch{index, &v.items[0]};
}

Result<uint64_t> pack_flags(const Val& v, const ValType& t) {
  if (v.kind != ValKind::Flags) return mismatch(t, v);
  uint64_t i = 0;
  for (const std::string& l : v.labels) {
    size_t k = 0;
    while (k < t.labels.size() && t.labels[k] != l) ++k;
    if (k == t.labels.size()) return mismatch(t, v);
    i |= 1ull << k;
  }
  return i;
}

// A record value's fields are matched by position; labels, when the value
// has them, must name the type's fields in order.
bool fields_match(const Val& v, const ValType& t) {
  if (v.kind != t.kind || v.items.size() != t.fields.size()) return false;
  if (t.kind != ValKind::Record || v.labels.empty()) return true;
  if (v.labels.size() != t.fields.size()) return false;
  for (size_t i = 0; i < t.fields.size(); ++i)
    if (v.labels[i] != t.fields[i].label) return false;
  return true;
}

const std::vector<Val>* list_items(const Val& v) {
  return v.kind == ValKind::List || v.kind == ValKind::FixedList ? &v.items : nullptr;
}

// ---- loading -------------------------------------------------------------

Result<Val> load_impl(LiftLowerContext& cx, uint64_t ptr, const ValType& t);

Result<Val> load_list_from_valid_range(LiftLowerContext& cx, uint64_t ptr, uint64_t length,
                                       const ValType& elem, ValKind kind) {
  uint64_t size = elem_size(elem);
  WEFT_ABI_TRY(cx.charge(length * sizeof(Val)));
  Val v;
  v.kind = kind;
  v.items.reserve(length);
  for (uint64_t i = 0; i < length; ++i) {
    WEFT_ABI_ASSIGN(Val e, load_impl(cx, ptr + i * size, elem));
    v.items.push_back(std::move(e));
  }
  return v;
}

Result<Val> load_list_from_range(LiftLowerContext& cx, uint32_t ptr, uint32_t length,
                                 const ValType& elem) {
  uint64_t size = elem_size(elem);
  if (size == 0) return Error::usage("canonical ABI: zero-sized list element type");
  uint64_t byte_length = length * size;  // < 2^32 * 2^40: no wrap
  if (byte_length > kMaxListByteLength)
    return trap(std::string(detail::kListOobPrefix) + ": length exceeds MAX_LIST_BYTE_LENGTH");
  if (ptr % alignment(elem) != 0) return oob(kUnaligned);
  if (ptr + byte_length > cx.memory().size()) return oob(kListOob);
  if (elem.kind == ValKind::U8 || elem.kind == ValKind::S8) {
    // Bytes (the common list<u8>) straight from the checked range: the
    // general path costs a load_impl call and a move per byte.
    // Packed (Val::bytes): a byte of host memory per element.
    WEFT_ABI_TRY(cx.charge(uint64_t{length} + sizeof(Val)));
    const char* bytes = reinterpret_cast<const char*>(cx.memory().data() + ptr);
    return Val::bytes(std::string(bytes, length), elem.kind);
  }
  return load_list_from_valid_range(cx, ptr, length, elem, ValKind::List);
}

Result<Val> load_impl(LiftLowerContext& cx, uint64_t ptr, const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 1));
      return Val::boolean(i != 0);
    }
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::S64:
    case ValKind::U64: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, int_width(t.kind) / 8));
      return make_int(t.kind, i);
    }
    case ValKind::F32: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 4));
      return Val::f32_bits(canon32(static_cast<uint32_t>(i)));
    }
    case ValKind::F64: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 8));
      return Val::f64_bits(canon64(i));
    }
    case ValKind::Char: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 4));
      return convert_i32_to_char(i);
    }
    case ValKind::String: {
      WEFT_ABI_ASSIGN(uint64_t begin, load_int(cx, ptr, 4));
      WEFT_ABI_ASSIGN(uint64_t units, load_int(cx, ptr + 4, 4));
      return load_string_from_range(cx, static_cast<uint32_t>(begin), static_cast<uint32_t>(units));
    }
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List: {
      WEFT_ABI_ASSIGN(uint64_t begin, load_int(cx, ptr, 4));
      WEFT_ABI_ASSIGN(uint64_t length, load_int(cx, ptr + 4, 4));
      return load_list_from_range(cx, static_cast<uint32_t>(begin), static_cast<uint32_t>(length),
                                  *t.element);
    }
    case ValKind::FixedList:
      return load_list_from_valid_range(cx, ptr, t.length, *t.element, ValKind::FixedList);
    case ValKind::Record:
    case ValKind::Tuple: {
      Val v;
      v.kind = t.kind;
      v.items.reserve(t.fields.size());
      for (const Field& f : t.fields) {
        ptr = align_to(ptr, alignment(*f.type));
        WEFT_ABI_ASSIGN(Val e, load_impl(cx, ptr, *f.type));
        v.items.push_back(std::move(e));
        if (t.kind == ValKind::Record) v.labels.push_back(f.label);
        ptr += elem_size(*f.type);
      }
      return v;
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      size_t n = detail::num_cases(t);
      uint32_t ds = disc_size(n);
      WEFT_ABI_ASSIGN(uint64_t index, load_int(cx, ptr, ds));
      ptr += ds;
      if (index >= n) return trap("invalid variant discriminant: " + std::to_string(index));
      ptr = align_to(ptr, max_case_alignment(t));
      const ValType* ct = detail::case_type(t, index);
      if (!ct) return make_case(t, index, std::nullopt);
      WEFT_ABI_ASSIGN(Val payload, load_impl(cx, ptr, *ct));
      return make_case(t, index, std::move(payload));
    }
    case ValKind::Flags: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, flags_size(t.labels.size())));
      return make_flags(t, i);
    }
    case ValKind::Own: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 4));
      return lift_own(cx, static_cast<uint32_t>(i), t);
    }
    case ValKind::Borrow: {
      WEFT_ABI_ASSIGN(uint64_t i, load_int(cx, ptr, 4));
      return lift_borrow(cx, static_cast<uint32_t>(i), t);
    }
    default:
      return unsupported(t);
  }
}

// ---- storing -------------------------------------------------------------

Result<void> store_impl(LiftLowerContext& cx, const Val& v, const ValType& t, uint64_t ptr);

Result<void> store_list_into_valid_range(LiftLowerContext& cx, const std::vector<Val>& items,
                                         uint64_t ptr, const ValType& elem) {
  uint64_t size = elem_size(elem);
  for (size_t i = 0; i < items.size(); ++i)
    WEFT_ABI_TRY(store_impl(cx, items[i], elem, ptr + i * size));
  return {};
}

struct Range {
  uint32_t ptr;
  uint32_t length;
};

Result<Range> store_list_into_range(LiftLowerContext& cx, const std::vector<Val>& items,
                                    const ValType& elem);

// A packed byte list (Val::bytes) stored with one copy. Its element kind
// must be the type's, as for the items form.
Result<Range> store_bytes_into_range(LiftLowerContext& cx, const Val& v, const ValType& t) {
  const ValType& elem = *t.element;
  if (static_cast<ValKind>(v.discriminant) != elem.kind) return mismatch(t, v);
  if (v.str.size() > UINT32_MAX) return trap("list too long to lower");
  const auto length = static_cast<uint32_t>(v.str.size());
  WEFT_ABI_ASSIGN(uint32_t ptr, cx.allocate(1, length));
  if (uint64_t{ptr} + length > cx.memory().size())
    return oob(std::string(detail::kListOobPrefix) + ": " + kReallocOob);
  if (length > 0) std::memcpy(cx.memory().data() + ptr, v.str.data(), length);
  return Range{ptr, length};
}

// A list value (either form) stored as the list type `t` (or a map).
Result<Range> store_list_value(LiftLowerContext& cx, const Val& v, const ValType& t) {
  if (v.byte_list && v.kind == ValKind::List && t.kind == ValKind::List)
    return store_bytes_into_range(cx, v, t);
  const std::vector<Val>* items = list_items(v);
  if (!items || v.byte_list) return mismatch(t, v);
  return store_list_into_range(cx, *items, *t.element);
}

// A fixed-size list's items, unpacking a packed byte list into `scratch`.
const std::vector<Val>* fixed_list_items(const Val& v, Val& scratch) {
  if (!v.byte_list) return list_items(v);
  scratch = v;
  scratch.unpack_bytes();
  scratch.kind = v.kind;
  return list_items(scratch);
}

Result<Range> store_list_into_range(LiftLowerContext& cx, const std::vector<Val>& items,
                                    const ValType& elem) {
  uint64_t size = elem_size(elem);
  if (size != 0 && items.size() > UINT32_MAX / size) return trap("list too long to lower");
  uint64_t byte_length = items.size() * size;
  uint32_t align = alignment(elem);
  WEFT_ABI_ASSIGN(uint32_t ptr, cx.allocate(align, static_cast<uint32_t>(byte_length)));
  if (ptr % align != 0) return oob(kReallocUnaligned);
  if (ptr + byte_length > cx.memory().size())
    return oob(std::string(detail::kListOobPrefix) + ": " + kReallocOob);
  WEFT_ABI_TRY(store_list_into_valid_range(cx, items, ptr, elem));
  return Range{ptr, static_cast<uint32_t>(items.size())};
}

Result<uint64_t> int_bits(const Val& v, const ValType& t) {
  if (v.kind != t.kind) return mismatch(t, v);
  return v.bits;
}

Result<uint32_t> char_bits(const Val& v, const ValType& t) {
  if (v.kind != ValKind::Char || v.bits >= 0x110000 || (v.bits >= 0xD800 && v.bits <= 0xDFFF))
    return mismatch(t, v);
  return static_cast<uint32_t>(v.bits);
}

Result<void> store_impl(LiftLowerContext& cx, const Val& v, const ValType& t, uint64_t ptr) {
  switch (t.kind) {
    case ValKind::Bool:
      if (v.kind != ValKind::Bool) return mismatch(t, v);
      return store_int(cx, v.bits != 0, ptr, 1);
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::S64:
    case ValKind::U64: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      return store_int(cx, bits, ptr, int_width(t.kind) / 8);
    }
    case ValKind::F32: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      return store_int(cx, canon32(static_cast<uint32_t>(bits)), ptr, 4);
    }
    case ValKind::F64: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      return store_int(cx, canon64(bits), ptr, 8);
    }
    case ValKind::Char: {
      WEFT_ABI_ASSIGN(uint32_t c, char_bits(v, t));
      return store_int(cx, c, ptr, 4);
    }
    case ValKind::String: {
      WEFT_ABI_ASSIGN(StoredString s, store_string_into_range(cx, v));
      WEFT_ABI_TRY(store_int(cx, s.ptr, ptr, 4));
      return store_int(cx, s.tagged_code_units, ptr + 4, 4);
    }
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List: {
      WEFT_ABI_ASSIGN(Range r, store_list_value(cx, v, t));
      WEFT_ABI_TRY(store_int(cx, r.ptr, ptr, 4));
      return store_int(cx, r.length, ptr + 4, 4);
    }
    case ValKind::FixedList: {
      Val scratch;
      const std::vector<Val>* items = fixed_list_items(v, scratch);
      if (!items || items->size() != t.length) return mismatch(t, v);
      return store_list_into_valid_range(cx, *items, ptr, *t.element);
    }
    case ValKind::Record:
    case ValKind::Tuple: {
      if (!fields_match(v, t)) return mismatch(t, v);
      for (size_t i = 0; i < t.fields.size(); ++i) {
        const ValType& ft = *t.fields[i].type;
        ptr = align_to(ptr, alignment(ft));
        WEFT_ABI_TRY(store_impl(cx, v.items[i], ft, ptr));
        ptr += elem_size(ft);
      }
      return {};
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      WEFT_ABI_ASSIGN(CaseMatch m, match_case(v, t));
      uint32_t ds = disc_size(detail::num_cases(t));
      WEFT_ABI_TRY(store_int(cx, m.index, ptr, ds));
      ptr = align_to(ptr + ds, max_case_alignment(t));
      if (m.payload) return store_impl(cx, *m.payload, *detail::case_type(t, m.index), ptr);
      return {};
    }
    case ValKind::Flags: {
      WEFT_ABI_ASSIGN(uint64_t i, pack_flags(v, t));
      return store_int(cx, i, ptr, flags_size(t.labels.size()));
    }
    case ValKind::Own: {
      if (v.kind != ValKind::Own) return mismatch(t, v);
      WEFT_ABI_ASSIGN(uint32_t i, lower_own(cx, static_cast<uint32_t>(v.bits), t));
      return store_int(cx, i, ptr, 4);
    }
    case ValKind::Borrow: {
      if (v.kind != ValKind::Borrow) return mismatch(t, v);
      WEFT_ABI_ASSIGN(uint32_t i, lower_borrow(cx, static_cast<uint32_t>(v.bits), t));
      return store_int(cx, i, ptr, 4);
    }
    default:
      return unsupported(t);
  }
}

// ---- flat lifting ----------------------------------------------------------

Result<Val> lift_flat_impl(LiftLowerContext& cx, FlatReader& vi, const ValType& t);

// Reads a variant payload's flat values out of the variant's joined slots,
// converting each back to the type the payload wants.
class CoerceValueIter final : public FlatReader {
 public:
  CoerceValueIter(FlatReader& vi, const std::vector<CoreType>& slots, size_t& pos)
      : vi_(vi), slots_(slots), pos_(pos) {}
  Result<CoreValue> next(CoreType want) override {
    if (pos_ >= slots_.size()) return trap("variant payload exceeds its flat slots");
    CoreType have = slots_[pos_++];
    WEFT_ABI_ASSIGN(CoreValue x, vi_.next(have));
    if (have == want) return x;
    uint64_t low = x.bits & 0xffffffff;
    if (have == CoreType::I32 && want == CoreType::F32) return CoreValue{want, canon32(low)};
    if (have == CoreType::I64 && want == CoreType::I32) return CoreValue{want, low};
    if (have == CoreType::I64 && want == CoreType::F32) return CoreValue{want, canon32(low)};
    if (have == CoreType::I64 && want == CoreType::F64) return CoreValue{want, canon64(x.bits)};
    return trap("variant payload flat type mismatch");
  }

 private:
  FlatReader& vi_;
  const std::vector<CoreType>& slots_;
  size_t& pos_;
};

Result<Val> lift_flat_impl(LiftLowerContext& cx, FlatReader& vi, const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return Val::boolean((x.bits & 0xffffffff) != 0);
    }
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return make_int(t.kind, x.bits);
    }
    case ValKind::S64:
    case ValKind::U64: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I64));
      return make_int(t.kind, x.bits);
    }
    case ValKind::F32: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::F32));
      return Val::f32_bits(canon32(static_cast<uint32_t>(x.bits)));
    }
    case ValKind::F64: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::F64));
      return Val::f64_bits(canon64(x.bits));
    }
    case ValKind::Char: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return convert_i32_to_char(x.bits & 0xffffffff);
    }
    case ValKind::String: {
      WEFT_ABI_ASSIGN(CoreValue p, vi.next(CoreType::I32));
      WEFT_ABI_ASSIGN(CoreValue n, vi.next(CoreType::I32));
      return load_string_from_range(cx, static_cast<uint32_t>(p.bits),
                                    static_cast<uint32_t>(n.bits));
    }
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List: {
      WEFT_ABI_ASSIGN(CoreValue p, vi.next(CoreType::I32));
      WEFT_ABI_ASSIGN(CoreValue n, vi.next(CoreType::I32));
      return load_list_from_range(cx, static_cast<uint32_t>(p.bits), static_cast<uint32_t>(n.bits),
                                  *t.element);
    }
    case ValKind::FixedList: {
      WEFT_ABI_TRY(cx.charge(uint64_t{t.length} * sizeof(Val)));
      Val v;
      v.kind = ValKind::FixedList;
      v.items.reserve(t.length);
      for (uint32_t i = 0; i < t.length; ++i) {
        WEFT_ABI_ASSIGN(Val e, lift_flat_impl(cx, vi, *t.element));
        v.items.push_back(std::move(e));
      }
      return v;
    }
    case ValKind::Record:
    case ValKind::Tuple: {
      Val v;
      v.kind = t.kind;
      v.items.reserve(t.fields.size());
      for (const Field& f : t.fields) {
        WEFT_ABI_ASSIGN(Val e, lift_flat_impl(cx, vi, *f.type));
        v.items.push_back(std::move(e));
        if (t.kind == ValKind::Record) v.labels.push_back(f.label);
      }
      return v;
    }
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      const std::vector<CoreType>* flat = flat_types(t);
      if (!flat) return Error::usage("canonical ABI: variant too large to lift flat");
      WEFT_ABI_ASSIGN(CoreValue d, vi.next(CoreType::I32));
      uint64_t index = d.bits & 0xffffffff;
      if (index >= detail::num_cases(t))
        return trap("invalid variant discriminant: " + std::to_string(index));
      size_t pos = 1;  // slot 0 is the discriminant
      std::optional<Val> payload;
      if (const ValType* ct = detail::case_type(t, index)) {
        CoerceValueIter ci(vi, *flat, pos);
        WEFT_ABI_ASSIGN(payload, lift_flat_impl(cx, ci, *ct));
      }
      for (; pos < flat->size(); ++pos) WEFT_ABI_TRY(vi.next((*flat)[pos]));
      return make_case(t, index, std::move(payload));
    }
    case ValKind::Flags: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return make_flags(t, x.bits & 0xffffffff);
    }
    case ValKind::Own: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return lift_own(cx, static_cast<uint32_t>(x.bits), t);
    }
    case ValKind::Borrow: {
      WEFT_ABI_ASSIGN(CoreValue x, vi.next(CoreType::I32));
      return lift_borrow(cx, static_cast<uint32_t>(x.bits), t);
    }
    default:
      return unsupported(t);
  }
}

// ---- flat lowering ---------------------------------------------------------

CoreValue i32(uint64_t v) { return CoreValue{CoreType::I32, v & 0xffffffff}; }

Result<void> lower_flat_impl(LiftLowerContext& cx, const Val& v, const ValType& t,
                             std::vector<CoreValue>& out) {
  switch (t.kind) {
    case ValKind::Bool:
      if (v.kind != ValKind::Bool) return mismatch(t, v);
      out.push_back(i32(v.bits != 0));
      return {};
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      // The spec's lower_flat_signed: two's complement in 32 bits.
      out.push_back(i32(make_int(t.kind, bits).bits));
      return {};
    }
    case ValKind::S64:
    case ValKind::U64: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      out.push_back(CoreValue{CoreType::I64, bits});
      return {};
    }
    case ValKind::F32: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      out.push_back(CoreValue{CoreType::F32, canon32(static_cast<uint32_t>(bits))});
      return {};
    }
    case ValKind::F64: {
      WEFT_ABI_ASSIGN(uint64_t bits, int_bits(v, t));
      out.push_back(CoreValue{CoreType::F64, canon64(bits)});
      return {};
    }
    case ValKind::Char: {
      WEFT_ABI_ASSIGN(uint32_t c, char_bits(v, t));
      out.push_back(i32(c));
      return {};
    }
    case ValKind::String: {
      WEFT_ABI_ASSIGN(StoredString s, store_string_into_range(cx, v));
      out.push_back(i32(s.ptr));
      out.push_back(i32(s.tagged_code_units));
      return {};
    }
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List: {
      WEFT_ABI_ASSIGN(Range r, store_list_value(cx, v, t));
      out.push_back(i32(r.ptr));
      out.push_back(i32(r.length));
      return {};
    }
    case ValKind::FixedList: {
      Val scratch;
      const std::vector<Val>* items = fixed_list_items(v, scratch);
      if (!items || items->size() != t.length) return mismatch(t, v);
      for (const Val& e : *items) WEFT_ABI_TRY(lower_flat_impl(cx, e, *t.element, out));
      return {};
    }
    case ValKind::Record:
    case ValKind::Tuple:
      if (!fields_match(v, t)) return mismatch(t, v);
      for (size_t i = 0; i < t.fields.size(); ++i)
        WEFT_ABI_TRY(lower_flat_impl(cx, v.items[i], *t.fields[i].type, out));
      return {};
    case ValKind::Variant:
    case ValKind::Enum:
    case ValKind::Option:
    case ValKind::Result: {
      WEFT_ABI_ASSIGN(CaseMatch m, match_case(v, t));
      const std::vector<CoreType>* flat = flat_types(t);
      if (!flat) return Error::usage("canonical ABI: variant too large to lower flat");
      out.push_back(i32(m.index));
      size_t base = out.size();
      if (m.payload) {
        const ValType& ct = *detail::case_type(t, m.index);
        WEFT_ABI_TRY(lower_flat_impl(cx, *m.payload, ct, out));
        // Widen each payload value to the variant's joined slot type.
        for (size_t i = base; i < out.size(); ++i) {
          CoreType want = (*flat)[1 + i - base];
          CoreValue& fv = out[i];
          if (fv.type == want) continue;
          if (fv.type == CoreType::F32 && want == CoreType::I32) {
            fv = CoreValue{want, canon32(static_cast<uint32_t>(fv.bits))};
          } else if (want == CoreType::I64 && fv.type == CoreType::I32) {
            fv = CoreValue{want, fv.bits & 0xffffffff};
          } else if (want == CoreType::I64 && fv.type == CoreType::F32) {
            fv = CoreValue{want, canon32(static_cast<uint32_t>(fv.bits))};
          } else if (want == CoreType::I64 && fv.type == CoreType::F64) {
            fv = CoreValue{want, canon64(fv.bits)};
          } else {
            return trap("variant payload flat type mismatch");
          }
        }
      }
      for (size_t i = 1 + out.size() - base, n = flat->size(); i < n; ++i)
        out.push_back(CoreValue{(*flat)[i], 0});
      return {};
    }
    case ValKind::Flags: {
      WEFT_ABI_ASSIGN(uint64_t i, pack_flags(v, t));
      out.push_back(i32(i));
      return {};
    }
    case ValKind::Own: {
      if (v.kind != ValKind::Own) return mismatch(t, v);
      WEFT_ABI_ASSIGN(uint32_t i, lower_own(cx, static_cast<uint32_t>(v.bits), t));
      out.push_back(i32(i));
      return {};
    }
    case ValKind::Borrow: {
      if (v.kind != ValKind::Borrow) return mismatch(t, v);
      WEFT_ABI_ASSIGN(uint32_t i, lower_borrow(cx, static_cast<uint32_t>(v.bits), t));
      out.push_back(i32(i));
      return {};
    }
    default:
      return unsupported(t);
  }
}

// The tuple the spec spills many values into.
// The alignment and size of tuple<ts...>, without making the tuple type
// (which would be allocated, and its layout computed, on every call).
struct TupleLayout {
  uint32_t alignment = 1;
  uint64_t size = 0;
};
TupleLayout tuple_layout(std::span<const ValTypePtr> ts) {
  TupleLayout out;
  for (const ValTypePtr& t : ts) {
    out.alignment = std::max(out.alignment, alignment(*t));
    out.size =
        std::min<uint64_t>(UINT64_MAX / 2, align_to(out.size, alignment(*t)) + elem_size(*t));
  }
  out.size = align_to(out.size, out.alignment);
  return out;
}

size_t flat_count(std::span<const ValTypePtr> ts, size_t limit) {
  size_t n = 0;
  for (const ValTypePtr& t : ts) {
    n += abi::flat_count(*t, limit);
    if (n > limit) return n;
  }
  return n;
}

}  // namespace

Result<CoreValue> CoreValueIter::next(CoreType t) {
  if (i_ >= values_.size()) return Error::usage("canonical ABI: too few core values");
  const CoreValue& v = values_[i_++];
  if (v.type != t)
    return Error::usage(std::string("canonical ABI: expected an ") + weft::to_string(t) +
                        " core value, got " + weft::to_string(v.type));
  return v;
}

Result<Val> load(LiftLowerContext& cx, uint32_t ptr, const ValType& t) {
  if (ptr % alignment(t) != 0) return oob(kUnaligned);
  if (ptr + elem_size(t) > cx.memory().size()) return oob(kMemOob);
  return load_impl(cx, ptr, t);
}

Result<void> store(LiftLowerContext& cx, const Val& v, const ValType& t, uint32_t ptr) {
  if (ptr % alignment(t) != 0) return oob(kUnaligned);
  if (ptr + elem_size(t) > cx.memory().size()) return oob(kMemOob);
  return store_impl(cx, v, t, ptr);
}

Result<Val> lift_flat(LiftLowerContext& cx, FlatReader& vi, const ValType& t) {
  return lift_flat_impl(cx, vi, t);
}

Result<void> lower_flat(LiftLowerContext& cx, const Val& v, const ValType& t,
                        std::vector<CoreValue>& out) {
  return lower_flat_impl(cx, v, t, out);
}

Result<std::vector<Val>> lift_flat_values(LiftLowerContext& cx, size_t max_flat, CoreValueIter& vi,
                                          std::span<const ValTypePtr> ts) {
  std::vector<Val> out;
  out.reserve(ts.size());
  if (flat_count(ts, max_flat) > max_flat) {
    WEFT_ABI_ASSIGN(CoreValue p, vi.next(CoreType::I32));
    uint64_t ptr = p.bits & 0xffffffff;
    const TupleLayout tup = tuple_layout(ts);
    if (ptr % tup.alignment != 0) return oob(kUnaligned);
    if (ptr + tup.size > cx.memory().size()) return oob(kMemOob);
    for (const ValTypePtr& t : ts) {
      ptr = align_to(ptr, alignment(*t));
      WEFT_ABI_ASSIGN(Val v, load_impl(cx, ptr, *t));
      out.push_back(std::move(v));
      ptr += elem_size(*t);
    }
    return out;
  }
  for (const ValTypePtr& t : ts) {
    WEFT_ABI_ASSIGN(Val v, lift_flat_impl(cx, vi, *t));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<CoreValue>> lower_flat_values(LiftLowerContext& cx, size_t max_flat,
                                                 std::span<const Val> vs,
                                                 std::span<const ValTypePtr> ts,
                                                 CoreValueIter* out_param) {
  if (vs.size() != ts.size())
    return Error::usage("canonical ABI: expected " + std::to_string(ts.size()) + " values, got " +
                        std::to_string(vs.size()));
  std::vector<CoreValue> flat;
  if (flat_count(ts, max_flat) > max_flat) {
    const TupleLayout tup = tuple_layout(ts);
    uint32_t align = tup.alignment;
    uint64_t size = tup.size;
    if (size > UINT32_MAX) return trap("values too large to spill to memory");
    uint64_t ptr;
    if (!out_param) {
      WEFT_ABI_ASSIGN(ptr, cx.allocate(align, static_cast<uint32_t>(size)));
      flat.push_back(i32(ptr));
      if (ptr % align != 0) return oob(kReallocUnaligned);
      if (ptr + size > cx.memory().size()) return oob(kReallocOob);
    } else {
      WEFT_ABI_ASSIGN(CoreValue p, out_param->next(CoreType::I32));
      ptr = p.bits & 0xffffffff;
      if (ptr % align != 0) return oob(kUnaligned);
      if (ptr + size > cx.memory().size()) return oob(kMemOob);
    }
    for (size_t i = 0; i < ts.size(); ++i) {
      ptr = align_to(ptr, alignment(*ts[i]));
      WEFT_ABI_TRY(store_impl(cx, vs[i], *ts[i], ptr));
      ptr += elem_size(*ts[i]);
    }
    return flat;
  }
  for (size_t i = 0; i < ts.size(); ++i) WEFT_ABI_TRY(lower_flat_impl(cx, vs[i], *ts[i], flat));
  return flat;
}

}  // namespace weft::component::abi
