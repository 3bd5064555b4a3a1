// Rate limiter (C, world rate-limit-filter): at most `limit` requests per client and window,
// counted in the plugin's own key-value store (witplug:host/kv), so the count survives a reload
// and, with a persistent store, a restart.
//   client  the `x-client-id` header's first value, else "anonymous"
//   config  limit (default 5), window-ms (default 60000)
//   value   per client: window number (u64) and count (u32), little-endian
// Over the limit: deny 429. A store that refuses the write (quota, unavailable) lets the request
// pass: a limiter that cannot count degrades to no limit rather than failing the hook.
#include "rate_limit_filter.h"

typedef rate_limit_filter_string_t str_t;

static bool equals(const str_t *s, const char *lit, size_t n) {
  if (s->len != n) return false;
  for (size_t i = 0; i < n; i++) if (s->ptr[i] != (uint8_t)lit[i]) return false;
  return true;
}

static uint64_t config_u64(const char *key, uint64_t fallback) {
  str_t k;
  rate_limit_filter_string_set(&k, key);
  rate_limit_filter_option_string_t v = {0};
  witplug_host_config_get(&k, &v);
  if (!v.is_some || v.val.len == 0) return fallback;
  uint64_t n = 0;
  for (size_t i = 0; i < v.val.len; i++) {
    uint8_t c = v.val.ptr[i];
    if (c < '0' || c > '9') return fallback;
    n = n * 10 + (uint64_t)(c - '0');
  }
  return n;
}

static void log_at(witplug_host_log_level_t level, const char *msg) {
  str_t s;
  rate_limit_filter_string_set(&s, msg);
  witplug_host_log_log(level, &s);
}

static str_t client_of(const witplug_gateway_types_request_t *req) {
  for (size_t i = 0; i < req->headers.len; i++) {
    const witplug_gateway_types_header_t *h = &req->headers.ptr[i];
    if (equals(&h->name, "x-client-id", 11) && h->values.len > 0 && h->values.ptr[0].len > 0) return h->values.ptr[0];
  }
  str_t anonymous;
  rate_limit_filter_string_set(&anonymous, "anonymous");
  return anonymous;
}

static uint64_t read_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

static void write_le(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) { p[i] = (uint8_t)v; v >>= 8; }
}

void exports_witplug_gateway_filter_check(witplug_gateway_types_request_t *req, witplug_gateway_types_decision_t *ret) {
  *ret = (witplug_gateway_types_decision_t){0};
  uint64_t limit = config_u64("limit", 5);
  uint64_t window_ms = config_u64("window-ms", 60000);
  if (window_ms == 0) window_ms = 1;
  uint64_t now = req->received_at_ms < 0 ? 0 : (uint64_t)req->received_at_ms;
  uint64_t window = now / window_ms;

  str_t key = client_of(req);
  rate_limit_filter_option_list_u8_t stored = {0};
  witplug_host_kv_get(&key, &stored);
  uint64_t count = 0;
  if (stored.is_some && stored.val.len == 12 && read_le(stored.val.ptr, 8) == window) count = read_le(stored.val.ptr + 8, 4);

  if (count >= limit) {
    log_at(WITPLUG_HOST_LOG_LEVEL_INFO, "rate-limit: deny 429, quota used");
    ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_DENY;
    ret->val.deny.status = 429;
    rate_limit_filter_string_set(&ret->val.deny.reason, "rate limit reached, retry in the next window");
    return;
  }

  rate_limit_filter_list_u8_t value;
  rate_limit_filter_list_u8_init(&value, 12);
  write_le(value.ptr, window, 8);
  write_le(value.ptr + 8, count + 1, 4);
  rate_limit_filter_result_void_witplug_host_kv_kv_error_t written = {0};
  witplug_host_kv_set(&key, &value, &written);
  if (written.is_err) log_at(WITPLUG_HOST_LOG_LEVEL_WARN, "rate-limit: store refused the count, request passes uncounted");
  else log_at(WITPLUG_HOST_LOG_LEVEL_INFO, "rate-limit: pass");
}
