#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-openai-chat.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"
#include "core/menugen-photo.h"
#include "core/menugen-secrets.h"

/* Maximum length, in characters, of model or service text quoted in an
 * error message, so that the message stays one readable sentence. */
#define MAX_QUOTED_CHARS 400

struct _MenugenBackendOpenaiChat
{
  GObject parent_instance;

  MenugenBackendConfig *config;
};

static void backend_iface_init (MenugenBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenBackendOpenaiChat, menugen_backend_openai_chat, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MENUGEN_TYPE_BACKEND, backend_iface_init))

/* What one request carries from the chat completion to the result. */
typedef struct {
  SoupMessage *message;       /* the completion, then the image download */
  MenugenHttpLimits limits;
  char *host;
  char *model;
  char *notes;
  char *reported_model;
} GenerateData;

static void
generate_data_free (GenerateData *data)
{
  g_clear_object (&data->message);
  g_free (data->host);
  g_free (data->model);
  g_free (data->notes);
  g_free (data->reported_model);
  g_free (data);
}

/* The aspect_ratio values that OpenRouter accepts for every image model.
 * The extended ratios 1:4, 4:1, 1:8 and 8:1 exist only on Gemini 3.1 Flash
 * Image, so they are not sent. */
static const char * const aspect_ratios[] = {
  "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", NULL
};

/* Gemini finish reasons that mean the model declined for safety. Every
 * IMAGE_* reason counts too, and NO_IMAGE does not start with IMAGE_. */
static const char * const refusal_reasons[] = {
  "SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", NULL
};

/* OpenRouter metadata.error_type values on a 400 that mean a refusal. */
static const char * const refusal_error_types[] = {
  "content_policy_violation", "refusal", NULL
};

/* OpenRouter metadata.error_type values that blame the input photo. */
static const char * const image_error_types[] = {
  "invalid_image", "image_too_large", "image_too_small", "unsupported_image_format",
  "image_not_found", "image_download_failed", NULL
};

/* The OpenRouter docs ask for modalities ["image"] on image-only models,
 * which are the Black Forest Labs FLUX and Sourceful models, and for
 * ["image", "text"] on models that also write text, such as Gemini. */
static gboolean
model_outputs_image_only (const char *model)
{
  g_autofree char *lower = g_ascii_strdown (model, -1);

  return g_str_has_prefix (lower, "black-forest-labs/")
         || g_str_has_prefix (lower, "sourceful/")
         || strstr (lower, "flux") != NULL;
}

/**
 * menugen_chat_build_data_url:
 * @bytes: image bytes
 * @mime_type: their type, "image/jpeg" or "image/png"
 *
 * Encodes an image as the strict data URL every chat server takes: standard
 * base64 with padding and no line breaks. Ollama and LocalAI reject any
 * other form.
 *
 * Returns: (transfer full): the data URL
 */
char *
menugen_chat_build_data_url (GBytes     *bytes,
                             const char *mime_type)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  g_autofree char *encoded = g_base64_encode (data, length);

  return g_strconcat ("data:", mime_type, ";base64,", encoded, NULL);
}

/**
 * menugen_chat_add_messages:
 * @builder: a builder inside the request object
 * @text: the instruction
 * @photo: the photo bytes
 * @photo_mime_type: their type, "image/jpeg" or "image/png"
 *
 * Adds the `messages` member of a chat completion request: one user
 * message with @text and the photo as a data URL.
 */
void
menugen_chat_add_messages (JsonBuilder *builder,
                           const char  *text,
                           GBytes      *photo,
                           const char  *photo_mime_type)
{
  g_autofree char *data_url = menugen_chat_build_data_url (photo, photo_mime_type);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "content");
  json_builder_begin_array (builder);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "image_url");
  json_builder_set_member_name (builder, "image_url");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, data_url);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* Copies a base64 payload without ASCII whitespace, checks that the rest is
 * standard base64 with at most two trailing "=", and pads it. */
static char *
normalize_base64 (const char *payload)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  gsize padding = 0;

  for (const char *p = payload; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;

      if (*p == '=')
        padding++;
      else if (padding > 0 || !is_base64_char (*p))
        return NULL;

      g_string_append_c (clean, *p);
    }

  if (clean->len == 0 || padding > 2 || clean->len % 4 == 1
      || (padding > 0 && clean->len % 4 != 0))
    return NULL;

  while (clean->len % 4 != 0)
    g_string_append_c (clean, '=');

  return g_string_free (g_steal_pointer (&clean), FALSE);
}

