#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/menugen-error.h"
#include "core/menugen-http.h"

#define READ_CHUNK_BYTES (64 * 1024)

static SoupSession *shared_session;

typedef struct {
  SoupMessage *message;
  MenugenHttpLimits limits;
  GCancellable *inner;          /* cancelled by the caller's cancellable or a timer */
  GCancellable *outer;
  gulong outer_handler;
  gulong wrote_headers_handler;
  gulong wrote_body_handler;
  guint timer_id;
  gboolean wrote_headers;       /* connected: the read timeout runs from here on */
  gboolean wrote_body;
  gboolean timed_out_connecting;
  gboolean timed_out_reading;
  GInputStream *stream;
  GByteArray *body;
  char *host;                   /* host, or host:port when the URL names a port */
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_handle_id (&data->timer_id, g_source_remove);
  if (data->outer != NULL && data->outer_handler != 0)
    g_cancellable_disconnect (data->outer, data->outer_handler);
  if (data->wrote_headers_handler != 0)
    g_signal_handler_disconnect (data->message, data->wrote_headers_handler);
  if (data->wrote_body_handler != 0)
    g_signal_handler_disconnect (data->message, data->wrote_body_handler);
  g_clear_object (&data->outer);
  g_clear_object (&data->inner);
  g_clear_object (&data->stream);
  g_clear_object (&data->message);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_free (data->host);
  g_free (data);
}

void
menugen_http_limits_init_default (MenugenHttpLimits *limits)
{
  limits->connect_timeout_s = MENUGEN_HTTP_DEFAULT_CONNECT_TIMEOUT_S;
  limits->read_timeout_s = MENUGEN_HTTP_DEFAULT_READ_TIMEOUT_S;
  limits->max_response_bytes = MENUGEN_HTTP_DEFAULT_MAX_RESPONSE_BYTES;
}

/**
 * menugen_http_get_session:
 *
 * Returns the one #SoupSession of the program, so that the system proxy
 * settings apply to every request. Timeouts are enforced per request by
 * menugen_http_send_async(), not by the session.
 *
 * Returns: (transfer none): the shared session
 */
SoupSession *
menugen_http_get_session (void)
{
  if (shared_session == NULL)
    shared_session = soup_session_new_with_options ("user-agent", "Menugen/" PACKAGE_VERSION,
                                                    "timeout", 0,
                                                    "idle-timeout", 60,
                                                    NULL);

  return shared_session;
}

/* Replaces the shared session; tests use a session without a proxy resolver. */
void
menugen_http_set_session (SoupSession *session)
{
  g_set_object (&shared_session, session);
}

/* GIO and libsoup messages can quote what the server sent, such as a
 * Location header with a whole data: URL, so they are cut to this many
 * characters. */
#define MAX_QUOTED_ERROR_CHARS 200

static gboolean
is_redirect_error (const GError *error)
{
  return g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_REDIRECT_BAD_URI)
         || g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_REDIRECT_NO_LOCATION)
         || g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS);
}

/* Describes a failure of the connection. Once the request headers are
 * out, the server was reached, so the message reports a broken connection
 * instead. */
static char *
describe_transport_error (SendData     *data,
                          const GError *error)
{
  g_autofree char *reason = NULL;

  if (is_redirect_error (error))
    return g_strdup_printf (_("The server at %s redirected the request to an address that cannot be followed. Check the URL, or try again later."),
                            data->host);

  reason = menugen_http_shorten_text (error->message, MAX_QUOTED_ERROR_CHARS);

  if (data->wrote_headers)
    return g_strdup_printf (_("The connection to %s broke before the answer was complete (%s). Try again later."),
                            data->host, reason);

  return g_strdup_printf (_("Could not reach the server at %s: %s. Check the URL and that the server is running."),
                          data->host, reason);
}

static char *
describe_read_timeout (SendData *data)
{
  if (data->stream != NULL)
    return g_strdup_printf (_("The answer from %s was still incomplete after %u s. Raise the read timeout in Preferences or with --read-timeout, or try again later."),
                            data->host, data->limits.read_timeout_s);
  if (!data->wrote_body)
    return g_strdup_printf (_("Sending the request to %s did not finish within %u s. Raise the read timeout in Preferences or with --read-timeout, or try again on a faster connection."),
                            data->host, data->limits.read_timeout_s);

  return g_strdup_printf (_("No answer from %s after %u s. Raise the read timeout in Preferences or with --read-timeout, or try again later."),
                          data->host, data->limits.read_timeout_s);
}

