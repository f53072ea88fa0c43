/* Returns without ever calling response-outparam.set (low-level export, no
 * SDK dispatch): a host answers 500. The request and outparam handles are
 * simply left behind, as a careless guest leaves them. */
#include "wasi_http.h"

__attribute__((export_name("wasi:http/incoming-handler@" WASI_HTTP_VERSION_STRING "#handle"))) void
handle(uint32_t request, uint32_t outparam) {
  (void)request;
  (void)outparam;
}
