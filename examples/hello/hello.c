// The smallest WAGI handler: CGI headers, a blank line, then the body,
// all on stdout. The request arrives as environment variables (and the
// body on stdin); GREETING comes from weft.toml's env.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* greeting = getenv("GREETING");
  const char* path = getenv("PATH_INFO");
  printf("Content-Type: text/plain\n\n");
  printf("%s from weft! (path: %s)\n", greeting ? greeting : "Hello", path && *path ? path : "/");
  return 0;
}
