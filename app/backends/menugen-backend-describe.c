#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-describe.h"
#include "backends/menugen-backend-openai-chat.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"
#include "core/menugen-secrets.h"

#define PROMPT_RESOURCE "/com/example/Menugen/prompts/describe-menu.txt"
#define PROMPT_PLACEHOLDER "{{requirements}}"
#define DEFAULT_DRAW_KIND "openai-images"

/* Maximum output tokens for the description. By estimate, a menu of 60
 * dishes with prices and picture phrases takes about 2,000 tokens, and the
 * rest leaves room for models that reason before they reply. */
#define MAX_DESCRIPTION_TOKENS 4096

/* Maximum length, in characters, of server text quoted in an error message. */
#define MAX_QUOTED_CHARS 300

/* Error texts of vision servers whose model cannot take images: Ollama's
 * ErrNoVisionModel text, and wordings that other clients match for
 * text-only models. llama.cpp's own text gets its own message. */
#define LLAMACPP_NO_MMPROJ "image input is not supported"
static const char * const no_vision_markers[] = {
  "missing data required for image input",
  "does not support image",
  "does not support vision",
  "vision is not supported",
  "not a multimodal model",
  NULL
};

/**
 * MenugenBackendDescribe:
 *
 * Two steps for machines without an image-edit model: a vision chat model
 * (llama.cpp server, Ollama, LM Studio) writes a complete drawing
 * instruction from the photo, then the drawing back-end of kind
 * `draw_kind` (at the configuration's `url` and `model`) draws it.
 *
 * The drawing request still carries the photo. Edit endpoints (OpenAI
 * Images, sd-server, ComfyUI edit workflows) use it as a reference for the
 * layout, and text-to-image endpoints ignore it. The key of the
 * configuration goes to both servers when it is set; local vision servers
 * need none.
 */
struct _MenugenBackendDescribe
{
  GObject parent_instance;

  MenugenBackendConfig *config;
  MenugenBackend *draw;       /* NULL when draw_error is set */
  GError *draw_error;
};

static void backend_iface_init (MenugenBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenBackendDescribe, menugen_backend_describe, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MENUGEN_TYPE_BACKEND, backend_iface_init))

/* What one job carries from the description to the drawing. */
typedef struct {
  SoupMessage *message;
  MenugenRequest *draw_request;
  char *host;
  char *description;
} GenerateData;

static void
generate_data_free (GenerateData *data)
{
  g_clear_object (&data->message);
  g_clear_pointer (&data->draw_request, menugen_request_free);
  g_free (data->host);
  g_free (data->description);
  g_free (data);
}

static gboolean
has_text (const char *text)
{
  return text != NULL && text[0] != '\0';
}

/* The drawing back-end's configuration: the same one with the drawing
 * kind, and the effective URL, so that an empty URL keeps meaning the
 * describe-then-draw default instead of the drawing kind's default. */
static MenugenBackendConfig *
build_draw_config (const MenugenBackendConfig *config)
{
  MenugenBackendConfig *draw = menugen_backend_config_copy (config);
  const char *url = menugen_backend_config_get_url (config);

  g_free (draw->kind);
  draw->kind = g_strdup (has_text (config->draw_kind) ? config->draw_kind : DEFAULT_DRAW_KIND);
  g_free (draw->url);
  draw->url = g_strdup (url);
  g_clear_pointer (&draw->vision_url, g_free);
  g_clear_pointer (&draw->vision_model, g_free);
  g_clear_pointer (&draw->draw_kind, g_free);

  return draw;
}

static char *
compose_prompt (const char *requirements)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_resources_lookup_data (PROMPT_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_autofree char *template_text = NULL;
  g_auto(GStrv) pieces = NULL;

  if (bytes == NULL)
    g_error ("The built-in resource %s is missing: %s", PROMPT_RESOURCE, error->message);

  template_text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  pieces = g_strsplit (template_text, PROMPT_PLACEHOLDER, -1);

  return g_strjoinv (requirements, pieces);
}

