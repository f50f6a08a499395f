#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-gemini.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"
#include "core/menugen-secrets.h"

/* Gemini rejects requests over 20 MB, and the base64 text of inline images
 * counts (firebase.google.com/docs/ai-logic/input-file-requirements). */
#define GEMINI_MAX_REQUEST_BYTES ((gsize) 20 * 1000 * 1000)

/* Base64 makes the photo 4/3 larger: 12 MiB become about 16.8 MB of text,
 * which leaves more than 3 MB for the instruction and the JSON. */
#define GEMINI_MAX_PHOTO_BYTES ((gsize) 12 * 1024 * 1024)

/* A 429 is not billed, so one automatic retry is allowed, and only when the
 * service requests a short wait. */
#define MAX_AUTOMATIC_RETRY_DELAY_S 60
#define MAX_AUTOMATIC_RETRIES 1

/* Model text and service messages quoted in an error are cut to this many
 * characters, so that the message still fits a dialog. */
#define MAX_QUOTED_CHARS 300

struct _MenugenBackendGemini
{
  GObject parent_instance;

  MenugenBackendConfig *config;
};

static void backend_iface_init (MenugenBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenBackendGemini, menugen_backend_gemini, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MENUGEN_TYPE_BACKEND, backend_iface_init))

typedef struct {
  char *url;
  char *model;
  GBytes *body;
  MenugenHttpLimits limits;
  SoupMessage *message;
  guint attempts;
  int retry_delay_s;
  GSource *retry_timer;
  GSource *retry_cancel;
} GenerateData;

/* The aspect ratios that generationConfig.imageConfig.aspectRatio takes on
 * every Gemini image model (python-genai ImageConfig, plus 4:5 and 5:4). */
static const char * const aspect_ratios[] = {
  "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", NULL
};

/* Input types that Gemini reads as inline image data. */
static const char * const photo_mime_types[] = {
  "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", NULL
};

/* Finish reasons that mean the model declined to draw (python-genai
 * FinishReason). NO_IMAGE and MAX_TOKENS are not refusals. */
static const char * const refusal_reasons[] = {
  "SAFETY", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "PROHIBITED_CONTENT",
  "BLOCKLIST", "SPII", "RECITATION", "IMAGE_RECITATION", "IMAGE_OTHER", NULL
};

static void
clear_retry_sources (GenerateData *data)
{
  if (data->retry_timer != NULL)
    g_source_destroy (data->retry_timer);
  g_clear_pointer (&data->retry_timer, g_source_unref);

  if (data->retry_cancel != NULL)
    g_source_destroy (data->retry_cancel);
  g_clear_pointer (&data->retry_cancel, g_source_unref);
}

static void
generate_data_free (GenerateData *data)
{
  clear_retry_sources (data);
  g_clear_object (&data->message);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data->url);
  g_free (data->model);
  g_free (data);
}

/* Returns the member @camel of @object, or else its snake_case spelling
 * @snake, which the service also accepts and may send; @snake may be NULL. */
static JsonNode *
get_member (JsonObject *object,
            const char *camel,
            const char *snake)
{
  JsonNode *node = menugen_json_get_member (object, camel);

  if (node == NULL && snake != NULL)
    node = menugen_json_get_member (object, snake);

  return node;
}

static gboolean
model_takes_image_size (const char *model)
{
  /* NOTE: imageSize is documented for the Gemini 3 image models. Whether
   * gemini-2.5-flash-image rejects it is not documented, so it is left out. */
  return g_str_has_prefix (model, "gemini-3") || g_str_has_prefix (model, "nano-banana-pro");
}

