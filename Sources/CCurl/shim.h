#ifndef OPSIQ_CCURL_SHIM_H
#define OPSIQ_CCURL_SHIM_H
/* curl_easy_setopt / curl_easy_getinfo are variadic, which Swift cannot call.
   These typed wrappers are the only way the Swift side sets options. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

static inline CURLcode opsiq_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode opsiq_curl_set_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode opsiq_curl_set_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode opsiq_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode opsiq_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*opsiq_curl_write_cb)(char *, size_t, size_t, void *);
static inline CURLcode opsiq_curl_set_write_cb(CURL *h, CURLoption o, opsiq_curl_write_cb cb) { return curl_easy_setopt(h, o, cb); }
static inline CURLcode opsiq_curl_get_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode opsiq_curl_get_double(CURL *h, CURLINFO i, double *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode opsiq_curl_get_str(CURL *h, CURLINFO i, char **out) { return curl_easy_getinfo(h, i, out); }
/* SMTP uploads (Adapters/Mail): the read callback feeds the message, the debug callback
   captures the server's reply lines so errors can quote them. */
typedef size_t (*opsiq_curl_read_cb)(char *, size_t, size_t, void *);
static inline CURLcode opsiq_curl_set_read_cb(CURL *h, CURLoption o, opsiq_curl_read_cb cb) { return curl_easy_setopt(h, o, cb); }
typedef int (*opsiq_curl_debug_cb)(CURL *, curl_infotype, char *, size_t, void *);
static inline CURLcode opsiq_curl_set_debug_cb(CURL *h, CURLoption o, opsiq_curl_debug_cb cb) { return curl_easy_setopt(h, o, cb); }
#endif
