#include "config.h"

#include <string.h>

#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "test-util.h"

typedef struct {
  SoupServer *server;
  char *base_url;
} Fixture;

typedef struct {
  gboolean done;
  GBytes *body;
  GError *error;
} Outcome;

typedef struct {
  SoupServerMessage *message;
  guint timeout_id;
  gulong finished_handler;
  gulong disconnected_handler;
} LateReply;

static void
late_reply_free (LateReply *reply)
{
  g_clear_handle_id (&reply->timeout_id, g_source_remove);
  g_clear_signal_handler (&reply->finished_handler, reply->message);
  g_clear_signal_handler (&reply->disconnected_handler, reply->message);
  g_object_unref (reply->message);
  g_free (reply);
}

static gboolean
reply_later_cb (gpointer user_data)
{
  LateReply *reply = user_data;

  reply->timeout_id = 0;
  soup_server_message_set_status (reply->message, 200, NULL);
  soup_server_message_set_response (reply->message, "text/plain", SOUP_MEMORY_STATIC, "late", 4);
  soup_server_message_unpause (reply->message);
  late_reply_free (reply);

  return G_SOURCE_REMOVE;
}

static void
late_reply_finished_cb (SoupServerMessage *message,
                        gpointer           user_data)
{
  late_reply_free (user_data);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  if (g_str_equal (path, "/ok"))
    {
      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC, "{\"a\":1}", 7);
    }
  else if (g_str_equal (path, "/slow"))
    {
      LateReply *reply = g_new0 (LateReply, 1);

      reply->message = g_object_ref (message);
      reply->finished_handler = g_signal_connect (message, "finished", G_CALLBACK (late_reply_finished_cb), reply);
  reply->disconnected_handler = g_signal_connect (message, "disconnected", G_CALLBACK (late_reply_finished_cb), reply);
      soup_server_message_pause (message);
      reply->timeout_id = g_timeout_add_seconds (3, reply_later_cb, reply);
    }
  else if (g_str_equal (path, "/big"))
    {
      char *body = g_malloc0 (2 * 1024 * 1024);

      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        body, 2 * 1024 * 1024);
    }
  else if (g_str_equal (path, "/retry-ms"))
    {
      soup_message_headers_append (soup_server_message_get_response_headers (message), "retry-after-ms", "1500");
      soup_server_message_set_status (message, 429, NULL);
    }
  else if (g_str_equal (path, "/retry-s"))
    {
      soup_message_headers_append (soup_server_message_get_response_headers (message), "Retry-After", "37");
      soup_server_message_set_status (message, 429, NULL);
    }
  else if (g_str_equal (path, "/redirect"))
    {
      const char *status = g_hash_table_lookup (query, "status");

      soup_message_headers_append (soup_server_message_get_response_headers (message), "Location",
                                   g_hash_table_lookup (query, "to"));
      soup_server_message_set_status (message, (guint) g_ascii_strtoull (status, NULL, 10), NULL);
    }
  else
    soup_server_message_set_status (message, 404, NULL);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  menugen_test_use_loopback_session ();
  fixture->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->server, NULL, handler_cb, NULL, NULL);
  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->server);
  fixture->base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_free (fixture->base_url);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->body = menugen_http_send_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static SoupMessage *
send_and_wait (const char              *url,
               const MenugenHttpLimits *limits,
               GCancellable            *cancellable,
               Outcome                 *outcome)
{
  SoupMessage *message = soup_message_new ("GET", url);

  menugen_http_send_async (message, limits, cancellable, send_done_cb, outcome);
  g_assert_true (menugen_test_wait_for (&outcome->done, 20));

  return message;
}

static void
test_http_reads_body (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->base_url, "/ok", NULL);
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = send_and_wait (url, NULL, NULL, &outcome);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  root = menugen_http_parse_json (outcome.body, "test", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "a"), ==, 1);
  g_bytes_unref (outcome.body);
}