static gboolean
model_id_is_valid (const char *model)
{
  if (model[0] == '\0')
    return FALSE;

  for (const char *p = model; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
      return FALSE;

  return TRUE;
}

/* Builds the endpoint URL from the bare host that the Gemini SDK takes as its
 * base URL. A base that already ends in /v1beta, as in Google's REST
 * samples, is accepted too. */
static char *
build_url (const char *base_url,
           const char *model)
{
  g_autofree char *base = g_strdup (base_url);
  g_autofree char *path = g_strdup_printf ("/v1beta/models/%s:generateContent", model);
  gsize length = strlen (base);

  while (length > 0 && base[length - 1] == '/')
    base[--length] = '\0';
  if (g_str_has_suffix (base, "/v1beta"))
    base[length - strlen ("/v1beta")] = '\0';

  return menugen_http_join_url (base, path);
}

static void
add_photo_part (JsonBuilder          *builder,
                const MenugenRequest *request,
                const char           *mime_type)
{
  gsize length = 0;
  const guint8 *photo = g_bytes_get_data (request->photo, &length);
  g_autofree char *data = g_base64_encode (photo, length);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "inlineData");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mimeType");
  json_builder_add_string_value (builder, mime_type);
  json_builder_set_member_name (builder, "data");
  json_builder_add_string_value (builder, data);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

/* Google advises to put the text after the image when there is one image. */
static void
add_contents (JsonBuilder          *builder,
              const MenugenRequest *request,
              const char           *mime_type)
{
  json_builder_set_member_name (builder, "contents");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "user");
  json_builder_set_member_name (builder, "parts");
  json_builder_begin_array (builder);

  add_photo_part (builder, request, mime_type);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, request->instruction);
  json_builder_end_object (builder);

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
}

/* Requests image output explicitly, because without responseModalities an
 * image model may reply in text only. No maxOutputTokens is set, because a
 * cap that is too small ends the reply with MAX_TOKENS before the image. */
static void
add_generation_config (JsonBuilder          *builder,
                       const MenugenRequest *request,
                       const char           *model)
{
  gboolean has_ratio = request->aspect_ratio != NULL
                       && g_strv_contains (aspect_ratios, request->aspect_ratio);

  json_builder_set_member_name (builder, "generationConfig");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "responseModalities");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "TEXT");
  json_builder_add_string_value (builder, "IMAGE");
  json_builder_end_array (builder);

  if (has_ratio || model_takes_image_size (model))
    {
      json_builder_set_member_name (builder, "imageConfig");
      json_builder_begin_object (builder);
      if (has_ratio)
        {
          json_builder_set_member_name (builder, "aspectRatio");
          json_builder_add_string_value (builder, request->aspect_ratio);
        }
      if (model_takes_image_size (model))
        {
          json_builder_set_member_name (builder, "imageSize");
          json_builder_add_string_value (builder, "2K");
        }
      json_builder_end_object (builder);
    }

  json_builder_end_object (builder);
}

static GBytes *
build_body (const MenugenRequest *request,
            const char           *mime_type,
            const char           *model)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize length = 0;
  char *text;

  json_builder_begin_object (builder);
  add_contents (builder, request, mime_type);
  add_generation_config (builder, request, model);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return g_bytes_new_take (text, length);
}

/* Returns the photo's type from its bytes, falling back to the declared one,
 * or NULL with an error when Gemini cannot read it. */
static const char *
choose_photo_mime_type (const MenugenRequest *request,
                        GError              **error)
{
  gsize length = 0;
  const guint8 *photo = g_bytes_get_data (request->photo, &length);
  const char *mime_type = menugen_photo_sniff_mime_type (photo, length);

  if (mime_type == NULL)
    mime_type = request->photo_mime_type;

  if (mime_type == NULL || !g_strv_contains (photo_mime_types, mime_type))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                   _("Gemini reads JPEG, PNG, WebP and HEIC photos, not “%s”. Open the photo again so that it is converted to JPEG."),
                   mime_type != NULL ? mime_type : _("unknown"));
      return NULL;
    }

  return mime_type;
}

static const char *
choose_model (MenugenBackendGemini *self,
              GError              **error)
{
  const char *model = menugen_backend_config_get_model (self->config);

  /* The REST samples name models as "models/ID", but the path adds that part. */
  if (g_str_has_prefix (model, "models/"))
    model += strlen ("models/");

  if (!model_id_is_valid (model))
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                   _("“%s” is not a valid Gemini model id. Enter an id such as gemini-2.5-flash-image in Preferences or in --model."),
                   model);
      return NULL;
    }

  return model;
}

/* Rejects a base URL with a query or fragment: the key travels only in the
 * x-goog-api-key header, and a "?key=" pasted from a REST sample would put
 * it in the URL. The message leaves the URL out for the same reason. */
static gboolean
check_base_url (const char *base_url,
                GError    **error)
{
  g_autoptr(GUri) uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);

  if (uri != NULL && g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL)
    return TRUE;

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
               _("The Gemini server URL contains a query or fragment. Enter only the host, such as https://generativelanguage.googleapis.com, and the key in its own field."));
  return FALSE;
}

