#include "config.h"

#include <string.h>

#include "backends/menugen-backend-openai-chat.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-photo.h"
#include "fake-server.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"
#define GEMINI_MODEL "google/gemini-2.5-flash-image"
#define INSTRUCTION "Draw this restaurant menu as an illustrated menu: every dish with a picture beside its name."
#define WAIT_S 20

static MenugenBackendConfig *
make_config (FakeServer *fake,
             const char *model,
             const char *key)
{
  MenugenBackendConfig *config = menugen_backend_config_new ("openai-chat");

  g_free (config->url);
  config->url = g_strdup (fake != NULL ? fake_server_get_url (fake) : "http://127.0.0.1:9/v1");
  g_free (config->model);
  config->model = g_strdup (model);
  config->api_key = g_strdup (key);
  config->connect_timeout_s = 5;
  config->read_timeout_s = 15;

  return config;
}

static MenugenBackend *
make_backend (FakeServer *fake,
              const char *model,
              const char *key)
{
  g_autoptr(MenugenBackendConfig) config = make_config (fake, model, key);
  g_autoptr(GError) error = NULL;
  MenugenBackend *backend = menugen_backend_new (config, &error);

  g_assert_no_error (error);
  g_assert_true (MENUGEN_IS_BACKEND_OPENAI_CHAT (backend));
  return backend;
}

static MenugenRequest *
make_request (const char *aspect_ratio)
{
  MenugenRequest *request = menugen_request_new ();

  request->photo = menugen_test_make_jpeg (300, 400, 0, FALSE);
  request->photo_mime_type = g_strdup ("image/jpeg");
  request->photo_width = 300;
  request->photo_height = 400;
  request->instruction = g_strdup (INSTRUCTION);
  request->aspect_ratio = g_strdup (aspect_ratio);

  return request;
}

static void
run_scenario (FakeServer         *fake,
              const char         *model,
              const char         *key,
              MenugenTestOutcome *outcome)
{
  g_autoptr(MenugenBackend) backend = make_backend (fake, model, key);
  g_autoptr(MenugenRequest) request = make_request ("3:4");

  menugen_test_run_backend (backend, request, NULL, WAIT_S, outcome);
}

/* Runs @scenario and checks that it fails with @code and a message that
 * contains @expected_text. */
static void
assert_scenario_error (const char *scenario,
                       int         code,
                       const char *expected_text)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", scenario);
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_null (outcome.result);
  g_assert_error (outcome.error, MENUGEN_ERROR, code);
  g_assert_nonnull (strstr (outcome.error->message, expected_text));
  g_assert_null (strstr (outcome.error->message, FAKE_KEY));
  menugen_test_assert_no_violations (fake);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static GPtrArray *
collect_strings (JsonArray *array)
{
  GPtrArray *strings = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (strings, (gpointer) json_array_get_string_element (array, i));

  return strings;
}

static void
test_success (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_nonnull (outcome.result);
  g_assert_cmpstr (outcome.result->mime_type, ==, "image/png");
  menugen_test_assert_image_size (outcome.result->image, 96, 128);
  g_assert_null (outcome.result->notes);
  g_assert_null (outcome.result->intermediate);
  g_assert_cmpstr (outcome.result->model, ==, GEMINI_MODEL);
  menugen_test_assert_no_violations (fake);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_progress_stages (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.stages->len, >=, 3);
  g_assert_cmpint (g_array_index (outcome.stages, int, 0), ==, MENUGEN_STAGE_UPLOADING);
  g_assert_cmpint (g_array_index (outcome.stages, int, 1), ==, MENUGEN_STAGE_WAITING);
  g_assert_cmpint (g_array_index (outcome.stages, int, outcome.stages->len - 1), ==, MENUGEN_STAGE_DOWNLOADING);
  g_assert_nonnull (outcome.upload_detail);
  g_assert_cmpstr (outcome.upload_detail, !=, "");
}

