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
/* Outbound HTTP (Adapters/HTTP): the SSRF guard pins the one address it checked. libcurl asks
   this callback for every socket it opens; anything but the pinned address is refused, so a
   resolver, a proxy or a redirect cannot make curl connect elsewhere. */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
struct opsiq_curl_pin {
    int family;               /* AF_INET or AF_INET6 */
    unsigned char addr[16];   /* 4 bytes used for AF_INET */
    int refused;              /* set when curl tried another address */
};
static curl_socket_t opsiq_curl_pinned_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *a) {
    struct opsiq_curl_pin *pin = (struct opsiq_curl_pin *)clientp;
    (void)purpose;
    int ok = 0;
    if (a->family == AF_INET && pin->family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->addr;
        ok = memcmp(&in4->sin_addr, pin->addr, 4) == 0;
    } else if (a->family == AF_INET6 && pin->family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;
        ok = memcmp(&in6->sin6_addr, pin->addr, 16) == 0;
    }
    if (!ok) { pin->refused = 1; return CURL_SOCKET_BAD; }
    return socket(a->family, a->socktype, a->protocol);
}
static inline CURLcode opsiq_curl_pin_socket(CURL *h, struct opsiq_curl_pin *pin) {
    CURLcode c = curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, opsiq_curl_pinned_open);
    if (c != CURLE_OK) return c;
    return curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, (void *)pin);
}
#endif
