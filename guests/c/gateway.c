// Gateway plugin in freestanding C, world witplug:gateway/gateway-plugin@0.1.0.
//
// No libc and no wit-bindgen: the canonical-ABI glue is written by hand below, so the
// core module imports only witplug:host/{log,config} and the component needs no WASI.
// Behaviour is identical to guests/js/gateway.js and guests/wat/gateway.wat (tests
// compare them).
//
// Memory: a bump allocator. Everything the host lowers into us (arguments) and everything
// we hand back (results) lives in the bump region, so the region is reset only once the
// host no longer needs it: in cabi_post_* (after the host has lifted the result) and at the
// end of observe (no result, hence no post-return). Memory use is bounded by one call.
//
// Canonical-ABI layouts used here (offsets in bytes, see CanonicalABI.md "Alignment"):
//   request  (size 64, align 8): id u64 @0, method u8 @8, path @12 (ptr,len),
//            query option<string> @20 (disc u8 @20, ptr @24, len @28), headers @32 (ptr,len),
//            body @40 (ptr,len), client flags u8 @48, received-at-ms s64 @56
//   header   (size 16, align 4): name @0 (ptr,len), values list<string> @8 (ptr,len)
//   response (size 24, align 4): status u16 @0, headers @4, body @12, cache flags u8 @20
//   decision (size 16, align 4): disc u8 @0, payload @4
//            deny     = denial{status u16 @4, reason @8 (ptr,len)}
//            redirect = redirect-target{location @4 (ptr,len), permanent bool @12}
//   option<string> (size 12, align 4): disc u8 @0, ptr @4, len @8
//   shape's params (request, response) exceed 16 flat values -> one pointer to a tuple:
//            request @0, response @64 (size 88, align 8)
//   check(request) = 14 flat params, observe(request, u16, u64) = exactly 16 flat params.

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned long usize;

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

// log: func(level: level, message: string)
IMPORT("witplug:host/log@0.1.0", "log")
extern void host_log(u32 level, const u8 *msg, u32 len);
// get: func(key: string) -> option<string>; 3 flat results > 1, so the caller passes a
// return pointer and the host writes the option there (allocating the string via realloc).
IMPORT("witplug:host/config@0.1.0", "get")
extern void host_config_get(const u8 *key, u32 len, void *ret);

enum { LEVEL_TRACE = 0, LEVEL_DEBUG = 1, LEVEL_INFO = 2 };
enum { METHOD_DELETE = 4 };
enum { CLIENT_AUTHENTICATED = 1u << 1 };
enum { CACHE_IMMUTABLE = 1u << 2 };
enum { DECISION_PASS = 0, DECISION_DENY = 1, DECISION_REDIRECT = 2 };