/**
 * menugen_chat_decode_data_url:
 * @url: a `data:<type>;base64,<payload>` URL
 * @service: the service name for the message, such as its host
 * @error: return location for a #GError
 *
 * Decodes the payload of a base64 data URL. Whitespace and line breaks
 * inside the payload are skipped and missing padding is accepted, but any
 * other character outside the standard base64 alphabet is an error. The
 * declared type is not trusted; callers sniff the bytes.
 *
 * Returns: (transfer full): the bytes, or %NULL with %MENUGEN_ERROR_MALFORMED
 */
GBytes *
menugen_chat_decode_data_url (const char *url,
                              const char *service,
                              GError    **error)
{
  const char *comma = url != NULL ? strchr (url, ',') : NULL;
  g_autofree char *header = NULL;
  g_autofree char *payload = NULL;
  guchar *decoded;
  gsize length = 0;

  if (comma != NULL && g_ascii_strncasecmp (url, "data:", 5) == 0)
    {
      header = g_ascii_strdown (url + 5, comma - (url + 5));
      if (g_str_has_suffix (header, ";base64"))
        payload = normalize_base64 (comma + 1);
    }

  if (payload == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The image in the answer from %s is not a valid base64 data URL. Try again, or choose another model."),
                   service);
      return NULL;
    }

  decoded = g_base64_decode (payload, &length);
  return g_bytes_new_take (decoded, length);
}

static GString *
join_text_parts (JsonArray *parts)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      const char *part = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node))
        part = menugen_json_get_string (json_node_get_object (node), "text");
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        part = json_node_get_string (node);

      if (part == NULL || part[0] == '\0')
        continue;

      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, part);
    }

  return text;
}

/**
 * menugen_chat_dup_content_text:
 * @message: a chat completion's `message` (or `delta`) object
 *
 * Reads `content`, which servers send as a string, as an array of text
 * parts, as "" or as null.
 *
 * Returns: (transfer full) (nullable): the text without surrounding
 *   whitespace, or %NULL when there is none
 */
char *
menugen_chat_dup_content_text (JsonObject *message)
{
  JsonNode *content = message != NULL ? json_object_get_member (message, "content") : NULL;
  g_autoptr(GString) text = NULL;

  if (content == NULL)
    return NULL;

  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    text = g_string_new (json_node_get_string (content));
  else if (JSON_NODE_HOLDS_ARRAY (content))
    text = join_text_parts (json_node_get_array (content));
  else
    return NULL;

  g_strstrip (text->str);
  if (text->str[0] == '\0')
    return NULL;

  return g_strdup (text->str);
}

/**
 * menugen_chat_dup_error_message:
 * @root: a parsed error body
 *
 * Reads the message of the error envelopes that OpenAI-compatible servers
 * send: `{"error": {"message": …}}` (OpenAI, OpenRouter, Ollama,
 * llama.cpp, Lemonade), `{"error": "…", "message": …}` (sd-server) and a
 * bare `{"message": …}` or `{"detail": …}`.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL
 */
char *
menugen_chat_dup_error_message (JsonNode *root)
{
  JsonObject *object = menugen_json_root_object (root);
  JsonObject *error_object = menugen_json_get_object (object, "error");
  const char *error_string = menugen_json_get_string (object, "error");
  const char *message = menugen_json_get_string (object, "message");

  if (error_object != NULL && menugen_json_get_string (error_object, "message") != NULL)
    return g_strdup (menugen_json_get_string (error_object, "message"));

  if (error_string != NULL && message != NULL)
    return g_strdup_printf ("%s: %s", error_string, message);

  if (error_string != NULL)
    return g_strdup (error_string);

  if (message != NULL)
    return g_strdup (message);

  return g_strdup (menugen_json_get_string (object, "detail"));
}

/* Joins OpenRouter's moderation metadata.reasons, or the guardrail's
 * metadata.patterns, into one line. */