static GBytes *
build_vision_body (MenugenBackendDescribe *self,
                   const MenugenRequest   *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *prompt = compose_prompt (request->instruction);
  gsize length = 0;
  char *text;

  json_builder_begin_object (builder);

  /* llama.cpp serves the one model it loaded and needs no model id. */
  if (has_text (self->config->vision_model))
    {
      json_builder_set_member_name (builder, "model");
      json_builder_add_string_value (builder, self->config->vision_model);
    }

  menugen_chat_add_messages (builder, prompt, request->photo, request->photo_mime_type);

  json_builder_set_member_name (builder, "temperature");
  json_builder_add_double_value (builder, 0.2);
  json_builder_set_member_name (builder, "max_tokens");
  json_builder_add_int_value (builder, MAX_DESCRIPTION_TOKENS);
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

static gboolean
contains_marker (const char *message,
                 const char *marker)
{
  g_autofree char *lower = g_utf8_strdown (message, -1);

  return strstr (lower, marker) != NULL;
}

static gboolean
means_no_vision (const char *message)
{
  for (guint i = 0; no_vision_markers[i] != NULL; i++)
    if (contains_marker (message, no_vision_markers[i]))
      return TRUE;

  return FALSE;
}

static GError *
new_vision_status_error (MenugenBackendDescribe *self,
                         GenerateData           *data,
                         guint                   status,
                         const char             *message)
{
  g_autofree char *masked = menugen_secrets_mask_key (message, self->config->api_key);
  g_autofree char *shown = menugen_http_shorten_text (masked != NULL ? masked : soup_status_get_phrase (status),
                                                      MAX_QUOTED_CHARS);
  const char *model = has_text (self->config->vision_model) ? self->config->vision_model : _("(the loaded model)");
  int retry_after = menugen_http_retry_after_seconds (data->message);

  if (message != NULL && contains_marker (message, LLAMACPP_NO_MMPROJ))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_CAPABILITY,
                        _("The vision model on %s cannot read images (%s). Start llama-server with --mmproj and the model’s projector file, or use a model with vision."),
                        data->host, shown);

  if (message != NULL && means_no_vision (message))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_CAPABILITY,
                        _("The vision model %s on %s cannot read images (%s). Choose a model with vision in Preferences."),
                        model, data->host, shown);

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_FORBIDDEN:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY,
                          _("The vision server on %s rejected the API key (HTTP %u). Check the key in Preferences, or remove it for a local server."),
                          data->host, status);

    case SOUP_STATUS_NOT_FOUND:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                          _("The vision server on %s does not have the model %s (%s). Pull or load the model, or correct the vision model in Preferences."),
                          data->host, model, shown);

    case 429:  /* Too Many Requests; libsoup 3.2 has no name for it */
      if (retry_after >= 0)
        return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                            _("The vision server on %s is busy (%s). Try again in %d s."),
                            data->host, shown, retry_after);
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                          _("The vision server on %s is busy (%s). Wait a minute, then try again."),
                          data->host, shown);

    case SOUP_STATUS_SERVICE_UNAVAILABLE:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_UNAVAILABLE,
                          _("The vision server on %s is not ready yet (%s). Wait until it has loaded the model, then try again."),
                          data->host, shown);

    default:
      break;
    }

  if (status >= 400 && status < 500)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("The vision server on %s could not read the photo (HTTP %u: %s). Open the photo again, or choose another vision model."),
                        data->host, status, shown);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                      _("The vision server on %s failed while reading the photo (HTTP %u: %s). Check the server’s log, then try again."),
                      data->host, status, shown);
}

/* Drops a leading <think>…</think> block, which reasoning models put into
 * the content when the server does not split it out. */
static void
strip_thinking (char *text)
{
  const char *end;

  if (!g_str_has_prefix (text, "<think>") || (end = strstr (text, "</think>")) == NULL)
    return;

  end += strlen ("</think>");
  memmove (text, end, strlen (end) + 1);
  g_strstrip (text);
}

/* Reads the description from a chat completion, or explains why there is
 * none. */
static char *
read_description (GenerateData *data,
                  JsonNode     *root,
                  GError      **error)
{
  JsonObject *completion = menugen_json_root_object (root);
  JsonObject *choice = menugen_json_get_array_object (menugen_json_get_array (completion, "choices"), 0);
  g_autofree char *text = NULL;

  if (choice == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The answer from the vision server on %s contains no choices. Check that the vision URL points to an OpenAI-compatible chat server, such as http://127.0.0.1:8080/v1."),
                   data->host);
      return NULL;
    }

  if (g_strcmp0 (menugen_json_get_string (choice, "finish_reason"), "length") == 0)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The vision model on %s stopped before it finished describing the menu (finish reason “length”). Give it a larger context size, or choose another vision model."),
                   data->host);
      return NULL;
    }

  text = menugen_chat_dup_content_text (menugen_json_get_object (choice, "message"));
  if (text != NULL)
    strip_thinking (text);

  if (!has_text (text))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The vision model on %s returned no description of the menu. Try again, or choose another vision model."),
                   data->host);
      return NULL;
    }

  return g_steal_pointer (&text);
}