static GenerateData *
prepare_request (MenugenBackendGemini *self,
                 const MenugenRequest *request,
                 GError              **error)
{
  g_autoptr(GBytes) body = NULL;
  g_autofree char *size = NULL;
  const char *mime_type;
  const char *model;
  GenerateData *data;

  if (!menugen_backend_check_config (self->config, error)
      || !check_base_url (menugen_backend_config_get_url (self->config), error))
    return NULL;

  model = choose_model (self, error);
  if (model == NULL)
    return NULL;

  mime_type = choose_photo_mime_type (request, error);
  if (mime_type == NULL)
    return NULL;

  body = build_body (request, mime_type, model);
  if (g_bytes_get_size (body) > GEMINI_MAX_REQUEST_BYTES)
    {
      size = menugen_http_describe_size (g_bytes_get_size (body));
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                   _("The request to Gemini would be %s, over the API's 20 MB limit. Choose a smaller photo."),
                   size);
      return NULL;
    }

  data = g_new0 (GenerateData, 1);
  data->url = build_url (menugen_backend_config_get_url (self->config), model);
  data->model = g_strdup (model);
  data->body = g_steal_pointer (&body);
  menugen_backend_config_get_http_limits (self->config, &data->limits);

  g_debug ("Gemini request for model %s: %s photo of %" G_GSIZE_FORMAT " bytes, body of %" G_GSIZE_FORMAT " bytes",
           data->model, mime_type, g_bytes_get_size (request->photo), g_bytes_get_size (data->body));

  return data;
}

/* Decodes standard or URL-safe base64, with or without padding, and rejects
 * anything else instead of skipping it as g_base64_decode() does. */
static GBytes *
decode_base64 (const char *text)
{
  g_autoptr(GString) clean = g_string_sized_new (strlen (text) + 2);
  gboolean padding = FALSE;
  gsize length = 0;
  guchar *bytes;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      if (*p == '=')
        {
          padding = TRUE;
          continue;
        }
      if (padding || !(g_ascii_isalnum (*p) || strchr ("+/-_", *p) != NULL))
        return NULL;
      if (*p == '-')
        g_string_append_c (clean, '+');
      else if (*p == '_')
        g_string_append_c (clean, '/');
      else
        g_string_append_c (clean, *p);
    }

  if (clean->len == 0 || clean->len % 4 == 1)
    return NULL;
  while (clean->len % 4 != 0)
    g_string_append_c (clean, '=');

  bytes = g_base64_decode (clean->str, &length);
  return g_bytes_new_take (bytes, length);
}

typedef struct {
  GPtrArray *texts;
  const char *image_data;
} ReplyParts;

/* Walks every part of the candidate: text can come before, between or after
 * image parts. Thought parts (Gemini 3 drafts) are skipped, and the last
 * image wins. */
static void
collect_parts (JsonObject *candidate,
               ReplyParts *parts)
{
  JsonObject *content = menugen_json_get_object (candidate, "content");
  JsonArray *array = menugen_json_get_array (content, "parts");
  guint count = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < count; i++)
    {
      JsonObject *part = menugen_json_get_array_object (array, i);
      JsonObject *inline_data = menugen_json_node_get_object (get_member (part, "inlineData", "inline_data"));
      const char *text = menugen_json_get_string (part, "text");

      if (part == NULL || menugen_json_get_boolean (part, "thought"))
        continue;

      if (inline_data != NULL && menugen_json_get_string (inline_data, "data") != NULL)
        parts->image_data = menugen_json_get_string (inline_data, "data");
      else if (text != NULL)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (text));

          if (stripped[0] != '\0')
            g_ptr_array_add (parts->texts, g_steal_pointer (&stripped));
        }
    }
}

