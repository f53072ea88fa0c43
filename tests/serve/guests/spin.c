// Test guest: never finishes on its own (the deadline must interrupt it).
int main(void) {
  volatile unsigned long counter = 0;
  for (;;) counter++;
  return 0;
}
