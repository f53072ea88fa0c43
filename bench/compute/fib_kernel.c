// fib as a bare exported function with no imports, for interpreters without
// WASI (Debian's wasm-interp is built without it): `wasm-interp
// --run-all-exports fib_kernel.wasm` prints "run() => i32:<fib(FIB_N)>".
#ifndef FIB_N
#define FIB_N 30
#endif

__attribute__((noinline)) static unsigned fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((export_name("run"))) unsigned run(void) { return fib(FIB_N); }
