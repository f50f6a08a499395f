#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "backends/menugen-backend-gemini.h"
#include "core/menugen-error.h"
#include "fake-server.h"
#include "test-util.h"

#define TEST_KEY "test-key-not-real"
#define INSTRUCTION "Turn this menu photo into one illustrated menu. Keep every dish name and price verbatim."
#define DEFAULT_PATH "/v1beta/models/gemini-2.5-flash-image:generateContent"
#define WAIT_S 30

/* The delay of the fake's reply in the "slow" scenario. */
#define SLOW_REPLY_US (3 * G_USEC_PER_SEC)

typedef struct {
  FakeServer *fake;
  MenugenBackendConfig *config;
  MenugenRequest *request;
  GCancellable *cancellable;
  GArray *stages;
  GPtrArray *details;
  gboolean saw_waiting;
  gboolean saw_retry_notice;
  MenugenResult *result;
  GError *error;
  gboolean done;
  gint64 started_us;
} Fixture;

static void
setup (Fixture       *fixture,
       gconstpointer  scenario)
{
  GBytes *photo = menugen_test_make_jpeg (96, 128, 1, FALSE);

  fixture->fake = fake_server_new ("gemini", scenario);
  fixture->config = menugen_backend_config_new ("gemini");
  g_free (fixture->config->url);
  fixture->config->url = g_strdup (fake_server_get_url (fixture->fake));
  fixture->config->api_key = g_strdup (TEST_KEY);

  fixture->request = menugen_request_new ();
  fixture->request->photo = photo;
  fixture->request->photo_mime_type = g_strdup ("image/jpeg");
  fixture->request->photo_width = 96;
  fixture->request->photo_height = 128;
  fixture->request->instruction = g_strdup (INSTRUCTION);
  fixture->request->aspect_ratio = g_strdup ("3:4");

  fixture->cancellable = g_cancellable_new ();
  fixture->stages = g_array_new (FALSE, FALSE, sizeof (int));
  fixture->details = g_ptr_array_new_with_free_func (g_free);
}

/* Lets a delayed reply of the "slow" scenario go out before the fake is
 * freed, so that it does not fire during a later test. */
static void
drain_slow_reply (Fixture *fixture)
{
  gboolean never = FALSE;
  gint64 remaining_us = fixture->started_us + SLOW_REPLY_US + G_USEC_PER_SEC / 2 - g_get_monotonic_time ();

  if (fixture->started_us == 0 || g_strcmp0 (fake_server_get_scenario (fixture->fake), "slow") != 0 || remaining_us <= 0)
    return;

  menugen_test_wait_for (&never, (guint) (remaining_us / G_USEC_PER_SEC) + 1);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  scenario)
{
  drain_slow_reply (fixture);
  g_clear_pointer (&fixture->fake, fake_server_free);
  g_clear_pointer (&fixture->config, menugen_backend_config_free);
  g_clear_pointer (&fixture->request, menugen_request_free);
  g_clear_object (&fixture->cancellable);
  g_clear_pointer (&fixture->stages, g_array_unref);
  g_clear_pointer (&fixture->details, g_ptr_array_unref);
  g_clear_pointer (&fixture->result, menugen_result_free);
  g_clear_error (&fixture->error);
}

static void
progress_cb (MenugenBackend *backend,
             int             stage,
             double          fraction,
             const char     *detail,
             gpointer        user_data)
{
  Fixture *fixture = user_data;

  g_array_append_val (fixture->stages, stage);
  g_ptr_array_add (fixture->details, g_strdup (detail));

  if (stage == MENUGEN_STAGE_WAITING && detail == NULL)
    fixture->saw_waiting = TRUE;
  if (stage == MENUGEN_STAGE_WAITING && detail != NULL)
    fixture->saw_retry_notice = TRUE;
}

static void
generate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->result = menugen_backend_generate_finish (MENUGEN_BACKEND (source), result, &fixture->error);
  fixture->done = TRUE;
}

