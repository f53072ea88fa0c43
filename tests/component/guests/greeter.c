// The greeter world (tests/component/guests/wit/greeter) in C, with the
// canonical ABI written out by hand instead of generated: a reactor built
// with `make-component --reactor --wit ... --world greeter`. It needs
// nothing from WASI, so the component imports nothing, and it is small
// enough for an interpreter to run in a unit test (the JS greeter carries
// a whole SpiderMonkey).
//
// greet: func(name: string) -> string lowers to
//   greet(ptr: i32, len: i32) -> i32   (a pointer to [ptr, len] of the result)
// with cabi_realloc for the host to allocate the argument and
// cabi_post_greet for the host to release the result once it has lifted it.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The host calls this to place arguments in guest memory. malloc aligns to
// 16, which covers every alignment the canonical ABI asks for.
//
// Size 0 gets no block: the spec's lowering (definitions.py) asks for one
// even for an empty string, jco passes (1, 0) without asking. Answering
// `align` for size 0, as jco assumes, makes both the same to greet, which
// frees only what has a length.
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                size_t align, size_t new_size) {
  if (old_size == 0) ptr = NULL;  // a size-0 "block" is the sentinel
  if (new_size == 0) {
    free(ptr);
    return (void*)align;
  }
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

static uint32_t g_ret[2];  // the result's [ptr, len]; one call at a time

__attribute__((export_name("greet"))) uint32_t* greet(char* name, size_t len) {
  static const char kPrefix[] = "Hello, ";
  const size_t prefix_len = sizeof kPrefix - 1;
  const size_t n = prefix_len + len + 1;
  char* out = malloc(n);
  if (!out) abort();
  memcpy(out, kPrefix, prefix_len);
  memcpy(out + prefix_len, name, len);
  out[n - 1] = '!';
  if (len > 0) free(name);  // an export's argument belongs to the callee
  g_ret[0] = (uint32_t)(uintptr_t)out;
  g_ret[1] = (uint32_t)n;
  return g_ret;
}

__attribute__((export_name("cabi_post_greet"))) void cabi_post_greet(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}
