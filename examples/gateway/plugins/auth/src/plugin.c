// Auth filter (C, world auth-filter): a bearer token checked by the gateway's auth service.
//   /health            pass, no token needed
//   /old/<rest>        redirect to /new/<rest>
//   no valid token     deny 401
//   otherwise          pass
// The token check is the host's `auth.valid-token`, an asynchronous host function: the plugin
// calls it as any import and waits (in-process on a Node with JS promise integration, else in a
// worker of its own: the host decides) until the auth service answered.
#include "auth_filter.h"

typedef auth_filter_string_t str_t;

static bool has_prefix(const str_t *s, const char *lit, size_t n) {
  if (s->len < n) return false;
  for (size_t i = 0; i < n; i++) if (s->ptr[i] != (uint8_t)lit[i]) return false;
  return true;
}

static bool equals(const str_t *s, const char *lit, size_t n) {
  return s->len == n && has_prefix(s, lit, n);
}

static void log_info(const char *msg) {
  str_t s;
  auth_filter_string_set(&s, msg);
  witplug_host_log_log(WITPLUG_HOST_LOG_LEVEL_INFO, &s);
}

static void deny(witplug_gateway_types_decision_t *ret, uint16_t status, const char *reason) {
  ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_DENY;
  ret->val.deny.status = status;
  auth_filter_string_set(&ret->val.deny.reason, reason);
}

/** The bearer token of the first `authorization` header (node lower-cases names), or an empty one. */
static str_t bearer_token(const witplug_gateway_types_request_t *req) {
  str_t none = {0};
  for (size_t i = 0; i < req->headers.len; i++) {
    const witplug_gateway_types_header_t *h = &req->headers.ptr[i];
    if (!equals(&h->name, "authorization", 13) || h->values.len == 0) continue;
    str_t v = h->values.ptr[0];
    if (!has_prefix(&v, "Bearer ", 7)) return none;
    return (str_t){ v.ptr + 7, v.len - 7 };
  }
  return none;
}

void exports_witplug_gateway_filter_check(witplug_gateway_types_request_t *req, witplug_gateway_types_decision_t *ret) {
  *ret = (witplug_gateway_types_decision_t){0};
  if (equals(&req->path, "/health", 7)) return;
  if (has_prefix(&req->path, "/old/", 5)) {
    size_t rest = req->path.len - 5;
    uint8_t *loc = auth_filter_alloc(5 + rest, 1);
    const char *prefix = "/new/";
    for (size_t i = 0; i < 5; i++) loc[i] = (uint8_t)prefix[i];
    for (size_t i = 0; i < rest; i++) loc[5 + i] = req->path.ptr[5 + i];
    ret->tag = WITPLUG_GATEWAY_TYPES_DECISION_REDIRECT;
    ret->val.redirect.location = (str_t){ loc, 5 + rest };
    ret->val.redirect.permanent = false;
    log_info("auth: redirect");
    return;
  }
  str_t token = bearer_token(req);
  if (token.len == 0) {
    log_info("auth: deny, no bearer token");
    deny(ret, 401, "missing bearer token");
    return;
  }
  if (!witplug_gateway_auth_valid_token(&token)) {
    log_info("auth: deny, token refused by the auth service");
    deny(ret, 401, "invalid bearer token");
    return;
  }
  log_info("auth: pass");
}