static void
test_request_shape (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_autoptr(MenugenBackend) backend = make_backend (fake, GEMINI_MODEL, FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_request ("3:4");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) modalities = NULL;
  g_autoptr(GBytes) sent_photo = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *body, *message, *text_part, *image_part;
  JsonArray *content;
  const char *url;

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);
  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);

  root = menugen_test_parse_last_body (fake);
  body = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, GEMINI_MODEL);
  g_assert_false (json_object_get_boolean_member (body, "stream"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "image_config"), "aspect_ratio"), ==, "3:4");

  modalities = collect_strings (json_object_get_array_member (body, "modalities"));
  g_assert_cmpuint (modalities->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (modalities, 0), ==, "image");
  g_assert_cmpstr (g_ptr_array_index (modalities, 1), ==, "text");

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "messages")), ==, 1);
  message = json_array_get_object_element (json_object_get_array_member (body, "messages"), 0);
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  content = json_object_get_array_member (message, "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 2);
  text_part = json_array_get_object_element (content, 0);
  g_assert_cmpstr (json_object_get_string_member (text_part, "type"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (text_part, "text"), ==, INSTRUCTION);
  image_part = json_array_get_object_element (content, 1);
  g_assert_cmpstr (json_object_get_string_member (image_part, "type"), ==, "image_url");

  url = json_object_get_string_member (json_object_get_object_member (image_part, "image_url"), "url");
  g_assert_true (g_str_has_prefix (url, "data:image/jpeg;base64,"));
  g_assert_null (strpbrk (url, " \r\n\t"));
  sent_photo = menugen_chat_decode_data_url (url, "test", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (sent_photo, request->photo));

  /* The key travels only in the Authorization header, which the fake checks. */
  g_assert_null (g_strstr_len (g_bytes_get_data (fake_server_get_last_body (fake), NULL),
                               g_bytes_get_size (fake_server_get_last_body (fake)), FAKE_KEY));
}

static void
test_image_only_model (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) modalities = NULL;

  run_scenario (fake, "black-forest-labs/flux.2-pro", FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  root = menugen_test_parse_last_body (fake);
  modalities = collect_strings (json_object_get_array_member (json_node_get_object (root), "modalities"));
  g_assert_cmpuint (modalities->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (modalities, 0), ==, "image");
}

static void
test_unlisted_ratio (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_autoptr(MenugenBackend) backend = make_backend (fake, GEMINI_MODEL, FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_request ("7:5");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(JsonNode) root = NULL;

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);
  root = menugen_test_parse_last_body (fake);
  g_assert_false (json_object_has_member (json_node_get_object (root), "image_config"));
}

static void
test_dataurl_whitespace (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-dataurl-whitespace");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.result->mime_type, ==, "image/png");
  menugen_test_assert_image_size (outcome.result->image, 1, 1);
  g_assert_null (outcome.result->notes);
}

static void
test_two_images (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-text-and-two-images");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.result->mime_type, ==, "image/jpeg");
  menugen_test_assert_image_size (outcome.result->image, 768, 1024);
  g_assert_cmpstr (outcome.result->notes, ==, "I've generated two layout variants of your menu.");
}

static void
test_https_url (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-https-url");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  GPtrArray *paths;

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.result->mime_type, ==, "image/png");
  menugen_test_assert_image_size (outcome.result->image, 80, 60);
  g_assert_cmpstr (outcome.result->notes, ==, "Here is the illustrated menu.");
  g_assert_cmpstr (outcome.result->model, ==, "gateway/image-model");
  menugen_test_assert_no_violations (fake);

  paths = fake_server_get_paths (fake);
  g_assert_cmpuint (paths->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, "/v1/chat/completions");
  g_assert_cmpstr (g_ptr_array_index (paths, 1), ==, "/files/menu.png");
}

static void
test_bad_base64 (void)
{
  assert_scenario_error ("openrouter-chat-image-bad-base64", MENUGEN_ERROR_MALFORMED, "base64");
}

static void
test_not_an_image (void)
{
  assert_scenario_error ("openrouter-chat-image-not-image", MENUGEN_ERROR_CORRUPT_IMAGE, "127.0.0.1");
}

static void
test_text_only (void)
{
  assert_scenario_error ("openrouter-text-only", MENUGEN_ERROR_TEXT_ONLY, "This menu lists four Italian dishes.");
}

static void
test_refusal_safety (void)
{
  assert_scenario_error ("openrouter-no-image-safety", MENUGEN_ERROR_REFUSED, "IMAGE_SAFETY");
}

static void
test_no_image (void)
{
  assert_scenario_error ("openrouter-no-image-empty", MENUGEN_ERROR_NO_IMAGE, "STOP");
}

static void
test_midstream_error (void)
{
  assert_scenario_error ("openrouter-error-midstream-chunk", MENUGEN_ERROR_RATE_LIMITED, "Rate limit exceeded");
}

static void
test_content_policy (void)
{
  assert_scenario_error ("openrouter-error-400-content-policy", MENUGEN_ERROR_REFUSED, "content_policy_violation");
}

static void
test_image_too_large (void)
{
  assert_scenario_error ("openrouter-error-400-image-too-large", MENUGEN_ERROR_REJECTED, "image_too_large");
}