static MenugenBackend *
start (Fixture *fixture)
{
  MenugenBackend *backend = menugen_backend_gemini_new (fixture->config);

  g_signal_connect (backend, "progress", G_CALLBACK (progress_cb), fixture);
  fixture->started_us = g_get_monotonic_time ();
  menugen_backend_generate_async (backend, fixture->request, fixture->cancellable, generate_cb, fixture);

  return backend;
}

static void
run (Fixture *fixture)
{
  g_autoptr(MenugenBackend) backend = start (fixture);

  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));
}

/* Runs one job that must fail with @code and returns its message. */
static const char *
run_expecting_error (Fixture *fixture,
                     int      code)
{
  run (fixture);
  g_assert_null (fixture->result);
  g_assert_error (fixture->error, MENUGEN_ERROR, code);

  return fixture->error->message;
}

static void
run_expecting_success (Fixture *fixture)
{
  run (fixture);
  g_assert_no_error (fixture->error);
  g_assert_nonnull (fixture->result);
  g_assert_nonnull (fixture->result->image);
}

/* Returns the request body that the fake accepted last, parsed. */
static JsonObject *
last_request (Fixture    *fixture,
              JsonParser *parser)
{
  GBytes *body = fake_server_get_last_body (fixture->fake);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (body);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_node_get_object (json_parser_get_root (parser));
}

static JsonObject *
generation_config (JsonObject *request)
{
  g_assert_true (json_object_has_member (request, "generationConfig"));

  return json_object_get_object_member (request, "generationConfig");
}

static void
test_success_image_only (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) expected = fake_make_png (768, 1024);
  gsize length = 0;
  const guint8 *bytes;

  run_expecting_success (fixture);
  bytes = g_bytes_get_data (fixture->result->image, &length);

  /* The fake puts a 768 × 1024 PNG in place of the fixture's 1 × 1 stub,
   * and the back-end passes its bytes on unchanged. */
  g_assert_cmpmem (bytes, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
  g_assert_cmpmem (bytes, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpstr (fixture->result->mime_type, ==, "image/png");
  g_assert_null (fixture->result->notes);
  g_assert_cmpstr (fixture->result->model, ==, "gemini-2.5-flash-image-preview");
  menugen_test_assert_image_size (fixture->result->image, 768, 1024);
  menugen_test_assert_no_violations (fixture->fake);
}

static void
test_text_before_image (Fixture       *fixture,
                        gconstpointer  data)
{
  run_expecting_success (fixture);

  g_assert_cmpstr (fixture->result->mime_type, ==, "image/png");
  g_assert_cmpstr (fixture->result->notes, ==,
                   "Here is your illustrated menu. I kept the dish names and prices as written.");
  g_assert_cmpstr (fixture->result->model, ==, "gemini-2.5-flash-image");
}

static void
test_snake_case (Fixture       *fixture,
                 gconstpointer  data)
{
  run_expecting_success (fixture);

  g_assert_cmpstr (fixture->result->notes, ==, "Menu ready.");
  g_assert_cmpstr (fixture->result->model, ==, "gemini-2.5-flash-image");
  menugen_test_assert_image_size (fixture->result->image, 40, 30);
}

static void
test_last_image_wins (Fixture       *fixture,
                      gconstpointer  data)
{
  run_expecting_success (fixture);

  /* The fake declares the last image as JPEG, but its bytes are PNG. */
  g_assert_cmpstr (fixture->result->mime_type, ==, "image/png");
  g_assert_cmpstr (fixture->result->notes, ==, "A second version with larger dish names.");
  menugen_test_assert_image_size (fixture->result->image, 64, 48);
}

static void
test_portrait (Fixture       *fixture,
               gconstpointer  data)
{
  run_expecting_success (fixture);

  menugen_test_assert_image_size (fixture->result->image, 768, 1024);
}

static void
test_square_for_portrait (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *image_config;

  run_expecting_success (fixture);

  image_config = json_object_get_object_member (generation_config (last_request (fixture, parser)), "imageConfig");
  g_assert_nonnull (image_config);
  g_assert_cmpstr (json_object_get_string_member (image_config, "aspectRatio"), ==, "3:4");

  /* The back-end passes the square image on untouched; the viewer
   * letterboxes it instead of stretching it to the requested ratio. */
  menugen_test_assert_image_size (fixture->result->image, 1024, 1024);
}

static void
test_gemini_3_thoughts (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *image_config;

  g_free (fixture->config->model);
  fixture->config->model = g_strdup ("gemini-3-pro-image-preview");
  run_expecting_success (fixture);

  g_assert_cmpstr (fixture->result->notes, ==, "Here is the illustrated menu.");
  g_assert_cmpstr (fixture->result->model, ==, "gemini-3-pro-image-preview");
  menugen_test_assert_image_size (fixture->result->image, 64, 48);

  image_config = json_object_get_object_member (generation_config (last_request (fixture, parser)), "imageConfig");
  g_assert_cmpstr (json_object_get_string_member (image_config, "imageSize"), ==, "2K");
  g_assert_cmpstr (json_object_get_string_member (image_config, "aspectRatio"), ==, "3:4");
  menugen_test_assert_no_violations (fixture->fake);
}

static void
test_refusal_no_content (Fixture       *fixture,
                         gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REFUSED);

  g_assert_nonnull (strstr (message, "IMAGE_PROHIBITED_CONTENT"));
}