/* Joins the model's text parts with blank lines, or returns NULL. */
static char *
join_texts (GPtrArray *texts)
{
  g_autoptr(GString) joined = NULL;

  if (texts->len == 0)
    return NULL;

  joined = g_string_new (g_ptr_array_index (texts, 0));
  for (guint i = 1; i < texts->len; i++)
    g_string_append_printf (joined, "\n\n%s", (const char *) g_ptr_array_index (texts, i));

  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static MenugenResult *
build_result (const ReplyParts *parts,
              const char       *model,
              GError          **error)
{
  g_autoptr(MenugenResult) result = menugen_result_new ();
  g_autoptr(GBytes) image = decode_base64 (parts->image_data);
  const char *mime_type;
  gsize length = 0;
  const guint8 *bytes;

  if (image == NULL || g_bytes_get_size (image) == 0)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The image data in the answer from Gemini model “%s” is not valid base64. Try again, or report the model to the service."),
                   model);
      return NULL;
    }

  bytes = g_bytes_get_data (image, &length);
  mime_type = menugen_photo_sniff_mime_type (bytes, length);
  if (mime_type == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   _("The image from Gemini model “%s” is not a PNG, JPEG or WebP file. Try again, or choose another model."),
                   model);
      return NULL;
    }

  result->image = g_steal_pointer (&image);
  result->mime_type = g_strdup (mime_type);
  result->notes = join_texts (parts->texts);
  result->model = g_strdup (model);

  return g_steal_pointer (&result);
}

static void
set_refusal_error (const char *reason,
                   const char *finish_message,
                   const char *notes,
                   GError    **error)
{
  g_autofree char *explanation = NULL;
  g_autofree char *quoted = NULL;

  if (finish_message == NULL && notes == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                   _("Gemini declined to draw this menu (%s). Try another photo or another back-end."),
                   reason);
      return;
    }

  /* The finish message explains the verdict; the model's own text follows. */
  if (finish_message != NULL && notes != NULL)
    explanation = g_strconcat (finish_message, " ", notes, NULL);
  else
    explanation = g_strdup (finish_message != NULL ? finish_message : notes);
  quoted = menugen_http_shorten_sentence (explanation, MAX_QUOTED_CHARS);
  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
               _("Gemini declined to draw this menu (%s): %s Try another photo or another back-end."),
               reason, quoted);
}

/* Sets the error for a candidate that carries no image. The finish reason
 * is a field of the candidate, next to its content. */
static void
set_no_image_error (JsonObject *candidate,
                    const char *notes,
                    GError    **error)
{
  const char *reason = menugen_json_node_get_string (get_member (candidate, "finishReason", "finish_reason"));
  const char *finish_message = menugen_json_node_get_string (get_member (candidate, "finishMessage", "finish_message"));
  g_autofree char *quoted = notes != NULL ? menugen_http_shorten_text (notes, MAX_QUOTED_CHARS) : NULL;

  if (reason != NULL && g_strv_contains (refusal_reasons, reason))
    set_refusal_error (reason, finish_message, notes, error);
  else if (g_strcmp0 (reason, "NO_IMAGE") == 0)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                 _("Gemini finished without drawing an image (NO_IMAGE). Try again, or choose another model or back-end."));
  else if (g_strcmp0 (reason, "MAX_TOKENS") == 0)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                 _("Gemini’s reply was cut off at its output token limit (MAX_TOKENS) before it contained an image. Try again, or choose another model."));
  else if (quoted != NULL)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TEXT_ONLY,
                 _("Gemini answered in text instead of drawing: “%s” Try again, or make the instruction ask for an image more firmly."),
                 quoted);
  else
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                 _("Gemini’s reply contained neither an image nor text (finish reason %s). Try again, or choose another model or back-end."),
                 reason != NULL ? reason : _("none"));
}

/* Sets the error for a reply without candidates: a blocked prompt, or a
 * body that is not a generateContent response at all. */
static void
set_no_candidate_error (JsonObject *reply,
                        const char *url,
                        GError    **error)
{
  JsonObject *feedback = menugen_json_node_get_object (get_member (reply, "promptFeedback", "prompt_feedback"));
  const char *reason = menugen_json_node_get_string (get_member (feedback, "blockReason", "block_reason"));
  const char *reason_message = menugen_json_node_get_string (get_member (feedback, "blockReasonMessage",
                                                                        "block_reason_message"));
  g_autofree char *quoted = reason_message != NULL ? menugen_http_shorten_sentence (reason_message, MAX_QUOTED_CHARS)
                                                  : NULL;

  if (reason != NULL && quoted != NULL)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                 _("Gemini blocked the request for this menu (%s): %s Try another photo or another back-end."),
                 reason, quoted);
  else if (reason != NULL)
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                 _("Gemini blocked the request for this menu (%s). Try another photo or another back-end."),
                 reason);
  else
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                 _("The answer from %s has neither candidates nor a block reason. Check that the URL points to the Gemini API."),
                 url);
}

