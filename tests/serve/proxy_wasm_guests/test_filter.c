/* A proxy-wasm filter for the host's tests. What it does on each request is
 * chosen by the request header "x-test"; results come back as local
 * responses or modified headers, so the test can check them over the
 * Request/Response model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

PROXY_WASM_ABI_VERSION_0_2_1
PROXY_WASM_DEFAULT_ALLOCATOR

static char* g_config;
static size_t g_config_size;
static char g_test[64];

static void respond(uint32_t status, const char* body) {
  proxy_send_local_response(status, "test", 4, (const uint8_t*)body, strlen(body), NULL, 0, 0);
}

/* Reads request header `name` into buf (NUL-terminated); returns status. */
static uint32_t header(uint32_t map, const char* name, char* buf, size_t cap) {
  char* value = NULL;
  size_t size = 0;
  uint32_t status = proxy_get_header_map_value(map, name, strlen(name), &value, &size);
  buf[0] = 0;
  if (status == PROXY_STATUS_OK) {
    size_t n = size < cap - 1 ? size : cap - 1;
    memcpy(buf, value, n);
    buf[n] = 0;
    free(value);
  }
  return status;
}

static int is(const char* want) { return strcmp(g_test, want) == 0; }

PROXY_WASM_EXPORT(proxy_on_context_create)
void on_context_create(uint32_t id, uint32_t parent) {
  (void)id;
  (void)parent;
}

PROXY_WASM_EXPORT(proxy_on_configure)
uint32_t on_configure(uint32_t id, uint32_t size) {
  (void)id;
  uint8_t* data = NULL;
  size_t got = 0;
  if (proxy_get_buffer_bytes(PROXY_BUFFER_PLUGIN_CONFIGURATION, 0, size, &data, &got) !=
      PROXY_STATUS_OK) {
    return size == 0;
  }
  g_config = (char*)data;
  g_config_size = got;
  /* "tick": ask for proxy_on_tick every 10 ms (counted in shared data). */
  if (got == 4 && memcmp(data, "tick", 4) == 0) proxy_set_tick_period_milliseconds(10);
  /* A configuration of "reject" makes configure fail. */
  return !(got == 6 && memcmp(data, "reject", 6) == 0);
}

