/* The OpenAI Images edit endpoint, POST {url}/images/edits with a multipart
 * body, as served by OpenAI (gpt-image models), stable-diffusion.cpp's
 * sd-server and AMD Lemonade. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-openai-images.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"
#include "core/menugen-secrets.h"

/* GPT-image models take prompts of up to 32000 characters (dall-e-2: 1000). */
#define MAX_PROMPT_CHARS 32000

/* Local diffusion servers draw at about one megapixel in multiples of 64.
 * sd-server draws at the photo's own size when no size is sent. */
#define LOCAL_TARGET_PIXELS (1024.0 * 1024.0)
#define LOCAL_SIZE_STEP 64
#define LOCAL_MAX_ASPECT 4.0

/* gpt-image-2 takes any size in multiples of 16 with an aspect ratio
 * between 1:3 and 3:1. These sizes aim at the pixel count of 1024x1536. */
#define FREE_TARGET_PIXELS (1536.0 * 1024.0)
#define FREE_SIZE_STEP 16
#define FREE_MAX_ASPECT 3.0

/* Longer messages from a server are cut, so that an error stays readable. */
#define MAX_REASON_CHARS 400

/* libsoup 3.2 has no name for status 429. */
#define STATUS_TOO_MANY_REQUESTS 429

typedef enum {
  SIZES_GPT_IMAGE,  /* 1024x1024, 1024x1536 and 1536x1024 */
  SIZES_FREE,       /* any WxH in multiples of 16 (gpt-image-2) */
  SIZES_SQUARE,     /* dall-e-2: square sizes only */
  SIZES_LOCAL,      /* about one megapixel in multiples of 64 (diffusion servers) */
} SizeRule;

/* Which optional fields a request carries, from the model and the server. */
typedef struct {
  gboolean gpt_image;       /* output_format png */
  gboolean quality;         /* quality high: OpenAI's GPT-image models */
  gboolean input_fidelity;  /* input_fidelity high: gpt-image-1 and gpt-image-1.5 */
  SizeRule sizes;
} RequestRules;

/* Fields of an error body, whichever of the OpenAI, sd-server or Lemonade
 * shapes it came in. */
typedef struct {
  char *message;
  char *code;
  char *type;
  char *param;
  char *model;
  char *categories;
} ServiceError;

typedef struct {
  SoupMessage *message;   /* the edit request, later the image download */
  MenugenHttpLimits limits;
  char *service;          /* host[:port], for messages */
  char *notes;
} GenerateData;

typedef struct {
  GBytes *body;
  char *service;
} ParseData;

typedef struct {
  GBytes *image;
  char *mime_type;
  char *url;
  char *notes;
} ParsedResponse;

struct _MenugenBackendOpenaiImages
{
  GObject parent_instance;

  MenugenBackendConfig *config;
};

static void backend_iface_init (MenugenBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenBackendOpenaiImages, menugen_backend_openai_images, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MENUGEN_TYPE_BACKEND, backend_iface_init))

static void
generate_data_free (GenerateData *data)
{
  g_clear_object (&data->message);
  g_free (data->service);
  g_free (data->notes);
  g_free (data);
}

static void
parse_data_free (ParseData *data)
{
  g_bytes_unref (data->body);
  g_free (data->service);
  g_free (data);
}

static void
parsed_response_free (ParsedResponse *parsed)
{
  g_clear_pointer (&parsed->image, g_bytes_unref);
  g_free (parsed->mime_type);
  g_free (parsed->url);
  g_free (parsed->notes);
  g_free (parsed);
}