/* Turns a generateContent reply (HTTP 200) into a result or an error. */
static MenugenResult *
read_reply (JsonNode   *root,
            const char *model,
            const char *url,
            GError    **error)
{
  JsonObject *reply = menugen_json_root_object (root);
  JsonArray *candidates = menugen_json_get_array (reply, "candidates");
  JsonObject *candidate = menugen_json_get_array_object (candidates, 0);
  const char *model_version = menugen_json_node_get_string (get_member (reply, "modelVersion", "model_version"));
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  ReplyParts parts = { texts, NULL };
  g_autofree char *notes = NULL;

  if (candidate == NULL)
    {
      set_no_candidate_error (reply, url, error);
      return NULL;
    }

  collect_parts (candidate, &parts);
  if (parts.image_data != NULL)
    return build_result (&parts, model_version != NULL ? model_version : model, error);

  notes = join_texts (texts);
  set_no_image_error (candidate, notes, error);
  return NULL;
}

typedef struct {
  const char *quota_id;
  gboolean per_day;
  gboolean no_quota;
  int retry_delay_s;
} QuotaFailure;

/* Parses a google.protobuf.Duration in JSON form, such as "37s" or
 * "10.158753737s", and returns whole seconds rounded up, or -1. */
static int
parse_duration (const char *text)
{
  char *end = NULL;
  double seconds;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return -1;

  seconds = g_ascii_strtod (text, &end);
  if (g_str_has_prefix (end, "ms"))
    seconds /= 1000;
  else if (*end != 's')
    return -1;

  return (int) MIN (ceil (seconds), G_MAXINT);
}

/* Finds the "Please retry in 10.158753737s." hint in a quota message. */
static int
parse_retry_hint (const char *message)
{
  const char *hint = message != NULL ? strstr (message, "retry in ") : NULL;

  return hint != NULL ? parse_duration (hint + strlen ("retry in ")) : -1;
}

/* Tells whether the quota message reports "limit: 0", the sign of a model
 * without any free-tier quota. */
static gboolean
message_has_zero_limit (const char *message)
{
  for (const char *p = message; p != NULL && (p = strstr (p, "limit: 0")) != NULL; p++)
    if (!g_ascii_isdigit (p[strlen ("limit: 0")]) && p[strlen ("limit: 0")] != '.')
      return TRUE;

  return FALSE;
}

static gboolean
quota_value_is_zero (JsonObject *violation)
{
  JsonNode *node = get_member (violation, "quotaValue", "quota_value");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (node), "0") == 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node) == 0;

  return FALSE;
}

static void
read_quota_violations (JsonObject   *detail,
                       QuotaFailure *quota)
{
  JsonArray *violations = menugen_json_get_array (detail, "violations");
  guint count = violations != NULL ? json_array_get_length (violations) : 0;

  for (guint i = 0; i < count; i++)
    {
      JsonObject *violation = menugen_json_get_array_object (violations, i);
      const char *id = menugen_json_node_get_string (get_member (violation, "quotaId", "quota_id"));
      const char *metric = menugen_json_node_get_string (get_member (violation, "quotaMetric", "quota_metric"));

      if (quota->quota_id == NULL)
        quota->quota_id = id != NULL ? id : metric;
      if ((id != NULL && strstr (id, "PerDay") != NULL)
          || (metric != NULL && strstr (metric, "per_day") != NULL))
        quota->per_day = TRUE;
      if (quota_value_is_zero (violation))
        quota->no_quota = TRUE;
    }
}

/* Reads the QuotaFailure and RetryInfo details of a RESOURCE_EXHAUSTED
 * error, with the message text as a fallback for the delay and the limit. */
static void
read_quota_failure (JsonObject   *google_error,
                    SoupMessage  *message,
                    QuotaFailure *quota)
{
  JsonArray *details = menugen_json_get_array (google_error, "details");
  guint count = details != NULL ? json_array_get_length (details) : 0;
  const char *text = menugen_json_get_string (google_error, "message");

  quota->retry_delay_s = -1;
  for (guint i = 0; i < count; i++)
    {
      JsonObject *detail = menugen_json_get_array_object (details, i);
      const char *type = menugen_json_get_string (detail, "@type");

      if (type != NULL && g_str_has_suffix (type, "google.rpc.QuotaFailure"))
        read_quota_violations (detail, quota);
      else if (type != NULL && g_str_has_suffix (type, "google.rpc.RetryInfo"))
        quota->retry_delay_s = parse_duration (menugen_json_node_get_string (get_member (detail, "retryDelay",
                                                                                         "retry_delay")));
    }

  if (quota->retry_delay_s < 0)
    quota->retry_delay_s = parse_retry_hint (text);
  if (quota->retry_delay_s < 0)
    quota->retry_delay_s = menugen_http_retry_after_seconds (message);
  if (message_has_zero_limit (text))
    quota->no_quota = TRUE;
}