static uint32_t run_test(void) {
  char buf[512];
  if (is("echo-config")) {
    char* body = malloc(g_config_size + 1);
    memcpy(body, g_config, g_config_size);
    body[g_config_size] = 0;
    respond(200, body);
    return PROXY_ACTION_CONTINUE;
  }
  if (is("modify")) {
    proxy_add_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-added", 7, "yes", 3);
    proxy_replace_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "X-Replace", 9, "new", 3);
    proxy_remove_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-remove", 8);
    proxy_replace_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, ":path", 5, "/rewritten?q=1",
                                   14);
    return PROXY_ACTION_CONTINUE;
  }
  if (is("pairs")) {
    uint8_t* data = NULL;
    size_t size = 0;
    uint32_t status = proxy_get_header_map_pairs(PROXY_MAP_HTTP_REQUEST_HEADERS, &data, &size);
    if (status != PROXY_STATUS_OK || size < 4) {
      respond(500, "get pairs failed");
      return 0;
    }
    uint32_t count;
    memcpy(&count, data, 4);
    /* List the keys: walk the sizes, then the NUL-separated strings. */
    size_t pos = 4 + count * 8, out = 0;
    out += snprintf(buf + out, sizeof buf - out, "%u:", count);
    for (uint32_t i = 0; i < count && out < sizeof buf; ++i) {
      uint32_t ks, vs;
      memcpy(&ks, data + 4 + i * 8, 4);
      memcpy(&vs, data + 8 + i * 8, 4);
      out += snprintf(buf + out, sizeof buf - out, "%.*s=%.*s;", (int)ks, data + pos, (int)vs,
                      data + pos + ks + 1);
      pos += ks + 1 + vs + 1;
    }
    free(data);
    /* Replace the whole map with one the guest serializes. */
    static const uint8_t replacement[] = {1, 0, 0,   0,   3,   0, 0,   0,   2, 0,
                                          0, 0, 'x', '-', 'k', 0, 'v', '1', 0};
    uint32_t set =
        proxy_set_header_map_pairs(PROXY_MAP_HTTP_REQUEST_HEADERS, replacement, sizeof replacement);
    char value[32];
    header(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-k", value, sizeof value);
    snprintf(buf + out, sizeof buf - out, "|set=%u|x-k=%s", set, value);
    respond(200, buf);
    return 0;
  }
  if (is("deny")) {
    static const uint8_t headers[] = {1,   0,   0,   0,   12,  0,   0,   0,   16,  0,   0,
                                      0,   'c', 'o', 'n', 't', 'e', 'n', 't', '-', 't', 'y',
                                      'p', 'e', 0,   'a', 'p', 'p', 'l', 'i', 'c', 'a', 't',
                                      'i', 'o', 'n', '/', 'j', 's', 'o', 'n', 0};
    const char* body = "{\"error\":\"denied\"}";
    proxy_send_local_response(401, "denied", 6, (const uint8_t*)body, strlen(body), headers,
                              sizeof headers, 0);
    return PROXY_ACTION_PAUSE;
  }
  if (is("bad-pointers")) {
    uint32_t s1 = proxy_log(PROXY_LOG_INFO, (const char*)0xFFFFFFF0u, 100);
    uint32_t s2 = proxy_get_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-test", 6,
                                             (char**)0xFFFFFFFCu, (size_t*)0xFFFFFFF8u);
    uint32_t s3 = proxy_get_header_map_pairs(99, NULL, NULL);
    uint32_t s4 = proxy_set_header_map_pairs(PROXY_MAP_HTTP_REQUEST_HEADERS,
                                             (const uint8_t*)"\xff\xff\xff\x7f", 4);
    uint32_t s5 =
        proxy_add_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "bad\r\nname", 9, "v", 1);
    uint32_t s6 = proxy_continue_stream(PROXY_STREAM_DOWNSTREAM);
    snprintf(buf, sizeof buf, "%u %u %u %u %u %u", s1, s2, s3, s4, s5, s6);
    respond(200, buf);
    return 0;
  }
  if (is("bad-action")) return 7;
  if (is("trap")) __builtin_trap();
  if (is("pause")) return PROXY_ACTION_PAUSE;
  if (is("props")) {
    static const char* paths[] = {"request\0path", "request\0method",          "source\0address",
                                  "plugin_name",   "request\0headers\0x-test", "no\0such"};
    static const size_t lens[] = {12, 14, 14, 11, 22, 7};
    size_t out = 0;
    for (int i = 0; i < 6; ++i) {
      uint8_t* value = NULL;
      size_t size = 0;
      uint32_t status = proxy_get_property(paths[i], lens[i], &value, &size);
      out += snprintf(buf + out, sizeof buf - out, "%u:%.*s|", status, (int)size,
                      value ? (const char*)value : "");
      free(value);
    }
    uint32_t set = proxy_set_property("my\0prop", 7, (const uint8_t*)"v", 1);
    uint8_t* value = NULL;
    size_t size = 0;
    uint32_t get = proxy_get_property("my\0prop", 7, &value, &size);
    snprintf(buf + out, sizeof buf - out, "set=%u get=%u:%.*s", set, get, (int)size,
             value ? (const char*)value : "");
    respond(200, buf);
    return 0;
  }
  if (is("shared")) {
    char key[64];
    header(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-key", key, sizeof key);
    uint8_t* value = NULL;
    size_t size = 0;
    uint32_t cas = 0;
    uint32_t g1 = proxy_get_shared_data(key, strlen(key), &value, &size, &cas);
    uint32_t s1 = proxy_set_shared_data(key, strlen(key), (const uint8_t*)"a", 1, 0);
    uint32_t g2 = proxy_get_shared_data(key, strlen(key), &value, &size, &cas);
    uint32_t s2 = proxy_set_shared_data(key, strlen(key), (const uint8_t*)"b", 1, cas + 1000);
    uint32_t s3 = proxy_set_shared_data(key, strlen(key), (const uint8_t*)"c", 1, cas);
    uint32_t s4 = proxy_set_shared_data(key, strlen(key), (const uint8_t*)"d", 1, cas);
    free(value);
    uint32_t g3 = proxy_get_shared_data(key, strlen(key), &value, &size, &cas);
    snprintf(buf, sizeof buf, "%u %u %u %u %u %u %u %.*s", g1, s1, g2, s2, s3, s4, g3, (int)size,
             (const char*)value);
    respond(200, buf);
    return 0;
  }
  if (is("metrics")) {
    uint32_t id = 0, id2 = 0;
    uint64_t value = 0;
    uint32_t d = proxy_define_metric(PROXY_METRIC_COUNTER, "test_requests", 13, &id);
    uint32_t d2 = proxy_define_metric(PROXY_METRIC_COUNTER, "test_requests", 13, &id2);
    uint32_t i1 = proxy_increment_metric(id, 2);
    uint32_t i2 = proxy_increment_metric(id, -1);
    uint32_t g = proxy_get_metric(id, &value);
    uint32_t bad = proxy_get_metric(12345, &value);
    uint64_t time = 0;
    uint32_t t = proxy_get_current_time_nanoseconds(&time);
    snprintf(buf, sizeof buf, "%u %u same=%d %u %u %u value=%llu %u time=%u:%d", d, d2, id == id2,
             i1, i2, g, (unsigned long long)value, bad, t, time > 1600000000000000000ull);
    respond(200, buf);
    return 0;
  }
  if (is("env")) {
    const char* secret = getenv("TEST_SECRET");
    const char* home = getenv("HOME");
    snprintf(buf, sizeof buf, "secret=%s home=%s", secret ? secret : "(none)",
             home ? home : "(none)");
    respond(200, buf);
    return 0;
  }
  if (is("stdout")) {
    printf("hello from printf\n");
    fflush(stdout);
    return 0;
  }
  if (is("loop")) {
    volatile int x = 0;
    for (;;) ++x;
  }
  return PROXY_ACTION_CONTINUE;
}