static void
service_error_clear (ServiceError *error)
{
  g_clear_pointer (&error->message, g_free);
  g_clear_pointer (&error->code, g_free);
  g_clear_pointer (&error->type, g_free);
  g_clear_pointer (&error->param, g_free);
  g_clear_pointer (&error->model, g_free);
  g_clear_pointer (&error->categories, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServiceError, service_error_clear)

/* A local server is sd-server or Lemonade: a local host that is sent no
 * key. A local gateway that takes a key (a proxy in front of OpenAI) gets
 * OpenAI's rules. Models may carry a gateway prefix ("openai/gpt-image-1"). */
static void
choose_rules (const char   *model,
              gboolean      local_server,
              RequestRules *rules)
{
  const char *slash = strrchr (model, '/');
  const char *name = slash != NULL ? slash + 1 : model;
  gboolean gpt_image_1 = g_str_has_prefix (name, "gpt-image-1") || g_str_has_prefix (name, "chatgpt-image");

  rules->gpt_image = g_str_has_prefix (name, "gpt-image-") || g_str_has_prefix (name, "chatgpt-image");
  rules->quality = rules->gpt_image && !local_server;
  rules->input_fidelity = (!local_server && g_str_has_prefix (name, "gpt-image-1")
                           && !g_str_has_prefix (name, "gpt-image-1-mini"));

  if (local_server)
    rules->sizes = SIZES_LOCAL;
  else if (g_str_has_prefix (name, "gpt-image-2"))
    rules->sizes = SIZES_FREE;
  else if (gpt_image_1)
    rules->sizes = SIZES_GPT_IMAGE;
  else if (g_str_has_prefix (name, "dall-e-2"))
    rules->sizes = SIZES_SQUARE;
  else
    rules->sizes = SIZES_LOCAL;
}

static gboolean
is_local_server (const char *url,
                 gboolean    has_key)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return !has_key && uri != NULL && menugen_http_host_is_local (g_uri_get_host (uri));
}

static int
round_to_step (double value,
               int    step)
{
  return MAX (step, (int) lround (value / step) * step);
}

/* A WxH of about @pixels with the photo's aspect ratio, limited to
 * 1:@max_aspect .. @max_aspect:1, both sides multiples of @step. */
static char *
scale_to_area (int    width,
               int    height,
               double pixels,
               int    step,
               double max_aspect)
{
  double aspect = CLAMP ((double) width / height, 1.0 / max_aspect, max_aspect);
  int out_height = round_to_step (sqrt (pixels / aspect), step);
  int out_width = round_to_step (sqrt (pixels * aspect), step);

  while (out_width > max_aspect * out_height)
    out_width -= step;
  while (out_height > max_aspect * out_width)
    out_height -= step;

  return g_strdup_printf ("%dx%d", out_width, out_height);
}

static const char *
closest_fixed_size (int width,
                    int height)
{
  static const struct {
    const char *size;
    double aspect;
  } sizes[] = {
    { "1024x1024", 1.0 },
    { "1536x1024", 1.5 },
    { "1024x1536", 1.0 / 1.5 },
  };
  double photo = log ((double) width / height);
  guint best = 0;

  for (guint i = 1; i < G_N_ELEMENTS (sizes); i++)
    if (fabs (photo - log (sizes[i].aspect)) < fabs (photo - log (sizes[best].aspect)))
      best = i;

  return sizes[best].size;
}

static char *
choose_size (SizeRule sizes,
             int      width,
             int      height)
{
  if (width <= 0 || height <= 0)
    return g_strdup (sizes == SIZES_FREE ? "auto" : "1024x1024");

  switch (sizes)
    {
    case SIZES_LOCAL:
      return scale_to_area (width, height, LOCAL_TARGET_PIXELS, LOCAL_SIZE_STEP, LOCAL_MAX_ASPECT);
    case SIZES_FREE:
      return scale_to_area (width, height, FREE_TARGET_PIXELS, FREE_SIZE_STEP, FREE_MAX_ASPECT);
    case SIZES_SQUARE:
      return g_strdup ("1024x1024");
    case SIZES_GPT_IMAGE:
    default:
      return g_strdup (closest_fixed_size (width, height));
    }
}

static const char *
photo_file_name (const char *mime_type)
{
  if (g_str_equal (mime_type, "image/png"))
    return "menu.png";
  if (g_str_equal (mime_type, "image/webp"))
    return "menu.webp";

  return "menu.jpg";
}