static void
test_refusal_finish_message (Fixture       *fixture,
                             gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REFUSED);

  g_assert_nonnull (strstr (message, "IMAGE_PROHIBITED_CONTENT"));
  g_assert_nonnull (strstr (message, "Prohibited Use policy"));
}

static void
test_refusal_with_text (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REFUSED);

  g_assert_nonnull (strstr (message, "IMAGE_SAFETY"));
  g_assert_nonnull (strstr (message, "I can't create that image."));
}

static void
test_prompt_blocked (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REFUSED);

  g_assert_nonnull (strstr (message, "PROHIBITED_CONTENT"));
}

static void
test_text_only (Fixture       *fixture,
                gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_TEXT_ONLY);

  g_assert_nonnull (strstr (message, "Here is an image of a cat drinking water from the rain:"));
}

static void
test_text_only_shortened (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_TEXT_ONLY);

  g_assert_nonnull (strstr (message, "I would love to help with this menu."));
  g_assert_nonnull (strstr (message, "…"));
  g_assert_cmpint (g_utf8_strlen (message, -1), <, 500);
}

static void
test_finish_no_image (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_NO_IMAGE);

  g_assert_nonnull (strstr (message, "NO_IMAGE"));
}

static void
test_max_tokens (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_NO_IMAGE);

  g_assert_nonnull (strstr (message, "MAX_TOKENS"));
  g_assert_nonnull (strstr (message, "cut off"));
}

static void
test_bad_base64 (Fixture       *fixture,
                 gconstpointer  data)
{
  run_expecting_error (fixture, MENUGEN_ERROR_MALFORMED);
}

static void
test_not_an_image (Fixture       *fixture,
                   gconstpointer  data)
{
  run_expecting_error (fixture, MENUGEN_ERROR_CORRUPT_IMAGE);
}

static void
test_empty_reply (Fixture       *fixture,
                  gconstpointer  data)
{
  run_expecting_error (fixture, MENUGEN_ERROR_MALFORMED);
}

static void
test_not_json (Fixture       *fixture,
               gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_MALFORMED);
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (fixture->fake), G_URI_FLAGS_NONE, NULL);
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));

  /* A captive portal or a proxy answers with HTML, so the message names
   * the server that did. */
  g_assert_nonnull (strstr (message, server));
}

static void
test_quota_zero (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_QUOTA_EXHAUSTED);

  g_assert_nonnull (strstr (message, "limit 0"));
  g_assert_nonnull (strstr (message, "billing"));
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
  g_assert_false (fixture->saw_retry_notice);
}

static void
test_quota_per_day (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_QUOTA_EXHAUSTED);

  g_assert_nonnull (strstr (message, "GenerateRequestsPerDayPerProjectPerModel-FreeTier"));
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
}

