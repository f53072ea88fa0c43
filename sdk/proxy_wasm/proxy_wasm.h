/* weft — proxy-wasm ABI v0.2.1 for guests written in C.
 *
 * Declares what the host exports (module "env", proxy_*) and the constants
 * of the ABI, so a filter is one C file:
 *
 *   #include "proxy_wasm.h"
 *   PROXY_WASM_ABI_VERSION_0_2_1
 *   PROXY_WASM_EXPORT(proxy_on_request_headers)
 *   uint32_t on_headers(uint32_t ctx, uint32_t n, uint32_t eos) { ... }
 *
 * Build: scripts/wasm-cc clang --target=wasm32-wasi -O2 -mexec-model=reactor filter.c -o filter.wasm
 * (compile and link as separate steps, the link without -O: otherwise clang
 * runs binaryen's wasm-opt when it is installed, which drops the names).
 * (wasi-libc provides malloc, which the host calls to hand memory to the
 * guest; a guest without libc must export its own proxy_on_memory_allocate).
 *
 * Memory the host returns (return_*_data) was allocated with the guest's
 * proxy_on_memory_allocate (or malloc) and belongs to the guest: free() it.
 * Sizes are 32-bit (wasm32 size_t). Reference: proxy-wasm/spec,
 * abi-versions/v0.2.1/README.md.
 */
#ifndef WEFT_SDK_PROXY_WASM_H
#define WEFT_SDK_PROXY_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROXY_WASM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define PROXY_WASM_EXPORT(name) __attribute__((export_name(#name)))

/* The marker export the host looks for. */
#define PROXY_WASM_ABI_VERSION_0_2_1 \
  PROXY_WASM_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

typedef enum {
  PROXY_STATUS_OK = 0,
  PROXY_STATUS_NOT_FOUND = 1,
  PROXY_STATUS_BAD_ARGUMENT = 2,
  PROXY_STATUS_SERIALIZATION_FAILURE = 3,
  PROXY_STATUS_PARSE_FAILURE = 4,
  PROXY_STATUS_INVALID_MEMORY_ACCESS = 6,
  PROXY_STATUS_EMPTY = 7,
  PROXY_STATUS_CAS_MISMATCH = 8,
  PROXY_STATUS_INTERNAL_FAILURE = 10,
  PROXY_STATUS_UNIMPLEMENTED = 12,
} proxy_status_t;

typedef enum {
  PROXY_LOG_TRACE = 0,
  PROXY_LOG_DEBUG = 1,
  PROXY_LOG_INFO = 2,
  PROXY_LOG_WARN = 3,
  PROXY_LOG_ERROR = 4,
  PROXY_LOG_CRITICAL = 5,
} proxy_log_level_t;

typedef enum { PROXY_ACTION_CONTINUE = 0, PROXY_ACTION_PAUSE = 1 } proxy_action_t;

typedef enum {
  PROXY_BUFFER_HTTP_REQUEST_BODY = 0,
  PROXY_BUFFER_HTTP_RESPONSE_BODY = 1,
  PROXY_BUFFER_DOWNSTREAM_DATA = 2,
  PROXY_BUFFER_UPSTREAM_DATA = 3,
  PROXY_BUFFER_HTTP_CALL_RESPONSE_BODY = 4,
  PROXY_BUFFER_GRPC_CALL_MESSAGE = 5,
  PROXY_BUFFER_VM_CONFIGURATION = 6,
  PROXY_BUFFER_PLUGIN_CONFIGURATION = 7,
  PROXY_BUFFER_FOREIGN_FUNCTION_ARGUMENTS = 8,
} proxy_buffer_type_t;

typedef enum {
  PROXY_MAP_HTTP_REQUEST_HEADERS = 0,
  PROXY_MAP_HTTP_REQUEST_TRAILERS = 1,
  PROXY_MAP_HTTP_RESPONSE_HEADERS = 2,
  PROXY_MAP_HTTP_RESPONSE_TRAILERS = 3,
  PROXY_MAP_GRPC_CALL_INITIAL_METADATA = 4,
  PROXY_MAP_GRPC_CALL_TRAILING_METADATA = 5,
  PROXY_MAP_HTTP_CALL_RESPONSE_HEADERS = 6,
  PROXY_MAP_HTTP_CALL_RESPONSE_TRAILERS = 7,
} proxy_map_type_t;

typedef enum {
  PROXY_STREAM_HTTP_REQUEST = 0,
  PROXY_STREAM_HTTP_RESPONSE = 1,
  PROXY_STREAM_DOWNSTREAM = 2,
  PROXY_STREAM_UPSTREAM = 3,
} proxy_stream_type_t;

typedef enum {
  PROXY_METRIC_COUNTER = 0,
  PROXY_METRIC_GAUGE = 1,
  PROXY_METRIC_HISTOGRAM = 2,
} proxy_metric_type_t;

/* ---- host functions (all return proxy_status_t) ---- */