/* A daily quota, a quota of zero or a 429 without any retry hint will not
 * clear up in a few seconds, so only a short per-minute limit is reported
 * as a rate limit. */
static GError *
describe_quota_error (JsonObject  *google_error,
                      SoupMessage *message,
                      const char  *model,
                      int         *retry_delay_s)
{
  QuotaFailure quota = { NULL, FALSE, FALSE, -1 };
  const char *label;

  read_quota_failure (google_error, message, &quota);
  label = quota.quota_id != NULL ? quota.quota_id : "RESOURCE_EXHAUSTED";

  if (quota.no_quota)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED,
                        _("The key’s Google project has no quota at all for model “%s” (%s, limit 0), as is common for image models on the free tier. Enable billing for the project or choose another back-end."),
                        model, label);
  if (quota.per_day)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED,
                        _("The daily quota for model “%s” is used up (%s). Wait until tomorrow, enable billing, or choose another back-end."),
                        model, label);
  if (quota.retry_delay_s < 0)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED,
                        _("Gemini reports no quota left for model “%s” (%s). Enable billing for the key’s project or choose another back-end."),
                        model, label);

  *retry_delay_s = quota.retry_delay_s;
  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                      _("Gemini is rate limiting requests for model “%s” (%s). Wait %d s and try again."),
                      model, label, quota.retry_delay_s);
}

static gboolean
google_error_has_reason (JsonObject *google_error,
                         const char *fragment)
{
  JsonArray *details = menugen_json_get_array (google_error, "details");
  guint count = details != NULL ? json_array_get_length (details) : 0;

  for (guint i = 0; i < count; i++)
    {
      const char *reason = menugen_json_get_string (menugen_json_get_array_object (details, i), "reason");

      if (reason != NULL && strstr (reason, fragment) != NULL)
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_key_error (JsonObject *google_error,
              guint       status)
{
  const char *text = menugen_json_get_string (google_error, "message");
  g_autofree char *lower = text != NULL ? g_ascii_strdown (text, -1) : NULL;

  if (status == SOUP_STATUS_UNAUTHORIZED || google_error_has_reason (google_error, "API_KEY"))
    return TRUE;

  /* A missing key gets 403 "…Please use API Key…", a leaked one 403 "Your
   * API key was reported as leaked". */
  return (status == SOUP_STATUS_BAD_REQUEST || status == SOUP_STATUS_FORBIDDEN)
         && lower != NULL && strstr (lower, "api key") != NULL;
}

/* A 404 names the model when the API itself does not know it ("models/ID
 * is not found for API version v1beta"). Any other 404 comes from a path
 * that is not the Gemini API, such as a base URL with an extra /v1. */
static GError *
describe_not_found (const char *url,
                    const char *label,
                    const char *text,
                    JsonObject *google_error,
                    const char *model)
{
  g_autofree char *model_path = g_strconcat ("models/", model, NULL);
  const char *rpc_status = menugen_json_get_string (google_error, "status");
  const char *service_message = menugen_json_get_string (google_error, "message");
  g_autofree char *server = menugen_http_describe_server (url);

  if (g_strcmp0 (rpc_status, "NOT_FOUND") == 0
      && service_message != NULL && strstr (service_message, model_path) != NULL)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("The Gemini API has no model “%s” for generateContent (%s). Check the model name in Preferences or in --model."),
                        model, label);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("The server at %s has no Gemini API at this address (%s): %s Check the server URL, which is the bare host, such as https://generativelanguage.googleapis.com."),
                      server, label, text);
}

static GError *
describe_client_error (guint       status,
                       const char *label,
                       const char *text,
                       const char *model)
{
  if (status == SOUP_STATUS_FORBIDDEN)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("The Gemini API denied access to model “%s” (%s): %s Check that the key’s project may use this model."),
                        model, label, text);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("The Gemini API rejected the request for model “%s” (%s): %s Check the model name, or choose another back-end."),
                      model, label, text);
}

