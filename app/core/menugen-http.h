#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * MenugenHttpLimits:
 * @connect_timeout_s: seconds allowed to reach the server and send the request
 * @read_timeout_s: seconds allowed for the response once the request is sent;
 *   0 waits for as long as the server takes (local servers with progress)
 * @max_response_bytes: responses longer than this fail with
 *   %MENUGEN_ERROR_TOO_LARGE
 */
typedef struct {
  guint connect_timeout_s;
  guint read_timeout_s;
  gsize max_response_bytes;
} MenugenHttpLimits;

#define MENUGEN_HTTP_DEFAULT_CONNECT_TIMEOUT_S 20
#define MENUGEN_HTTP_DEFAULT_READ_TIMEOUT_S 600
#define MENUGEN_HTTP_DEFAULT_MAX_RESPONSE_BYTES ((gsize) 96 * 1024 * 1024)

void         menugen_http_limits_init_default (MenugenHttpLimits *limits);

SoupSession *menugen_http_get_session         (void);
void         menugen_http_set_session         (SoupSession *session);

void         menugen_http_send_async          (SoupMessage             *message,
                                               const MenugenHttpLimits *limits,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
GBytes      *menugen_http_send_finish         (GAsyncResult            *result,
                                               GError                 **error);

JsonNode    *menugen_http_parse_json          (GBytes                  *body,
                                               const char              *service,
                                               GError                 **error);

gboolean     menugen_http_check_url           (const char              *url,
                                               gboolean                 sends_key,
                                               gboolean                 local_only,
                                               GError                 **error);
gboolean     menugen_http_host_is_local       (const char              *host);
char        *menugen_http_join_url            (const char              *base_url,
                                               const char              *path);
int          menugen_http_retry_after_seconds (SoupMessage             *message);
char        *menugen_http_describe_size       (gsize                    bytes);
char        *menugen_http_describe_origin     (GUri                    *uri);
char        *menugen_http_describe_server     (const char              *url);
char        *menugen_http_shorten_text        (const char              *text,
                                               guint                    max_chars);
char        *menugen_http_shorten_sentence    (const char              *text,
                                               guint                    max_chars);

G_END_DECLS