PROXY_WASM_IMPORT(proxy_log)
uint32_t proxy_log(uint32_t level, const char* message, size_t message_size);
PROXY_WASM_IMPORT(proxy_get_log_level)
uint32_t proxy_get_log_level(uint32_t* return_level);
PROXY_WASM_IMPORT(proxy_get_current_time_nanoseconds)
uint32_t proxy_get_current_time_nanoseconds(uint64_t* return_time);
PROXY_WASM_IMPORT(proxy_set_tick_period_milliseconds)
uint32_t proxy_set_tick_period_milliseconds(uint32_t period);

PROXY_WASM_IMPORT(proxy_get_buffer_bytes)
uint32_t proxy_get_buffer_bytes(uint32_t buffer, size_t start, size_t max_size,
                                uint8_t** return_data, size_t* return_size);
PROXY_WASM_IMPORT(proxy_set_buffer_bytes)
uint32_t proxy_set_buffer_bytes(uint32_t buffer, size_t start, size_t size, const uint8_t* data,
                                size_t data_size);
PROXY_WASM_IMPORT(proxy_get_buffer_status)
uint32_t proxy_get_buffer_status(uint32_t buffer, size_t* return_size, uint32_t* return_flags);

PROXY_WASM_IMPORT(proxy_get_header_map_pairs)
uint32_t proxy_get_header_map_pairs(uint32_t map, uint8_t** return_data, size_t* return_size);
PROXY_WASM_IMPORT(proxy_set_header_map_pairs)
uint32_t proxy_set_header_map_pairs(uint32_t map, const uint8_t* data, size_t size);
PROXY_WASM_IMPORT(proxy_get_header_map_size)
uint32_t proxy_get_header_map_size(uint32_t map, size_t* return_size);
PROXY_WASM_IMPORT(proxy_get_header_map_value)
uint32_t proxy_get_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    char** return_value, size_t* return_value_size);
PROXY_WASM_IMPORT(proxy_add_header_map_value)
uint32_t proxy_add_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    const char* value, size_t value_size);
PROXY_WASM_IMPORT(proxy_replace_header_map_value)
uint32_t proxy_replace_header_map_value(uint32_t map, const char* key, size_t key_size,
                                        const char* value, size_t value_size);
PROXY_WASM_IMPORT(proxy_remove_header_map_value)
uint32_t proxy_remove_header_map_value(uint32_t map, const char* key, size_t key_size);

PROXY_WASM_IMPORT(proxy_send_local_response)
uint32_t proxy_send_local_response(uint32_t status_code, const char* details, size_t details_size,
                                   const uint8_t* body, size_t body_size, const uint8_t* headers,
                                   size_t headers_size, uint32_t grpc_status);
PROXY_WASM_IMPORT(proxy_continue_stream)
uint32_t proxy_continue_stream(uint32_t stream);
PROXY_WASM_IMPORT(proxy_close_stream)
uint32_t proxy_close_stream(uint32_t stream);

/* Property paths are segments separated by '\0', e.g. "request\0path". */
PROXY_WASM_IMPORT(proxy_get_property)
uint32_t proxy_get_property(const char* path, size_t path_size, uint8_t** return_value,
                            size_t* return_value_size);
PROXY_WASM_IMPORT(proxy_set_property)
uint32_t proxy_set_property(const char* path, size_t path_size, const uint8_t* value,
                            size_t value_size);

PROXY_WASM_IMPORT(proxy_get_shared_data)
uint32_t proxy_get_shared_data(const char* key, size_t key_size, uint8_t** return_value,
                               size_t* return_value_size, uint32_t* return_cas);
PROXY_WASM_IMPORT(proxy_set_shared_data)
uint32_t proxy_set_shared_data(const char* key, size_t key_size, const uint8_t* value,
                               size_t value_size, uint32_t cas);

PROXY_WASM_IMPORT(proxy_define_metric)
uint32_t proxy_define_metric(uint32_t type, const char* name, size_t name_size,
                             uint32_t* return_id);
PROXY_WASM_IMPORT(proxy_increment_metric)
uint32_t proxy_increment_metric(uint32_t id, int64_t delta);
PROXY_WASM_IMPORT(proxy_record_metric)
uint32_t proxy_record_metric(uint32_t id, uint64_t value);
PROXY_WASM_IMPORT(proxy_get_metric)
uint32_t proxy_get_metric(uint32_t id, uint64_t* return_value);

PROXY_WASM_IMPORT(proxy_done)
uint32_t proxy_done(void);

/* ---- helpers ---- */

/* The host hands memory to the guest through this export; with wasi-libc,
 * this macro defines it over malloc (put it in one .c file). */
#define PROXY_WASM_DEFAULT_ALLOCATOR                                                        \
  void* malloc(size_t);                                                                     \
  PROXY_WASM_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size) { \
    return malloc(size);                                                                    \
  }

/* Serialized header map size for `count` pairs whose keys/values total
 * `bytes`: u32 count, count * (u32 key size, u32 value size), then every key
 * and value each followed by '\0'. */
static inline size_t proxy_pairs_size(size_t count, size_t bytes) {
  return 4 + count * 8 + bytes + count * 2;
}

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SDK_PROXY_WASM_H */
