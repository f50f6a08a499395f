#include "config.h"

#include <string.h>

#include "backends/menugen-backend-openai-images.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "fake-server.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"
#define WAIT_S 20

static MenugenBackend *
make_backend (FakeServer *fake,
              const char *model,
              const char *key)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("openai-images");

  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (fake));
  g_free (config->model);
  config->model = g_strdup (model);
  config->api_key = g_strdup (key);

  return menugen_backend_openai_images_new (config);
}

static MenugenRequest *
make_request (GBytes     *photo,
              const char *mime_type,
              int         width,
              int         height)
{
  MenugenRequest *request = menugen_request_new ();

  request->photo = g_bytes_ref (photo);
  request->photo_mime_type = g_strdup (mime_type);
  request->photo_width = width;
  request->photo_height = height;
  request->instruction = g_strdup ("Draw this restaurant menu as an illustrated menu: every dish with a picture beside its name.");

  return request;
}

static MenugenRequest *
make_jpeg_request (int width,
                   int height)
{
  g_autoptr(GBytes) photo = menugen_test_make_jpeg (width, height, 0, FALSE);

  return make_request (photo, "image/jpeg", width, height);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Cancels @user_data 200 ms after the request is sent. */
static void
cancel_when_waiting_cb (MenugenBackend *backend,
                        int             stage,
                        double          fraction,
                        const char     *detail,
                        gpointer        user_data)
{
  if (stage == MENUGEN_STAGE_WAITING)
    g_timeout_add (200, cancel_cb, user_data);
}

/* Sends a portrait JPEG to a fake running @scenario with @model and @key. */
static void
run_scenario (FakeServer         *fake,
              const char         *model,
              const char         *key,
              MenugenTestOutcome *outcome)
{
  g_autoptr(MenugenBackend) backend = make_backend (fake, model, key);
  g_autoptr(MenugenRequest) request = make_jpeg_request (600, 800);

  menugen_test_run_backend (backend, request, NULL, WAIT_S, outcome);
}

static void
assert_png_result (MenugenTestOutcome *outcome)
{
  g_assert_no_error (outcome->error);
  g_assert_nonnull (outcome->result);
  g_assert_cmpstr (outcome->result->mime_type, ==, "image/png");
  g_assert_cmpuint (g_bytes_get_size (outcome->result->image), >, 8);
  g_assert_cmpmem (g_bytes_get_data (outcome->result->image, NULL), 8, "\x89PNG\r\n\x1a\n", 8);
}

/* Parses the form as the fake received it. The boundary is the body's first
 * line, so no request headers are needed. */
static SoupMultipart *
parse_last_body (FakeServer *fake)
{
  GBytes *body = fake_server_get_last_body (fake);
  g_autofree char *first_line = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  const char *data;
  const char *end;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, NULL);
  end = memchr (data, '\r', g_bytes_get_size (body));
  g_assert_nonnull (end);
  g_assert_true (g_str_has_prefix (data, "--"));

  first_line = g_strndup (data + 2, end - data - 2);
  content_type = g_strdup_printf ("multipart/form-data; boundary=\"%s\"", first_line);
  soup_message_headers_replace (headers, "Content-Type", content_type);

  return soup_multipart_new_from_message (headers, body);
}

static gboolean
find_part (SoupMultipart       *form,
           const char          *name,
           SoupMessageHeaders **headers_out,
           GBytes             **body_out)
{
  for (int i = 0; i < soup_multipart_get_length (form); i++)
    {
      SoupMessageHeaders *headers = NULL;
      GBytes *body = NULL;
      g_autoptr(GHashTable) params = NULL;

      soup_multipart_get_part (form, i, &headers, &body);
      if (soup_message_headers_get_content_disposition (headers, NULL, &params)
          && g_strcmp0 (g_hash_table_lookup (params, "name"), name) == 0)
        {
          if (headers_out != NULL)
            *headers_out = headers;
          if (body_out != NULL)
            *body_out = body;
          return TRUE;
        }
    }

  return FALSE;
}