static GError *
describe_server_error (guint       status,
                       const char *label,
                       const char *text)
{
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_UNAVAILABLE,
                        _("Gemini is overloaded or unavailable (%s): %s Try again in a few minutes or choose another back-end."),
                        label, text);
  if (status == SOUP_STATUS_GATEWAY_TIMEOUT)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_TIMED_OUT,
                        _("The Gemini API gave up waiting for the model (%s): %s Try again later, or choose another model."),
                        label, text);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                      _("The Gemini API failed with a server error (%s): %s Try again later."),
                      label, text);
}

/* Maps a non-2xx response to an error. The body is a Google RPC error
 * envelope when the API itself replied, and may be anything from a proxy.
 * @retry_delay_s is set to the wait the service requested on a rate limit. */
static GError *
describe_http_error (GenerateData *data,
                     const char   *api_key,
                     guint         status,
                     GBytes       *body,
                     int          *retry_delay_s)
{
  g_autoptr(JsonNode) root = menugen_http_parse_json (body, "Gemini", NULL);
  JsonObject *google_error = menugen_json_get_object (menugen_json_root_object (root), "error");
  const char *rpc_status = menugen_json_get_string (google_error, "status");
  const char *message = menugen_json_get_string (google_error, "message");
  g_autofree char *label = rpc_status != NULL ? g_strdup_printf ("%u %s", status, rpc_status)
                                              : g_strdup_printf ("HTTP %u", status);
  g_autofree char *masked = menugen_secrets_mask_key (message != NULL ? message : soup_status_get_phrase (status),
                                                      api_key);
  g_autofree char *text = menugen_http_shorten_sentence (masked, MAX_QUOTED_CHARS);

  g_debug ("Gemini answered %s for model %s", label, data->model);

  if (is_key_error (google_error, status))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY,
                        _("The Gemini API rejected the key (%s): %s Check the key in Preferences or in the GEMINI_API_KEY environment variable."),
                        google_error_has_reason (google_error, "API_KEY_INVALID") ? "API_KEY_INVALID" : label,
                        text);
  /* 429 Too Many Requests: libsoup 3.2 has no constant for it. */
  if (status == 429)
    return describe_quota_error (google_error, data->message, data->model, retry_delay_s);
  if (status >= 500)
    return describe_server_error (status, label, text);

  if (status == SOUP_STATUS_NOT_FOUND)
    return describe_not_found (data->url, label, text, google_error, data->model);

  return describe_client_error (status, label, text, data->model);
}

static void send_request (GTask *task);

static gboolean
retry_timer_cb (gpointer user_data)
{
  GTask *task = user_data;
  GenerateData *data = g_task_get_task_data (task);

  g_debug ("Retrying the Gemini request for model %s after a rate limit", data->model);
  clear_retry_sources (data);
  send_request (task);

  return G_SOURCE_REMOVE;
}

static gboolean
retry_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  clear_retry_sources (g_task_get_task_data (task));
  g_task_return_error_if_cancelled (task);

  return G_SOURCE_REMOVE;
}

/* Waits @delay_s seconds and sends the request again, taking over the
 * reference to @task. Cancelling the task's cancellable ends the wait. */
static void
schedule_retry (GTask *task,
                int    delay_s)
{
  MenugenBackend *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *detail = g_strdup_printf (_("Rate limited, trying again in %d s"), delay_s);

  g_debug ("Gemini rate limit for model %s, retrying in %d s", data->model, delay_s);
  menugen_backend_emit_progress (self, MENUGEN_STAGE_WAITING, -1, detail);

  data->retry_timer = g_timeout_source_new_seconds ((guint) delay_s);
  g_source_set_callback (data->retry_timer, retry_timer_cb, task, NULL);
  g_source_attach (data->retry_timer, g_task_get_context (task));

  if (cancellable != NULL)
    {
      data->retry_cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->retry_cancel, G_SOURCE_FUNC (retry_cancelled_cb), task, NULL);
      g_source_attach (data->retry_cancel, g_task_get_context (task));
    }
}

