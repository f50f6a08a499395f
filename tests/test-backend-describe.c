/* memmem () */
#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include "backends/menugen-backend-describe.h"
#include "backends/menugen-backend-openai-chat.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "fake-server.h"
#include "test-util.h"

#define INSTRUCTION "Draw this restaurant menu as an illustrated menu. Picture style: watercolour. Write dish names in Simplified Chinese."
#define WAIT_S 20

/* A vision fake and an image fake, the two servers of one job. */
typedef struct {
  FakeServer *vision;
  FakeServer *image;
} Servers;

static void
servers_clear (Servers *servers)
{
  g_clear_pointer (&servers->vision, fake_server_free);
  g_clear_pointer (&servers->image, fake_server_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Servers, servers_clear)

static void
start_servers (Servers    *servers,
               const char *vision_scenario,
               const char *image_scenario)
{
  servers->vision = fake_server_new ("openai-chat", vision_scenario);
  servers->image = fake_server_new ("openai-images", image_scenario);

  /* Local vision servers take no key, so the fake expects none. */
  fake_server_set_key (servers->vision, NULL);
}

static MenugenBackendConfig *
make_config (Servers *servers)
{
  MenugenBackendConfig *config = menugen_backend_config_new ("describe-then-draw");

  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (servers->image));
  g_free (config->vision_url);
  config->vision_url = g_strdup (fake_server_get_url (servers->vision));
  g_clear_pointer (&config->draw_kind, g_free);
  config->connect_timeout_s = 5;
  config->read_timeout_s = 15;

  return config;
}

static MenugenBackend *
make_backend (const MenugenBackendConfig *config)
{
  g_autoptr(GError) error = NULL;
  MenugenBackend *backend = menugen_backend_new (config, &error);

  g_assert_no_error (error);
  g_assert_true (MENUGEN_IS_BACKEND_DESCRIBE (backend));
  return backend;
}

static MenugenRequest *
make_request (void)
{
  MenugenRequest *request = menugen_request_new ();

  request->photo = menugen_test_make_jpeg (300, 400, 0, FALSE);
  request->photo_mime_type = g_strdup ("image/jpeg");
  request->photo_width = 300;
  request->photo_height = 400;
  request->instruction = g_strdup (INSTRUCTION);
  request->aspect_ratio = g_strdup ("3:4");

  return request;
}

static void
run_backend (MenugenBackend     *backend,
             GCancellable       *cancellable,
             MenugenTestOutcome *outcome)
{
  g_autoptr(MenugenRequest) request = make_request ();

  menugen_test_run_backend (backend, request, cancellable, WAIT_S, outcome);
}

static void
run_config (const MenugenBackendConfig *config,
            MenugenTestOutcome         *outcome)
{
  g_autoptr(MenugenBackend) backend = make_backend (config);

  run_backend (backend, NULL, outcome);
}

/* Reads the "prompt" field of the multipart body the image fake accepted.
 * The body also contains the binary photo, so it is searched as bytes. */
static char *
dup_multipart_prompt (FakeServer *fake)
{
  GBytes *body = fake_server_get_last_body (fake);
  static const char field[] = "name=\"prompt\"\r\n\r\n";
  const char *data;
  const char *start;
  const char *end;
  gsize length = 0;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, &length);
  start = memmem (data, length, field, strlen (field));
  g_assert_nonnull (start);
  start += strlen (field);
  end = memmem (start, length - (start - data), "\r\n--", 4);
  g_assert_nonnull (end);

  return g_strndup (start, end - start);
}

static guint
get_port (FakeServer *fake)
{
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (fake), G_URI_FLAGS_NONE, NULL);

  return (guint) g_uri_get_port (uri);
}

static JsonObject *
get_vision_text_part (JsonNode *root)
{
  JsonObject *body = json_node_get_object (root);
  JsonObject *message = json_array_get_object_element (json_object_get_array_member (body, "messages"), 0);

  return json_array_get_object_element (json_object_get_array_member (message, "content"), 0);
}

static void
test_success (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autofree char *drawn_prompt = NULL;

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  run_config (config, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_nonnull (outcome.result);
  g_assert_nonnull (outcome.result->image);
  g_assert_cmpstr (outcome.result->mime_type, ==, "image/png");
  g_assert_nonnull (outcome.result->intermediate);
  g_assert_true (g_str_has_prefix (outcome.result->intermediate, "Draw one illustrated menu page titled \"Trattoria Da Marco\""));
  g_assert_nonnull (strstr (outcome.result->intermediate, "Quattro formaggi, 10,50 €"));

  drawn_prompt = dup_multipart_prompt (servers.image);
  g_assert_cmpstr (drawn_prompt, ==, outcome.result->intermediate);

  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 1);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 1);
  menugen_test_assert_no_violations (servers.vision);
  menugen_test_assert_no_violations (servers.image);
}