static char *
dup_field (SoupMultipart *form,
           const char    *name)
{
  GBytes *body = NULL;

  if (!find_part (form, name, NULL, &body))
    return NULL;

  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static char *
dup_image_filename (SoupMultipart *form)
{
  SoupMessageHeaders *headers = NULL;
  g_autoptr(GHashTable) params = NULL;

  g_assert_true (find_part (form, "image", &headers, NULL));
  g_assert_true (soup_message_headers_get_content_disposition (headers, NULL, &params));

  return g_strdup (g_hash_table_lookup (params, "filename"));
}

static const char *
image_type (SoupMultipart *form)
{
  SoupMessageHeaders *headers = NULL;

  g_assert_true (find_part (form, "image", &headers, NULL));
  return soup_message_headers_get_content_type (headers, NULL);
}

static void
test_success_full (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  assert_png_result (&outcome);
  g_assert_null (outcome.result->notes);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
  menugen_test_assert_no_violations (fake);
}

static void
test_success_no_format_fields (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-no-format-fields");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1", FAKE_KEY, &outcome);

  assert_png_result (&outcome);
  menugen_test_assert_no_violations (fake);
}

static void
test_success_portrait (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "success-portrait");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  assert_png_result (&outcome);
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, outcome.result->image, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  pixbuf = g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 1024);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 1536);
}

static void
test_url_response (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-dalle3-url-response");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  GPtrArray *paths;

  run_scenario (fake, "dall-e-2", FAKE_KEY, &outcome);

  assert_png_result (&outcome);
  g_assert_cmpstr (outcome.result->notes, ==, "A small and adorable Maltese dog");
  paths = fake_server_get_paths (fake);
  g_assert_cmpuint (paths->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, "/v1/images/edits");
  g_assert_cmpstr (g_ptr_array_index (paths, 1), ==, "/files/menu.png");
  menugen_test_assert_no_violations (fake);
}

static void
test_url_expired (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "url-expired");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "dall-e-2", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE);
  g_assert_nonnull (strstr (outcome.error->message, "HTTP 403"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 2);
  menugen_test_assert_no_violations (fake);
}