static void
test_http_read_timeout_names_limit (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->base_url, "/slow", NULL);
  MenugenHttpLimits limits;
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = NULL;

  menugen_http_limits_init_default (&limits);
  limits.read_timeout_s = 1;
  message = send_and_wait (url, &limits, NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (outcome.error->message, "1 s"));
  g_assert_nonnull (strstr (outcome.error->message, "127.0.0.1"));
  g_clear_error (&outcome.error);
}

static void
test_http_long_read_timeout_waits (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->base_url, "/slow", NULL);
  MenugenHttpLimits limits;
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = NULL;

  menugen_http_limits_init_default (&limits);
  g_assert_cmpuint (limits.read_timeout_s, >=, 150);
  limits.read_timeout_s = 10;
  message = send_and_wait (url, &limits, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (g_bytes_get_size (outcome.body), ==, 4);
  g_bytes_unref (outcome.body);
}

static void
test_http_response_cap (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->base_url, "/big", NULL);
  MenugenHttpLimits limits;
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = NULL;

  menugen_http_limits_init_default (&limits);
  limits.max_response_bytes = 1024 * 1024;
  message = send_and_wait (url, &limits, NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_clear_error (&outcome.error);
}

static void
test_http_cancel (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->base_url, "/slow", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  Outcome outcome = { 0 };

  menugen_http_send_async (message, NULL, cancellable, send_done_cb, &outcome);
  g_timeout_add_once (200, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  g_assert_true (menugen_test_wait_for (&outcome.done, 10));

  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&outcome.error);
}

static void
test_http_unreachable (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) message = NULL;
  Outcome outcome = { 0 };
  guint16 port;

  /* Find a free port, then close it so nothing listens there. */
  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_listener_close (listener);

  url = g_strdup_printf ("http://127.0.0.1:%u/ok", port);
  message = send_and_wait (url, NULL, NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (outcome.error->message, "127.0.0.1"));
  g_clear_error (&outcome.error);
}

static void
test_http_retry_after (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *url_ms = g_strconcat (fixture->base_url, "/retry-ms", NULL);
  g_autofree char *url_s = g_strconcat (fixture->base_url, "/retry-s", NULL);
  g_autofree char *url_none = g_strconcat (fixture->base_url, "/ok", NULL);
  Outcome first = { 0 }, second = { 0 }, third = { 0 };
  g_autoptr(SoupMessage) message_ms = send_and_wait (url_ms, NULL, NULL, &first);
  g_autoptr(SoupMessage) message_s = send_and_wait (url_s, NULL, NULL, &second);
  g_autoptr(SoupMessage) message_none = send_and_wait (url_none, NULL, NULL, &third);

  g_assert_cmpint (menugen_http_retry_after_seconds (message_ms), ==, 2);
  g_assert_cmpint (menugen_http_retry_after_seconds (message_s), ==, 37);
  g_assert_cmpint (menugen_http_retry_after_seconds (message_none), ==, -1);
  g_bytes_unref (first.body);
  g_bytes_unref (second.body);
  g_bytes_unref (third.body);
}

/* The target of a redirect counts the requests that reach it. */
static void
count_request_cb (SoupServer        *server,
                  SoupServerMessage *message,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  guint *count = user_data;

  (*count)++;
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "target", 6);
}

static SoupServer *
start_redirect_target (guint  *count,
                       char  **url_out)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  soup_server_add_handler (server, NULL, count_request_cb, count, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  *url_out = g_strdup_printf ("http://127.0.0.1:%d/elsewhere", g_uri_get_port (uris->data));

  return server;
}

static char *
build_redirect_url (Fixture    *fixture,
                    const char *status,
                    const char *target_url)
{
  g_autofree char *escaped = g_uri_escape_string (target_url, NULL, FALSE);

  return g_strdup_printf ("%s/redirect?status=%s&to=%s", fixture->base_url, status, escaped);
}

/* A key or a photo must not follow a redirect to an address that
 * menugen_http_check_url() never checked, whatever the redirect status. */
