#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "backends/menugen-backend-comfyui.h"
#include "backends/menugen-comfyui-reply.h"
#include "core/menugen-error.h"
#include "fake-server.h"
#include "test-util.h"

#define INSTRUCTION "Redraw this menu as one illustrated menu. Keep every dish name and price verbatim."
#define SEED G_GUINT64_CONSTANT (12345)
#define WAIT_S 40

/* The fake's result image. */
#define RESULT_WIDTH 832
#define RESULT_HEIGHT 1248

/* A lost job must end within the WebSocket silence (10 s) plus two polls
 * (2 s apart), with some slack for a loaded machine. */
#define LOST_JOB_BOUND_S 17

/* Cancelling waits for at most the short connect and read timeouts of the
 * interrupt, and the fake replies at once. */
#define CANCEL_BOUND_US (3 * G_USEC_PER_SEC)

typedef struct {
  MenugenStage stage;
  double fraction;
} Progress;

typedef struct {
  FakeServer *fake;
  MenugenBackendConfig *config;
  MenugenRequest *request;
  GCancellable *cancellable;
  GArray *progress;
  MenugenResult *result;
  GError *error;
  gboolean done;
  char *scratch;
} Fixture;

static void
setup (Fixture       *fixture,
       gconstpointer  scenario)
{
  fixture->fake = fake_server_new ("comfyui", scenario);
  fixture->config = menugen_backend_config_new ("comfyui");
  g_free (fixture->config->url);
  fixture->config->url = g_strdup (fake_server_get_url (fixture->fake));

  fixture->request = menugen_request_new ();
  fixture->request->photo = menugen_test_make_jpeg (96, 128, 0, FALSE);
  fixture->request->photo_mime_type = g_strdup ("image/jpeg");
  fixture->request->photo_width = 96;
  fixture->request->photo_height = 128;
  fixture->request->instruction = g_strdup (INSTRUCTION);
  fixture->request->seed = SEED;

  fixture->cancellable = g_cancellable_new ();
  fixture->progress = g_array_new (FALSE, FALSE, sizeof (Progress));
  fixture->scratch = menugen_test_make_scratch_dir ();
}

static gboolean
expire_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for @milliseconds whatever happens. */
static void
run_main_context (guint milliseconds)
{
  gboolean expired = FALSE;

  g_timeout_add (milliseconds, expire_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  scenario)
{
  /* Lets requests that a failed or cancelled job sent without waiting,
   * such as a queue delete, reach the fake before it goes away. */
  run_main_context (100);

  g_clear_pointer (&fixture->fake, fake_server_free);
  g_clear_pointer (&fixture->config, menugen_backend_config_free);
  g_clear_pointer (&fixture->request, menugen_request_free);
  g_clear_object (&fixture->cancellable);
  g_clear_pointer (&fixture->progress, g_array_unref);
  g_clear_pointer (&fixture->result, menugen_result_free);
  g_clear_error (&fixture->error);
  menugen_test_remove_tree (fixture->scratch);
  g_free (fixture->scratch);
}

static void
progress_cb (MenugenBackend *backend,
             int             stage,
             double          fraction,
             const char     *detail,
             gpointer        user_data)
{
  Fixture *fixture = user_data;
  Progress progress = { stage, fraction };

  g_array_append_val (fixture->progress, progress);
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
create_backend (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  MenugenBackend *backend = menugen_backend_new (fixture->config, &error);

  g_assert_no_error (error);
  g_assert_true (MENUGEN_IS_BACKEND_COMFYUI (backend));
  g_signal_connect (backend, "progress", G_CALLBACK (progress_cb), fixture);

  return backend;
}

static void
start_job (Fixture        *fixture,
           MenugenBackend *backend)
{
  menugen_backend_generate_async (backend, fixture->request, fixture->cancellable, generate_cb, fixture);
}

static void
run_job (Fixture *fixture)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);

  start_job (fixture, backend);
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));
}

static guint
count_requests (Fixture    *fixture,
                const char *request)
{
  GPtrArray *paths = fake_server_get_paths (fixture->fake);
  guint count = 0;

  for (guint i = 0; i < paths->len; i++)
    if (g_str_equal (g_ptr_array_index (paths, i), request))
      count++;

  return count;
}

/* The "prompt" graph of the last /prompt request body. */
static JsonObject *
recorded_prompt (Fixture   *fixture,
                 JsonNode **root)
{
  GBytes *body = fake_server_get_last_body (fixture->fake);
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_nonnull (body);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL));
  *root = json_node_ref (json_parser_get_root (parser));

  return json_object_get_object_member (json_node_get_object (*root), "prompt");
}

