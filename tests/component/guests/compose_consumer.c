// The consumer world of wit/compose by hand: imports example:text/shout,
// exports run(s) = upper(s) + " " + the second step of a counter made at 40
// (so "HELLO 42"), dropping the counter before it returns.
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

__attribute__((import_module(IFACE), import_name("upper"))) void shout_upper(const char* s,
                                                                             size_t len,
                                                                             uint32_t* ret);
__attribute__((import_module(IFACE), import_name("[constructor]counter"))) int32_t counter_make(
    uint32_t start);
__attribute__((import_module(IFACE), import_name("[method]counter.next"))) uint32_t counter_next(
    int32_t self);
__attribute__((import_module(IFACE), import_name("[resource-drop]counter"))) void counter_drop(
    int32_t self);

static uint32_t g_ret[2];

__attribute__((export_name("run"))) uint32_t* run(char* s, size_t len) {
  uint32_t up[2];
  shout_upper(s, len, up);
  int32_t c = counter_make(40);
  counter_next(c);
  uint32_t n = counter_next(c);
  counter_drop(c);
  fprintf(stderr, "consumer: counter at %u\n", (unsigned)n);
  char digits[16];
  int d = snprintf(digits, sizeof digits, " %u", (unsigned)n);
  char* out = malloc(up[1] + (size_t)d);
  if (!out) abort();
  memcpy(out, (const char*)(uintptr_t)up[0], up[1]);
  memcpy(out + up[1], digits, (size_t)d);
  free((void*)(uintptr_t)up[0]);
  if (len > 0) free(s);
  g_ret[0] = (uint32_t)(uintptr_t)out;
  g_ret[1] = up[1] + (uint32_t)d;
  return g_ret;
}

__attribute__((export_name("cabi_post_run"))) void run_post(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}