static void
fail_transport (GTask        *task,
                const GError *error)
{
  SendData *data = g_task_get_task_data (task);
  g_autofree char *message = NULL;

  if (data->timed_out_connecting)
    g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT,
                             _("Could not connect to %s within %u s. Check the URL and your network connection."),
                             data->host, data->limits.connect_timeout_s);
  else if (data->timed_out_reading)
    {
      message = describe_read_timeout (data);
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT, "%s", message);
    }
  else if (data->outer != NULL && g_cancellable_is_cancelled (data->outer))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Cancelled"));
  else
    {
      message = describe_transport_error (data, error);
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_UNREACHABLE, "%s", message);
    }
}

static gboolean
timer_expired_cb (gpointer user_data)
{
  SendData *data = user_data;

  data->timer_id = 0;
  if (data->wrote_headers)
    data->timed_out_reading = TRUE;
  else
    data->timed_out_connecting = TRUE;

  g_debug ("HTTP request to %s timed out (%s)", data->host,
           data->timed_out_connecting ? "connect" : "read");
  g_cancellable_cancel (data->inner);

  return G_SOURCE_REMOVE;
}

static void
start_read_timer (SendData *data)
{
  g_clear_handle_id (&data->timer_id, g_source_remove);

  if (data->limits.read_timeout_s > 0)
    data->timer_id = g_timeout_add_seconds (data->limits.read_timeout_s, timer_expired_cb, data);
}

/* The connection is established once the headers are out, so a large
 * photo on a slow uplink gets the read timeout for its upload, not the
 * short connect timeout. */
static void
wrote_headers_cb (SoupMessage *message,
                  gpointer     user_data)
{
  SendData *data = user_data;

  data->wrote_headers = TRUE;
  start_read_timer (data);
}

static void
wrote_body_cb (SoupMessage *message,
               gpointer     user_data)
{
  SendData *data = user_data;

  data->wrote_body = TRUE;
  start_read_timer (data);
}

static void
outer_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Tells whether @message carries an API key in one of the headers that
 * the back-ends and the usual gateways use. */
static gboolean
carries_credentials (SoupMessage *message)
{
  static const char * const headers[] = {
    "Authorization", "x-goog-api-key", "api-key", "x-api-key", NULL
  };
  SoupMessageHeaders *request_headers = soup_message_get_request_headers (message);

  for (guint i = 0; headers[i] != NULL; i++)
    if (soup_message_headers_get_one (request_headers, headers[i]) != NULL)
      return TRUE;

  return FALSE;
}

/* libsoup follows redirects to any host and keeps the request headers, so
 * a redirect would send the key, and with 307 or 308 the photo, to an
 * address that menugen_http_check_url() never saw. Such requests are not
 * redirected, and a redirect ends them with this error. */
static gboolean
must_not_redirect (SoupMessage *message)
{
  const char *method = soup_message_get_method (message);

  return carries_credentials (message)
         || (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0);
}

static void
return_redirect_error (GTask *task)
{
  SendData *data = g_task_get_task_data (task);
  SoupMessage *message = data->message;
  GUri *uri = soup_message_get_uri (message);
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                       "Location");
  g_autoptr(GUri) target = location != NULL ? g_uri_parse_relative (uri, location, G_URI_FLAGS_NONE, NULL)
                                            : NULL;
  g_autofree char *origin = menugen_http_describe_origin (uri);
  g_autofree char *target_origin = target != NULL && g_uri_get_host (target) != NULL
                                   ? menugen_http_describe_origin (target)
                                   : g_strdup (_("another address"));

  g_debug ("HTTP %s %s was redirected (%u) to %s, which is not followed",
           soup_message_get_method (message), g_uri_get_path (uri),
           soup_message_get_status (message), target_origin);
  g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE,
                           _("The server at %s redirected the request to %s, and Menugen does not follow redirects with a photo or an API key. Enter the address it redirects to as the server URL if you trust it."),
                           origin, target_origin);
}