static const char *
node_input_string (JsonObject *prompt,
                   const char *node_id,
                   const char *input)
{
  JsonObject *node = json_object_get_object_member (prompt, node_id);

  return json_object_get_string_member (json_object_get_object_member (node, "inputs"), input);
}

static gint64
node_input_int (JsonObject *prompt,
                const char *node_id,
                const char *input)
{
  JsonObject *node = json_object_get_object_member (prompt, node_id);

  return json_object_get_int_member (json_object_get_object_member (node, "inputs"), input);
}

static char *
write_scratch_file (Fixture    *fixture,
                    const char *name,
                    const char *contents)
{
  char *path = g_build_filename (fixture->scratch, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
use_workflow_file (Fixture    *fixture,
                   const char *name,
                   const char *contents)
{
  g_free (fixture->config->workflow);
  fixture->config->workflow = write_scratch_file (fixture, name, contents);
}

typedef struct {
  GBytes *body;
  guint status;
  gboolean done;
} Fetch;

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(GError) error = NULL;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  fetch->status = soup_message_get_status (soup_session_get_async_result_message (SOUP_SESSION (source), result));
  fetch->done = TRUE;
}

static GBytes *
fetch (SoupMessage *message,
       guint       *status)
{
  Fetch fetch = { NULL, 0, FALSE };

  soup_session_send_and_read_async (menugen_http_get_session (), message, G_PRIORITY_DEFAULT, NULL, fetch_cb, &fetch);
  g_assert_true (menugen_test_wait_for (&fetch.done, WAIT_S));
  *status = fetch.status;
  return fetch.body;
}

/* Stores a file in the fake as another ComfyUI client would. */
static void
upload_to_fake (Fixture    *fixture,
                const char *name,
                GBytes     *bytes)
{
  g_autoptr(SoupMultipart) multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  g_autofree char *url = g_strconcat (fake_server_get_url (fixture->fake), "/upload/image", NULL);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status = 0;

  soup_multipart_append_form_file (multipart, "image", name, "image/jpeg", bytes);
  message = soup_message_new_from_multipart (url, multipart);
  body = fetch (message, &status);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
}

/* The name under which the back-end uploads a photo: its checksum. */
static char *
expected_upload_name (GBytes *photo)
{
  g_autofree char *checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, photo);

  return g_strdup_printf ("menugen-%.16s.jpg", checksum);
}

static gboolean
has_stage (Fixture      *fixture,
           MenugenStage  stage)
{
  for (guint i = 0; i < fixture->progress->len; i++)
    if (g_array_index (fixture->progress, Progress, i).stage == stage)
      return TRUE;

  return FALSE;
}

static guint
first_stage_index (Fixture      *fixture,
                   MenugenStage  stage)
{
  for (guint i = 0; i < fixture->progress->len; i++)
    if (g_array_index (fixture->progress, Progress, i).stage == stage)
      return i;

  g_assert_not_reached ();
}

static void
assert_success (Fixture *fixture)
{
  g_assert_no_error (fixture->error);
  g_assert_nonnull (fixture->result);
  g_assert_cmpstr (fixture->result->mime_type, ==, "image/png");
  menugen_test_assert_image_size (fixture->result->image, RESULT_WIDTH, RESULT_HEIGHT);
  menugen_test_assert_no_violations (fixture->fake);
}

static void
assert_error (Fixture    *fixture,
              int         code,
              const char *fragment)
{
  g_assert_null (fixture->result);
  g_assert_nonnull (fixture->error);
  g_test_message ("error: %s", fixture->error->message);
  g_assert_error (fixture->error, MENUGEN_ERROR, code);
  if (fragment != NULL && strstr (fixture->error->message, fragment) == NULL)
    g_error ("“%s” is not in the message: %s", fragment, fixture->error->message);
}