static void
test_rate_limit_minute (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_RATE_LIMITED);

  /* One automatic retry after the 2 s that the service requested, then the
   * error, and never a loop. */
  g_assert_nonnull (strstr (message, "2 s"));
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 2);
  g_assert_true (fixture->saw_retry_notice);
  g_assert_cmpint (g_get_monotonic_time () - fixture->started_us, >=, 1 * G_USEC_PER_SEC);
}

static void
test_rate_limit_retry_succeeds (Fixture       *fixture,
                                gconstpointer  data)
{
  run_expecting_success (fixture);

  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 2);
  g_assert_true (fixture->saw_retry_notice);
  menugen_test_assert_no_violations (fixture->fake);
}

static gboolean
detail_mentions (Fixture    *fixture,
                 const char *text)
{
  for (guint i = 0; i < fixture->details->len; i++)
    {
      const char *detail = g_ptr_array_index (fixture->details, i);

      if (detail != NULL && strstr (detail, text) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
test_rate_limit_wait_cancelled (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = start (fixture);

  g_assert_true (menugen_test_wait_for (&fixture->saw_retry_notice, WAIT_S));
  g_assert_true (detail_mentions (fixture, "10 s"));
  g_assert_false (fixture->done);

  g_cancellable_cancel (fixture->cancellable);
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fixture->result);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - fixture->started_us, <, 5 * G_USEC_PER_SEC);
}

static void
test_unavailable (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_UNAVAILABLE);

  g_assert_nonnull (strstr (message, "The model is overloaded."));
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
}

static void
test_server_error (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_SERVER);

  g_assert_nonnull (strstr (message, "INTERNAL"));
}

static void
test_deadline (Fixture       *fixture,
               gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_TIMED_OUT);

  g_assert_nonnull (strstr (message, "DEADLINE_EXCEEDED"));
}

static void
test_thought_signature (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REJECTED);

  g_assert_nonnull (strstr (message, "thought_signature"));
  g_assert_nonnull (strstr (message, "INVALID_ARGUMENT"));
}

static void
test_bad_key (Fixture       *fixture,
              gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_INVALID_KEY);

  g_assert_nonnull (strstr (message, "API_KEY_INVALID"));
  g_assert_null (strstr (message, TEST_KEY));
}

static void
test_wrong_key (Fixture       *fixture,
                gconstpointer  data)
{
  const char *message;

  g_free (fixture->config->api_key);
  fixture->config->api_key = g_strdup ("wrong-key-not-real");
  message = run_expecting_error (fixture, MENUGEN_ERROR_INVALID_KEY);

  g_assert_null (strstr (message, "wrong-key-not-real"));
  g_assert_cmpuint (fake_server_get_violations (fixture->fake)->len, ==, 1);
}

static void
test_missing_key (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->config->api_key, g_free);

  /* A loopback server may need no key, so the request goes out. The fake
   * replies as Gemini does to a caller without a key. */
  run_expecting_error (fixture, MENUGEN_ERROR_INVALID_KEY);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
}

static void
test_leaked_key (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_INVALID_KEY);

  g_assert_nonnull (strstr (message, "leaked"));
}

static void
test_permission_denied (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *message = run_expecting_error (fixture, MENUGEN_ERROR_REJECTED);

  g_assert_nonnull (strstr (message, "PERMISSION_DENIED"));
  g_assert_nonnull (strstr (message, "gemini-2.5-flash-image"));
}

static void
test_model_not_found (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *message;

  g_free (fixture->config->model);
  fixture->config->model = g_strdup ("gemini-0-unknown-image");
  message = run_expecting_error (fixture, MENUGEN_ERROR_REJECTED);

  g_assert_nonnull (strstr (message, "gemini-0-unknown-image"));
  g_assert_nonnull (strstr (message, "model name"));
  menugen_test_assert_no_violations (fixture->fake);
}

/* A 404 from a path that is not the Gemini API blames the URL, not the
 * model: here the base URL carries an extra /v1, as OpenAI-style URLs do. */
static void
test_url_with_wrong_path (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *message;
  g_autofree char *url = g_strconcat (fake_server_get_url (fixture->fake), "/v1", NULL);

  g_free (fixture->config->url);
  fixture->config->url = g_strdup (url);
  message = run_expecting_error (fixture, MENUGEN_ERROR_REJECTED);

  g_assert_nonnull (strstr (message, "server URL"));
  g_assert_nonnull (strstr (message, "404"));
  g_assert_null (strstr (message, "model name"));
}