static void
draw_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  MenugenResult *drawn = menugen_backend_generate_finish (MENUGEN_BACKEND (source), result, &error);

  if (drawn == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The job writes the intermediate into the history record's notes. */
  drawn->intermediate = g_steal_pointer (&data->description);
  g_task_return_pointer (task, drawn, (GDestroyNotify) menugen_result_free);
}

static void
start_drawing (GTask *task)
{
  MenugenBackendDescribe *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);

  g_free (data->draw_request->instruction);
  data->draw_request->instruction = g_strdup (data->description);

  g_debug ("describe-then-draw: the vision model wrote %ld characters; drawing with %s",
           g_utf8_strlen (data->description, -1), menugen_backend_get_config (self->draw)->kind);
  menugen_backend_generate_async (self->draw, data->draw_request, g_task_get_cancellable (task),
                                  draw_cb, g_object_ref (task));
}

static void
describe_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenBackendDescribe *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  g_autoptr(JsonNode) root = NULL;
  guint status;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *message = NULL;

      root = menugen_http_parse_json (body, data->host, NULL);
      message = menugen_chat_dup_error_message (root);
      g_debug ("describe-then-draw: the vision server on %s answered HTTP %u", data->host, status);
      g_task_return_error (task, new_vision_status_error (self, data, status, message));
      return;
    }

  root = menugen_http_parse_json (body, data->host, &error);
  if (root != NULL)
    data->description = read_description (data, root, &error);

  if (data->description == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  start_drawing (g_steal_pointer (&task));
}

static MenugenRequest *
copy_request (const MenugenRequest *request)
{
  MenugenRequest *copy = menugen_request_new ();

  copy->photo = g_bytes_ref (request->photo);
  copy->photo_mime_type = g_strdup (request->photo_mime_type);
  copy->photo_width = request->photo_width;
  copy->photo_height = request->photo_height;
  copy->instruction = g_strdup (request->instruction);
  copy->aspect_ratio = g_strdup (request->aspect_ratio);
  copy->seed = request->seed;

  return copy;
}

/* Checks what the factory's check does not cover: the vision URL. */
static gboolean
check_vision_url (MenugenBackendDescribe *self,
                  GError                **error)
{
  gboolean has_key = has_text (self->config->api_key);

  if (!has_text (self->config->vision_url))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                   _("No vision server URL is set for “%s”. Enter one in Preferences, such as http://127.0.0.1:8080/v1 for llama.cpp."),
                   self->config->name != NULL ? self->config->name : self->config->kind);
      return FALSE;
    }

  return menugen_http_check_url (self->config->vision_url, has_key, self->config->local_only, error);
}

static SoupMessage *
build_vision_message (MenugenBackendDescribe *self,
                      GBytes                 *body)
{
  g_autofree char *url = menugen_http_join_url (self->config->vision_url, "/chat/completions");
  SoupMessage *message = soup_message_new (SOUP_METHOD_POST, url);

  if (message == NULL)
    return NULL;

  if (has_text (self->config->api_key))
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->config->api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
    }

  soup_message_set_request_body_from_bytes (message, "application/json", body);
  return message;
}