/* A full job on the default workflow, with a name clash on upload. */
static void
test_success (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *name = expected_upload_name (fixture->request->photo);
  g_autofree char *renamed = NULL;
  g_autoptr(GBytes) other_photo = menugen_test_make_jpeg (40, 30, 0, FALSE);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;
  double last_fraction = 0;
  guint steps = 0;

  /* Another file with the same name makes the server store ours as
   * "name (1).jpg". */
  upload_to_fake (fixture, name, other_photo);
  run_job (fixture);

  assert_success (fixture);
  g_assert_cmpstr (fixture->result->model, ==, "qwen_image_edit_2509_fp8_e4m3fn.safetensors");

  prompt = recorded_prompt (fixture, &root);
  renamed = g_strdup_printf ("menugen-%.16s (1).jpg", name + strlen ("menugen-"));
  g_assert_cmpstr (node_input_string (prompt, "78", "image"), ==, renamed);

  g_assert_true (has_stage (fixture, MENUGEN_STAGE_UPLOADING));
  g_assert_true (has_stage (fixture, MENUGEN_STAGE_QUEUED));
  g_assert_true (has_stage (fixture, MENUGEN_STAGE_RUNNING));
  g_assert_true (has_stage (fixture, MENUGEN_STAGE_DOWNLOADING));
  g_assert_cmpuint (first_stage_index (fixture, MENUGEN_STAGE_UPLOADING), <, first_stage_index (fixture, MENUGEN_STAGE_QUEUED));
  g_assert_cmpuint (first_stage_index (fixture, MENUGEN_STAGE_QUEUED), <, first_stage_index (fixture, MENUGEN_STAGE_RUNNING));
  g_assert_cmpuint (first_stage_index (fixture, MENUGEN_STAGE_RUNNING), <, first_stage_index (fixture, MENUGEN_STAGE_DOWNLOADING));

  for (guint i = 0; i < fixture->progress->len; i++)
    {
      Progress *progress = &g_array_index (fixture->progress, Progress, i);

      if (progress->stage != MENUGEN_STAGE_RUNNING || progress->fraction < 0)
        continue;

      g_assert_cmpfloat (progress->fraction, >, last_fraction);
      last_fraction = progress->fraction;
      steps++;
    }
  g_assert_cmpuint (steps, ==, 4);
  g_assert_cmpfloat (last_fraction, ==, 1.0);

  g_assert_cmpuint (count_requests (fixture, "GET /ws"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "POST /prompt"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "GET /view"), ==, 1);
}

static void
test_builtin_qwen (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *body;
  JsonObject *prompt;
  g_autofree char *name = expected_upload_name (fixture->request->photo);

  fixture->config->workflow = g_strdup ("qwen-image-edit");
  run_job (fixture);
  assert_success (fixture);

  prompt = recorded_prompt (fixture, &root);
  body = json_node_get_object (root);
  g_assert_cmpstr (node_input_string (prompt, "78", "image"), ==, name);
  g_assert_cmpstr (node_input_string (prompt, "433:111", "prompt"), ==, INSTRUCTION);
  g_assert_cmpstr (node_input_string (prompt, "433:110", "prompt"), ==, "");
  g_assert_cmpint (node_input_int (prompt, "433:3", "seed"), ==, (gint64) SEED);
  g_assert_cmpstr (node_input_string (prompt, "60", "filename_prefix"), ==, "menugen");
  g_assert_cmpuint (strlen (json_object_get_string_member (body, "client_id")), ==, 32);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (body, "prompt_id")));
}

static void
test_builtin_flux (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;
  g_autofree char *name = expected_upload_name (fixture->request->photo);

  fixture->config->workflow = g_strdup ("flux-kontext");
  run_job (fixture);
  assert_success (fixture);
  g_assert_cmpstr (fixture->result->model, ==, "flux1-dev-kontext_fp8_scaled.safetensors");

  prompt = recorded_prompt (fixture, &root);
  g_assert_cmpstr (node_input_string (prompt, "4", "image"), ==, name);
  g_assert_cmpstr (node_input_string (prompt, "7", "text"), ==, INSTRUCTION);
  g_assert_cmpint (node_input_int (prompt, "11", "seed"), ==, (gint64) SEED);
  g_assert_cmpstr (node_input_string (prompt, "1", "unet_name"), ==, "flux1-dev-kontext_fp8_scaled.safetensors");
  g_assert_cmpstr (node_input_string (prompt, "90", "filename_prefix"), ==, "menugen");
}

/* An SDXL image-to-image graph whose negative encoder comes first, so that
 * only following the sampler's positive link finds the right one. */