static char *
dup_block_reasons (JsonObject *metadata)
{
  JsonArray *reasons = menugen_json_get_array (metadata, "reasons");
  g_autoptr(GString) line = NULL;

  if (reasons == NULL)
    reasons = menugen_json_get_array (metadata, "patterns");
  if (reasons == NULL)
    return NULL;

  line = join_text_parts (reasons);
  g_string_replace (line, "\n", ", ", 0);
  if (line->len == 0)
    return NULL;

  return g_string_free (g_steal_pointer (&line), FALSE);
}

static JsonObject *
get_error_object (JsonNode *root)
{
  return menugen_json_get_object (menugen_json_root_object (root), "error");
}

static GError *
new_rate_limit_error (GenerateData *data,
                      const char   *shown)
{
  int retry_after = menugen_http_retry_after_seconds (data->message);

  if (retry_after >= 0)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                        _("%s is rate limiting requests (%s). Try again in %d s."),
                        data->host, shown, retry_after);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                      _("%s is rate limiting requests (%s). Wait a minute, then try again."),
                      data->host, shown);
}

/* Maps a 400-499 status other than the ones with their own meaning, using
 * OpenRouter's metadata.error_type where the service sent one. */
static GError *
new_client_error (GenerateData *data,
                  guint         status,
                  const char   *error_type,
                  const char   *shown)
{
  if (error_type != NULL && g_strv_contains (refusal_error_types, error_type))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                        _("The model %s declined to draw this menu (%s: %s). Try another photo, or choose another model."),
                        data->model, error_type, shown);

  if (error_type != NULL && g_strv_contains (image_error_types, error_type))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("%s rejected the photo (%s: %s). Try another photo."),
                        data->host, error_type, shown);

  if (status == SOUP_STATUS_NOT_FOUND)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("%s could not find the model “%s” (HTTP 404: %s). Check the model id in Preferences."),
                        data->host, data->model, shown);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("%s rejected the request (HTTP %u: %s). Check the model and the settings in Preferences."),
                      data->host, status, shown);
}

/* Builds the error for an HTTP status, or for the `error.code` of an error
 * that arrived inside a 200 body. @api_key is masked wherever the service
 * echoes it. */
static GError *
new_status_error (GenerateData *data,
                  const char   *api_key,
                  guint         status,
                  JsonNode     *root)
{
  JsonObject *metadata = menugen_json_get_object (get_error_object (root), "metadata");
  g_autofree char *service_message = menugen_chat_dup_error_message (root);
  g_autofree char *message = menugen_secrets_mask_key (service_message, api_key);
  g_autofree char *reasons = dup_block_reasons (metadata);
  g_autofree char *shown = menugen_http_shorten_text (message != NULL ? message : soup_status_get_phrase (status),
                                                      MAX_QUOTED_CHARS);
  g_autofree char *blocked = reasons != NULL ? g_strdup_printf ("%s: %s", shown, reasons) : g_strdup (shown);

  g_debug ("openai-chat: %s answered HTTP %u (%s)", data->host, status,
           menugen_json_get_string (metadata, "error_type") != NULL ? menugen_json_get_string (metadata, "error_type")
                                                                     : "no error_type");

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      /* The service's message is left out: some services quote part of the key. */
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY,
                          _("%s rejected the API key (HTTP 401). Check the key in Preferences."),
                          data->host);

    case SOUP_STATUS_PAYMENT_REQUIRED:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED,
                          _("%s reports that the account has no credits left (HTTP 402: %s). Add credits or choose another back-end."),
                          data->host, shown);

    case SOUP_STATUS_FORBIDDEN:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                          _("%s blocked the request (%s). Change the instruction or the photo, or choose another back-end."),
                          data->host, blocked);

    case SOUP_STATUS_REQUEST_TIMEOUT:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT,
                          _("%s timed out while waiting for the model (HTTP %u). Try again later, or choose a faster model."),
                          data->host, status);

    case 429:  /* Too Many Requests; libsoup 3.2 has no name for it */
      return new_rate_limit_error (data, shown);

    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_UNAVAILABLE,
                          _("The model %s is not available on %s right now (HTTP %u: %s). Try again in a few minutes, or choose another model."),
                          data->model, data->host, status, shown);

    default:
      break;
    }

  if (status >= 400 && status < 500)
    return new_client_error (data, status, menugen_json_get_string (metadata, "error_type"), shown);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                      _("%s failed while handling the request (HTTP %u: %s). Try again later."),
                      data->host, status, shown);
}

