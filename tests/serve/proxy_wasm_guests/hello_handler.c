/* A proxy-wasm module used as a route's handler: it answers every request
 * itself with proxy_send_local_response, naming the path and a variable
 * from its service's env. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_wasm.h"

PROXY_WASM_ABI_VERSION_0_2_1
PROXY_WASM_DEFAULT_ALLOCATOR

PROXY_WASM_EXPORT(proxy_on_context_create)
void on_context_create(uint32_t id, uint32_t parent) {
  (void)id;
  (void)parent;
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t on_request_headers(uint32_t id, uint32_t count, uint32_t end_of_stream) {
  (void)id;
  (void)count;
  (void)end_of_stream;
  uint8_t* path = NULL;
  size_t size = 0;
  proxy_get_property("request\0path", 12, &path, &size);
  const char* greeting = getenv("GREETING");
  char body[256];
  int n = snprintf(body, sizeof body, "%s from proxy-wasm at %.*s\n",
                   greeting ? greeting : "(no GREETING)", (int)size, path ? (char*)path : "");
  free(path);
  proxy_send_local_response(200, "", 0, (const uint8_t*)body, (size_t)n, NULL, 0, 0);
  return PROXY_ACTION_CONTINUE;
}
