// Test guest: a CGI Status, Location and a custom header; exits non-zero
// when asked to by the query string.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char* query = getenv("QUERY_STRING");
  if (query && strcmp(query, "exit=3") == 0) exit(3);
  printf("Status: 201 Created\nLocation: /things/1\nContent-Type: text/plain\nX-Custom: yes\n\n");
  printf("created\n");
  return 0;
}