static void
test_invalid_model_id (Fixture       *fixture,
                       gconstpointer  data)
{
  g_free (fixture->config->model);
  fixture->config->model = g_strdup ("gemini/../../admin?x=1");
  run_expecting_error (fixture, MENUGEN_ERROR_NO_BACKEND);

  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

static void
test_models_prefix (Fixture       *fixture,
                    gconstpointer  data)
{
  GPtrArray *paths;

  g_free (fixture->config->model);
  fixture->config->model = g_strdup ("models/gemini-2.5-flash-image");
  run_expecting_success (fixture);

  paths = fake_server_get_paths (fixture->fake);
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, DEFAULT_PATH);
}

static void
test_url_with_version (Fixture       *fixture,
                       gconstpointer  data)
{
  GPtrArray *paths;
  g_autofree char *url = g_strconcat (fake_server_get_url (fixture->fake), "/v1beta/", NULL);

  g_free (fixture->config->url);
  fixture->config->url = g_steal_pointer (&url);
  run_expecting_success (fixture);

  paths = fake_server_get_paths (fixture->fake);
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, DEFAULT_PATH);
}

static void
test_url_with_query (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fake_server_get_url (fixture->fake), "/?key=pasted-key-not-real", NULL);
  const char *message;

  g_free (fixture->config->url);
  fixture->config->url = g_steal_pointer (&url);
  message = run_expecting_error (fixture, MENUGEN_ERROR_NO_BACKEND);

  g_assert_null (strstr (message, "pasted-key-not-real"));
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

static void
assert_request_parts (JsonObject *request,
                      GBytes     *photo)
{
  JsonArray *contents = json_object_get_array_member (request, "contents");
  JsonObject *content = json_array_get_object_element (contents, 0);
  JsonArray *parts = json_object_get_array_member (content, "parts");
  JsonObject *inline_data = json_object_get_object_member (json_array_get_object_element (parts, 0), "inlineData");
  g_autofree guchar *decoded = NULL;
  gsize length = 0;

  g_assert_cmpuint (json_array_get_length (contents), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (content, "role"), ==, "user");
  g_assert_cmpuint (json_array_get_length (parts), ==, 2);

  g_assert_nonnull (inline_data);
  g_assert_cmpstr (json_object_get_string_member (inline_data, "mimeType"), ==, "image/jpeg");
  decoded = g_base64_decode (json_object_get_string_member (inline_data, "data"), &length);
  g_assert_cmpmem (decoded, length, g_bytes_get_data (photo, NULL), g_bytes_get_size (photo));

  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 1), "text"), ==, INSTRUCTION);
}

static void
assert_generation_config (JsonObject *config)
{
  JsonArray *modalities = json_object_get_array_member (config, "responseModalities");
  JsonObject *image_config = json_object_get_object_member (config, "imageConfig");
  gboolean asks_for_image = FALSE;

  g_assert_nonnull (modalities);
  for (guint i = 0; i < json_array_get_length (modalities); i++)
    asks_for_image |= g_strcmp0 (json_array_get_string_element (modalities, i), "IMAGE") == 0;
  g_assert_true (asks_for_image);

  g_assert_false (json_object_has_member (config, "maxOutputTokens"));
  g_assert_false (json_object_has_member (config, "max_output_tokens"));

  g_assert_nonnull (image_config);
  g_assert_cmpstr (json_object_get_string_member (image_config, "aspectRatio"), ==, "3:4");
  g_assert_false (json_object_has_member (image_config, "imageSize"));
}

static void
test_request_shape (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GBytes *body;
  GPtrArray *paths;
  JsonObject *request;

  run_expecting_success (fixture);
  menugen_test_assert_no_violations (fixture->fake);

  request = last_request (fixture, parser);
  assert_request_parts (request, fixture->request->photo);
  assert_generation_config (generation_config (request));

  paths = fake_server_get_paths (fixture->fake);
  g_assert_cmpuint (paths->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, DEFAULT_PATH);
  g_assert_null (strstr (g_ptr_array_index (paths, 0), "key="));

  body = fake_server_get_last_body (fixture->fake);
  g_assert_null (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), TEST_KEY));
}