/* Returns the HTTP-like code of an error that arrived inside a 200 body;
 * OpenRouter puts the status it would have sent into `error.code`. */
static guint
get_embedded_status (JsonObject *error_object)
{
  JsonNode *code = json_object_get_member (error_object, "code");

  if (code != NULL && JSON_NODE_HOLDS_VALUE (code) && json_node_get_value_type (code) == G_TYPE_INT64)
    {
      gint64 value = json_node_get_int (code);

      if (value >= 400 && value < 600)
        return (guint) value;
    }

  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static gboolean
is_refusal_reason (const char *reason)
{
  return reason != NULL
         && (g_str_has_prefix (reason, "IMAGE_") || g_strv_contains (refusal_reasons, reason));
}

/* Explains a completion that carries no image: a refusal, a text reply,
 * or nothing at all. */
static GError *
new_no_image_error (GenerateData *data,
                    JsonObject   *choice,
                    JsonObject   *message)
{
  const char *native_reason = menugen_json_get_string (choice, "native_finish_reason");
  const char *finish_reason = menugen_json_get_string (choice, "finish_reason");
  const char *refusal = menugen_json_get_string (message, "refusal");
  const char *reason = native_reason != NULL ? native_reason : finish_reason;
  g_autofree char *text = menugen_http_shorten_text (refusal != NULL ? refusal : data->notes,
                                                     MAX_QUOTED_CHARS);

  if (is_refusal_reason (native_reason) || g_strcmp0 (finish_reason, "content_filter") == 0 || refusal != NULL)
    {
      if (reason == NULL)
        reason = "refusal";

      if (text[0] != '\0')
        return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                            _("The model %s declined to draw this menu (%s) and wrote: “%s”. Try another photo, or choose another model."),
                            data->model, reason, text);

      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                          _("The model %s declined to draw this menu (%s). Try another photo, or choose another model."),
                          data->model, reason);
    }

  if (text[0] != '\0')
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_TEXT_ONLY,
                        _("The model %s answered in text instead of drawing: “%s”. Try again, or choose a model that outputs images."),
                        data->model, text);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                      _("The model %s returned no image (finish reason %s). Try again, or choose another model."),
                      data->model, reason != NULL ? reason : "none");
}

/* Returns the URL of the last image in `message.images`: the models that
 * draw several images put the final one last. */
static const char *
get_last_image_url (JsonObject *message)
{
  JsonArray *images = menugen_json_get_array (message, "images");

  for (guint i = images != NULL ? json_array_get_length (images) : 0; i > 0; i--)
    {
      JsonObject *image = menugen_json_get_array_object (images, i - 1);
      const char *url = menugen_json_get_string (menugen_json_get_object (image, "image_url"), "url");

      if (url == NULL)
        url = menugen_json_get_string (image, "image_url");
      if (url != NULL)
        return url;
    }

  return NULL;
}

static void
return_image (GTask  *task,
              GBytes *image)
{
  GenerateData *data = g_task_get_task_data (task);
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data (image, &length);
  const char *mime_type = menugen_photo_sniff_mime_type (bytes, length);
  MenugenResult *result;

  if (mime_type == NULL || !g_str_has_prefix (mime_type, "image/"))
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                               _("The image from %s is not a PNG, JPEG or WebP file. Try again, or choose another model."),
                               data->host);
      return;
    }

  g_debug ("openai-chat: received a %s image of %" G_GSIZE_FORMAT " bytes", mime_type, length);

  result = menugen_result_new ();
  result->image = g_bytes_ref (image);
  result->mime_type = g_strdup (mime_type);
  result->notes = g_steal_pointer (&data->notes);
  result->model = g_strdup (data->reported_model != NULL ? data->reported_model : data->model);
  g_task_return_pointer (task, result, (GDestroyNotify) menugen_result_free);
}

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  guint status;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *server = menugen_http_describe_origin (soup_message_get_uri (data->message));

      g_task_return_new_error (task, MENUGEN_ERROR,
                               status >= 500 ? MENUGEN_ERROR_SERVER : MENUGEN_ERROR_REJECTED,
                               _("Could not download the image from %s (HTTP %u). Try again."),
                               server, status);
      return;
    }

  return_image (task, body);
}