PROXY_WASM_EXPORT(proxy_on_tick)
void on_tick(uint32_t id) {
  (void)id;
  uint8_t* value = NULL;
  size_t size = 0;
  uint32_t cas = 0;
  char buf[16] = "0";
  if (proxy_get_shared_data("ticks", 5, &value, &size, &cas) == PROXY_STATUS_OK && size < 15) {
    memcpy(buf, value, size);
    buf[size] = 0;
  }
  free(value);
  int n = snprintf(buf, sizeof buf, "%d", atoi(buf) + 1);
  proxy_set_shared_data("ticks", 5, (const uint8_t*)buf, (size_t)n, cas);
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t on_request_headers(uint32_t id, uint32_t count, uint32_t end_of_stream) {
  (void)id;
  (void)count;
  (void)end_of_stream;
  header(PROXY_MAP_HTTP_REQUEST_HEADERS, "x-test", g_test, sizeof g_test);
  return run_test();
}

PROXY_WASM_EXPORT(proxy_on_request_body)
uint32_t on_request_body(uint32_t id, uint32_t size, uint32_t end_of_stream) {
  (void)id;
  (void)end_of_stream;
  if (!is("body")) return 0;
  uint8_t* data = NULL;
  size_t got = 0;
  if (proxy_get_buffer_bytes(PROXY_BUFFER_HTTP_REQUEST_BODY, 0, size, &data, &got) != 0) return 0;
  for (size_t i = 0; i < got; ++i) {
    if (data[i] >= 'a' && data[i] <= 'z') data[i] = (uint8_t)(data[i] - 32);
  }
  proxy_set_buffer_bytes(PROXY_BUFFER_HTTP_REQUEST_BODY, 0, got, data, got);
  proxy_set_buffer_bytes(PROXY_BUFFER_HTTP_REQUEST_BODY, 0xFFFFFFFFu, 0, (const uint8_t*)"!", 1);
  free(data);
  return 0;
}

PROXY_WASM_EXPORT(proxy_on_response_headers)
uint32_t on_response_headers(uint32_t id, uint32_t count, uint32_t end_of_stream) {
  (void)id;
  (void)count;
  (void)end_of_stream;
  proxy_add_header_map_value(PROXY_MAP_HTTP_RESPONSE_HEADERS, "x-filtered", 10, "1", 1);
  if (is("status")) {
    proxy_replace_header_map_value(PROXY_MAP_HTTP_RESPONSE_HEADERS, ":status", 7, "202", 3);
  }
  if (is("resp-deny")) respond(403, "no");
  return 0;
}

PROXY_WASM_EXPORT(proxy_on_response_body)
uint32_t on_response_body(uint32_t id, uint32_t size, uint32_t end_of_stream) {
  (void)id;
  (void)size;
  (void)end_of_stream;
  if (is("body")) {
    proxy_set_buffer_bytes(PROXY_BUFFER_HTTP_RESPONSE_BODY, 0, 0, (const uint8_t*)">", 1);
  }
  return 0;
}
