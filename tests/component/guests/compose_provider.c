// The provider world of wit/compose by hand: example:text/shout exported.
//   upper(ptr, len) -> i32                      a pointer to [ptr, len]
//   [constructor]counter(start) -> i32          a handle from [resource-new]counter
//   [method]counter.next(rep) -> i32            the rep is the counter's address
//   [dtor]counter(rep)                          frees it and says so on stderr
// It writes to stderr, so the component imports WASI (through the preview1
// adapter), as the consumer does: composition merges those imports.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFACE "example:text/shout@0.1.0"

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                size_t align, size_t new_size) {
  if (old_size == 0) ptr = NULL;
  if (new_size == 0) {
    free(ptr);
    return (void*)align;
  }
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

__attribute__((import_module("[export]" IFACE), import_name("[resource-new]counter"))) int32_t
counter_new(int32_t rep);

static uint32_t g_ret[2];

__attribute__((export_name(IFACE "#upper"))) uint32_t* upper(char* s, size_t len) {
  char* out = malloc(len ? len : 1);
  if (!out) abort();
  for (size_t i = 0; i < len; ++i) out[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
  if (len > 0) free(s);
  g_ret[0] = (uint32_t)(uintptr_t)out;
  g_ret[1] = (uint32_t)len;
  return g_ret;
}

__attribute__((export_name("cabi_post_" IFACE "#upper"))) void upper_post(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}

__attribute__((export_name(IFACE "#[constructor]counter"))) int32_t counter_make(uint32_t start) {
  uint32_t* c = malloc(sizeof *c);
  if (!c) abort();
  *c = start;
  return counter_new((int32_t)(uintptr_t)c);
}

__attribute__((export_name(IFACE "#[method]counter.next"))) uint32_t counter_next(uint32_t* c) {
  return ++*c;
}

__attribute__((export_name(IFACE "#[dtor]counter"))) void counter_dtor(uint32_t* c) {
  fprintf(stderr, "provider: counter dropped at %u\n", (unsigned)*c);
  free(c);
}