static const char sdxl_workflow[] =
  "{"
  " \"5\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"blurry\", \"clip\": [\"4\", 1]}},"
  " \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": {\"ckpt_name\": \"sd_xl_base_1.0.safetensors\"}},"
  " \"10\": {\"class_type\": \"LoadImage\", \"inputs\": {\"image\": \"example.png\"}},"
  " \"11\": {\"class_type\": \"VAEEncode\", \"inputs\": {\"pixels\": [\"10\", 0], \"vae\": [\"4\", 2]}},"
  " \"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"a menu\", \"clip\": [\"4\", 1]}},"
  " \"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": 7, \"steps\": 20, \"cfg\": 6.5,"
  "   \"sampler_name\": \"euler\", \"scheduler\": \"normal\", \"denoise\": 0.8, \"model\": [\"4\", 0],"
  "   \"positive\": [\"6\", 0], \"negative\": [\"5\", 0], \"latent_image\": [\"11\", 0]}},"
  " \"8\": {\"class_type\": \"VAEDecode\", \"inputs\": {\"samples\": [\"3\", 0], \"vae\": [\"4\", 2]}},"
  " \"9\": {\"class_type\": \"SaveImage\", \"inputs\": {\"filename_prefix\": \"ComfyUI\", \"images\": [\"8\", 0]}}"
  "}";

static void
test_user_workflow (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;

  use_workflow_file (fixture, "sdxl-img2img.json", sdxl_workflow);
  fixture->config->model = g_strdup ("sdxl/juggernautXL_v9.safetensors");
  run_job (fixture);
  assert_success (fixture);
  g_assert_cmpstr (fixture->result->model, ==, "sdxl/juggernautXL_v9.safetensors");

  prompt = recorded_prompt (fixture, &root);
  g_assert_cmpstr (node_input_string (prompt, "6", "text"), ==, INSTRUCTION);
  g_assert_cmpstr (node_input_string (prompt, "5", "text"), ==, "blurry");
  g_assert_cmpint (node_input_int (prompt, "3", "seed"), ==, (gint64) SEED);
  g_assert_cmpstr (node_input_string (prompt, "4", "ckpt_name"), ==, "sdxl/juggernautXL_v9.safetensors");
  g_assert_cmpuint (count_requests (fixture, "GET /object_info/CheckpointLoaderSimple"), ==, 1);
}

/* The recorded Qwen-Image-Edit 2511 request keeps its text in a
 * PrimitiveStringMultiline node linked to the encoder. */
static void
test_user_workflow_primitive (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GBytes) recorded = fake_load_fixture ("comfyui-request-qwen-image-edit-2511-api-workflow");
  g_autofree char *text = g_strndup (g_bytes_get_data (recorded, NULL), g_bytes_get_size (recorded));
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;
  JsonNode *link;

  use_workflow_file (fixture, "qwen-2511.json", text);
  run_job (fixture);
  assert_success (fixture);

  prompt = recorded_prompt (fixture, &root);
  g_assert_cmpstr (node_input_string (prompt, "435", "value"), ==, INSTRUCTION);
  link = json_object_get_member (json_object_get_object_member (json_object_get_object_member (prompt, "433:111"), "inputs"), "prompt");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (link));
  g_assert_cmpint (node_input_int (prompt, "433:3", "seed"), ==, (gint64) SEED);
}

static const char two_loaders_workflow[] =
  "{"
  " \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": {\"ckpt_name\": \"sd_xl_base_1.0.safetensors\"}},"
  " \"10\": {\"class_type\": \"LoadImage\", \"inputs\": {\"image\": \"style.png\"}},"
  " \"433:20\": {\"class_type\": \"LoadImage\", \"inputs\": {\"image\": \"example.png\"}},"
  " \"11\": {\"class_type\": \"VAEEncode\", \"inputs\": {\"pixels\": [\"433:20\", 0], \"vae\": [\"4\", 2]}},"
  " \"433:30\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"a menu\", \"clip\": [\"4\", 1]}},"
  " \"433:31\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"\", \"clip\": [\"4\", 1]}},"
  " \"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": 7, \"steps\": 20, \"cfg\": 6.5,"
  "   \"sampler_name\": \"euler\", \"scheduler\": \"normal\", \"denoise\": 0.8, \"model\": [\"4\", 0],"
  "   \"positive\": [\"433:30\", 0], \"negative\": [\"433:30\", 0], \"latent_image\": [\"11\", 0]}},"
  " \"8\": {\"class_type\": \"VAEDecode\", \"inputs\": {\"samples\": [\"3\", 0], \"vae\": [\"4\", 2]}},"
  " \"9\": {\"class_type\": \"SaveImage\", \"inputs\": {\"filename_prefix\": \"ComfyUI\", \"images\": [\"8\", 0]}}"
  "}";

static void
test_set_nodes (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(GBytes) style = menugen_test_make_jpeg (16, 16, 0, FALSE);
  g_autofree char *name = expected_upload_name (fixture->request->photo);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;

  /* The other LoadImage names a file that the server has. */
  upload_to_fake (fixture, "style.png", style);
  use_workflow_file (fixture, "two-loaders.json", two_loaders_workflow);
  backend = create_backend (fixture);
  menugen_backend_comfyui_set_nodes (MENUGEN_BACKEND_COMFYUI (backend), "433:20", "433:31");
  start_job (fixture, backend);
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));
  assert_success (fixture);

  prompt = recorded_prompt (fixture, &root);
  g_assert_cmpstr (node_input_string (prompt, "433:20", "image"), ==, name);
  g_assert_cmpstr (node_input_string (prompt, "10", "image"), ==, "style.png");
  g_assert_cmpstr (node_input_string (prompt, "433:31", "text"), ==, INSTRUCTION);
  g_assert_cmpstr (node_input_string (prompt, "433:30", "text"), ==, "a menu");
}

static void
test_set_nodes_missing (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);

  menugen_backend_comfyui_set_nodes (MENUGEN_BACKEND_COMFYUI (backend), "999", NULL);
  start_job (fixture, backend);
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "“999”");
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