static void
handle_success (GTask  *task,
                GBytes *body)
{
  MenugenBackendGemini *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = menugen_http_describe_server (data->url);
  g_autoptr(JsonNode) root = menugen_http_parse_json (body, server, &error);
  MenugenResult *result = NULL;

  if (root != NULL)
    result = read_reply (root, data->model, menugen_backend_config_get_url (self->config), &error);

  if (result == NULL)
    {
      g_debug ("Gemini reply for model %s had no usable image: %s", data->model, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, result, (GDestroyNotify) menugen_result_free);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenBackendGemini *self = g_task_get_source_object (task);
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
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      handle_success (task, body);
      return;
    }

  data->retry_delay_s = -1;
  error = describe_http_error (data, self->config->api_key, status, body, &data->retry_delay_s);

  if (g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED)
      && data->attempts <= MAX_AUTOMATIC_RETRIES
      && data->retry_delay_s >= 0 && data->retry_delay_s <= MAX_AUTOMATIC_RETRY_DELAY_S)
    {
      schedule_retry (g_steal_pointer (&task), data->retry_delay_s);
      return;
    }

  g_task_return_error (task, g_steal_pointer (&error));
}

/* Sends the prepared body, taking over the reference to @task. Each attempt
 * gets a new message, because a sent message is not sent twice. */
static void
send_request (GTask *task)
{
  MenugenBackendGemini *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&data->message);
  data->message = soup_message_new (SOUP_METHOD_POST, data->url);
  headers = soup_message_get_request_headers (data->message);
  if (self->config->api_key != NULL && self->config->api_key[0] != '\0')
    soup_message_headers_replace (headers, "x-goog-api-key", self->config->api_key);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_set_request_body_from_bytes (data->message, "application/json", data->body);

  data->attempts++;
  menugen_backend_watch_message (MENUGEN_BACKEND (self), data->message, g_bytes_get_size (data->body));
  menugen_http_send_async (data->message, &data->limits, g_task_get_cancellable (task), send_cb, task);
}

static void
menugen_backend_gemini_generate_async (MenugenBackend       *backend,
                                       const MenugenRequest *request,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data)
{
  MenugenBackendGemini *self = MENUGEN_BACKEND_GEMINI (backend);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GenerateData *data;

  g_return_if_fail (request->photo != NULL);
  g_return_if_fail (request->instruction != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_gemini_generate_async);

  data = prepare_request (self, request, &error);
  if (data == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_set_task_data (task, data, (GDestroyNotify) generate_data_free);
  send_request (g_steal_pointer (&task));
}

static MenugenResult *
menugen_backend_gemini_generate_finish (MenugenBackend  *backend,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_gemini_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
menugen_backend_gemini_get_photo_limits (MenugenBackend     *backend,
                                         MenugenPhotoLimits *limits)
{
  menugen_photo_limits_init_default (limits);
  limits->max_encoded_bytes = MIN (limits->max_encoded_bytes, GEMINI_MAX_PHOTO_BYTES);
}

static const MenugenBackendConfig *
menugen_backend_gemini_get_config (MenugenBackend *backend)
{
  return MENUGEN_BACKEND_GEMINI (backend)->config;
}

static void
backend_iface_init (MenugenBackendInterface *iface)
{
  iface->generate_async = menugen_backend_gemini_generate_async;
  iface->generate_finish = menugen_backend_gemini_generate_finish;
  iface->get_photo_limits = menugen_backend_gemini_get_photo_limits;
  iface->get_config = menugen_backend_gemini_get_config;
}

static void
menugen_backend_gemini_finalize (GObject *object)
{
  MenugenBackendGemini *self = MENUGEN_BACKEND_GEMINI (object);

  g_clear_pointer (&self->config, menugen_backend_config_free);

  G_OBJECT_CLASS (menugen_backend_gemini_parent_class)->finalize (object);
}

static void
menugen_backend_gemini_class_init (MenugenBackendGeminiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = menugen_backend_gemini_finalize;
}

static void
menugen_backend_gemini_init (MenugenBackendGemini *self)
{
}

/**
 * menugen_backend_gemini_new:
 * @config: a configuration of kind "gemini"; it is copied
 *
 * Creates a back-end for the Gemini API's generateContent endpoint. The
 * configuration is checked again before each request.
 *
 * Returns: (transfer full): the back-end
 */
MenugenBackend *
menugen_backend_gemini_new (const MenugenBackendConfig *config)
{
  MenugenBackendGemini *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_BACKEND_GEMINI, NULL);
  self->config = menugen_backend_config_copy (config);

  return MENUGEN_BACKEND (self);
}