/* The image part must carry its real type, because OpenAI rejects
 * application/octet-stream with 400 unsupported_file_mimetype. */
static const char *
check_photo_type (const MenugenRequest *request,
                  gboolean              local_server,
                  const char           *service,
                  GError              **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (request->photo, &length);
  const char *mime_type = menugen_photo_sniff_mime_type (data, length);

  if (g_strcmp0 (mime_type, "image/jpeg") == 0 || g_strcmp0 (mime_type, "image/png") == 0)
    return mime_type;

  if (g_strcmp0 (mime_type, "image/webp") != 0)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                   _("The prepared photo is not JPEG, PNG or WebP, so it was not sent to %s. Open the photo again so that it is converted."),
                   service);
      return NULL;
    }

  /* sd-server reads JPEG and PNG only. */
  if (local_server)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                   _("%s reads JPEG and PNG photos only, but the prepared photo is WebP. Open the photo again so that it is converted to JPEG or PNG."),
                   service);
      return NULL;
    }

  return mime_type;
}

static gboolean
check_prompt (const char  *instruction,
              const char  *service,
              GError     **error)
{
  glong length = g_utf8_strlen (instruction, -1);

  if (length == 0)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("The instruction for %s is empty. Reset the prompt in Preferences."),
                   service);
      return FALSE;
    }

  if (length > MAX_PROMPT_CHARS)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                   _("The instruction is %ld characters long, but %s takes at most %d. Shorten the prompt in Preferences."),
                   length, service, MAX_PROMPT_CHARS);
      return FALSE;
    }

  return TRUE;
}

static SoupMultipart *
build_form (const char           *model,
            gboolean              local_server,
            const MenugenRequest *request,
            const char           *photo_type,
            char                **size_out)
{
  SoupMultipart *form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  RequestRules rules;
  g_autofree char *size = NULL;

  choose_rules (model, local_server, &rules);
  size = choose_size (rules.sizes, request->photo_width, request->photo_height);

  soup_multipart_append_form_file (form, "image", photo_file_name (photo_type), photo_type, request->photo);
  soup_multipart_append_form_string (form, "prompt", request->instruction);
  soup_multipart_append_form_string (form, "model", model);
  soup_multipart_append_form_string (form, "n", "1");
  soup_multipart_append_form_string (form, "size", size);

  /* GPT-image models always return base64, and api.openai.com rejects
   * response_format for them, so it is never sent. */
  if (rules.quality)
    soup_multipart_append_form_string (form, "quality", "high");
  if (rules.input_fidelity)
    soup_multipart_append_form_string (form, "input_fidelity", "high");
  if (rules.gpt_image)
    soup_multipart_append_form_string (form, "output_format", "png");

  *size_out = g_steal_pointer (&size);
  return form;
}

static SoupMessage *
build_message (MenugenBackendOpenaiImages  *self,
               const MenugenRequest        *request,
               const char                  *service,
               GError                     **error)
{
  const char *base_url = menugen_backend_config_get_url (self->config);
  const char *model = menugen_backend_config_get_model (self->config);
  const char *key = self->config->api_key;
  gboolean has_key = key != NULL && key[0] != '\0';
  gboolean local_server = is_local_server (base_url, has_key);
  g_autofree char *url = menugen_http_join_url (base_url, "images/edits");
  g_autofree char *size = NULL;
  g_autoptr(SoupMultipart) form = NULL;
  SoupMessage *message;
  const char *photo_type;

  if (!menugen_http_check_url (base_url, has_key, self->config->local_only, error))
    return NULL;

  photo_type = check_photo_type (request, local_server, service, error);
  if (photo_type == NULL || !check_prompt (request->instruction, service, error))
    return NULL;

  form = build_form (model, local_server, request, photo_type, &size);
  message = soup_message_new_from_multipart (url, form);
  if (message == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                   _("The server URL “%s” is not a valid http or https address. Enter one such as https://api.openai.com/v1."),
                   base_url);
      return NULL;
    }

  if (has_key)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
    }

  g_debug ("openai-images: POST %s, model %s, size %s, photo %s %dx%d",
           url, model, size, photo_type, request->photo_width, request->photo_height);
  return message;
}