static void
test_unlisted_aspect_ratio (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *config;

  g_free (fixture->request->aspect_ratio);
  fixture->request->aspect_ratio = g_strdup ("7:5");
  run_expecting_success (fixture);
  menugen_test_assert_no_violations (fixture->fake);

  config = generation_config (last_request (fixture, parser));
  g_assert_false (json_object_has_member (config, "imageConfig"));
}

static void
test_read_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *message;

  fixture->config->read_timeout_s = 1;
  message = run_expecting_error (fixture, MENUGEN_ERROR_TIMED_OUT);

  g_assert_nonnull (strstr (message, "1 s"));
  g_assert_cmpint (g_get_monotonic_time () - fixture->started_us, <, SLOW_REPLY_US);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = start (fixture);

  g_assert_true (menugen_test_wait_for (&fixture->saw_waiting, WAIT_S));
  g_assert_false (fixture->done);

  g_cancellable_cancel (fixture->cancellable);
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fixture->result);
  g_assert_cmpint (g_get_monotonic_time () - fixture->started_us, <, SLOW_REPLY_US);
}

static guint
find_closed_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint port;

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, &error);
  g_assert_no_error (error);

  return port;
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_free (fixture->config->url);
  fixture->config->url = g_strdup_printf ("http://127.0.0.1:%u", find_closed_port ());

  run_expecting_error (fixture, MENUGEN_ERROR_UNREACHABLE);
}

static void
test_insecure_http (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *message;

  /* A reserved .test name: the check must fail before any lookup. */
  g_free (fixture->config->url);
  fixture->config->url = g_strdup ("http://menu-server.example.test:8080");
  message = run_expecting_error (fixture, MENUGEN_ERROR_INSECURE);

  g_assert_nonnull (strstr (message, "menu-server.example.test"));
  g_assert_null (strstr (message, TEST_KEY));
  g_assert_cmpuint (fixture->stages->len, ==, 0);
}

static void
test_progress_order (Fixture       *fixture,
                     gconstpointer  data)
{
  run_expecting_success (fixture);

  g_assert_cmpuint (fixture->stages->len, ==, 3);
  g_assert_cmpint (g_array_index (fixture->stages, int, 0), ==, MENUGEN_STAGE_UPLOADING);
  g_assert_cmpint (g_array_index (fixture->stages, int, 1), ==, MENUGEN_STAGE_WAITING);
  g_assert_cmpint (g_array_index (fixture->stages, int, 2), ==, MENUGEN_STAGE_DOWNLOADING);

  /* The upload stage names the request size, such as "1.2 kB". */
  g_assert_nonnull (g_ptr_array_index (fixture->details, 0));
  g_assert_nonnull (strstr (g_ptr_array_index (fixture->details, 0), "B"));
}

static void
test_photo_limits (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = menugen_backend_gemini_new (fixture->config);
  MenugenPhotoLimits limits = { 0 };

  menugen_backend_get_photo_limits (backend, &limits);

  /* Base64 grows the photo by 4/3, and at least 2 MB must stay free for
   * the JSON under the 20 MB request limit. */
  g_assert_cmpuint (limits.max_encoded_bytes, >, 0);
  g_assert_cmpuint (limits.max_encoded_bytes / 3 * 4, <, (gsize) 18 * 1000 * 1000);
  g_assert_cmpint (limits.max_long_edge, >, 0);
}

static void
test_factory (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenBackend) backend = menugen_backend_new (fixture->config, &error);
  const MenugenBackendConfig *config;

  g_assert_no_error (error);
  g_assert_true (MENUGEN_IS_BACKEND_GEMINI (backend));

  config = menugen_backend_get_config (backend);
  g_assert_true (config != fixture->config);
  g_assert_cmpstr (config->url, ==, fixture->config->url);
  g_assert_cmpstr (config->api_key, ==, TEST_KEY);
}