static void
test_moderation_blocked (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-error-moderation-blocked");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED);
  g_assert_nonnull (strstr (outcome.error->message, "sexual"));
  g_assert_false (menugen_error_is_retryable (outcome.error));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_moderation_blocked_azure (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-error-moderation-blocked-azure-gateway");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-2", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED);
  g_assert_nonnull (strstr (outcome.error->message, "violence"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
  menugen_test_assert_no_violations (fake);
}

static void
test_org_not_verified (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-error-org-not-verified");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_NOT_VERIFIED);
  g_assert_nonnull (strstr (outcome.error->message, "gpt-image-1"));
  g_assert_nonnull (strstr (outcome.error->message, "few minutes"));
  g_assert_nonnull (strstr (outcome.error->message, "another back-end"));
  g_assert_null (strstr (outcome.error->message, FAKE_KEY));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_rate_limit (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-error-rate-limit-images");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (outcome.error->message, "20 s"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_rate_limit_in_message (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "rate-limit-in-message");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (outcome.error->message, "52 s"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_insufficient_quota (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "insufficient-quota");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED);
  g_assert_false (menugen_error_is_retryable (outcome.error));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_bad_key (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  const char *wrong_key = "sk-wrong-key-0123456789";

  run_scenario (fake, "gpt-image-1.5", wrong_key, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY);
  g_assert_nonnull (strstr (outcome.error->message, "Preferences"));
  g_assert_null (strstr (outcome.error->message, wrong_key));
  g_assert_null (strstr (outcome.error->message, "6789"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_unsupported_mimetype_error (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-error-unsupported-mimetype");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REJECTED);
  g_assert_nonnull (strstr (outcome.error->message, "application/octet-stream"));
}

static void
test_request_shape (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *model = NULL;
  g_autofree char *size = NULL;
  g_autofree char *fidelity = NULL;
  g_autofree char *quality = NULL;
  g_autofree char *format = NULL;
  g_autofree char *n = NULL;

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);
  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);

  form = parse_last_body (fake);
  g_assert_nonnull (form);
  filename = dup_image_filename (form);
  model = dup_field (form, "model");
  size = dup_field (form, "size");
  fidelity = dup_field (form, "input_fidelity");
  quality = dup_field (form, "quality");
  format = dup_field (form, "output_format");
  n = dup_field (form, "n");

  g_assert_cmpstr (image_type (form), ==, "image/jpeg");
  g_assert_true (g_str_has_suffix (filename, ".jpg"));
  g_assert_cmpstr (model, ==, "gpt-image-1.5");
  g_assert_cmpstr (size, ==, "1024x1536");
  g_assert_cmpstr (fidelity, ==, "high");
  g_assert_cmpstr (quality, ==, "high");
  g_assert_cmpstr (format, ==, "png");
  g_assert_cmpstr (n, ==, "1");
  g_assert_false (find_part (form, "response_format", NULL, NULL));
  g_assert_false (find_part (form, "image[]", NULL, NULL));
}

static void
test_request_mini (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;

  run_scenario (fake, "gpt-image-1-mini", FAKE_KEY, &outcome);
  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);

  form = parse_last_body (fake);
  g_assert_false (find_part (form, "input_fidelity", NULL, NULL));
  g_assert_false (find_part (form, "response_format", NULL, NULL));
}

static void
test_request_landscape_size (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "gpt-image-1", FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_jpeg_request (1200, 800);
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;
  g_autofree char *size = NULL;

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);
  g_assert_no_error (outcome.error);

  form = parse_last_body (fake);
  size = dup_field (form, "size");
  g_assert_cmpstr (size, ==, "1536x1024");
}

static void
test_request_gpt_image_2 (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "gpt-image-2", FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_jpeg_request (900, 1600);
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;
  g_autofree char *size = NULL;
  int width = 0;
  int height = 0;

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);
  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);

  form = parse_last_body (fake);
  size = dup_field (form, "size");
  g_assert_cmpint (sscanf (size, "%dx%d", &width, &height), ==, 2);
  g_assert_cmpint (width % 16, ==, 0);
  g_assert_cmpint (height % 16, ==, 0);
  g_assert_cmpfloat_with_epsilon ((double) width / height, 900.0 / 1600.0, 0.02);
  g_assert_false (find_part (form, "input_fidelity", NULL, NULL));
}

static void
test_png_photo (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "gpt-image-1.5", FAKE_KEY);
  g_autoptr(GBytes) photo = menugen_test_make_png (300, 300);
  g_autoptr(MenugenRequest) request = make_request (photo, "image/png", 300, 300);
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *size = NULL;

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);
  g_assert_no_error (outcome.error);
  menugen_test_assert_no_violations (fake);

  form = parse_last_body (fake);
  filename = dup_image_filename (form);
  size = dup_field (form, "size");
  g_assert_cmpstr (image_type (form), ==, "image/png");
  g_assert_cmpstr (filename, ==, "menu.png");
  g_assert_cmpstr (size, ==, "1024x1024");
}

static void
send_raw_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  MenugenTestOutcome *outcome = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &outcome->error);

  outcome->done = TRUE;
}

/* A photo part sent as application/octet-stream gets OpenAI's 400, which
 * is why the back-end always names the real type. */