static void
test_http_redirect_not_followed (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *statuses[] = { "301", "302", "303", "307", "308" };
  guint count = 0;
  g_autofree char *target_url = NULL;
  g_autoptr(SoupServer) target = start_redirect_target (&count, &target_url);
  g_autofree char *target_origin = g_strndup (target_url, strlen (target_url) - strlen ("/elsewhere"));

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    for (guint with_key = 0; with_key < 2; with_key++)
      {
        g_autofree char *url = build_redirect_url (fixture, statuses[i], target_url);
        g_autoptr(SoupMessage) message = soup_message_new (with_key ? "GET" : "POST", url);
        g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
        Outcome outcome = { 0 };

        if (with_key)
          soup_message_headers_replace (soup_message_get_request_headers (message),
                                        "x-goog-api-key", "test-key-not-real");
        else
          soup_message_set_request_body_from_bytes (message, "application/json", body);

        menugen_http_send_async (message, NULL, NULL, send_done_cb, &outcome);
        g_assert_true (menugen_test_wait_for (&outcome.done, 20));

        g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE);
        g_assert_nonnull (strstr (outcome.error->message, target_origin + strlen ("http://")));
        g_assert_null (strstr (outcome.error->message, "test-key-not-real"));
        g_assert_null (strstr (outcome.error->message, "/elsewhere"));
        g_clear_error (&outcome.error);
      }

  g_assert_cmpuint (count, ==, 0);
  soup_server_disconnect (target);
}

/* Image downloads carry neither a key nor a body, and storage hosts do
 * redirect them. */
static void
test_http_redirect_followed_for_plain_get (Fixture       *fixture,
                                           gconstpointer  data)
{
  guint count = 0;
  g_autofree char *target_url = NULL;
  g_autoptr(SoupServer) target = start_redirect_target (&count, &target_url);
  g_autofree char *url = build_redirect_url (fixture, "302", target_url);
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = send_and_wait (url, NULL, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (outcome.body, NULL), g_bytes_get_size (outcome.body), "target", 6);
  g_assert_cmpuint (count, ==, 1);
  g_bytes_unref (outcome.body);
  soup_server_disconnect (target);
}

/* A download may follow redirects, but not to a data: URL, and the
 * message must not quote that URL, which can be megabytes long. */
static void
test_http_redirect_to_data_url (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *payload = g_strnfill (4000, 'A');
  g_autofree char *target = g_strconcat ("data:image/png;base64,", payload, NULL);
  g_autofree char *url = build_redirect_url (fixture, "302", target);
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = send_and_wait (url, NULL, NULL, &outcome);

  g_assert_nonnull (outcome.error);
  g_assert_true (outcome.error->domain == MENUGEN_ERROR);
  g_assert_nonnull (strstr (outcome.error->message, "redirected"));
  g_assert_null (strstr (outcome.error->message, "AAAA"));
  g_assert_cmpuint (strlen (outcome.error->message), <, 400);
  g_clear_error (&outcome.error);
}

/* A hand-written HTTP server for what SoupServer does not do: never read
 * the request, or end a response early. Each connection runs in its own
 * thread, so blocking reads and writes do not stall the client, which
 * runs on the test's main loop. */
typedef enum {
  RAW_STALL,      /* reads nothing and sends nothing */
  RAW_TRICKLE,    /* sends the headers and the first bytes, then nothing */
  RAW_BREAK,      /* sends the headers and the first bytes, then closes */
} RawMode;

typedef struct {
  GSocketService *service;
  RawMode mode;
  gint stopped;
  char *url;
} RawServer;

static void
wait_until_stopped (RawServer *raw)
{
  while (!g_atomic_int_get (&raw->stopped))
    g_usleep (20 * 1000);
}

/* Reads up to the blank line that ends the request headers. */
static void
read_request_head (GInputStream *input)
{
  GString *head = g_string_new (NULL);
  char byte;

  while (!g_str_has_suffix (head->str, "\r\n\r\n")
         && g_input_stream_read (input, &byte, 1, NULL, NULL) == 1)
    g_string_append_c (head, byte);

  g_string_free (head, TRUE);
}