typedef struct {
  const char *name;
  const char *contents;
  int code;
  const char *fragment;
} BadWorkflow;

static const BadWorkflow bad_workflows[] = {
  { "editor.json", "{\"last_node_id\": 9, \"nodes\": [], \"links\": []}",
    MENUGEN_ERROR_WORKFLOW_REJECTED, "Export (API)" },
  { "broken.json", "{\"3\": {\"class_type\": \"KSampler\"",
    MENUGEN_ERROR_WORKFLOW_REJECTED, "not valid JSON" },
  { "no-class.json", "{\"3\": {\"inputs\": {}}}",
    MENUGEN_ERROR_WORKFLOW_REJECTED, "node “3”" },
  { "no-loader.json",
    "{\"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"x\"}},"
    " \"9\": {\"class_type\": \"SaveImage\", \"inputs\": {\"images\": [\"6\", 0]}}}",
    MENUGEN_ERROR_WORKFLOW_REJECTED, "LoadImage" },
  { "no-prompt.json",
    "{\"10\": {\"class_type\": \"LoadImage\", \"inputs\": {\"image\": \"a.png\"}},"
    " \"9\": {\"class_type\": \"SaveImage\", \"inputs\": {\"images\": [\"10\", 0]}}}",
    MENUGEN_ERROR_WORKFLOW_REJECTED, "CLIPTextEncode" },
};

static void
test_bad_workflows (Fixture       *fixture,
                    gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_workflows); i++)
    {
      g_test_message ("workflow %s", bad_workflows[i].name);
      use_workflow_file (fixture, bad_workflows[i].name, bad_workflows[i].contents);
      fixture->done = FALSE;
      g_clear_error (&fixture->error);
      run_job (fixture);

      assert_error (fixture, bad_workflows[i].code, bad_workflows[i].fragment);
      g_assert_nonnull (strstr (fixture->error->message, bad_workflows[i].name));
    }

  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

static void
test_missing_workflow_file (Fixture       *fixture,
                            gconstpointer  data)
{
  fixture->config->workflow = g_build_filename (fixture->scratch, "absent.json", NULL);
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_FAILED, "absent.json");
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

/* The recorded 400: a missing model file, "not in []". */
static void
test_validation_error (Fixture       *fixture,
                       gconstpointer  data)
{
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "433:37");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "UNETLoader");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "unet_name");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "“qwen_image_edit_2509_fp8_e4m3fn.safetensors”");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "the server lists none");
  g_assert_cmpuint (count_requests (fixture, "POST /prompt"), ==, 1);
}

static void
test_missing_node_type (Fixture       *fixture,
                        gconstpointer  data)
{
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "TextEncodeQwenImageEditPlus");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "433:111");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "custom node");
}

/* The built-in Qwen graph with an extra PreviewImage output. */
static char *
qwen_with_preview (void)
{
  g_autoptr(GBytes) data = g_resources_lookup_data ("/com/example/Menugen/workflows/qwen-image-edit.json",
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *graph;
  JsonObject *preview = json_object_new ();
  JsonObject *inputs = json_object_new ();
  JsonArray *link = json_array_new ();

  g_assert_nonnull (data);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (data, NULL), g_bytes_get_size (data), NULL));
  graph = json_node_get_object (json_parser_get_root (parser));
  json_array_add_string_element (link, "433:8");
  json_array_add_int_element (link, 0);
  json_object_set_array_member (inputs, "images", link);
  json_object_set_string_member (preview, "class_type", "PreviewImage");
  json_object_set_object_member (preview, "inputs", inputs);
  json_object_set_object_member (graph, "70", preview);

  return json_to_string (json_parser_get_root (parser), FALSE);
}

/* node_errors on a 200 that leave the SaveImage output alone. */
static void
test_node_errors_other_output (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *workflow = qwen_with_preview ();

  use_workflow_file (fixture, "qwen-preview.json", workflow);
  run_job (fixture);
  assert_success (fixture);
}

/* node_errors on a 200 that stop the SaveImage output. */
static void
test_node_errors_save_output (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *workflow = qwen_with_preview ();

  use_workflow_file (fixture, "qwen-preview.json", workflow);
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "Node 60 (SaveImage), input filename_prefix");
  run_main_context (500);
  g_assert_cmpuint (count_requests (fixture, "POST /queue"), ==, 1);
  menugen_test_assert_no_violations (fixture->fake);
}

/* A model name without its folder is rejected before /prompt is sent,
 * with the names that the server lists. */
