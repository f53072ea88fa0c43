// A JSON tokenizer over a generated document: byte-at-a-time branching,
// switch dispatch and string scanning, the shape of a request parser.
// Usage: json [kibibytes]   (default 6144): generates a document of about
// that size, then tokenizes it twenty times.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char* data;
  size_t size;
  size_t capacity;
  uint32_t seed;
} Writer;

static uint32_t next_random(Writer* w) {
  w->seed = w->seed * 1664525u + 1013904223u;
  return w->seed >> 8;
}

static void put(Writer* w, const char* text, size_t len) {
  if (w->size + len > w->capacity) return;  // the caller stops at capacity
  memcpy(w->data + w->size, text, len);
  w->size += len;
}
static void put_str(Writer* w, const char* text) { put(w, text, strlen(text)); }

static const char* const kWords[] = {"id",     "name",  "user",   "items", "price",
                                     "status", "tags",  "weight", "ok",    "created_at",
                                     "region", "owner", "count",  "data",  "message"};
enum { kWordCount = sizeof kWords / sizeof kWords[0] };

static void put_string(Writer* w) {
  put_str(w, "\"");
  put_str(w, kWords[next_random(w) % kWordCount]);
  switch (next_random(w) % 6) {
    case 0:
      put_str(w, "\\n");
      break;
    case 1:
      put_str(w, "\\\"quoted\\\"");
      break;
    case 2:
      put_str(w, " \\u00e9t\\u00e9");
      break;
    default:
      break;
  }
  put_str(w, "\"");
}

static void put_value(Writer* w, int depth) {
  char number[32];
  uint32_t pick = next_random(w) % (depth > 5 ? 5 : 7);
  switch (pick) {
    case 0:
      put_string(w);
      break;
    case 1:
      snprintf(number, sizeof number, "%d", (int)(next_random(w) % 200000) - 100000);
      put_str(w, number);
      break;
    case 2:
      snprintf(number, sizeof number, "%u.%02ue%d", next_random(w) % 1000, next_random(w) % 100,
               (int)(next_random(w) % 7) - 3);
      put_str(w, number);
      break;
    case 3:
      put_str(w, (next_random(w) & 1) ? "true" : "false");
      break;
    case 4:
      put_str(w, "null");
      break;
    case 5: {
      put_str(w, "[");
      uint32_t n = next_random(w) % 6;
      for (uint32_t i = 0; i < n; i++) {
        if (i) put_str(w, ", ");
        put_value(w, depth + 1);
      }
      put_str(w, "]");
      break;
    }
    default: {
      put_str(w, "{\n");
      uint32_t n = 1 + next_random(w) % 6;
      for (uint32_t i = 0; i < n; i++) {
        if (i) put_str(w, ",\n");
        put_str(w, "  ");
        put_string(w);
        put_str(w, ": ");
        put_value(w, depth + 1);
      }
      put_str(w, "\n}");
      break;
    }
  }
}

enum TokenKind {
  kObjectOpen,
  kObjectClose,
  kArrayOpen,
  kArrayClose,
  kColon,
  kComma,
  kString,
  kNumber,
  kTrue,
  kFalse,
  kNull,
  kError,
  kKindCount
};

typedef struct {
  uint64_t counts[kKindCount];
  uint64_t hash;  // FNV-1a over kinds, string lengths and number digits
  int64_t integer_sum;
} Stats;

static void mix(Stats* s, uint64_t v) {
  s->hash ^= v;
  s->hash *= 1099511628211ull;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void tokenize(const char* p, const char* end, Stats* s) {
  while (p < end) {
    char c = *p;
    enum TokenKind kind;
    switch (c) {
      case ' ':
      case '\n':
      case '\r':
      case '\t':
        p++;
        continue;
      case '{':
        kind = kObjectOpen;
        p++;
        break;
      case '}':
        kind = kObjectClose;
        p++;
        break;
      case '[':
        kind = kArrayOpen;
        p++;
        break;
      case ']':
        kind = kArrayClose;
        p++;
        break;
      case ':':
        kind = kColon;
        p++;
        break;
      case ',':
        kind = kComma;
        p++;
        break;
      case '"': {
        const char* start = ++p;
        uint64_t decoded = 0;
        while (p < end && *p != '"') {
          if (*p == '\\' && p + 1 < end) {
            p += p[1] == 'u' ? 6 : 2;
          } else {
            p++;
          }
          decoded++;
        }
        if (p > end) p = end;
        mix(s, decoded);
        mix(s, (uint64_t)(p - start));
        if (p < end) p++;
        kind = kString;
        break;
      }
      case 't':
        kind = (end - p >= 4 && memcmp(p, "true", 4) == 0) ? kTrue : kError;
        p += kind == kTrue ? 4 : 1;
        break;
      case 'f':
        kind = (end - p >= 5 && memcmp(p, "false", 5) == 0) ? kFalse : kError;
        p += kind == kFalse ? 5 : 1;
        break;
      case 'n':
        kind = (end - p >= 4 && memcmp(p, "null", 4) == 0) ? kNull : kError;
        p += kind == kNull ? 4 : 1;
        break;
      default:
        if (c == '-' || is_digit(c)) {
          int negative = c == '-';
          if (negative) p++;
          int64_t value = 0;
          while (p < end && is_digit(*p)) value = value * 10 + (*p++ - '0');
          uint64_t fraction = 0;
          if (p < end && *p == '.') {
            p++;
            while (p < end && is_digit(*p)) fraction = fraction * 10 + (uint64_t)(*p++ - '0');
          }
          if (p < end && (*p == 'e' || *p == 'E')) {
            p++;
            if (p < end && (*p == '+' || *p == '-')) p++;
            while (p < end && is_digit(*p)) p++;
          }
          s->integer_sum += negative ? -value : value;
          mix(s, fraction);
          kind = kNumber;
        } else {
          kind = kError;
          p++;
        }
        break;
    }
    s->counts[kind]++;
    mix(s, (uint64_t)kind);
  }
}

int main(int argc, char** argv) {
  unsigned long kibibytes = argc > 1 ? strtoul(argv[1], NULL, 10) : 6144;
  Writer w = {0};
  w.capacity = kibibytes * 1024;
  w.data = malloc(w.capacity + 1);
  w.seed = 2024;
  if (!w.data) return 1;
  put_str(&w, "[\n");
  while (w.size + 4096 < w.capacity) {
    put_value(&w, 0);
    put_str(&w, ",\n");
  }
  put_str(&w, "null\n]\n");

  Stats stats;
  memset(&stats, 0, sizeof stats);
  stats.hash = 14695981039346656037ull;
  enum { kPasses = 20 };
  for (int pass = 0; pass < kPasses; pass++) tokenize(w.data, w.data + w.size, &stats);

  uint64_t total = 0;
  for (int k = 0; k < kKindCount; k++) total += stats.counts[k];
  printf(
      "json: %zu bytes x%d, %llu tokens (strings %llu, numbers %llu, objects %llu, errors %llu)\n",
      w.size, kPasses, (unsigned long long)total, (unsigned long long)stats.counts[kString],
      (unsigned long long)stats.counts[kNumber], (unsigned long long)stats.counts[kObjectOpen],
      (unsigned long long)stats.counts[kError]);
  printf("json: integer sum %lld, hash %016llx\n", (long long)stats.integer_sum,
         (unsigned long long)stats.hash);
  free(w.data);
  return 0;
}