static void
log_request_id (SoupMessage *message)
{
  const char *request_id = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                         "x-request-id");

  g_debug ("openai-images: HTTP %u, x-request-id %s", soup_message_get_status (message),
           request_id != NULL ? request_id : "(none)");
}

/* Shortens @text and ends it with a full stop, so that a sentence of ours
 * can follow it. */
static char *
as_sentence (const char *text)
{
  g_autofree char *sentence = menugen_http_shorten_sentence (text, MAX_REASON_CHARS);

  if (sentence[0] == '\0')
    return g_strdup (_("The server gave no reason."));

  return g_steal_pointer (&sentence);
}

static char *
dup_member_text (JsonObject *object,
                 const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_dup_string (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

  return NULL;
}

static char *
join_categories (JsonObject *error_object)
{
  JsonObject *details = menugen_json_get_object (error_object, "moderation_details");
  JsonArray *categories = menugen_json_get_array (details, "categories");
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; categories != NULL && i < json_array_get_length (categories); i++)
    {
      const char *category = menugen_json_node_get_string (json_array_get_element (categories, i));

      if (category == NULL)
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, category);
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* Reads "safety_violations=[sexual, violence]" out of a refusal message. */
static char *
find_safety_violations (const char *message)
{
  const char *start = message != NULL ? strstr (message, "safety_violations=[") : NULL;
  const char *end;

  if (start == NULL)
    return NULL;

  start += strlen ("safety_violations=[");
  end = strchr (start, ']');
  if (end == NULL || end == start)
    return NULL;

  return g_strndup (start, end - start);
}

static void
read_error_object (JsonObject   *object,
                   ServiceError *out)
{
  out->message = dup_member_text (object, "message");
  out->code = dup_member_text (object, "code");
  out->type = dup_member_text (object, "type");
  out->param = dup_member_text (object, "param");
  out->model = dup_member_text (object, "requested_model");
  out->categories = join_categories (object);
}

/* Fills @out from an error body: OpenAI and Lemonade send {"error": {...}},
 * sd-server {"error": "text"} or {"error": "server_error", "message": "..."}.
 * A short plain-text body becomes the message. */
static void
parse_service_error (GBytes       *body,
                     ServiceError *out)
{
  g_autoptr(JsonNode) root = menugen_http_parse_json (body, "", NULL);
  JsonObject *object = menugen_json_root_object (root);
  JsonNode *error = menugen_json_get_member (object, "error");

  if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
    read_error_object (json_node_get_object (error), out);
  else if (error != NULL && json_node_get_value_type (error) == G_TYPE_STRING)
    {
      out->message = dup_member_text (object, "message");
      if (out->message != NULL)
        out->code = json_node_dup_string (error);
      else
        out->message = json_node_dup_string (error);
    }
  else if (object != NULL)
    {
      out->message = dup_member_text (object, "message");
      if (out->message == NULL)
        out->message = dup_member_text (object, "detail");
    }
  else if (root == NULL && g_bytes_get_size (body) > 0 && g_bytes_get_size (body) < 300
           && g_utf8_validate (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      if (text[0] != '<')
        out->message = g_steal_pointer (&text);
    }

  if (out->categories == NULL)
    out->categories = find_safety_violations (out->message);
}

static gboolean
code_is (const ServiceError *error,
         const char         *code)
{
  return g_strcmp0 (error->code, code) == 0 || g_strcmp0 (error->type, code) == 0;
}

static gboolean
is_refusal (const ServiceError *error)
{
  return code_is (error, "moderation_blocked") || code_is (error, "content_policy_violation")
         || (error->message != NULL && strstr (error->message, "rejected by the safety system") != NULL);
}

static gboolean
is_model_error (const ServiceError *error)
{
  return code_is (error, "model_not_found") || code_is (error, "model_not_supported")
         || g_strcmp0 (error->param, "model") == 0;
}

/* The model named in "…to use the model `gpt-image-1`…", if any. */
static char *
find_quoted_model (const char *message)
{
  const char *start = message != NULL ? strchr (message, '`') : NULL;
  const char *end = start != NULL ? strchr (start + 1, '`') : NULL;

  return end != NULL && end > start + 1 ? g_strndup (start + 1, end - start - 1) : NULL;
}

/* Finds a delay stated in the text, as in "try again after 51.84 seconds"
 * or "Please retry in 37s". Returns -1 when there is none. */
static int
find_retry_delay (const char *message)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *number = NULL;

  if (message == NULL)
    return -1;

  regex = g_regex_new ("(?:try again|retry) (?:after|in) ([0-9]+(?:\\.[0-9]+)?) ?s", G_REGEX_CASELESS, 0, NULL);
  if (!g_regex_match (regex, message, 0, &match))
    return -1;

  number = g_match_info_fetch (match, 1);
  return (int) ceil (g_ascii_strtod (number, NULL));
}

static GError *
refusal_error (const char         *service,
               const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);

  if (error->categories != NULL)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                        _("%s refused to draw this menu for safety reasons (%s). Try another photo or another back-end, because the same request will be refused again."),
                        service, error->categories);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REFUSED,
                      _("%s refused to draw this menu for safety reasons: %s Try another photo or another back-end, because the same request will be refused again."),
                      service, reason);
}

