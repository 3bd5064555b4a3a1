/*
 * A plugin as a C toolchain with a libc builds it: wasi-libc (printf, malloc),
 * reactor model (`_initialize`), WASI preview 1 calls turned into WASI 0.2
 * imports by the preview1 adapter jco ships. The layout most non-JS
 * toolchains produce (wasi-sdk + wit-bindgen, cargo-component, TinyGo):
 * main module + adapter module + wit-component's shim and fixup. Its
 * canonical-ABI exports are written by hand (no wit-bindgen offline).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "acme:greeter/api@0.1.0"
#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

static uint32_t calls;
static uint32_t ret_area[2];

/* The canonical ABI's allocator: arguments are lowered into malloc'd blocks. */
EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align;
  if (new_size == 0) return (void *)align;
  void *p = realloc(ptr, new_size);
  if (p == NULL) abort();
  return p;
}

/* greet: func(name: string) -> string. Writes a line to stdout (wasi:cli/stdout). */
EXPORT(API "#greet")
uint32_t *greet(char *name, size_t len) {
  calls++;
  printf("greeting %.*s (call %u)\n", (int)len, name, (unsigned)calls);
  fflush(stdout);
  static const char hello[] = "hello, ";
  size_t n = sizeof hello - 1;
  char *out = malloc(n + len);
  if (out == NULL) abort();
  memcpy(out, hello, n);
  memcpy(out + n, name, len);
  free(name);
  ret_area[0] = (uint32_t)(uintptr_t)out;
  ret_area[1] = (uint32_t)(n + len);
  return ret_area;
}

EXPORT("cabi_post_" API "#greet")
void greet_post_return(uint32_t *ret) { free((void *)(uintptr_t)ret[0]); }

/* calls: func() -> u32. State survives between calls of one instance. */
EXPORT(API "#calls")
uint32_t get_calls(void) { return calls; }