static void
test_fake_rejects_octet_stream (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_autoptr(SoupMultipart) form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  g_autoptr(GBytes) photo = menugen_test_make_jpeg (64, 64, 0, FALSE);
  g_autofree char *url = menugen_http_join_url (fake_server_get_url (fake), "images/edits");
  g_autoptr(SoupMessage) message = NULL;
  g_auto(MenugenTestOutcome) outcome = { 0 };
  GPtrArray *violations;

  soup_multipart_append_form_file (form, "image", "menu.jpg", "application/octet-stream", photo);
  soup_multipart_append_form_string (form, "prompt", "Draw the menu.");
  soup_multipart_append_form_string (form, "model", "gpt-image-1.5");
  message = soup_message_new_from_multipart (url, form);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", "Bearer " FAKE_KEY);

  soup_session_send_and_read_async (menugen_http_get_session (), message, G_PRIORITY_DEFAULT, NULL,
                                    send_raw_cb, &outcome);
  g_assert_true (menugen_test_wait_for (&outcome.done, WAIT_S));
  g_assert_no_error (outcome.error);

  violations = fake_server_get_violations (fake);
  g_assert_cmpuint (soup_message_get_status (message), ==, 400);
  g_assert_cmpuint (violations->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (violations, 0), "application/octet-stream"));
}

static void
test_sdcpp_success (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "sdcpp-openai-edit-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };
  g_autoptr(SoupMultipart) form = NULL;
  g_autofree char *size = NULL;
  int width = 0;
  int height = 0;

  run_scenario (fake, "sd-cpp-local", NULL, &outcome);

  assert_png_result (&outcome);
  menugen_test_assert_no_violations (fake);

  form = parse_last_body (fake);
  size = dup_field (form, "size");
  g_assert_cmpint (sscanf (size, "%dx%d", &width, &height), ==, 2);
  g_assert_cmpint (width % 64, ==, 0);
  g_assert_cmpint (height % 64, ==, 0);
  g_assert_cmpint (width * height, >=, 768 * 1024);
  g_assert_cmpint (width * height, <=, 1280 * 1024);
  g_assert_cmpfloat_with_epsilon ((double) width / height, 600.0 / 800.0, 0.05);
  g_assert_false (find_part (form, "quality", NULL, NULL));
  g_assert_false (find_part (form, "input_fidelity", NULL, NULL));
  g_assert_false (find_part (form, "response_format", NULL, NULL));
}

static void
test_sdcpp_error_string (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "sdcpp-openai-error-string");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "sd-cpp-local", NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REJECTED);
  g_assert_nonnull (strstr (outcome.error->message, "at least one image[] required"));
  menugen_test_assert_no_violations (fake);
}

static void
test_sdcpp_error_exception (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "sdcpp-openai-error-exception");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "sd-cpp-local", NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_SERVER);
  g_assert_nonnull (strstr (outcome.error->message, "generate_image returned no results"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_sdcpp_rejects_webp (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "sdcpp-openai-edit-success");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "sd-cpp-local", NULL);
  static const guint8 webp[] = "RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00";
  g_autoptr(GBytes) photo = g_bytes_new_static (webp, sizeof webp - 1);
  g_autoptr(MenugenRequest) request = make_request (photo, "image/webp", 1, 1);
  g_auto(MenugenTestOutcome) outcome = { 0 };

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 0);
}

static void
test_lemonade_success (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "lemonade-success");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  g_assert_true (g_str_has_suffix (fake_server_get_url (fake), "/api/v1"));
  run_scenario (fake, "Flux-2-Klein-4B", NULL, &outcome);

  assert_png_result (&outcome);
  g_assert_cmpstr (g_ptr_array_index (fake_server_get_paths (fake), 0), ==, "/api/v1/images/edits");
  menugen_test_assert_no_violations (fake);
}

static void
test_lemonade_model_not_found (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "lemonade-error-model-not-found");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "Qwen-Image-Edit", NULL, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_REJECTED);
  g_assert_nonnull (strstr (outcome.error->message, "Qwen-Image-Edit"));
  g_assert_nonnull (strstr (outcome.error->message, "model"));
  menugen_test_assert_no_violations (fake);
}

static void
test_malformed (gconstpointer user_data)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", user_data);
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED);
  g_assert_null (outcome.result);
}