static void
test_model_without_folder (Fixture       *fixture,
                      gconstpointer  data)
{
  fixture->config->model = g_strdup ("a.safetensors");
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "“a.safetensors”");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "Did you mean “flux/a.safetensors”?");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "flux/a.safetensors, sdxl/b.safetensors");
  g_assert_cmpuint (count_requests (fixture, "GET /object_info/UNETLoader"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "POST /upload/image"), ==, 0);
  g_assert_cmpuint (count_requests (fixture, "POST /prompt"), ==, 0);
  menugen_test_assert_no_violations (fixture->fake);
}

static void
test_checkpoint_without_folder (Fixture       *fixture,
                    gconstpointer  data)
{
  use_workflow_file (fixture, "sdxl-img2img.json", sdxl_workflow);
  fixture->config->model = g_strdup ("b.safetensors");
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "CheckpointLoaderSimple");
  assert_error (fixture, MENUGEN_ERROR_WORKFLOW_REJECTED, "“sdxl/b.safetensors”");
  g_assert_cmpuint (count_requests (fixture, "POST /prompt"), ==, 0);
}

static void
test_model_listed_name (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *prompt;

  use_workflow_file (fixture, "sdxl-img2img.json", sdxl_workflow);
  fixture->config->model = g_strdup ("flux/a.safetensors");
  run_job (fixture);
  assert_success (fixture);

  prompt = recorded_prompt (fixture, &root);
  g_assert_cmpstr (node_input_string (prompt, "4", "ckpt_name"), ==, "flux/a.safetensors");
}

typedef struct {
  char **models;
  gboolean done;
} ModelsWait;

static void
list_models_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ModelsWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  wait->models = menugen_backend_comfyui_list_models_finish (MENUGEN_BACKEND_COMFYUI (source), result, &error);
  g_assert_no_error (error);
  wait->done = TRUE;
}

static char **
list_models (Fixture *fixture)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);
  ModelsWait wait = { NULL, FALSE };

  menugen_backend_comfyui_list_models_async (MENUGEN_BACKEND_COMFYUI (backend), NULL, list_models_cb, &wait);
  g_assert_true (menugen_test_wait_for (&wait.done, WAIT_S));

  return wait.models;
}

static void
test_list_models_folders (Fixture       *fixture,
                     gconstpointer  data)
{
  g_auto(GStrv) models = list_models (fixture);

  g_assert_cmpuint (g_strv_length (models), ==, 2);
  g_assert_cmpstr (models[0], ==, "flux/a.safetensors");
  g_assert_cmpstr (models[1], ==, "sdxl/b.safetensors");
}

static void
test_list_models_flux (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(GStrv) models = NULL;

  fixture->config->workflow = g_strdup ("flux-kontext");
  models = list_models (fixture);
  g_assert_true (g_strv_contains ((const char * const *) models, "flux1-dev-kontext_fp8_scaled.safetensors"));
  g_assert_true (g_strv_contains ((const char * const *) models, "qwen/Qwen-Image-Edit-2509-Q8_0.safetensors"));
}

/* A PyTorch build without kernels for the GPU fails in the first GPU node. */
static void
test_hip_error (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture->config->workflow = g_strdup ("flux-kontext");
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_EXECUTION_FAILED, "CLIPTextEncode");
  assert_error (fixture, MENUGEN_ERROR_EXECUTION_FAILED, "CLIPTextEncode (node 7): HIP error: invalid device function. Check");
  assert_error (fixture, MENUGEN_ERROR_EXECUTION_FAILED, "ROCm");
  assert_error (fixture, MENUGEN_ERROR_EXECUTION_FAILED, "remote back-end");
  g_assert_cmpuint (count_requests (fixture, "POST /prompt"), ==, 1);
  menugen_test_assert_no_violations (fixture->fake);
}

static void
test_interrupted (Fixture       *fixture,
                  gconstpointer  data)
{
  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_NO_IMAGE, "interrupted");
  g_assert_cmpuint (count_requests (fixture, "GET /view"), ==, 0);
  menugen_test_assert_no_violations (fixture->fake);
}

static void
test_lost_job (Fixture       *fixture,
               gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  run_job (fixture);

  assert_error (fixture, MENUGEN_ERROR_FAILED, "lost the job");
  assert_error (fixture, MENUGEN_ERROR_FAILED, "restarted");
  g_assert_cmpint (g_get_monotonic_time () - start, <, LOST_JOB_BOUND_S * G_USEC_PER_SEC);
  g_assert_cmpuint (count_requests (fixture, "GET /queue"), >=, 2);
  menugen_test_assert_no_violations (fixture->fake);
}

/* Without a WebSocket the job is followed by polling. */
static void
test_polling_fallback (Fixture       *fixture,
                       gconstpointer  data)
{
  run_job (fixture);

  assert_success (fixture);
  g_assert_cmpuint (count_requests (fixture, "GET /ws"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "GET /queue"), >=, 1);
}