/* Downloads an image that a gateway returned as a link instead of a data
 * URL. No key travels with it, and "local only" applies to its host. */
static void
download_image (GTask      *task,
                const char *url)
{
  MenugenBackendOpenaiChat *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) message = NULL;

  if (!menugen_http_check_url (url, FALSE, self->config->local_only, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  message = soup_message_new (SOUP_METHOD_GET, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                               _("The image link in the answer from %s is not a valid URL. Try again, or choose another model."),
                               data->host);
      return;
    }

  /* Only the host is logged, because signed links carry access tokens. */
  g_debug ("openai-chat: downloading the image from %s", g_uri_get_host (soup_message_get_uri (message)));
  g_set_object (&data->message, message);
  menugen_backend_emit_progress (MENUGEN_BACKEND (self), MENUGEN_STAGE_DOWNLOADING, -1, NULL);
  menugen_http_send_async (message, &data->limits, g_task_get_cancellable (task),
                           download_cb, g_object_ref (task));
}

static void
handle_image_url (GTask      *task,
                  const char *url)
{
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;

  if (g_ascii_strncasecmp (url, "http://", 7) == 0 || g_ascii_strncasecmp (url, "https://", 8) == 0)
    {
      download_image (task, url);
      return;
    }

  image = menugen_chat_decode_data_url (url, data->host, &error);
  if (image == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  return_image (task, image);
}

static JsonObject *
get_first_choice (JsonObject *completion)
{
  return menugen_json_get_array_object (menugen_json_get_array (completion, "choices"), 0);
}

static void
handle_completion (GTask    *task,
                   JsonNode *root)
{
  MenugenBackendOpenaiChat *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  JsonObject *completion = menugen_json_root_object (root);
  JsonObject *error_object = menugen_json_get_object (completion, "error");
  JsonObject *choice = get_first_choice (completion);
  JsonObject *message;
  const char *url;

  /* OpenRouter reports errors that happen after it sent the status inside
   * the 200 body, with finish_reason "error". */
  if (error_object != NULL)
    {
      g_task_return_error (task, new_status_error (data, self->config->api_key,
                                                   get_embedded_status (error_object), root));
      return;
    }

  if (choice == NULL)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                               _("The answer from %s contains no choices. Check that the URL points to an OpenAI-compatible chat completions service."),
                               data->host);
      return;
    }

  if (g_strcmp0 (menugen_json_get_string (choice, "finish_reason"), "error") == 0)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                               _("%s reported an error while the model was answering. Try again later."),
                               data->host);
      return;
    }

  data->reported_model = g_strdup (menugen_json_get_string (completion, "model"));
  message = menugen_json_get_object (choice, "message");
  if (message == NULL)
    message = menugen_json_get_object (choice, "delta");
  data->notes = menugen_chat_dup_content_text (message);

  url = get_last_image_url (message);
  if (url == NULL)
    {
      g_task_return_error (task, new_no_image_error (data, choice, message));
      return;
    }

  handle_image_url (task, url);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenBackendOpenaiChat *self = g_task_get_source_object (task);
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
      /* Error bodies that are not JSON still get a sentence with the status. */
      root = menugen_http_parse_json (body, data->host, NULL);
      g_task_return_error (task, new_status_error (data, self->config->api_key, status, root));
      return;
    }

  root = menugen_http_parse_json (body, data->host, &error);
  if (root == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  handle_completion (task, root);
}

static void
add_output_options (JsonBuilder          *builder,
                    const MenugenRequest *request,
                    const char           *model)
{
  /* Without "image" in modalities the model replies in text only. */
  json_builder_set_member_name (builder, "modalities");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "image");
  if (!model_outputs_image_only (model))
    json_builder_add_string_value (builder, "text");
  json_builder_end_array (builder);

  if (request->aspect_ratio != NULL && g_strv_contains (aspect_ratios, request->aspect_ratio))
    {
      json_builder_set_member_name (builder, "image_config");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "aspect_ratio");
      json_builder_add_string_value (builder, request->aspect_ratio);
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, FALSE);
}

static GBytes *
build_request_body (const MenugenRequest *request,
                    const char           *model)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize length = 0;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model);
  menugen_chat_add_messages (builder, request->instruction, request->photo, request->photo_mime_type);
  add_output_options (builder, request, model);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