static void
test_no_credits (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-error-402");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED);
  g_assert_nonnull (strstr (outcome.error->message, "Insufficient credits"));
  g_assert_false (menugen_error_is_retryable (outcome.error));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_guardrail (void)
{
  assert_scenario_error ("openrouter-error-403-guardrail", MENUGEN_ERROR_REFUSED, "ignore all previous instructions");
}

static void
test_rate_limited (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-error-429");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (outcome.error->message, "Rate limit exceeded"));
  g_assert_nonnull (strstr (outcome.error->message, "7 s"));
  g_assert_true (menugen_error_is_retryable (outcome.error));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_unavailable (void)
{
  assert_scenario_error ("openrouter-error-502", MENUGEN_ERROR_UNAVAILABLE, "Provider returned error");
}

static void
test_invalid_key (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, GEMINI_MODEL, "wrong-key-not-real", &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY);
  g_assert_null (strstr (outcome.error->message, "wrong-key-not-real"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_missing_key (void)
{
  g_autoptr(MenugenBackendConfig) config = make_config (NULL, GEMINI_MODEL, NULL);
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(GError) error = NULL;

  g_free (config->url);
  config->url = g_strdup ("https://openrouter.ai/api/v1");
  backend = menugen_backend_new (config, &error);

  g_assert_null (backend);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "OPENROUTER_API_KEY"));
}

static void
test_unreachable (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(MenugenBackendConfig) config = make_config (NULL, GEMINI_MODEL, FAKE_KEY);
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(MenugenRequest) request = make_request ("3:4");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  /* A port that was free a moment ago, with nothing listening on it. */
  g_assert_true (g_socket_bind (socket, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  g_free (config->url);
  config->url = g_strdup_printf ("http://127.0.0.1:%u/v1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  backend = menugen_backend_new (config, NULL);
  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_UNREACHABLE);
}

static void
test_cancel (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_autoptr(MenugenBackend) backend = make_backend (fake, GEMINI_MODEL, FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_request ("3:4");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(MenugenTestOutcome) outcome = { 0 };

  g_cancellable_cancel (cancellable);
  menugen_test_run_backend (backend, request, cancellable, WAIT_S, &outcome);

  g_assert_null (outcome.result);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_real_photos (void)
{
  g_autoptr(GPtrArray) photos = menugen_test_list_menu_photos ();
  g_autoptr(FakeServer) fake = fake_server_new ("openai-chat", "openrouter-chat-image-success");
  g_autoptr(MenugenBackend) backend = make_backend (fake, GEMINI_MODEL, FAKE_KEY);
  MenugenPhotoLimits limits;

  if (photos->len == 0)
    {
      g_test_skip ("no menu photos in MENUGEN_MENUS_DIR");
      return;
    }

  menugen_backend_get_photo_limits (backend, &limits);

  /* Each prepared photo must reach the fake as a strict data URL whose
   * bytes match its declared type; the fake records any deviation. */
  for (guint i = 0; i < photos->len; i++)
    {
      const char *path = g_ptr_array_index (photos, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;
      g_autoptr(GBytes) source = NULL;
      g_autoptr(MenugenPhoto) photo = NULL;
      g_autoptr(MenugenRequest) request = menugen_request_new ();
      g_auto(MenugenTestOutcome) outcome = { 0 };

      g_assert_true (g_file_get_contents (path, &contents, &length, &error));
      source = g_bytes_new_take (g_steal_pointer (&contents), length);
      photo = menugen_photo_prepare (source, &limits, NULL, &error);
      g_assert_no_error (error);

      request->photo = g_bytes_ref (menugen_photo_get_bytes (photo));
      request->photo_mime_type = g_strdup (menugen_photo_get_mime_type (photo));
      request->photo_width = menugen_photo_get_width (photo);
      request->photo_height = menugen_photo_get_height (photo);
      request->instruction = g_strdup (INSTRUCTION);
      request->aspect_ratio = g_strdup ("3:4");

      menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);
      g_assert_no_error (outcome.error);
    }

  menugen_test_assert_no_violations (fake);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, photos->len);
}

static void
test_decode_data_url (void)
{
  static const char png_stub[] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
  g_autofree char *plain = g_strconcat ("data:image/png;base64,", png_stub, NULL);
  g_autofree char *unpadded = g_strndup (plain, strlen (plain) - 1);
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GBytes) decoded = NULL;
  g_autoptr(GBytes) spaced = NULL;
  g_autoptr(GBytes) short_padding = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  guchar *raw = g_base64_decode (png_stub, &length);

  expected = g_bytes_new_take (raw, length);

  decoded = menugen_chat_decode_data_url (plain, "test", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (decoded, expected));

  spaced = menugen_chat_decode_data_url ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1\r\n"
                                         "HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=\n", "test", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (spaced, expected));

  short_padding = menugen_chat_decode_data_url (unpadded, "test", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (short_padding, expected));

  g_assert_null (menugen_chat_decode_data_url ("data:image/png;base64,iVBO*w0K", "test", &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (menugen_chat_decode_data_url ("data:image/png,iVBORw0K", "test", &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (menugen_chat_decode_data_url ("data:image/png;base64,", "test", &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (menugen_chat_decode_data_url ("data:image/png;base64,iVBO=w0K", "test", &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
}

static char *
content_text_of (const char *json)
{
  g_autoptr(JsonNode) root = json_from_string (json, NULL);

  g_assert_nonnull (root);
  return menugen_chat_dup_content_text (json_node_get_object (root));
}

static void
test_content_text (void)
{
  g_autofree char *plain = content_text_of ("{\"content\":\"  A menu.  \"}");
  g_autofree char *empty = content_text_of ("{\"content\":\"\"}");
  g_autofree char *null = content_text_of ("{\"content\":null}");
  g_autofree char *missing = content_text_of ("{\"role\":\"assistant\"}");
  g_autofree char *parts = content_text_of ("{\"content\":[{\"type\":\"text\",\"text\":\"First.\"},"
                                            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\"}},"
                                            "{\"type\":\"text\",\"text\":\"Second.\"}]}");

  g_assert_cmpstr (plain, ==, "A menu.");
  g_assert_null (empty);
  g_assert_null (null);
  g_assert_null (missing);
  g_assert_cmpstr (parts, ==, "First.\nSecond.");
}

static void
test_error_message (void)
{
  g_autoptr(JsonNode) object_error = json_from_string ("{\"error\":{\"code\":403,\"message\":\"Blocked\"}}", NULL);
  g_autoptr(JsonNode) string_error = json_from_string ("{\"error\":\"server_error\",\"message\":\"no results\"}", NULL);
  g_autoptr(JsonNode) detail = json_from_string ("{\"detail\":\"Not Found\"}", NULL);
  g_autofree char *first = menugen_chat_dup_error_message (object_error);
  g_autofree char *second = menugen_chat_dup_error_message (string_error);
  g_autofree char *third = menugen_chat_dup_error_message (detail);
  g_autofree char *none = menugen_chat_dup_error_message (NULL);

  g_assert_cmpstr (first, ==, "Blocked");
  g_assert_cmpstr (second, ==, "server_error: no results");
  g_assert_cmpstr (third, ==, "Not Found");
  g_assert_null (none);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  g_test_add_func ("/openai-chat/success", test_success);
  g_test_add_func ("/openai-chat/progress-stages", test_progress_stages);
  g_test_add_func ("/openai-chat/request-shape", test_request_shape);
  g_test_add_func ("/openai-chat/image-only-model", test_image_only_model);
  g_test_add_func ("/openai-chat/unlisted-ratio", test_unlisted_ratio);
  g_test_add_func ("/openai-chat/dataurl-whitespace", test_dataurl_whitespace);
  g_test_add_func ("/openai-chat/two-images", test_two_images);
  g_test_add_func ("/openai-chat/https-url", test_https_url);
  g_test_add_func ("/openai-chat/bad-base64", test_bad_base64);
  g_test_add_func ("/openai-chat/not-an-image", test_not_an_image);
  g_test_add_func ("/openai-chat/text-only", test_text_only);
  g_test_add_func ("/openai-chat/refusal-safety", test_refusal_safety);
  g_test_add_func ("/openai-chat/no-image", test_no_image);
  g_test_add_func ("/openai-chat/midstream-error", test_midstream_error);
  g_test_add_func ("/openai-chat/content-policy", test_content_policy);
  g_test_add_func ("/openai-chat/image-too-large", test_image_too_large);
  g_test_add_func ("/openai-chat/no-credits", test_no_credits);
  g_test_add_func ("/openai-chat/guardrail", test_guardrail);
  g_test_add_func ("/openai-chat/rate-limited", test_rate_limited);
  g_test_add_func ("/openai-chat/unavailable", test_unavailable);
  g_test_add_func ("/openai-chat/invalid-key", test_invalid_key);
  g_test_add_func ("/openai-chat/missing-key", test_missing_key);
  g_test_add_func ("/openai-chat/unreachable", test_unreachable);
  g_test_add_func ("/openai-chat/cancel", test_cancel);
  g_test_add_func ("/openai-chat/real-photos", test_real_photos);
  g_test_add_func ("/openai-chat/decode-data-url", test_decode_data_url);
  g_test_add_func ("/openai-chat/content-text", test_content_text);
  g_test_add_func ("/openai-chat/error-message", test_error_message);

  return g_test_run ();
}