static void
add_test (const char *name,
          const char *scenario,
          void (*test) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strconcat ("/backend-gemini/", name, NULL);

  g_test_add (path, Fixture, scenario, setup, test, teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  add_test ("success-image-only", "gemini-success-image-only", test_success_image_only);
  add_test ("text-before-image", "gemini-success-text-before-image", test_text_before_image);
  add_test ("snake-case", "success-snake-case", test_snake_case);
  add_test ("last-image-wins", "two-images", test_last_image_wins);
  add_test ("portrait", "success-portrait", test_portrait);
  add_test ("square-for-portrait", "success-square", test_square_for_portrait);
  add_test ("gemini-3-thoughts", "success-with-thoughts", test_gemini_3_thoughts);

  add_test ("refusal-no-content", "gemini-refusal-image-prohibited-no-content", test_refusal_no_content);
  add_test ("refusal-finish-message", "refusal-with-message", test_refusal_finish_message);
  add_test ("refusal-with-text", "gemini-refusal-image-safety-with-text", test_refusal_with_text);
  add_test ("prompt-blocked", "gemini-refusal-prompt-blocked", test_prompt_blocked);
  add_test ("text-only", "gemini-no-image-text-only-stop", test_text_only);
  add_test ("text-only-shortened", "text-only-long", test_text_only_shortened);
  add_test ("finish-no-image", "gemini-no-image-finish-no-image", test_finish_no_image);
  add_test ("max-tokens", "max-tokens", test_max_tokens);
  add_test ("bad-base64", "bad-base64", test_bad_base64);
  add_test ("not-an-image", "not-an-image", test_not_an_image);
  add_test ("empty-reply", "empty-reply", test_empty_reply);
  add_test ("not-json", "not-json", test_not_json);

  add_test ("quota-zero", "free-tier-zero", test_quota_zero);
  add_test ("quota-per-day", "quota-per-day", test_quota_per_day);
  add_test ("rate-limit-minute", "rate-limit-minute", test_rate_limit_minute);
  add_test ("rate-limit-retry-succeeds", "rate-limit-once", test_rate_limit_retry_succeeds);
  add_test ("rate-limit-wait-cancelled", "gemini-error-429-quota", test_rate_limit_wait_cancelled);
  add_test ("unavailable", "gemini-error-503-overloaded", test_unavailable);
  add_test ("server-error", "server-error-500", test_server_error);
  add_test ("deadline", "deadline-504", test_deadline);
  add_test ("thought-signature", "gemini-error-400-missing-thought-signature", test_thought_signature);

  add_test ("bad-key", "bad-key", test_bad_key);
  add_test ("wrong-key", "gemini-success-image-only", test_wrong_key);
  add_test ("missing-key", "gemini-success-image-only", test_missing_key);
  add_test ("leaked-key", "leaked-key", test_leaked_key);
  add_test ("permission-denied", "permission-denied", test_permission_denied);
  add_test ("model-not-found", "gemini-success-image-only", test_model_not_found);
  add_test ("invalid-model-id", "gemini-success-image-only", test_invalid_model_id);
  add_test ("url-with-wrong-path", "gemini-success-image-only", test_url_with_wrong_path);
  add_test ("models-prefix", "gemini-success-image-only", test_models_prefix);
  add_test ("url-with-version", "gemini-success-image-only", test_url_with_version);
  add_test ("url-with-query", "gemini-success-image-only", test_url_with_query);

  add_test ("request-shape", "gemini-success-image-only", test_request_shape);
  add_test ("unlisted-aspect-ratio", "gemini-success-image-only", test_unlisted_aspect_ratio);
  add_test ("read-timeout", "slow", test_read_timeout);
  add_test ("cancel", "slow", test_cancel);
  add_test ("unreachable", "gemini-success-image-only", test_unreachable);
  add_test ("insecure-http", "gemini-success-image-only", test_insecure_http);
  add_test ("progress-order", "gemini-success-image-only", test_progress_order);
  add_test ("photo-limits", "gemini-success-image-only", test_photo_limits);
  add_test ("factory", "gemini-success-image-only", test_factory);

  return g_test_run ();
}