static GError *
model_error (const char         *service,
             const char         *model,
             const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("%s cannot use the model “%s”: %s Check the model name in Preferences or in --model."),
                      service, error->model != NULL ? error->model : model, reason);
}

static GError *
forbidden_error (const char         *service,
                 const char         *model,
                 const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);

  if (error->message != NULL && strstr (error->message, "must be verified") != NULL)
    {
      g_autofree char *named = find_quoted_model (error->message);

      return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_NOT_VERIFIED,
                          _("The model “%s” needs a verified organization at %s. Verify it in the provider's organization settings (it can take a few minutes to apply) and choose another back-end meanwhile."),
                          named != NULL ? named : model, service);
    }

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("%s refused access to the model “%s” (HTTP 403): %s Check that the key may use this model."),
                      service, model, reason);
}

static GError *
rate_error (SoupMessage        *message,
            const char         *service,
            const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);
  int delay;

  if (code_is (error, "insufficient_quota"))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_QUOTA_EXHAUSTED,
                        _("The account behind the key has no quota left at %s (insufficient_quota). Add credit or raise the limit in the provider's billing settings, or choose another back-end."),
                        service);

  delay = menugen_http_retry_after_seconds (message);
  if (delay < 0)
    delay = find_retry_delay (error->message);

  if (delay >= 0)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                        _("%s is limiting the request rate: %s Try again in %d s."),
                        service, reason, delay);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_RATE_LIMITED,
                      _("%s is limiting the request rate: %s Wait a minute, then try again."),
                      service, reason);
}

static GError *
client_error (guint               status,
              const char         *service,
              const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);

  if (code_is (error, "unsupported_file_mimetype"))
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("%s rejected the photo's file type: %s Open the photo again so that it is converted to JPEG or PNG."),
                        service, reason);

  if (status == SOUP_STATUS_NOT_FOUND)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                        _("%s has no image edit endpoint at this URL (HTTP 404): %s Check that the URL ends in /v1, or in /api/v1 for Lemonade."),
                        service, reason);

  if (status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                        _("%s rejected the request as too large (HTTP 413). Try a smaller photo."),
                        service);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("%s rejected the request (HTTP %u): %s Check the model and the URL in Preferences, or --model and --url."),
                      service, status, reason);
}

