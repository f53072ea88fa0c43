// Tiny assertion helpers for the WASI test guests: every failed check prints
// a "FAIL" line on stdout; the gtest side requires none and "all ok".
#pragma once
#include <stdio.h>

static int g_failures;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
      g_failures++;                                                      \
    }                                                                    \
  } while (0)

#define CHECK_EQ(a, b)                                                              \
  do {                                                                              \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                 \
    if (check_a_ != check_b_) {                                                     \
      printf("FAIL %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b,   \
             check_a_, check_b_);                                                   \
      g_failures++;                                                                 \
    }                                                                               \
  } while (0)

#define FINISH()                                   \
  do {                                             \
    if (g_failures) {                              \
      printf("failures: %d\n", g_failures);        \
      return 1;                                    \
    }                                              \
    printf("all ok\n");                            \
    return 0;                                      \
  } while (0)