static void
test_stages (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  guint uploading_at = 0;

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  run_config (config, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.stages->len, >=, 3);
  g_assert_cmpint (g_array_index (outcome.stages, int, 0), ==, MENUGEN_STAGE_DESCRIBING);

  for (guint i = 1; i < outcome.stages->len && uploading_at == 0; i++)
    if (g_array_index (outcome.stages, int, i) == MENUGEN_STAGE_UPLOADING)
      uploading_at = i;

  /* The drawing back-end's stages come after the description. */
  g_assert_cmpuint (uploading_at, ==, 1);
  g_assert_cmpint (g_array_index (outcome.stages, int, outcome.stages->len - 1), ==, MENUGEN_STAGE_DOWNLOADING);
}

static void
test_vision_request (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) sent_photo = NULL;
  g_autoptr(MenugenRequest) request = make_request ();
  g_autoptr(GError) error = NULL;
  JsonObject *body, *image_part;
  const char *text;
  const char *url;

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  run_config (config, &outcome);
  g_assert_no_error (outcome.error);

  root = menugen_test_parse_last_body (servers.vision);
  body = json_node_get_object (root);

  /* No vision model is set, and llama.cpp needs none. */
  g_assert_false (json_object_has_member (body, "model"));
  g_assert_false (json_object_get_boolean_member (body, "stream"));
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), >, 0);

  text = json_object_get_string_member (get_vision_text_part (root), "text");
  g_assert_nonnull (strstr (text, INSTRUCTION));
  g_assert_nonnull (strstr (text, "exactly as printed"));
  g_assert_null (strstr (text, "{{requirements}}"));

  image_part = json_array_get_object_element (json_object_get_array_member (
                 json_array_get_object_element (json_object_get_array_member (body, "messages"), 0), "content"), 1);
  url = json_object_get_string_member (json_object_get_object_member (image_part, "image_url"), "url");
  g_assert_true (g_str_has_prefix (url, "data:image/jpeg;base64,"));
  sent_photo = menugen_chat_decode_data_url (url, "test", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (sent_photo, request->photo));

  /* The fake records a violation for an Authorization header it did not need. */
  menugen_test_assert_no_violations (servers.vision);
}

static void
test_vision_model_sent (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(JsonNode) root = NULL;

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  config->vision_model = g_strdup ("gemma3:4b");
  run_config (config, &outcome);

  g_assert_no_error (outcome.error);
  root = menugen_test_parse_last_body (servers.vision);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "model"), ==, "gemma3:4b");
}

static void
test_vision_key_rejected (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  fake_server_set_key (servers.vision, "server-key-not-real");
  config = make_config (&servers);
  config->api_key = g_strdup ("other-key-not-real");
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY);
  g_assert_null (strstr (outcome.error->message, "other-key-not-real"));
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
}

#define ECHOED_KEY "sk-echo-not-real-1234"

/* A vision server that rejects every request with a message that repeats
 * the key, as some servers do. */
static void
echo_key_cb (SoupServer        *server,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  static const char body[] = "{\"error\": {\"message\": \"The key " ECHOED_KEY " may not use vision models.\"}}";

  soup_server_message_set_status (message, SOUP_STATUS_BAD_REQUEST, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
}

static void
test_vision_key_echo_masked (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(SoupServer) echo_server = soup_server_new (NULL, NULL);
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(GError) error = NULL;
  GSList *uris;

  soup_server_add_handler (echo_server, NULL, echo_key_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (echo_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (echo_server);

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  g_free (config->vision_url);
  config->vision_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  config->api_key = g_strdup (ECHOED_KEY);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REJECTED);
  g_assert_null (strstr (outcome.error->message, ECHOED_KEY));
  g_assert_nonnull (strstr (outcome.error->message, "The key … may not use vision models."));
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
}

static void
test_thinking_stripped (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autofree char *drawn_prompt = NULL;

  start_servers (&servers, "vision-describe-think", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  run_config (config, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_true (g_str_has_prefix (outcome.result->intermediate, "Draw one illustrated menu page"));
  g_assert_null (strstr (outcome.result->intermediate, "<think>"));
  drawn_prompt = dup_multipart_prompt (servers.image);
  g_assert_cmpstr (drawn_prompt, ==, outcome.result->intermediate);
}

/* Runs a vision scenario that fails and checks that nothing was drawn. */
static void
assert_vision_error (const char *scenario,
                     int         code,
                     const char *expected_text)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, scenario, "sdcpp-openai-edit-success");
  config = make_config (&servers);
  config->vision_model = g_strdup ("gemma3:4b");
  run_config (config, &outcome);

  g_assert_null (outcome.result);
  g_assert_error (outcome.error, MENUGEN_ERROR, code);
  g_assert_nonnull (strstr (outcome.error->message, expected_text));
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 1);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
  menugen_test_assert_no_violations (servers.vision);
}

static void
test_no_mmproj (void)
{
  assert_vision_error ("llamacpp-error-no-mmproj", MENUGEN_ERROR_CAPABILITY, "--mmproj");
}

static void
test_ollama_invalid_image (void)
{
  assert_vision_error ("ollama-openai-error-invalid-image", MENUGEN_ERROR_REJECTED, "invalid image input");
}

static void
test_model_not_found (void)
{
  assert_vision_error ("lemonade-error-model-not-found", MENUGEN_ERROR_REJECTED, "gemma3:4b");
}

static void
test_model_loading (void)
{
  assert_vision_error ("localai-error-503-model-loading", MENUGEN_ERROR_UNAVAILABLE, "is loading");
}

static void
test_truncated (void)
{
  assert_vision_error ("vision-describe-length", MENUGEN_ERROR_FAILED, "length");
}

static void
test_drawing_error (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-error-exception");
  config = make_config (&servers);
  run_config (config, &outcome);

  /* The drawing back-end's own error reaches the caller unchanged. */
  g_assert_null (outcome.result);
  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_SERVER);
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 1);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 1);
}