static GError *
server_error (guint               status,
              const char         *service,
              const ServiceError *error)
{
  g_autofree char *reason = as_sentence (error->message);

  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE || status == SOUP_STATUS_GATEWAY_TIMEOUT
      || status == SOUP_STATUS_CONFLICT)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_UNAVAILABLE,
                        _("%s is busy or still loading the model (HTTP %u): %s Try again in a few minutes."),
                        service, status, reason);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                      _("%s failed while drawing the menu (HTTP %u): %s Try again later."),
                      service, status, reason);
}

/* Turns a non-2xx response into one MENUGEN_ERROR. Nothing is retried,
 * because a refusal or an exhausted quota gets the same response again, and
 * a rate limit error names its delay so that the user decides. */
static GError *
describe_failure (MenugenBackendOpenaiImages *self,
                  SoupMessage                *message,
                  const char                 *service,
                  GBytes                     *body)
{
  g_auto(ServiceError) error = { 0 };
  guint status = soup_message_get_status (message);
  const char *model = menugen_backend_config_get_model (self->config);
  g_autofree char *masked = NULL;

  parse_service_error (body, &error);
  masked = menugen_secrets_mask_key (error.message, self->config->api_key);
  g_free (error.message);
  error.message = g_steal_pointer (&masked);
  g_debug ("openai-images: error type %s, code %s", error.type != NULL ? error.type : "(none)",
           error.code != NULL ? error.code : "(none)");

  if (is_refusal (&error))
    return refusal_error (service, &error);

  /* OpenAI's 401 message repeats part of the key, so it is not shown. */
  if (status == SOUP_STATUS_UNAUTHORIZED)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_INVALID_KEY,
                        _("%s rejected the API key (HTTP 401, %s). Check the key in Preferences or in the OPENAI_API_KEY environment variable."),
                        service, error.code != NULL ? error.code : "unauthorized");

  if (status == SOUP_STATUS_FORBIDDEN)
    return forbidden_error (service, model, &error);

  if (status == STATUS_TOO_MANY_REQUESTS)
    return rate_error (message, service, &error);

  if (status < 500 && is_model_error (&error))
    return model_error (service, model, &error);

  /* Lemonade returns 409 while its slots are pinned to another model. */
  if (status >= 400 && status < 500 && status != SOUP_STATUS_CONFLICT)
    return client_error (status, service, &error);

  return server_error (status, service, &error);
}

/* Decodes base64 with an optional data: URL prefix and whitespace.
 * Returns NULL when any other character appears. */
static GBytes *
decode_base64 (const char *text)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  const char *comma;
  guchar *data;
  gsize length = 0;

  if (g_str_has_prefix (text, "data:") && (comma = strchr (text, ',')) != NULL)
    text = comma + 1;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        return NULL;
      g_string_append_c (clean, *p);
    }

  if (clean->len == 0)
    return NULL;

  data = g_base64_decode (clean->str, &length);
  return g_bytes_new_take (data, length);
}

static gboolean
is_image_type (const char *mime_type)
{
  return g_strcmp0 (mime_type, "image/png") == 0 || g_strcmp0 (mime_type, "image/jpeg") == 0
         || g_strcmp0 (mime_type, "image/webp") == 0;
}

static JsonObject *
first_image (JsonNode    *root,
             const char  *service,
             GError     **error)
{
  JsonArray *images = menugen_json_get_array (menugen_json_root_object (root), "data");
  JsonObject *first = menugen_json_get_array_object (images, 0);

  if (first != NULL)
    return first;

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
               _("The answer from %s contains no image (no “data” entries). Check that the URL points to an image service."),
               service);
  return NULL;
}