static void
menugen_backend_describe_generate_async (MenugenBackend       *backend,
                                         const MenugenRequest *request,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data)
{
  MenugenBackendDescribe *self = MENUGEN_BACKEND_DESCRIBE (backend);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  MenugenHttpLimits limits;
  GenerateData *data;

  g_return_if_fail (request->photo != NULL && request->instruction != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_describe_generate_async);

  if (self->draw_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->draw_error));
      return;
    }

  if (!check_vision_url (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (GenerateData, 1);
  data->draw_request = copy_request (request);
  g_task_set_task_data (task, data, (GDestroyNotify) generate_data_free);

  body = build_vision_body (self, request);
  data->message = build_vision_message (self, body);
  g_assert (data->message != NULL);  /* check_vision_url() accepted the URL */
  data->host = menugen_http_describe_origin (soup_message_get_uri (data->message));

  menugen_backend_config_get_http_limits (self->config, &limits);
  g_debug ("describe-then-draw: POST %s/chat/completions, vision model %s", data->host,
           has_text (self->config->vision_model) ? self->config->vision_model : "(loaded model)");
  menugen_backend_emit_progress (backend, MENUGEN_STAGE_DESCRIBING, -1, NULL);
  menugen_http_send_async (data->message, &limits, cancellable, describe_cb, g_steal_pointer (&task));
}

static MenugenResult *
menugen_backend_describe_generate_finish (MenugenBackend *backend,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_describe_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The photo goes to both servers, so it must suit the drawing back-end.
 * Every vision server takes both prepared formats, JPEG and PNG. */
static void
menugen_backend_describe_get_photo_limits (MenugenBackend     *backend,
                                           MenugenPhotoLimits *limits)
{
  MenugenBackendDescribe *self = MENUGEN_BACKEND_DESCRIBE (backend);

  if (self->draw != NULL)
    menugen_backend_get_photo_limits (self->draw, limits);
  else
    menugen_photo_limits_init_default (limits);
}

static const MenugenBackendConfig *
menugen_backend_describe_get_config (MenugenBackend *backend)
{
  return MENUGEN_BACKEND_DESCRIBE (backend)->config;
}

static void
backend_iface_init (MenugenBackendInterface *iface)
{
  iface->generate_async = menugen_backend_describe_generate_async;
  iface->generate_finish = menugen_backend_describe_generate_finish;
  iface->get_photo_limits = menugen_backend_describe_get_photo_limits;
  iface->get_config = menugen_backend_describe_get_config;
}

static void
draw_progress_cb (MenugenBackend *draw,
                  int             stage,
                  double          fraction,
                  const char     *detail,
                  gpointer        user_data)
{
  menugen_backend_emit_progress (MENUGEN_BACKEND (user_data), (MenugenStage) stage, fraction, detail);
}

static void
menugen_backend_describe_dispose (GObject *object)
{
  MenugenBackendDescribe *self = MENUGEN_BACKEND_DESCRIBE (object);

  g_clear_object (&self->draw);

  G_OBJECT_CLASS (menugen_backend_describe_parent_class)->dispose (object);
}

static void
menugen_backend_describe_finalize (GObject *object)
{
  MenugenBackendDescribe *self = MENUGEN_BACKEND_DESCRIBE (object);

  g_clear_pointer (&self->config, menugen_backend_config_free);
  g_clear_error (&self->draw_error);

  G_OBJECT_CLASS (menugen_backend_describe_parent_class)->finalize (object);
}

static void
menugen_backend_describe_class_init (MenugenBackendDescribeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = menugen_backend_describe_dispose;
  object_class->finalize = menugen_backend_describe_finalize;
}

static void
menugen_backend_describe_init (MenugenBackendDescribe *self)
{
}

/* Creates the drawing back-end now, so that its photo limits are known
 * before the photo is prepared. A configuration error is kept until the
 * job starts, which then fails with it. */
static void
create_draw_backend (MenugenBackendDescribe *self)
{
  g_autoptr(MenugenBackendConfig) draw_config = build_draw_config (self->config);

  if (g_str_equal (draw_config->kind, "describe-then-draw"))
    {
      g_set_error (&self->draw_error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                   _("“%s” cannot draw with another describe-then-draw back-end. Choose gemini, openai-images, openai-chat or comfyui as its drawing back-end in Preferences."),
                   self->config->name != NULL ? self->config->name : self->config->kind);
      return;
    }

  self->draw = menugen_backend_new (draw_config, &self->draw_error);
  if (self->draw != NULL)
    {
      g_signal_connect_object (self->draw, "progress", G_CALLBACK (draw_progress_cb), self, 0);
      return;
    }

  /* The drawing kind's message names its own variable, such as
   * OPENAI_API_KEY, but describe-then-draw reads MENUGEN_API_KEY. */
  if (g_error_matches (self->draw_error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY))
    {
      g_clear_error (&self->draw_error);
      g_set_error (&self->draw_error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY,
                   _("The drawing server of “%s” at %s needs an API key. Enter one in Preferences or set the MENUGEN_API_KEY environment variable."),
                   self->config->name != NULL ? self->config->name : self->config->kind, draw_config->url);
    }
}

/**
 * menugen_backend_describe_new:
 * @config: a configuration of kind "describe-then-draw", already checked
 *   with menugen_backend_check_config()
 *
 * Creates the describe-then-draw back-end and its drawing back-end.
 *
 * Returns: (transfer full): the back-end
 */
MenugenBackend *
menugen_backend_describe_new (const MenugenBackendConfig *config)
{
  MenugenBackendDescribe *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_BACKEND_DESCRIBE, NULL);
  self->config = menugen_backend_config_copy (config);
  create_draw_backend (self);

  return MENUGEN_BACKEND (self);
}