static void read_next (GTask *task);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (chunk == NULL)
    {
      fail_transport (task, error);
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      g_clear_handle_id (&data->timer_id, g_source_remove);
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&data->body)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (data->body->len + g_bytes_get_size (chunk) > data->limits.max_response_bytes)
    {
      g_autofree char *limit = menugen_http_describe_size (data->limits.max_response_bytes);

      g_cancellable_cancel (data->inner);
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                               _("The answer from %s is larger than %s, so it was not read. Check that the URL points to an image service."),
                               data->host, limit);
      return;
    }

  g_byte_array_append (data->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  SendData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (data->stream, READ_CHUNK_BYTES, G_PRIORITY_DEFAULT,
                                   data->inner, read_cb, task);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  goffset length;

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      fail_transport (task, error);
      return;
    }

  g_debug ("HTTP %s %s answered %u", soup_message_get_method (data->message),
           g_uri_get_path (soup_message_get_uri (data->message)),
           soup_message_get_status (data->message));

  if (SOUP_STATUS_IS_REDIRECTION (soup_message_get_status (data->message))
      && soup_message_query_flags (data->message, SOUP_MESSAGE_NO_REDIRECT))
    {
      g_clear_handle_id (&data->timer_id, g_source_remove);
      return_redirect_error (task);
      return;
    }

  length = soup_message_headers_get_content_length (soup_message_get_response_headers (data->message));
  if (length > 0 && (guint64) length > data->limits.max_response_bytes)
    {
      g_autofree char *limit = menugen_http_describe_size (data->limits.max_response_bytes);

      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                               _("The answer from %s is larger than %s, so it was not read. Check that the URL points to an image service."),
                               data->host, limit);
      return;
    }

  data->body = g_byte_array_new ();
  read_next (g_steal_pointer (&task));
}

/**
 * menugen_http_send_async:
 * @message: the request
 * @limits: (nullable): timeouts and response cap; defaults when %NULL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the whole body
 * @user_data: data for @callback
 *
 * Sends @message on the shared session and reads the whole body, whatever
 * the HTTP status: callers check soup_message_get_status() before parsing.
 * The connect timeout runs until the request headers are written. The read
 * timeout then covers the upload of the body, and runs again from its end
 * until the whole response is read. Only GET and HEAD requests without a key follow
 * redirects; for any other request a redirect is a %MENUGEN_ERROR_INSECURE
 * error.
 */
void
menugen_http_send_async (SoupMessage             *message,
                         const MenugenHttpLimits *limits,
                         GCancellable            *cancellable,
                         GAsyncReadyCallback      callback,
                         gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  SendData *data;

  g_return_if_fail (SOUP_IS_MESSAGE (message));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_http_send_async);
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (SendData, 1);
  data->message = g_object_ref (message);
  data->host = menugen_http_describe_origin (soup_message_get_uri (message));
  if (limits != NULL)
    data->limits = *limits;
  else
    menugen_http_limits_init_default (&data->limits);
  data->inner = g_cancellable_new ();
  if (cancellable != NULL)
    {
      data->outer = g_object_ref (cancellable);
      data->outer_handler = g_cancellable_connect (cancellable, G_CALLBACK (outer_cancelled_cb),
                                                   data->inner, NULL);
    }
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  if (must_not_redirect (message))
    soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);

  data->wrote_headers_handler = g_signal_connect (message, "wrote-headers", G_CALLBACK (wrote_headers_cb), data);
  data->wrote_body_handler = g_signal_connect (message, "wrote-body", G_CALLBACK (wrote_body_cb), data);
  if (data->limits.connect_timeout_s > 0)
    data->timer_id = g_timeout_add_seconds (data->limits.connect_timeout_s, timer_expired_cb, data);

  soup_session_send_async (menugen_http_get_session (), message, G_PRIORITY_DEFAULT,
                           data->inner, send_cb, g_steal_pointer (&task));
}

GBytes *
menugen_http_send_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * menugen_http_parse_json:
 * @body: a response body
 * @service: the service name for the message, such as "Gemini"
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the root node, or %NULL with
 *   %MENUGEN_ERROR_MALFORMED
 */
JsonNode *
menugen_http_parse_json (GBytes     *body,
                         const char *service,
                         GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  const char *text = g_bytes_get_data (body, &length);

  if (length == 0 || !json_parser_load_from_data (parser, text, length, &local_error)
      || json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The answer from %s is not valid JSON. Check that the URL points to the right service."),
                   service);
      return NULL;
    }

  return json_node_ref (json_parser_get_root (parser));
}