static void
test_prompt_too_long (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "gpt-image-1.5", FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_jpeg_request (60, 80);
  g_auto(MenugenTestOutcome) outcome = { 0 };

  g_free (request->instruction);
  request->instruction = g_strnfill (32001, 'a');
  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (outcome.error->message, "32000"));
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 0);
}

static void
test_read_timeout (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "slow");
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("openai-images");
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(MenugenRequest) request = make_jpeg_request (60, 80);
  g_auto(MenugenTestOutcome) outcome = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (fake));
  config->api_key = g_strdup (FAKE_KEY);
  config->read_timeout_s = 1;
  backend = menugen_backend_openai_images_new (config);

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (outcome.error->message, "1 s"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2800 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (fake_server_get_request_count (fake), ==, 1);
}

static void
test_cancel (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "slow");
  g_autoptr(MenugenBackend) backend = make_backend (fake, "gpt-image-1.5", FAKE_KEY);
  g_autoptr(MenugenRequest) request = make_jpeg_request (60, 80);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(MenugenTestOutcome) outcome = { 0 };
  gint64 start = g_get_monotonic_time ();
  gulong handler = g_signal_connect (backend, "progress", G_CALLBACK (cancel_when_waiting_cb), cancellable);

  menugen_test_run_backend (backend, request, cancellable, WAIT_S, &outcome);
  g_signal_handler_disconnect (backend, handler);

  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (outcome.result);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_TIME_SPAN_SECOND);
}

static guint
find_closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static void
test_unreachable (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("openai-images");
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(MenugenRequest) request = make_jpeg_request (60, 80);
  g_auto(MenugenTestOutcome) outcome = { 0 };

  g_free (config->url);
  config->url = g_strdup_printf ("http://127.0.0.1:%u/v1", find_closed_port ());
  config->api_key = g_strdup (FAKE_KEY);
  backend = menugen_backend_openai_images_new (config);

  menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

  g_assert_error (outcome.error, MENUGEN_ERROR, MENUGEN_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (outcome.error->message, "127.0.0.1"));
  g_assert_null (strstr (outcome.error->message, FAKE_KEY));
}

/* Sends the status in @user_data without any body, as a proxy or a crashed
 * server may. */
static void
bare_status_cb (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  soup_server_message_set_status (message, GPOINTER_TO_UINT (user_data), NULL);
}

static void
test_error_without_body (void)
{
  const guint statuses[] = { 400, 404, 500, 502 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
      g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("openai-images");
      g_autoptr(MenugenBackend) backend = NULL;
      g_autoptr(MenugenRequest) request = make_jpeg_request (60, 80);
      g_autoptr(GError) error = NULL;
      g_autoslist(GUri) uris = NULL;
      g_auto(MenugenTestOutcome) outcome = { 0 };
      g_autofree char *status_text = g_strdup_printf ("HTTP %u", statuses[i]);

      soup_server_add_handler (server, NULL, bare_status_cb, GUINT_TO_POINTER (statuses[i]), NULL);
      soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
      g_assert_no_error (error);
      uris = soup_server_get_uris (server);

      g_free (config->url);
      config->url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
      config->api_key = g_strdup (FAKE_KEY);
      backend = menugen_backend_openai_images_new (config);

      menugen_test_run_backend (backend, request, NULL, WAIT_S, &outcome);

      g_assert_nonnull (outcome.error);
      g_assert_true (outcome.error->domain == MENUGEN_ERROR);
      g_assert_nonnull (strstr (outcome.error->message, status_text));
      g_assert_null (outcome.result);
      soup_server_disconnect (server);
    }
}

