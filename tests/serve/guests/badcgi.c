// Test guest: writes output that is not a CGI response.
#include <stdio.h>

int main(void) {
  printf("this is not a header line\nand no blank line either");
  return 0;
}