static void
test_missing_vision_url (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  g_free (config->vision_url);
  config->vision_url = g_strdup ("");
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND);
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 0);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
}

static void
test_local_only (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  /* 0.0.0.0 is not a local address for "local only", yet a connection to
   * it would stay on this computer if the check were missing. */
  g_free (config->vision_url);
  config->vision_url = g_strdup_printf ("http://0.0.0.0:%u/v1", get_port (servers.vision));
  config->local_only = TRUE;
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_LOCAL_ONLY);
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 0);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
}

static void
test_draws_with_itself (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  config->draw_kind = g_strdup ("describe-then-draw");
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND);
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 0);
}

static void
test_unknown_draw_kind (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  config->draw_kind = g_strdup ("dall-e");
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND);
  g_assert_nonnull (strstr (outcome.error->message, "dall-e"));
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 0);
}

static void
test_drawing_key_missing (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);

  /* Nothing is sent: the missing key is found when the back-end is made. */
  g_free (config->url);
  config->url = g_strdup ("https://api.openai.com/v1");
  run_config (config, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (outcome.error->message, "MENUGEN_API_KEY"));
  g_assert_nonnull (strstr (outcome.error->message, "https://api.openai.com/v1"));
  g_assert_cmpuint (fake_server_get_request_count (servers.vision), ==, 0);
}

static void
test_cancel (void)
{
  g_auto(Servers) servers = { 0 };
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(MenugenTestOutcome) outcome = { 0 };

  start_servers (&servers, "vision-describe", "sdcpp-openai-edit-success");
  config = make_config (&servers);
  backend = make_backend (config);
  g_cancellable_cancel (cancellable);
  run_backend (backend, cancellable, &outcome);

  g_assert_null (outcome.result);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fake_server_get_request_count (servers.image), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  g_test_add_func ("/describe/success", test_success);
  g_test_add_func ("/describe/stages", test_stages);
  g_test_add_func ("/describe/vision-request", test_vision_request);
  g_test_add_func ("/describe/vision-model-sent", test_vision_model_sent);
  g_test_add_func ("/describe/vision-key-rejected", test_vision_key_rejected);
  g_test_add_func ("/describe/thinking-stripped", test_thinking_stripped);
  g_test_add_func ("/describe/no-mmproj", test_no_mmproj);
  g_test_add_func ("/describe/ollama-invalid-image", test_ollama_invalid_image);
  g_test_add_func ("/describe/model-not-found", test_model_not_found);
  g_test_add_func ("/describe/model-loading", test_model_loading);
  g_test_add_func ("/describe/truncated", test_truncated);
  g_test_add_func ("/describe/drawing-error", test_drawing_error);
  g_test_add_func ("/describe/missing-vision-url", test_missing_vision_url);
  g_test_add_func ("/describe/local-only", test_local_only);
  g_test_add_func ("/describe/draws-with-itself", test_draws_with_itself);
  g_test_add_func ("/describe/unknown-draw-kind", test_unknown_draw_kind);
  g_test_add_func ("/describe/drawing-key-missing", test_drawing_key_missing);
  g_test_add_func ("/describe/cancel", test_cancel);
  g_test_add_func ("/describe/vision-key-echo-masked", test_vision_key_echo_masked);

  return g_test_run ();
}
