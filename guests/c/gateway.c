// Gateway plugin in freestanding C, world witplug:gateway/gateway-plugin@0.1.0.
//
// Written on the bindings `witplug bindgen c --wit wit --world gateway-plugin` generates
// (gateway_plugin.h / gateway_plugin.c, made at build time): no libc, no WASI, so the
// component imports only witplug:host/{log,config}. Behaviour is identical to
// guests/js/gateway.js and guests/wat/gateway.wat (tests compare them).
//
// Ownership follows the bindings: an export owns its arguments (it frees them or moves
// them into its result), its result is freed by the generated post-return, and what an
// import returns is ours to free. Freestanding, freeing is a no-op and the bindings reset
// their bump allocator once each call is over.
#include "gateway_plugin.h"

typedef gateway_plugin_string_t string_t;
typedef witplug_gateway_types_request_t request_t;
typedef witplug_gateway_types_response_t response_t;
typedef witplug_gateway_types_decision_t decision_t;
typedef witplug_gateway_types_header_t header_t;

static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

#define LEN(s) (sizeof(s) - 1)

static int starts_with(const string_t *s, const char *prefix, size_t plen) {
  return s->len >= plen && bytes_eq(s->ptr, (const uint8_t *)prefix, plen);
}

// Decimal digits of v into buf (at least 20 bytes); returns the digit count.
static size_t u64_to_dec(uint64_t v, uint8_t *buf) {
  uint8_t tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (uint8_t)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

// Appends `len` bytes to a message being built in `buf`; returns the new end.
static size_t append(uint8_t *buf, size_t at, const void *bytes, size_t len) {
  const uint8_t *b = bytes;
  for (size_t i = 0; i < len; i++) buf[at + i] = b[i];
  return at + len;
}

static void log_line(witplug_host_log_level_t level, uint8_t *bytes, size_t len) {
  string_t msg = {bytes, len};
  witplug_host_log_log(level, &msg);
  gateway_plugin_dealloc(bytes);
}

static void deny(decision_t *ret, uint16_t status, const char *reason) {
  ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_DENY;
  ret->val.deny.status = status;
  gateway_plugin_string_dup(&ret->val.deny.reason, reason);
}

// ---- filter.check ---------------------------------------------------------------------

static const char OLD_PREFIX[] = "/old/";
static const char NEW_PREFIX[] = "/new/";
static const char STATIC_PREFIX[] = "/static/";

static void check(request_t *req, decision_t *ret) {
  static const char CHECK[] = "check ";
  uint8_t *msg = gateway_plugin_alloc(LEN(CHECK) + req->path.len, 1);
  size_t n = append(msg, 0, CHECK, LEN(CHECK));
  n = append(msg, n, req->path.ptr, req->path.len);
  log_line(WITPLUG_HOST_LOG_LEVEL_INFO, msg, n);

  if (req->method == WITPLUG_GATEWAY_TYPES_METHOD_DELETE &&
      !(req->client & WITPLUG_GATEWAY_TYPES_CLIENT_TRAITS_AUTHENTICATED)) {
    deny(ret, 403, "delete requires authentication");
    return;
  }

  if (starts_with(&req->path, OLD_PREFIX, LEN(OLD_PREFIX))) {
    size_t rest = req->path.len - LEN(OLD_PREFIX);
    string_t *loc = &ret->val.redirect.location;
    loc->ptr = gateway_plugin_alloc(LEN(NEW_PREFIX) + rest, 1);
    loc->len = append(loc->ptr, append(loc->ptr, 0, NEW_PREFIX, LEN(NEW_PREFIX)), req->path.ptr + LEN(OLD_PREFIX), rest);
    ret->val.redirect.permanent = true;
    ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_REDIRECT;
    return;
  }

  string_t key;
  gateway_plugin_string_set(&key, "deny-path");
  gateway_plugin_option_string_t denied;
  witplug_host_config_get(&key, &denied);
  int blocked = denied.is_some && denied.val.len == req->path.len && bytes_eq(denied.val.ptr, req->path.ptr, req->path.len);
  gateway_plugin_option_string_free(&denied);
  if (blocked) {
    deny(ret, 404, "blocked by config");
    return;
  }
  ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_PASS;
}

void exports_witplug_gateway_filter_check(request_t *req, decision_t *ret) {
  check(req, ret);
  witplug_gateway_types_request_free(req);
}

// ---- shaper.shape ---------------------------------------------------------------------

void exports_witplug_gateway_shaper_shape(request_t *req, response_t *resp, response_t *ret) {
  size_t n = resp->headers.len;
  gateway_plugin_list_witplug_gateway_types_header_t headers;
  gateway_plugin_list_witplug_gateway_types_header_init(&headers, n + 1);
  for (size_t i = 0; i < n; i++) headers.ptr[i] = resp->headers.ptr[i];
  // The old list's elements moved into the new one: only its array is freed.
  gateway_plugin_dealloc(resp->headers.ptr);

  header_t *h = &headers.ptr[n];
  gateway_plugin_string_dup(&h->name, "x-request-id");
  gateway_plugin_list_string_init(&h->values, 1);
  uint8_t digits[20];
  gateway_plugin_string_dup_n(&h->values.ptr[0], digits, u64_to_dec(req->id, digits));

  ret->status = resp->status;
  ret->headers = headers;
  ret->body = resp->body; // moved
  ret->cache = resp->cache;
  if (starts_with(&req->path, STATIC_PREFIX, LEN(STATIC_PREFIX))) ret->cache |= WITPLUG_GATEWAY_TYPES_CACHE_FLAGS_IMMUTABLE;
  witplug_gateway_types_request_free(req);
}

// ---- observer.observe -----------------------------------------------------------------

void exports_witplug_gateway_observer_observe(request_t *req, uint16_t status, uint64_t latency_ns) {
  static const char OBSERVE[] = "observe ";
  // "observe " + path + " " + up to 5 digits + " " + up to 20 digits
  uint8_t *msg = gateway_plugin_alloc(LEN(OBSERVE) + req->path.len + 1 + 5 + 1 + 20, 1);
  size_t o = append(msg, 0, OBSERVE, LEN(OBSERVE));
  o = append(msg, o, req->path.ptr, req->path.len);
  msg[o++] = ' ';
  o += u64_to_dec(status, msg + o);
  msg[o++] = ' ';
  o += u64_to_dec(latency_ns, msg + o);
  log_line(WITPLUG_HOST_LOG_LEVEL_DEBUG, msg, o);
  witplug_gateway_types_request_free(req);
}