static SoupMessage *
build_message (MenugenBackendOpenaiChat *self,
               GBytes                   *body)
{
  g_autofree char *url = menugen_http_join_url (menugen_backend_config_get_url (self->config),
                                                "/chat/completions");
  SoupMessage *message = soup_message_new (SOUP_METHOD_POST, url);
  SoupMessageHeaders *headers;

  if (message == NULL)
    return NULL;

  headers = soup_message_get_request_headers (message);
  if (self->config->api_key != NULL && self->config->api_key[0] != '\0')
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->config->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
    }

  /* OpenRouter shows X-Title as the app's name in its activity pages.
   * HTTP-Referer is not sent because Menugen has no website to name. */
  soup_message_headers_replace (headers, "X-Title", "Menugen");
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_set_request_body_from_bytes (message, "application/json", body);

  return message;
}

static void
menugen_backend_openai_chat_generate_async (MenugenBackend       *backend,
                                            const MenugenRequest *request,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data)
{
  MenugenBackendOpenaiChat *self = MENUGEN_BACKEND_OPENAI_CHAT (backend);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) body = NULL;
  GenerateData *data;

  g_return_if_fail (request->photo != NULL && request->instruction != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_openai_chat_generate_async);

  data = g_new0 (GenerateData, 1);
  data->model = g_strdup (menugen_backend_config_get_model (self->config));
  menugen_backend_config_get_http_limits (self->config, &data->limits);
  g_task_set_task_data (task, data, (GDestroyNotify) generate_data_free);

  body = build_request_body (request, data->model);
  data->message = build_message (self, body);
  if (data->message == NULL)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                               _("The server URL “%s” is not a valid http or https address. Enter one such as https://openrouter.ai/api/v1."),
                               menugen_backend_config_get_url (self->config));
      return;
    }

  data->host = menugen_http_describe_origin (soup_message_get_uri (data->message));

  g_debug ("openai-chat: POST %s/chat/completions, model %s, %" G_GSIZE_FORMAT " byte %s photo",
           data->host, data->model, g_bytes_get_size (request->photo), request->photo_mime_type);
  menugen_backend_watch_message (backend, data->message, g_bytes_get_size (body));
  menugen_http_send_async (data->message, &data->limits, cancellable, send_cb, g_steal_pointer (&task));
}

static MenugenResult *
menugen_backend_openai_chat_generate_finish (MenugenBackend *backend,
                                             GAsyncResult   *result,
                                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_openai_chat_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static const MenugenBackendConfig *
menugen_backend_openai_chat_get_config (MenugenBackend *backend)
{
  return MENUGEN_BACKEND_OPENAI_CHAT (backend)->config;
}

static void
backend_iface_init (MenugenBackendInterface *iface)
{
  iface->generate_async = menugen_backend_openai_chat_generate_async;
  iface->generate_finish = menugen_backend_openai_chat_generate_finish;
  iface->get_config = menugen_backend_openai_chat_get_config;
}

static void
menugen_backend_openai_chat_finalize (GObject *object)
{
  MenugenBackendOpenaiChat *self = MENUGEN_BACKEND_OPENAI_CHAT (object);

  g_clear_pointer (&self->config, menugen_backend_config_free);

  G_OBJECT_CLASS (menugen_backend_openai_chat_parent_class)->finalize (object);
}

static void
menugen_backend_openai_chat_class_init (MenugenBackendOpenaiChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = menugen_backend_openai_chat_finalize;
}

static void
menugen_backend_openai_chat_init (MenugenBackendOpenaiChat *self)
{
}

/**
 * menugen_backend_openai_chat_new:
 * @config: a configuration of kind "openai-chat", already checked with
 *   menugen_backend_check_config()
 *
 * Creates the back-end for OpenRouter and other gateways that return images
 * from `POST {url}/chat/completions` when `modalities` requests them.
 *
 * Returns: (transfer full): the back-end
 */
MenugenBackend *
menugen_backend_openai_chat_new (const MenugenBackendConfig *config)
{
  MenugenBackendOpenaiChat *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_BACKEND_OPENAI_CHAT, NULL);
  self->config = menugen_backend_config_copy (config);

  return MENUGEN_BACKEND (self);
}
