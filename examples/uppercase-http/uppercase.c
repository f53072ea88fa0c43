/* uppercase-http: the seed's uppercase service (examples/uppercase) as a
 * wasi:http 0.2 component on sdk/c, built against wasi 0.2.0.
 *   POST BODY → 200 application/json
 *               {"status":"success","data":"<BODY UPPERCASED>","timestamp":<unix seconds>}
 *   otherwise → 405 application/json, Allow: POST,
 *               {"status":"error","error":"POST a body to upper-case it"}
 * ASCII letters are upper-cased; other bytes, UTF-8 included, pass through
 * as the C++ seed passes them. The JSON is written as the body arrives, a
 * chunk at a time, so the body is never held whole. */
#include <stdint.h>

#include "wasi_http.h"

/* Upper-cases and JSON-escapes IN into OUT (at most 6 bytes per input byte). */
static size_t encode(const unsigned char* in, size_t n, char* out) {
  static const char kHex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = in[i];
    if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 'a' + 'A');
    switch (c) {
      case '"':
        out[o++] = '\\', out[o++] = '"';
        break;
      case '\\':
        out[o++] = '\\', out[o++] = '\\';
        break;
      case '\n':
        out[o++] = '\\', out[o++] = 'n';
        break;
      case '\r':
        out[o++] = '\\', out[o++] = 'r';
        break;
      case '\t':
        out[o++] = '\\', out[o++] = 't';
        break;
      default:
        if (c < 0x20) {
          out[o++] = '\\', out[o++] = 'u', out[o++] = '0', out[o++] = '0';
          out[o++] = kHex[c >> 4], out[o++] = kHex[c & 15];
        } else {
          out[o++] = (char)c;
        }
    }
  }
  return o;
}

static void handle(wh_request* req, wh_response* res) {
  wh_set_header(res, "content-type", "application/json");
  if (wh_method(req) != WASI_HTTP_METHOD_POST) {
    wh_status(res, 405);
    wh_set_header(res, "allow", "POST");
    wh_print(res, "{\"status\":\"error\",\"error\":\"POST a body to upper-case it\"}\n");
    return;
  }
  uint64_t now = wasi_clocks_wall_clock_now(NULL);
  if (wh_print(res, "{\"status\":\"success\",\"data\":\"") != WH_OK) return;
  static unsigned char in[16384];
  static char out[6 * sizeof in];
  long n;
  while ((n = wh_read(req, in, sizeof in)) > 0) {
    if (wh_write(res, out, encode(in, (size_t)n, out)) != WH_OK) return;
  }
  if (n < 0) return; /* the request body broke off: end the response short */
  char tail[48] = "\",\"timestamp\":";
  size_t t = 14;
  char digits[24];
  size_t d = 0;
  do digits[d++] = (char)('0' + now % 10);
  while ((now /= 10) != 0);
  while (d > 0) tail[t++] = digits[--d];
  tail[t++] = '}';
  wh_write(res, tail, t);
}

WH_HANDLER(handle)