static gboolean
has_running_step (Fixture *fixture)
{
  for (guint i = 0; i < fixture->progress->len; i++)
    {
      Progress *progress = &g_array_index (fixture->progress, Progress, i);

      if (progress->stage == MENUGEN_STAGE_RUNNING && progress->fraction > 0)
        return TRUE;
    }

  return FALSE;
}

static void
wait_for_stage (Fixture  *fixture,
                gboolean (*reached) (Fixture *fixture))
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (!reached (fixture) && !fixture->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (reached (fixture));
  g_assert_false (fixture->done);
}

static void
assert_cancelled (Fixture *fixture,
                  gint64   cancelled_at)
{
  g_assert_true (menugen_test_wait_for (&fixture->done, WAIT_S));
  g_assert_null (fixture->result);
  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, CANCEL_BOUND_US);
}

static void
test_cancel_running (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);

  start_job (fixture, backend);
  wait_for_stage (fixture, has_running_step);
  g_cancellable_cancel (fixture->cancellable);
  assert_cancelled (fixture, g_get_monotonic_time ());

  g_assert_cmpuint (count_requests (fixture, "POST /interrupt"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "POST /queue"), ==, 0);
  g_assert_cmpuint (count_requests (fixture, "GET /view"), ==, 0);
  menugen_test_assert_no_violations (fixture->fake);
}

static gboolean
is_queued (Fixture *fixture)
{
  return has_stage (fixture, MENUGEN_STAGE_QUEUED);
}

static void
test_cancel_queued (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);
  g_autofree char *url = g_strconcat (fake_server_get_url (fixture->fake), "/queue", NULL);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  guint status = 0;

  start_job (fixture, backend);
  wait_for_stage (fixture, is_queued);
  g_cancellable_cancel (fixture->cancellable);
  assert_cancelled (fixture, g_get_monotonic_time ());

  g_assert_cmpuint (count_requests (fixture, "POST /queue"), ==, 1);
  g_assert_cmpuint (count_requests (fixture, "POST /interrupt"), ==, 0);
  menugen_test_assert_no_violations (fixture->fake);

  /* The prompt is no longer waiting on the server. */
  message = soup_message_new (SOUP_METHOD_GET, url);
  body = fetch (message, &status);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (text, "\"queue_pending\":[]"));
}

static void
test_photo_limits (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MenugenBackend) backend = create_backend (fixture);
  MenugenPhotoLimits limits;

  menugen_backend_get_photo_limits (backend, &limits);
  g_assert_cmpint (limits.max_long_edge, ==, 1536);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

/* Replies of /prompt with status 400, as execution.py writes them. */

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_node_ref (json_parser_get_root (parser));
}

static void
test_reply_allowed_values (void)
{
  static const struct {
    const char *input_config;
    const char *details;
    const char *expected;
  } cases[] = {
    { "[[\"flux/a.safetensors\", \"sdxl/b.safetensors\"], {}]", "ckpt_name: 'a.safetensors' not in ['flux/a.safetensors', 'sdxl/b.safetensors']",
      "(flux/a.safetensors, sdxl/b.safetensors)" },
    { "[\"COMBO\", {\"options\": [\"x.gguf\", \"y.gguf\"]}]", "unet_name: 'a' not in ['x.gguf', 'y.gguf']", "(x.gguf, y.gguf)" },
    { "null", "ckpt_name: 'a.safetensors' not in ['flux/a.safetensors', 'sdxl/b.safetensors']",
      "(flux/a.safetensors, sdxl/b.safetensors)" },
    { "null", "ckpt_name: 'a.safetensors' not in (list of length 31)", "(a long list, shown in ComfyUI)" },
    { "[[\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"], {}]", "", "(1, 2, 3, 4, 5, 6, 7, 8, …)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (
        "{\"error\": {\"type\": \"prompt_outputs_failed_validation\", \"message\": \"Prompt outputs failed validation\","
        " \"details\": \"\", \"extra_info\": {}},"
        " \"node_errors\": {\"4\": {\"errors\": [{\"type\": \"value_not_in_list\", \"message\": \"Value not in list\","
        " \"details\": \"%s\", \"extra_info\": {\"input_name\": \"ckpt_name\", \"input_config\": %s,"
        " \"received_value\": \"a.safetensors\"}}], \"dependent_outputs\": [\"9\"], \"class_type\": \"CheckpointLoaderSimple\"}}}",
        cases[i].details, cases[i].input_config);
      g_autoptr(JsonNode) reply = parse (text);
      g_autoptr(GError) error = menugen_comfyui_prompt_error (reply);

      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED);
      g_assert_nonnull (strstr (error->message, "Node 4 (CheckpointLoaderSimple), input ckpt_name: “a.safetensors”"));
      if (strstr (error->message, cases[i].expected) == NULL)
        g_error ("case %u: “%s” is not in: %s", i, cases[i].expected, error->message);
    }
}