static gboolean
is_private_ipv4 (const guint8 *bytes)
{
  return bytes[0] == 10
         || (bytes[0] == 172 && (bytes[1] & 0xf0) == 16)
         || (bytes[0] == 192 && bytes[1] == 168)
         || (bytes[0] == 169 && bytes[1] == 254);
}

/**
 * menugen_http_host_is_local:
 * @host: a host name or literal address
 *
 * Tells whether @host is this machine or on a private network: "localhost",
 * loopback, RFC 1918, link-local and IPv6 unique-local addresses. No name
 * is resolved, so a host name other than localhost is never local.
 */
gboolean
menugen_http_host_is_local (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return FALSE;

  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_link_local (address)
      || g_inet_address_get_is_site_local (address))
    return TRUE;

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return is_private_ipv4 (g_inet_address_to_bytes (address));

  /* fc00::/7, unique local IPv6 */
  return (g_inet_address_to_bytes (address)[0] & 0xfe) == 0xfc;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
is_host_name (const char *host)
{
  if (g_hostname_is_ip_address (host))
    return TRUE;

  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;

  return TRUE;
}

/* Returns @url with the scheme that it most likely lacks, such as
 * "http://127.0.0.1:8188" for "127.0.0.1:8188" and "https://api.openai.com/v1"
 * for "api.openai.com/v1", or NULL when @url is not a bare host. */
static char *
suggest_scheme (const char *url)
{
  g_autofree char *with_http = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (url == NULL || url[0] == '\0' || strstr (url, "://") != NULL)
    return NULL;

  with_http = g_strconcat ("http://", url, NULL);
  uri = g_uri_parse (with_http, G_URI_FLAGS_NONE, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host == NULL || host[0] == '\0')
    return NULL;

  if (!is_host_name (host))
    return NULL;

  if (menugen_http_host_is_local (host))
    return g_steal_pointer (&with_http);

  return g_strconcat ("https://", url, NULL);
}

static void
set_invalid_url_error (const char  *url,
                       GError     **error)
{
  g_autofree char *suggestion = suggest_scheme (url);

  if (suggestion != NULL)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                 _("The server URL “%s” does not start with http:// or https://. Use “%s” instead."),
                 url, suggestion);
  else
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                 _("The server URL “%s” is not a valid http or https address. Enter one such as http://127.0.0.1:8188."),
                 url != NULL ? url : "");
}

/**
 * menugen_http_check_url:
 * @url: a base URL from the configuration
 * @sends_key: whether a key will travel with requests to @url
 * @local_only: whether only local hosts are allowed
 * @error: return location for a #GError
 *
 * Rejects URLs that are malformed, not http(s), carry credentials, would
 * send a key over plain http to a host that is not loopback, or leave
 * the machine while "local only" is on.
 */
gboolean
menugen_http_check_url (const char *url,
                        gboolean    sends_key,
                        gboolean    local_only,
                        GError    **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  uri = g_uri_parse (url != NULL ? url : "", G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (uri == NULL || host == NULL || host[0] == '\0'
      || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      set_invalid_url_error (url, error);
      return FALSE;
    }

  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE,
                   _("The server URL for %s contains a user name or password. Remove it and enter the key in Preferences instead."),
                   host);
      return FALSE;
    }

  if (sends_key && g_str_equal (scheme, "http") && !host_is_loopback (host))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE,
                   _("The API key would be sent unencrypted to %s. Use an https:// URL for this server."),
                   host);
      return FALSE;
    }

  if (local_only && !menugen_http_host_is_local (host))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_LOCAL_ONLY,
                   _("“Local only” is on, so the photo will not be sent to %s. Turn it off in Preferences or choose a local back-end."),
                   host);
      return FALSE;
    }

  return TRUE;
}

/* Joins a base URL that may end in a slash with a path that starts with one. */
char *
menugen_http_join_url (const char *base_url,
                       const char *path)
{
  g_autofree char *base = g_strdup (base_url);
  gsize length = strlen (base);

  while (length > 0 && base[length - 1] == '/')
    base[--length] = '\0';

  return g_strconcat (base, path[0] == '/' ? "" : "/", path, NULL);
}