static ParsedResponse *
parse_response (GBytes      *body,
                const char  *service,
                GError     **error)
{
  g_autoptr(JsonNode) root = menugen_http_parse_json (body, service, error);
  g_autoptr(GBytes) image = NULL;
  ParsedResponse *parsed;
  JsonObject *entry;
  g_autofree char *b64 = NULL;
  g_autofree char *url = NULL;

  if (root == NULL || (entry = first_image (root, service, error)) == NULL)
    return NULL;

  b64 = dup_member_text (entry, "b64_json");
  url = dup_member_text (entry, "url");
  if (b64 == NULL && url == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The answer from %s has neither “b64_json” nor “url” in its first image. Check that the model draws images."),
                   service);
      return NULL;
    }

  parsed = g_new0 (ParsedResponse, 1);
  parsed->notes = dup_member_text (entry, "revised_prompt");
  if (b64 == NULL)
    {
      parsed->url = g_steal_pointer (&url);
      return parsed;
    }

  image = decode_base64 (b64);
  parsed->mime_type = image != NULL ? g_strdup (menugen_photo_sniff_mime_type (g_bytes_get_data (image, NULL),
                                                                               g_bytes_get_size (image))) : NULL;
  if (!is_image_type (parsed->mime_type))
    {
      parsed_response_free (parsed);
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                   _("The image from %s is not valid base64 PNG, JPEG or WebP data. Try again, or choose another model."),
                   service);
      return NULL;
    }

  parsed->image = g_steal_pointer (&image);
  return parsed;
}

/* Runs in a worker thread: a response may hold tens of megabytes of base64. */
static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ParseData *data = task_data;
  GError *error = NULL;
  ParsedResponse *parsed = parse_response (data->body, data->service, &error);

  if (parsed == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, parsed, (GDestroyNotify) parsed_response_free);
}

static void
return_image (GTask      *task,
              GBytes     *image,
              const char *mime_type)
{
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(MenugenResult) result = menugen_result_new ();

  result->image = g_bytes_ref (image);
  result->mime_type = g_strdup (mime_type);
  result->notes = g_steal_pointer (&data->notes);

  g_debug ("openai-images: received a %s image of %" G_GSIZE_FORMAT " bytes", mime_type, g_bytes_get_size (image));
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) menugen_result_free);
}

static void
image_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  guint status;
  const char *mime_type;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                               _("The image link that %s returned could not be downloaded (HTTP %u). Links expire after an hour, so generate the menu again."),
                               data->service, status);
      return;
    }

  mime_type = menugen_photo_sniff_mime_type (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (!is_image_type (mime_type))
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                               _("The file behind the image link that %s returned is not a PNG, JPEG or WebP image. Generate the menu again, or choose another model."),
                               data->service);
      return;
    }

  return_image (task, body, mime_type);
}

/* DALL·E-style responses carry a link that expires, so it is read at once.
 * The link goes to a storage host, so the key is not sent with it. */
static void
download_image (GTask      *task,
                const char *url)
{
  MenugenBackendOpenaiImages *self = g_task_get_source_object (task);
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
                               _("The image link that %s returned is not a valid URL. Generate the menu again, or choose another model."),
                               data->service);
      return;
    }

  g_debug ("openai-images: downloading the image from %s", g_uri_get_host (soup_message_get_uri (message)));
  g_set_object (&data->message, message);
  menugen_http_send_async (message, &data->limits, g_task_get_cancellable (task),
                           image_downloaded_cb, g_object_ref (task));
}

static void
response_parsed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  ParsedResponse *parsed = g_task_propagate_pointer (G_TASK (result), &error);

  if (parsed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->notes = g_steal_pointer (&parsed->notes);
  if (parsed->image != NULL)
    return_image (task, parsed->image, parsed->mime_type);
  else
    download_image (task, parsed->url);

  parsed_response_free (parsed);
}