static void
test_reply_other_errors (void)
{
  g_autoptr(JsonNode) no_outputs = parse ("{\"error\": {\"type\": \"prompt_no_outputs\", \"message\": \"Prompt has no outputs\","
                                          " \"details\": \"\", \"extra_info\": {}}, \"node_errors\": []}");
  g_autoptr(JsonNode) old_style = parse ("{\"error\": \"no prompt\", \"node_errors\": []}");
  g_autoptr(JsonNode) oom = parse ("{\"prompt_id\": \"p\", \"node_id\": \"433:3\", \"node_type\": \"KSampler\","
                                   " \"exception_type\": \"torch.OutOfMemoryError\","
                                   " \"exception_message\": \"Allocation on device \\nThis error means you ran out of memory on your GPU.\"}");
  g_autoptr(GError) no_outputs_error = menugen_comfyui_prompt_error (no_outputs);
  g_autoptr(GError) old_style_error = menugen_comfyui_prompt_error (old_style);
  g_autoptr(GError) oom_error = menugen_comfyui_execution_error (json_node_get_object (oom));

  g_assert_error (no_outputs_error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED);
  g_assert_nonnull (strstr (no_outputs_error->message, "(prompt_no_outputs): Prompt has no outputs."));
  g_assert_error (old_style_error, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED);
  g_assert_nonnull (strstr (old_style_error->message, "no prompt"));
  g_assert_error (oom_error, MENUGEN_ERROR, MENUGEN_ERROR_EXECUTION_FAILED);
  g_assert_nonnull (strstr (oom_error->message, "KSampler (node 433:3): Allocation on device. The GPU ran out of memory."));
  g_assert_nonnull (strstr (oom_error->message, "smaller model file"));
  g_assert_null (strstr (oom_error->message, "\n"));
}

static void
add_test (const char *name,
          const char *scenario,
          void (*test) (Fixture *, gconstpointer))
{
  g_test_add (name, Fixture, scenario, setup, test, teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  add_test ("/backend-comfyui/success", "success", test_success);
  add_test ("/backend-comfyui/builtin-qwen", "success", test_builtin_qwen);
  add_test ("/backend-comfyui/builtin-flux", "success", test_builtin_flux);
  add_test ("/backend-comfyui/user-workflow", "success", test_user_workflow);
  add_test ("/backend-comfyui/user-workflow-primitive", "success", test_user_workflow_primitive);
  add_test ("/backend-comfyui/set-nodes", "success", test_set_nodes);
  add_test ("/backend-comfyui/set-nodes-missing", "success", test_set_nodes_missing);
  add_test ("/backend-comfyui/bad-workflows", "success", test_bad_workflows);
  add_test ("/backend-comfyui/missing-workflow-file", "success", test_missing_workflow_file);
  add_test ("/backend-comfyui/validation-error", "validation-error", test_validation_error);
  add_test ("/backend-comfyui/missing-node-type", "missing-node-type", test_missing_node_type);
  add_test ("/backend-comfyui/node-errors-other-output", "node-errors-preview", test_node_errors_other_output);
  add_test ("/backend-comfyui/node-errors-save-output", "node-errors-save", test_node_errors_save_output);
  add_test ("/backend-comfyui/model-without-folder", "model-folders", test_model_without_folder);
  add_test ("/backend-comfyui/checkpoint-without-folder", "model-folders", test_checkpoint_without_folder);
  add_test ("/backend-comfyui/model-listed-name", "model-folders", test_model_listed_name);
  add_test ("/backend-comfyui/list-models-folders", "model-folders", test_list_models_folders);
  add_test ("/backend-comfyui/list-models-flux", "success", test_list_models_flux);
  add_test ("/backend-comfyui/hip-error", "hip-error", test_hip_error);
  add_test ("/backend-comfyui/interrupted", "interrupted", test_interrupted);
  add_test ("/backend-comfyui/lost-job", "lost", test_lost_job);
  add_test ("/backend-comfyui/no-websocket", "no-websocket", test_polling_fallback);
  add_test ("/backend-comfyui/websocket-drop", "ws-drop", test_polling_fallback);
  add_test ("/backend-comfyui/cancel-running", "slow", test_cancel_running);
  add_test ("/backend-comfyui/cancel-queued", "queued", test_cancel_queued);
  add_test ("/backend-comfyui/photo-limits", "success", test_photo_limits);
  g_test_add_func ("/backend-comfyui/reply/allowed-values", test_reply_allowed_values);
  g_test_add_func ("/backend-comfyui/reply/other-errors", test_reply_other_errors);

  return g_test_run ();
}