static void
test_progress_stages (void)
{
  g_autoptr(FakeServer) fake = fake_server_new ("openai-images", "openai-images-success-full");
  g_auto(MenugenTestOutcome) outcome = { 0 };

  run_scenario (fake, "gpt-image-1.5", FAKE_KEY, &outcome);
  g_assert_no_error (outcome.error);

  g_assert_cmpuint (outcome.stages->len, ==, 3);
  g_assert_cmpint (g_array_index (outcome.stages, int, 0), ==, MENUGEN_STAGE_UPLOADING);
  g_assert_cmpint (g_array_index (outcome.stages, int, 1), ==, MENUGEN_STAGE_WAITING);
  g_assert_cmpint (g_array_index (outcome.stages, int, 2), ==, MENUGEN_STAGE_DOWNLOADING);
  g_assert_nonnull (outcome.upload_detail);
  g_assert_cmpstr (outcome.upload_detail, !=, "0 bytes");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  g_test_add_func ("/backend-openai-images/success-full", test_success_full);
  g_test_add_func ("/backend-openai-images/success-no-format-fields", test_success_no_format_fields);
  g_test_add_func ("/backend-openai-images/success-portrait", test_success_portrait);
  g_test_add_func ("/backend-openai-images/url-response", test_url_response);
  g_test_add_func ("/backend-openai-images/url-expired", test_url_expired);
  g_test_add_func ("/backend-openai-images/moderation-blocked", test_moderation_blocked);
  g_test_add_func ("/backend-openai-images/moderation-blocked-azure", test_moderation_blocked_azure);
  g_test_add_func ("/backend-openai-images/org-not-verified", test_org_not_verified);
  g_test_add_func ("/backend-openai-images/rate-limit", test_rate_limit);
  g_test_add_func ("/backend-openai-images/rate-limit-in-message", test_rate_limit_in_message);
  g_test_add_func ("/backend-openai-images/insufficient-quota", test_insufficient_quota);
  g_test_add_func ("/backend-openai-images/bad-key", test_bad_key);
  g_test_add_func ("/backend-openai-images/unsupported-mimetype-error", test_unsupported_mimetype_error);
  g_test_add_func ("/backend-openai-images/request-shape", test_request_shape);
  g_test_add_func ("/backend-openai-images/request-mini", test_request_mini);
  g_test_add_func ("/backend-openai-images/request-landscape-size", test_request_landscape_size);
  g_test_add_func ("/backend-openai-images/request-gpt-image-2", test_request_gpt_image_2);
  g_test_add_func ("/backend-openai-images/png-photo", test_png_photo);
  g_test_add_func ("/backend-openai-images/fake-rejects-octet-stream", test_fake_rejects_octet_stream);
  g_test_add_func ("/backend-openai-images/sdcpp-success", test_sdcpp_success);
  g_test_add_func ("/backend-openai-images/sdcpp-error-string", test_sdcpp_error_string);
  g_test_add_func ("/backend-openai-images/sdcpp-error-exception", test_sdcpp_error_exception);
  g_test_add_func ("/backend-openai-images/sdcpp-rejects-webp", test_sdcpp_rejects_webp);
  g_test_add_func ("/backend-openai-images/lemonade-success", test_lemonade_success);
  g_test_add_func ("/backend-openai-images/lemonade-model-not-found", test_lemonade_model_not_found);
  g_test_add_data_func ("/backend-openai-images/malformed-no-data", "no-data", test_malformed);
  g_test_add_data_func ("/backend-openai-images/malformed-empty-data", "empty-data", test_malformed);
  g_test_add_data_func ("/backend-openai-images/malformed-bad-base64", "bad-base64", test_malformed);
  g_test_add_func ("/backend-openai-images/prompt-too-long", test_prompt_too_long);
  g_test_add_func ("/backend-openai-images/read-timeout", test_read_timeout);
  g_test_add_func ("/backend-openai-images/cancel", test_cancel);
  g_test_add_func ("/backend-openai-images/unreachable", test_unreachable);
  g_test_add_func ("/backend-openai-images/progress-stages", test_progress_stages);
  g_test_add_func ("/backend-openai-images/error-without-body", test_error_without_body);

  return g_test_run ();
}