/**
 * menugen_http_retry_after_seconds:
 * @message: a response
 *
 * Reads `retry-after-ms` or `Retry-After` (seconds or an HTTP date).
 *
 * Returns: the delay in whole seconds rounded up, or -1 when absent
 */
int
menugen_http_retry_after_seconds (SoupMessage *message)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  const char *value;

  value = soup_message_headers_get_one (headers, "retry-after-ms");
  if (value != NULL && g_ascii_isdigit (value[0]))
    return (int) ((g_ascii_strtoull (value, NULL, 10) + 999) / 1000);

  value = soup_message_headers_get_one (headers, "Retry-After");
  if (value == NULL)
    return -1;

  if (g_ascii_isdigit (value[0]))
    return (int) MIN (g_ascii_strtoull (value, NULL, 10), G_MAXINT);

  {
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (value);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

    if (when == NULL)
      return -1;

    return (int) MAX (0, g_date_time_difference (when, now) / G_TIME_SPAN_SECOND);
  }
}

/**
 * menugen_http_describe_origin:
 * @uri: a URI with a host
 *
 * Names the server of @uri as host, or host:port when the URI names a
 * port, for messages. The port is kept because several local servers
 * often share one host. The path and query are left out, as a redirect
 * target may carry a token in them.
 *
 * Returns: (transfer full): the host or host:port
 */
char *
menugen_http_describe_origin (GUri *uri)
{
  g_return_val_if_fail (uri != NULL, NULL);

  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));

  return g_strdup (g_uri_get_host (uri));
}

/**
 * menugen_http_describe_server:
 * @url: a server URL from the configuration
 *
 * Names the server of @url as menugen_http_describe_origin() does. A URL
 * that does not parse, or has no host, is returned as it is.
 *
 * Returns: (transfer full): the host, host:port or @url
 */
char *
menugen_http_describe_server (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (url);

  return menugen_http_describe_origin (uri);
}

/**
 * menugen_http_shorten_text:
 * @text: (nullable): text from a server or a model
 * @max_chars: the maximum length of the result, in characters, before "…"
 *
 * Collapses white space and cuts @text to @max_chars characters, so that
 * it can be quoted in one sentence of a message. Invalid UTF-8 is
 * replaced. Mask any API key with menugen_secrets_mask_key() first.
 *
 * Returns: (transfer full): the shortened text, "" for %NULL
 */
char *
menugen_http_shorten_text (const char *text,
                           guint       max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  g_autoptr(GString) flat = g_string_new (NULL);
  g_autofree char *cut = NULL;

  for (const char *p = valid; *p != '\0'; p++)
    {
      if (!g_ascii_isspace (*p))
        g_string_append_c (flat, *p);
      else if (flat->len > 0 && flat->str[flat->len - 1] != ' ')
        g_string_append_c (flat, ' ');
    }
  if (flat->len > 0 && flat->str[flat->len - 1] == ' ')
    g_string_truncate (flat, flat->len - 1);

  if (g_utf8_strlen (flat->str, -1) <= (glong) max_chars)
    return g_string_free (g_steal_pointer (&flat), FALSE);

  cut = g_utf8_substring (flat->str, 0, max_chars);
  return g_strconcat (g_strchomp (cut), "…", NULL);
}

/**
 * menugen_http_shorten_sentence:
 * @text: (nullable): text from a server or a model
 * @max_chars: the maximum length, as for menugen_http_shorten_text()
 *
 * Shortens @text like menugen_http_shorten_text() and ends it with a full
 * stop unless it already ends in ".", "!", "?" or "…", so that the next
 * sentence of a message can follow it.
 *
 * Returns: (transfer full): the sentence, or "" when @text has no text
 */
char *
menugen_http_shorten_sentence (const char *text,
                               guint       max_chars)
{
  g_autofree char *short_text = menugen_http_shorten_text (text, max_chars);

  if (short_text[0] == '\0' || g_str_has_suffix (short_text, ".") || g_str_has_suffix (short_text, "!")
      || g_str_has_suffix (short_text, "?") || g_str_has_suffix (short_text, "…"))
    return g_steal_pointer (&short_text);

  return g_strconcat (short_text, ".", NULL);
}

/* Formats a byte count the way the window shows sizes ("640 KB", "3.2 MB"). */
char *
menugen_http_describe_size (gsize bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}