// clang may turn copy loops into calls to memcpy/memset; with -nostdlib we provide them.
// LLVM never rewrites the bodies of functions named memcpy/memset into self-calls.
void *memcpy(void *dst, const void *src, usize n) {
  u8 *d = dst;
  const u8 *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void *memset(void *dst, int c, usize n) {
  u8 *d = dst;
  while (n--) *d++ = (u8)c;
  return dst;
}

static int bytes_eq(const u8 *a, const u8 *b, u32 n) {
  for (u32 i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static int starts_with(const u8 *s, u32 len, const char *prefix, u32 plen) {
  return len >= plen && bytes_eq(s, (const u8 *)prefix, plen);
}

// ---- bump allocator -------------------------------------------------------------------

extern u8 __heap_base;
static u8 *heap_top = &__heap_base;

static void heap_reset(void) { heap_top = &__heap_base; }

EXPORT("cabi_realloc")
void *cabi_realloc(void *old_ptr, usize old_size, usize align, usize new_size) {
  if (old_ptr && new_size <= old_size) return old_ptr;
  if (align == 0) align = 1;
  usize start = ((usize)heap_top + align - 1) & ~(align - 1);
  usize end = start + new_size;
  if (end < start) __builtin_trap();
  usize have = __builtin_wasm_memory_size(0) * 65536ul;
  if (end > have) {
    usize pages = (end - have + 65535ul) / 65536ul;
    if (__builtin_wasm_memory_grow(0, pages) == (usize)-1) __builtin_trap();
  }
  heap_top = (u8 *)end;
  if (old_ptr) memcpy((void *)start, old_ptr, old_size);
  return (void *)start;
}

static u8 *alloc_bytes(u32 n) { return cabi_realloc(0, 0, 1, n); }

// Decimal digits of v into buf (at least 20 bytes); returns the digit count.
static u32 u64_to_dec(u64 v, u8 *buf) {
  u8 tmp[20];
  u32 n = 0;
  do {
    tmp[n++] = (u8)('0' + v % 10);
    v /= 10;
  } while (v);
  for (u32 i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

static inline void put_u32(u8 *p, u32 v) { *(u32 *)p = v; }
static inline void put_u16(u8 *p, u16 v) { *(u16 *)p = v; }
static inline u32 get_u32(const u8 *p) { return *(const u32 *)p; }

// ---- filter.check ---------------------------------------------------------------------

static const char OLD_PREFIX[] = "/old/";
static const char NEW_PREFIX[] = "/new/";
static const char STATIC_PREFIX[] = "/static/";
static const char REASON_AUTH[] = "delete requires authentication";
static const char REASON_CONFIG[] = "blocked by config";
static const char DENY_PATH_KEY[] = "deny-path";
static const char REQUEST_ID[] = "x-request-id";
#define LEN(s) ((u32)(sizeof(s) - 1))

static _Alignas(8) u8 check_ret[16];
static _Alignas(4) u8 config_ret[12];

static u8 *set_deny(u16 status, const char *reason, u32 len) {
  check_ret[0] = DECISION_DENY;
  put_u16(check_ret + 4, status);
  put_u32(check_ret + 8, (u32)(usize)reason);
  put_u32(check_ret + 12, len);
  return check_ret;
}

EXPORT("witplug:gateway/filter@0.1.0#check")
u8 *filter_check(s64 id, u32 method, const u8 *path, u32 path_len, u32 query_disc,
                 const u8 *query_ptr, u32 query_len, const u8 *headers_ptr, u32 headers_len,
                 const u8 *body_ptr, u32 body_len, u32 client, s64 received_at_ms) {
  (void)id; (void)query_disc; (void)query_ptr; (void)query_len; (void)headers_ptr;
  (void)headers_len; (void)body_ptr; (void)body_len; (void)received_at_ms;

  static const char CHECK[] = "check ";
  u8 *msg = alloc_bytes(LEN(CHECK) + path_len);
  memcpy(msg, CHECK, LEN(CHECK));
  memcpy(msg + LEN(CHECK), path, path_len);
  host_log(LEVEL_INFO, msg, LEN(CHECK) + path_len);

  if (method == METHOD_DELETE && !(client & CLIENT_AUTHENTICATED))
    return set_deny(403, REASON_AUTH, LEN(REASON_AUTH));

  if (starts_with(path, path_len, OLD_PREFIX, LEN(OLD_PREFIX))) {
    u32 rest = path_len - LEN(OLD_PREFIX);
    u8 *loc = alloc_bytes(LEN(NEW_PREFIX) + rest);
    memcpy(loc, NEW_PREFIX, LEN(NEW_PREFIX));
    memcpy(loc + LEN(NEW_PREFIX), path + LEN(OLD_PREFIX), rest);
    check_ret[0] = DECISION_REDIRECT;
    put_u32(check_ret + 4, (u32)(usize)loc);
    put_u32(check_ret + 8, LEN(NEW_PREFIX) + rest);
    check_ret[12] = 1;
    return check_ret;
  }

  config_ret[0] = 0;
  host_config_get((const u8 *)DENY_PATH_KEY, LEN(DENY_PATH_KEY), config_ret);
  if (config_ret[0] == 1) {
    const u8 *p = (const u8 *)(usize)get_u32(config_ret + 4);
    u32 len = get_u32(config_ret + 8);
    if (len == path_len && bytes_eq(p, path, len))
      return set_deny(404, REASON_CONFIG, LEN(REASON_CONFIG));
  }

  check_ret[0] = DECISION_PASS;
  return check_ret;
}

EXPORT("cabi_post_witplug:gateway/filter@0.1.0#check")
void filter_check_post(u8 *ret) {
  (void)ret;
  heap_reset();
}

// ---- shaper.shape ---------------------------------------------------------------------

static _Alignas(8) u8 shape_ret[24];

EXPORT("witplug:gateway/shaper@0.1.0#shape")
u8 *shaper_shape(const u8 *args) {
  const u8 *req = args;
  const u8 *resp = args + 64;
  u64 id = *(const u64 *)(req + 0);
  const u8 *path = (const u8 *)(usize)get_u32(req + 12);
  u32 path_len = get_u32(req + 16);

  u32 n = get_u32(resp + 8);
  const u8 *old_headers = (const u8 *)(usize)get_u32(resp + 4);
  u8 *headers = cabi_realloc(0, 0, 4, (n + 1) * 16);
  memcpy(headers, old_headers, n * 16);

  u8 *digits = alloc_bytes(20);
  u32 ndigits = u64_to_dec(id, digits);
  u8 *values = cabi_realloc(0, 0, 4, 8);
  put_u32(values + 0, (u32)(usize)digits);
  put_u32(values + 4, ndigits);

  u8 *h = headers + n * 16;
  put_u32(h + 0, (u32)(usize)REQUEST_ID);
  put_u32(h + 4, LEN(REQUEST_ID));
  put_u32(h + 8, (u32)(usize)values);
  put_u32(h + 12, 1);

  u8 cache = resp[20];
  if (starts_with(path, path_len, STATIC_PREFIX, LEN(STATIC_PREFIX))) cache |= CACHE_IMMUTABLE;

  put_u16(shape_ret + 0, *(const u16 *)(resp + 0));
  put_u32(shape_ret + 4, (u32)(usize)headers);
  put_u32(shape_ret + 8, n + 1);
  put_u32(shape_ret + 12, get_u32(resp + 12));
  put_u32(shape_ret + 16, get_u32(resp + 16));
  shape_ret[20] = cache;
  return shape_ret;
}

EXPORT("cabi_post_witplug:gateway/shaper@0.1.0#shape")
void shaper_shape_post(u8 *ret) {
  (void)ret;
  heap_reset();
}

// ---- observer.observe -----------------------------------------------------------------

EXPORT("witplug:gateway/observer@0.1.0#observe")
void observer_observe(s64 id, u32 method, const u8 *path, u32 path_len, u32 query_disc,
                      const u8 *query_ptr, u32 query_len, const u8 *headers_ptr,
                      u32 headers_len, const u8 *body_ptr, u32 body_len, u32 client,
                      s64 received_at_ms, u32 status, u64 latency_ns) {
  (void)id; (void)method; (void)query_disc; (void)query_ptr; (void)query_len;
  (void)headers_ptr; (void)headers_len; (void)body_ptr; (void)body_len; (void)client;
  (void)received_at_ms;

  static const char OBSERVE[] = "observe ";
  // "observe " + path + " " + up to 5 digits + " " + up to 20 digits
  u8 *msg = alloc_bytes(LEN(OBSERVE) + path_len + 1 + 5 + 1 + 20);
  u32 o = 0;
  memcpy(msg, OBSERVE, LEN(OBSERVE));
  o += LEN(OBSERVE);
  memcpy(msg + o, path, path_len);
  o += path_len;
  msg[o++] = ' ';
  o += u64_to_dec(status & 0xffff, msg + o);
  msg[o++] = ' ';
  o += u64_to_dec(latency_ns, msg + o);
  host_log(LEVEL_DEBUG, msg, o);

  // No result means no post-return: the arguments and the message are dead now.
  heap_reset();
}