static gboolean
raw_run_cb (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source,
            gpointer                user_data)
{
  RawServer *raw = user_data;
  const char *answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n{\"a\":";

  if (raw->mode != RAW_STALL)
    {
      read_request_head (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 answer, strlen (answer), NULL, NULL, NULL);
    }

  if (raw->mode != RAW_BREAK)
    wait_until_stopped (raw);

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static RawServer *
raw_server_start (RawMode mode)
{
  RawServer *raw = g_new0 (RawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  raw->mode = mode;
  raw->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (raw->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (raw->service, "run", G_CALLBACK (raw_run_cb), raw);
  g_socket_service_start (raw->service);
  raw->url = g_strdup_printf ("http://127.0.0.1:%u/raw",
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  return raw;
}

/* Releases the connection threads, then waits until they are gone, as they
 * use @raw. */
static void
raw_server_stop (RawServer *raw)
{
  g_atomic_int_set (&raw->stopped, 1);
  g_socket_service_stop (raw->service);
  g_socket_listener_close (G_SOCKET_LISTENER (raw->service));
  g_usleep (200 * 1000);
  g_object_unref (raw->service);
  g_free (raw->url);
  g_free (raw);
}

/* A photo upload that outlasts the connect timeout on a slow uplink must
 * get the read timeout, and the message must not blame the connection. */
static void
test_http_slow_upload_gets_read_timeout (void)
{
  RawServer *raw = raw_server_start (RAW_STALL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", raw->url);
  g_autoptr(GBytes) body = g_bytes_new_take (g_malloc0 (32 * 1024 * 1024), 32 * 1024 * 1024);
  MenugenHttpLimits limits;
  Outcome outcome = { 0 };
  gint64 start = g_get_monotonic_time ();

  menugen_test_use_loopback_session ();
  menugen_http_limits_init_default (&limits);
  limits.connect_timeout_s = 1;
  limits.read_timeout_s = 3;
  soup_message_set_request_body_from_bytes (message, "application/octet-stream", body);
  menugen_http_send_async (message, &limits, NULL, send_done_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, 20));

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (outcome.error->message, "3 s"));
  g_assert_null (strstr (outcome.error->message, "Could not connect"));
  g_assert_nonnull (strstr (outcome.error->message, "Sending the request"));
  /* g_timeout_add_seconds() fires on whole-second boundaries, so the 3 s
   * timer can end up to a second early; 2 s still rules out the 1 s
   * connect timeout. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2000 * G_TIME_SPAN_MILLISECOND);
  g_clear_error (&outcome.error);
  raw_server_stop (raw);
}

static void
test_http_incomplete_answer_times_out (void)
{
  RawServer *raw = raw_server_start (RAW_TRICKLE);
  MenugenHttpLimits limits;
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = NULL;

  menugen_test_use_loopback_session ();
  menugen_http_limits_init_default (&limits);
  limits.read_timeout_s = 1;
  message = send_and_wait (raw->url, &limits, NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (outcome.error->message, "incomplete"));
  g_assert_nonnull (strstr (outcome.error->message, "--read-timeout"));
  g_clear_error (&outcome.error);
  raw_server_stop (raw);
}

/* A server that was reached and then broke off its response was not
 * unreachable, and the message must tell the two apart. */
static void
test_http_broken_answer (void)
{
  RawServer *raw = raw_server_start (RAW_BREAK);
  Outcome outcome = { 0 };
  g_autoptr(SoupMessage) message = NULL;

  menugen_test_use_loopback_session ();
  message = send_and_wait (raw->url, NULL, NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (outcome.error->message, "broke"));
  g_assert_null (strstr (outcome.error->message, "Could not reach"));
  g_clear_error (&outcome.error);
  raw_server_stop (raw);
}

static void
test_http_parse_json_rejects_html (void)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("<html>502</html>", 16);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = menugen_http_parse_json (body, "Gemini", &error);

  g_assert_null (root);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "Gemini"));
}

static void
test_http_check_url (void)
{
  struct {
    const char *url;
    gboolean sends_key;
    gboolean local_only;
    int expected;   /* -1 means accepted */
  } cases[] = {
    { "https://generativelanguage.googleapis.com", TRUE, FALSE, -1 },
    { "http://127.0.0.1:8188", TRUE, FALSE, -1 },
    { "http://localhost:1234/v1", TRUE, TRUE, -1 },
    { "http://192.168.1.20:8188", FALSE, TRUE, -1 },
    { "http://[::1]:8188", TRUE, TRUE, -1 },
    { "http://192.168.1.20:8188", TRUE, FALSE, MENUGEN_ERROR_INSECURE },
    { "http://api.example.test/v1", TRUE, FALSE, MENUGEN_ERROR_INSECURE },
    { "https://api.openai.com/v1", TRUE, TRUE, MENUGEN_ERROR_LOCAL_ONLY },
    { "https://user:secret@api.example.test/v1", FALSE, FALSE, MENUGEN_ERROR_INSECURE },
    { "ftp://127.0.0.1/", FALSE, FALSE, MENUGEN_ERROR_NO_BACKEND },
    { "not a url", FALSE, FALSE, MENUGEN_ERROR_NO_BACKEND },
    { "", FALSE, FALSE, MENUGEN_ERROR_NO_BACKEND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean accepted = menugen_http_check_url (cases[i].url, cases[i].sends_key, cases[i].local_only, &error);

      if (cases[i].expected < 0)
        {
          g_assert_no_error (error);
          g_assert_true (accepted);
        }
      else
        {
          g_assert_false (accepted);
          g_assert_error (error, MENUGEN_ERROR, cases[i].expected);
          g_assert_null (strstr (error->message, "secret"));
        }
    }
}

/* A URL typed without its scheme gets a suggestion with the scheme that
 * fits the host. */
static void
test_http_check_url_suggests_scheme (void)
{
  const struct {
    const char *url;
    const char *suggestion;   /* NULL when none fits */
  } cases[] = {
    { "127.0.0.1:8188", "“http://127.0.0.1:8188”" },
    { "localhost:1234/v1", "“http://localhost:1234/v1”" },
    { "api.openai.com/v1", "“https://api.openai.com/v1”" },
    { "generativelanguage.googleapis.com", "“https://generativelanguage.googleapis.com”" },
    { "not a url", NULL },
    { "ftp://127.0.0.1/", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (menugen_http_check_url (cases[i].url, FALSE, FALSE, &error));
      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND);
      g_assert_nonnull (strstr (error->message, cases[i].url));
      if (cases[i].suggestion != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].suggestion));
      else
        g_assert_null (strstr (error->message, "instead"));
    }
}

static void
test_http_host_is_local (void)
{
  g_assert_true (menugen_http_host_is_local ("localhost"));
  g_assert_true (menugen_http_host_is_local ("127.0.0.1"));
  g_assert_true (menugen_http_host_is_local ("::1"));
  g_assert_true (menugen_http_host_is_local ("10.1.2.3"));
  g_assert_true (menugen_http_host_is_local ("172.20.0.5"));
  g_assert_true (menugen_http_host_is_local ("192.168.0.9"));
  g_assert_true (menugen_http_host_is_local ("fd12:3456::1"));
  g_assert_false (menugen_http_host_is_local ("172.32.0.1"));
  g_assert_false (menugen_http_host_is_local ("8.8.8.8"));
  g_assert_false (menugen_http_host_is_local ("api.openai.com"));
  g_assert_false (menugen_http_host_is_local (NULL));
}

static void
test_http_join_url (void)
{
  g_autofree char *a = menugen_http_join_url ("https://api.openai.com/v1", "/images/edits");
  g_autofree char *b = menugen_http_join_url ("https://api.openai.com/v1/", "/images/edits");
  g_autofree char *c = menugen_http_join_url ("http://127.0.0.1:8188//", "prompt");

  g_assert_cmpstr (a, ==, "https://api.openai.com/v1/images/edits");
  g_assert_cmpstr (b, ==, "https://api.openai.com/v1/images/edits");
  g_assert_cmpstr (c, ==, "http://127.0.0.1:8188/prompt");
}

static void
test_http_describe_server (void)
{
  g_autofree char *plain = menugen_http_describe_server ("https://openrouter.ai/api/v1");
  g_autofree char *with_port = menugen_http_describe_server ("http://127.0.0.1:8080/v1");
  g_autofree char *no_host = menugen_http_describe_server ("not a url");

  g_assert_cmpstr (plain, ==, "openrouter.ai");
  g_assert_cmpstr (with_port, ==, "127.0.0.1:8080");
  g_assert_cmpstr (no_host, ==, "not a url");
}

static void
test_http_shorten_text (void)
{
  g_autofree char *flat = menugen_http_shorten_text ("  Model\n\n  overloaded\t now  ", 300);
  g_autofree char *cut = menugen_http_shorten_text ("abcd efgh", 5);
  g_autofree char *empty = menugen_http_shorten_text (NULL, 300);
  g_autofree char *sentence = menugen_http_shorten_sentence ("Model overloaded", 300);
  g_autofree char *question = menugen_http_shorten_sentence ("Is the key valid?", 300);
  g_autofree char *cut_sentence = menugen_http_shorten_sentence ("abcd efgh", 5);
  g_autofree char *no_sentence = menugen_http_shorten_sentence (" \n ", 300);

  g_assert_cmpstr (flat, ==, "Model overloaded now");
  g_assert_cmpstr (cut, ==, "abcd…");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (sentence, ==, "Model overloaded.");
  g_assert_cmpstr (question, ==, "Is the key valid?");
  g_assert_cmpstr (cut_sentence, ==, "abcd…");
  g_assert_cmpstr (no_sentence, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/http/reads-body", Fixture, NULL, fixture_set_up, test_http_reads_body, fixture_tear_down);
  g_test_add ("/http/read-timeout-names-limit", Fixture, NULL, fixture_set_up, test_http_read_timeout_names_limit, fixture_tear_down);
  g_test_add ("/http/long-read-timeout-waits", Fixture, NULL, fixture_set_up, test_http_long_read_timeout_waits, fixture_tear_down);
  g_test_add ("/http/response-cap", Fixture, NULL, fixture_set_up, test_http_response_cap, fixture_tear_down);
  g_test_add ("/http/cancel", Fixture, NULL, fixture_set_up, test_http_cancel, fixture_tear_down);
  g_test_add ("/http/unreachable", Fixture, NULL, fixture_set_up, test_http_unreachable, fixture_tear_down);
  g_test_add ("/http/retry-after", Fixture, NULL, fixture_set_up, test_http_retry_after, fixture_tear_down);
  g_test_add ("/http/redirect-not-followed", Fixture, NULL, fixture_set_up, test_http_redirect_not_followed, fixture_tear_down);
  g_test_add ("/http/redirect-followed-for-plain-get", Fixture, NULL, fixture_set_up, test_http_redirect_followed_for_plain_get, fixture_tear_down);
  g_test_add ("/http/redirect-to-data-url", Fixture, NULL, fixture_set_up, test_http_redirect_to_data_url, fixture_tear_down);
  g_test_add_func ("/http/slow-upload-gets-read-timeout", test_http_slow_upload_gets_read_timeout);
  g_test_add_func ("/http/incomplete-answer-times-out", test_http_incomplete_answer_times_out);
  g_test_add_func ("/http/broken-answer", test_http_broken_answer);
  g_test_add_func ("/http/parse-json-rejects-html", test_http_parse_json_rejects_html);
  g_test_add_func ("/http/check-url", test_http_check_url);
  g_test_add_func ("/http/check-url-suggests-scheme", test_http_check_url_suggests_scheme);
  g_test_add_func ("/http/host-is-local", test_http_host_is_local);
  g_test_add_func ("/http/join-url", test_http_join_url);
  g_test_add_func ("/http/describe-server", test_http_describe_server);
  g_test_add_func ("/http/shorten-text", test_http_shorten_text);

  return g_test_run ();
}