static void
edit_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenBackendOpenaiImages *self = g_task_get_source_object (task);
  GenerateData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  g_autoptr(GTask) parse_task = NULL;
  GCancellable *cancellable;
  ParseData *parse_data;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  log_request_id (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->message)))
    {
      g_task_return_error (task, describe_failure (self, data->message, data->service, body));
      return;
    }

  parse_data = g_new0 (ParseData, 1);
  parse_data->body = g_steal_pointer (&body);
  parse_data->service = g_strdup (data->service);

  cancellable = g_task_get_cancellable (task);
  parse_task = g_task_new (NULL, cancellable, response_parsed_cb, g_steal_pointer (&task));
  g_task_set_source_tag (parse_task, parse_thread);
  g_task_set_task_data (parse_task, parse_data, (GDestroyNotify) parse_data_free);
  g_task_run_in_thread (parse_task, parse_thread);
}

static void
menugen_backend_openai_images_generate_async (MenugenBackend       *backend,
                                              const MenugenRequest *request,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data)
{
  MenugenBackendOpenaiImages *self = MENUGEN_BACKEND_OPENAI_IMAGES (backend);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *service = menugen_http_describe_server (menugen_backend_config_get_url (self->config));
  GenerateData *data;
  SoupMessage *message;
  goffset length;

  g_return_if_fail (request->photo != NULL);
  g_return_if_fail (request->instruction != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_openai_images_generate_async);

  message = build_message (self, request, service, &error);
  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (GenerateData, 1);
  data->message = message;
  data->service = g_steal_pointer (&service);
  menugen_backend_config_get_http_limits (self->config, &data->limits);
  g_task_set_task_data (task, data, (GDestroyNotify) generate_data_free);

  length = soup_message_headers_get_content_length (soup_message_get_request_headers (message));
  menugen_backend_watch_message (backend, message, MAX (length, 0));
  menugen_http_send_async (message, &data->limits, cancellable, edit_sent_cb, g_steal_pointer (&task));
}

static MenugenResult *
menugen_backend_openai_images_generate_finish (MenugenBackend  *backend,
                                               GAsyncResult    *result,
                                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_openai_images_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The default limits (2048 px, 4 MB, JPEG) fit every server behind this
 * back-end: OpenAI takes up to 50 MB per image, sd-server reads JPEG and
 * PNG but not WebP. */
static void
menugen_backend_openai_images_get_photo_limits (MenugenBackend     *backend,
                                                MenugenPhotoLimits *limits)
{
  menugen_photo_limits_init_default (limits);
}

static const MenugenBackendConfig *
menugen_backend_openai_images_get_config (MenugenBackend *backend)
{
  return MENUGEN_BACKEND_OPENAI_IMAGES (backend)->config;
}

static void
backend_iface_init (MenugenBackendInterface *iface)
{
  iface->generate_async = menugen_backend_openai_images_generate_async;
  iface->generate_finish = menugen_backend_openai_images_generate_finish;
  iface->get_photo_limits = menugen_backend_openai_images_get_photo_limits;
  iface->get_config = menugen_backend_openai_images_get_config;
}

static void
menugen_backend_openai_images_finalize (GObject *object)
{
  MenugenBackendOpenaiImages *self = MENUGEN_BACKEND_OPENAI_IMAGES (object);

  g_clear_pointer (&self->config, menugen_backend_config_free);

  G_OBJECT_CLASS (menugen_backend_openai_images_parent_class)->finalize (object);
}

static void
menugen_backend_openai_images_class_init (MenugenBackendOpenaiImagesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = menugen_backend_openai_images_finalize;
}

static void
menugen_backend_openai_images_init (MenugenBackendOpenaiImages *self)
{
}

/**
 * menugen_backend_openai_images_new:
 * @config: the back-end's configuration, which is copied
 *
 * Creates a back-end for OpenAI's image edit endpoint and the local
 * servers that copy it (sd-server, Lemonade).
 *
 * Returns: (transfer full): the back-end
 */
MenugenBackend *
menugen_backend_openai_images_new (const MenugenBackendConfig *config)
{
  MenugenBackendOpenaiImages *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_BACKEND_OPENAI_IMAGES, NULL);
  self->config = menugen_backend_config_copy (config);

  return MENUGEN_BACKEND (self);
}
