/* A strict fake of POST /v1/images/edits in three flavours: api.openai.com,
 * stable-diffusion.cpp's sd-server and AMD Lemonade (/api/v1/images/edits).
 * Each request is checked the way the real server checks it, and a request
 * the real server would reject gets the real server's error and a recorded
 * violation. Accepted requests get the scenario's response:
 *
 * Scenario                                       Flavour   Response
 * openai-images-success-full                     openai    200, fixture with a 1024x1024 PNG
 * openai-images-success-no-format-fields         openai    200, fixture with a 1024x1536 PNG
 * openai-dalle3-url-response                     openai    200, fixture whose url points to
 *                                                          /files/menu.png on this fake
 * url-expired                                    openai    200, the same with a link that
 *                                                          returns 403 like an expired one
 * openai-error-moderation-blocked                openai    400, fixture
 * openai-error-moderation-blocked-azure-gateway  openai    400, fixture
 * openai-error-unsupported-mimetype              openai    400, fixture
 * openai-error-org-not-verified                  openai    403, fixture
 * openai-error-rate-limit-images                 openai    429, fixture, retry-after: 20
 * rate-limit-in-message                          openai    429, "try again after 51.84 seconds"
 *                                                          in the message, no header
 * insufficient-quota                             openai    429, OpenAI's insufficient_quota body
 * success-portrait                               openai    200, a real 1024x1536 PNG
 * illustrated                                    openai    200, a fake illustrated menu drawn
 *                                                          around the uploaded photo, at the
 *                                                          requested size (1024x1536 for auto)
 * slow                                           openai    200 after 3 s
 * no-data                                        openai    200 without "data"
 * empty-data                                     openai    200 with "data": []
 * bad-base64                                     openai    200 with b64_json that is not base64
 * sdcpp-openai-edit-success                      sdcpp     200, fixture with a 768x1024 PNG
 * sdcpp-openai-error-string                      sdcpp     400, fixture ("error" is a string)
 * sdcpp-openai-error-exception                   sdcpp     500, fixture
 * sdcpp-illustrated                              sdcpp     200, as "illustrated", in sd-server's
 *                                                          shape with output_format
 * lemonade-success                               lemonade  200, OpenAI shape with a 64x64 PNG
 * lemonade-error-model-not-found                 lemonade  404, fixture
 *
 * The openai flavour needs "Authorization: Bearer <fake key>"; sd-server and
 * Lemonade take no key. A Lemonade scenario moves the base URL to /api/v1
 * when the fake starts. The streaming and Responses API fixtures belong to
 * other endpoints and are not served here. A success fixture's 1x1 PNG stub
 * is replaced by a PNG of the size above, as a job rejects images under 64
 * pixels on either side. */

#include <string.h>

#include "fake-server.h"

#define MAX_PROMPT_CHARS 32000
#define RATE_LIMIT_RETRY_AFTER "20"
#define SLOW_REPLY_MS 3000
#define ILLUSTRATED_DEFAULT_WIDTH 1024
#define ILLUSTRATED_DEFAULT_HEIGHT 1536
#define DOWNLOAD_PATH "/files/menu.png"
#define EXPIRED_PATH "/files/expired.png"

/* What Azure Blob Storage returns for a link whose signature has expired. */
#define EXPIRED_BODY "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>" \
  "<Message>Signed expiry time has to be after signed start time</Message></Error>"

typedef enum {
  FLAVOUR_OPENAI,
  FLAVOUR_SDCPP,
  FLAVOUR_LEMONADE,
} Flavour;

typedef struct {
  const char *name;
  Flavour flavour;
  guint status;
  const char *fixture;                   /* body from tests/fixtures, or NULL */
  char *(*build_body) (FakeServer *fake); /* body made on the spot, or NULL */
} Scenario;

/* The text fields and the one image part of a multipart edit request. */
typedef struct {
  GHashTable *fields;
  guint image_count;
  char *image_field;
  char *image_filename;
  char *image_type;
  GBytes *image;
} EditForm;

/* Replies held back by the "slow" scenario, dropped when the fake is freed,
 * and the photo and size of the latest accepted request. */
typedef struct {
  GPtrArray *pending;
  GBytes *photo;
  char *size;
} FakeOpenai;

typedef struct {
  FakeOpenai *owner;
  SoupServerMessage *message;
  char *body;
  guint timeout_id;
} PendingReply;

static char *build_url_response (FakeServer *fake);
static char *build_expired_url_response (FakeServer *fake);
static char *build_portrait (FakeServer *fake);
static char *build_small_success (FakeServer *fake);
static char *build_rate_limit_in_message (FakeServer *fake);
static char *build_insufficient_quota (FakeServer *fake);
static char *build_no_data (FakeServer *fake);
static char *build_empty_data (FakeServer *fake);
static char *build_bad_base64 (FakeServer *fake);
static char *build_illustrated (FakeServer *fake);
static char *build_sdcpp_illustrated (FakeServer *fake);

static const Scenario scenarios[] = {
  { "openai-images-success-full", FLAVOUR_OPENAI, 200, "openai-images-success-full", NULL },
  { "openai-images-success-no-format-fields", FLAVOUR_OPENAI, 200, "openai-images-success-no-format-fields", NULL },
  { "openai-dalle3-url-response", FLAVOUR_OPENAI, 200, NULL, build_url_response },
  { "url-expired", FLAVOUR_OPENAI, 200, NULL, build_expired_url_response },
  { "openai-error-moderation-blocked", FLAVOUR_OPENAI, 400, "openai-error-moderation-blocked", NULL },
  { "openai-error-moderation-blocked-azure-gateway", FLAVOUR_OPENAI, 400, "openai-error-moderation-blocked-azure-gateway", NULL },
  { "openai-error-unsupported-mimetype", FLAVOUR_OPENAI, 400, "openai-error-unsupported-mimetype", NULL },
  { "openai-error-org-not-verified", FLAVOUR_OPENAI, 403, "openai-error-org-not-verified", NULL },
  { "openai-error-rate-limit-images", FLAVOUR_OPENAI, 429, "openai-error-rate-limit-images", NULL },
  { "rate-limit-in-message", FLAVOUR_OPENAI, 429, NULL, build_rate_limit_in_message },
  { "insufficient-quota", FLAVOUR_OPENAI, 429, NULL, build_insufficient_quota },
  { "success-portrait", FLAVOUR_OPENAI, 200, NULL, build_portrait },
  { "slow", FLAVOUR_OPENAI, 200, NULL, build_small_success },
  { "no-data", FLAVOUR_OPENAI, 200, NULL, build_no_data },
  { "empty-data", FLAVOUR_OPENAI, 200, NULL, build_empty_data },
  { "bad-base64", FLAVOUR_OPENAI, 200, NULL, build_bad_base64 },
  { "illustrated", FLAVOUR_OPENAI, 200, NULL, build_illustrated },
  { "sdcpp-openai-edit-success", FLAVOUR_SDCPP, 200, "sdcpp-openai-edit-success", NULL },
  { "sdcpp-openai-error-string", FLAVOUR_SDCPP, 400, "sdcpp-openai-error-string", NULL },
  { "sdcpp-openai-error-exception", FLAVOUR_SDCPP, 500, "sdcpp-openai-error-exception", NULL },
  { "sdcpp-illustrated", FLAVOUR_SDCPP, 200, NULL, build_sdcpp_illustrated },
  { "lemonade-success", FLAVOUR_LEMONADE, 200, NULL, build_small_success },
  { "lemonade-error-model-not-found", FLAVOUR_LEMONADE, 404, "lemonade-error-model-not-found", NULL },
};

/* Every field of OpenAI's image edit parameters; any other name is an
 * "Unknown parameter" there. */
static const char * const openai_fields[] = {
  "image", "image[]", "mask", "prompt", "model", "n", "size", "quality", "background",
  "output_format", "output_compression", "input_fidelity", "partial_images", "stream",
  "response_format", "user", NULL,
};

static const Scenario *
find_scenario (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
    if (g_strcmp0 (scenarios[i].name, name) == 0)
      return &scenarios[i];

  return NULL;
}

static guint
get_port (FakeServer *fake)
{
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (fake), G_URI_FLAGS_NONE, NULL);

  return g_uri_get_port (uri);
}

/* The DALL·E fixture with its storage link pointed at @path on this fake. */
static char *
build_link_response (FakeServer *fake,
                     const char *path)
{
  g_autoptr(GBytes) fixture = fake_load_fixture ("openai-dalle3-url-response");
  g_autofree char *text = g_strndup (g_bytes_get_data (fixture, NULL), g_bytes_get_size (fixture));
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", get_port (fake), path);
  g_autoptr(GRegex) regex = g_regex_new ("https://oaidalleapiprodscus[^\"]*", 0, 0, NULL);

  return g_regex_replace_literal (regex, text, -1, 0, url, 0, NULL);
}

static char *
build_url_response (FakeServer *fake)
{
  return build_link_response (fake, DOWNLOAD_PATH);
}

static char *
build_expired_url_response (FakeServer *fake)
{
  return build_link_response (fake, EXPIRED_PATH);
}

static char *
build_portrait (FakeServer *fake)
{
  return fake_fixture_with_image ("openai-images-success-no-format-fields", NULL, 1024, 1536);
}

/* The size "openai-images-success-full" declares, gpt-image-1's portrait
 * size, and a size sd-server picks for a 3:4 photo. */
static void
get_fixture_image_size (const Scenario *scenario,
                        int            *width,
                        int            *height)
{
  *width = scenario->flavour == FLAVOUR_SDCPP ? 768 : 1024;
  *height = scenario->flavour == FLAVOUR_SDCPP ? 1024 : 1536;

  if (g_str_equal (scenario->name, "openai-images-success-full"))
    *height = 1024;
}

static char *
build_small_success (FakeServer *fake)
{
  g_autofree char *png = fake_make_png_base64 (64, 64);

  return g_strdup_printf ("{\"created\": 1775401215, \"data\": [{\"b64_json\": \"%s\"}]}", png);
}

/* The plain-text form logged by a gpt-image-1 client, put in the envelope. */
static char *
build_rate_limit_in_message (FakeServer *fake)
{
  return g_strdup ("{\"error\": {\"message\": \"You've exceeded the rate limit, please slow down and try again after 51.84 seconds.\", "
                   "\"type\": \"requests\", \"param\": null, \"code\": \"rate_limit_exceeded\"}}");
}

static char *
build_insufficient_quota (FakeServer *fake)
{
  return g_strdup ("{\"error\": {\"message\": \"You exceeded your current quota, please check your plan and billing details.\", "
                   "\"type\": \"insufficient_quota\", \"param\": null, \"code\": \"insufficient_quota\"}}");
}

static char *
build_no_data (FakeServer *fake)
{
  return g_strdup ("{\"created\": 1713833628, \"usage\": {\"total_tokens\": 100}}");
}

static char *
build_empty_data (FakeServer *fake)
{
  return g_strdup ("{\"created\": 1713833628, \"data\": []}");
}

static char *
build_bad_base64 (FakeServer *fake)
{
  return g_strdup ("{\"created\": 1713833628, \"data\": [{\"b64_json\": \"this is not base64 at all!\"}]}");
}

static gboolean parse_size (const char *size,
                            int        *width,
                            int        *height);

/* Draws the fake illustrated menu as base64 PNG at the requested size,
 * because OpenAI and sd-server both return that size. */
static char *
make_illustrated_base64 (FakeServer *fake,
                         int        *width,
                         int        *height)
{
  FakeOpenai *state = fake_server_get_data (fake);
  g_autoptr(GBytes) png = NULL;

  if (state->size == NULL || !parse_size (state->size, width, height))
    {
      *width = ILLUSTRATED_DEFAULT_WIDTH;
      *height = ILLUSTRATED_DEFAULT_HEIGHT;
    }

  png = fake_make_illustrated_menu (state->photo, *width, *height);
  fake_server_set_image_size (fake, *width, *height);
  return g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
}

static char *
build_illustrated (FakeServer *fake)
{
  int width = 0;
  int height = 0;
  g_autofree char *png = make_illustrated_base64 (fake, &width, &height);

  return g_strdup_printf ("{\"created\": 1775401215, \"background\": \"opaque\", \"data\": [{\"b64_json\": \"%s\"}], "
                          "\"output_format\": \"png\", \"quality\": \"medium\", \"size\": \"%dx%d\", "
                          "\"usage\": {\"input_tokens\": 1290, \"output_tokens\": 1056, \"total_tokens\": 2346}}",
                          png, width, height);
}

static char *
build_sdcpp_illustrated (FakeServer *fake)
{
  int width = 0;
  int height = 0;
  g_autofree char *png = make_illustrated_base64 (fake, &width, &height);

  return g_strdup_printf ("{\"created\": 1775401215, \"data\": [{\"b64_json\": \"%s\"}], \"output_format\": \"png\"}", png);
}

static char *
openai_error_json (const char *message,
                   const char *type,
                   const char *param,
                   const char *code)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "param");
  if (param != NULL)
    json_builder_add_string_value (builder, param);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "code");
  if (code != NULL)
    json_builder_add_string_value (builder, code);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
sdcpp_error_json (const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Rejects a request with a 400 in the flavour's own error shape. */
static void
reject (FakeServer        *fake,
        SoupServerMessage *message,
        const Scenario    *scenario,
        const char        *param,
        const char        *code,
        const char        *text)
{
  g_autofree char *json = NULL;

  if (scenario->flavour == FLAVOUR_SDCPP)
    json = sdcpp_error_json (text);
  else
    json = openai_error_json (text, "invalid_request_error", param, code);

  fake_reply_error (fake, message, 400, json, "%s: %s", scenario->name, text);
}

static void
edit_form_free (EditForm *form)
{
  g_clear_pointer (&form->fields, g_hash_table_unref);
  g_clear_pointer (&form->image, g_bytes_unref);
  g_free (form->image_field);
  g_free (form->image_filename);
  g_free (form->image_type);
  g_free (form);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EditForm, edit_form_free)

static const char *
sniff_image (GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  if (length >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (length >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    return "image/jpeg";
  if (length >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";

  return NULL;
}

static void
read_part (EditForm           *form,
           SoupMessageHeaders *headers,
           GBytes             *body)
{
  g_autoptr(GHashTable) params = NULL;
  const char *name;
  const char *filename;

  if (!soup_message_headers_get_content_disposition (headers, NULL, &params))
    return;

  name = g_hash_table_lookup (params, "name");
  filename = g_hash_table_lookup (params, "filename");
  if (name == NULL)
    return;

  if (g_str_equal (name, "image") || g_str_equal (name, "image[]"))
    {
      form->image_count++;
      if (form->image != NULL)
        return;
      form->image_field = g_strdup (name);
      form->image_filename = g_strdup (filename);
      form->image_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
      form->image = g_bytes_ref (body);
      return;
    }

  g_hash_table_replace (form->fields, g_strdup (name),
                        g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)));
}

static EditForm *
parse_form (FakeServer        *fake,
            SoupServerMessage *message,
            const Scenario    *scenario,
            GBytes            *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(GHashTable) params = NULL;
  const char *content_type = soup_message_headers_get_content_type (headers, &params);
  g_autoptr(SoupMultipart) multipart = NULL;
  EditForm *form;

  if (g_strcmp0 (content_type, "multipart/form-data") != 0 || params == NULL
      || g_hash_table_lookup (params, "boundary") == NULL)
    {
      reject (fake, message, scenario, NULL, "invalid_request_error",
              "Content-Type must be multipart/form-data");
      return NULL;
    }

  multipart = soup_multipart_new_from_message (headers, body);
  if (multipart == NULL)
    {
      reject (fake, message, scenario, NULL, "invalid_request_error", "invalid multipart body");
      return NULL;
    }

  form = g_new0 (EditForm, 1);
  form->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *part_headers = NULL;
      GBytes *part_body = NULL;

      if (soup_multipart_get_part (multipart, i, &part_headers, &part_body))
        read_part (form, part_headers, part_body);
    }

  return form;
}

static gboolean
is_allowed_image_type (const char *type)
{
  return g_strcmp0 (type, "image/png") == 0 || g_strcmp0 (type, "image/jpeg") == 0
         || g_strcmp0 (type, "image/webp") == 0;
}

/* The image part needs a filename and a real image type, or OpenAI returns
 * unsupported_file_mimetype. Its bytes must be of that type. */
static gboolean
check_image (FakeServer        *fake,
             SoupServerMessage *message,
             const Scenario    *scenario,
             EditForm          *form)
{
  g_autoptr(GBytes) mimetype_error = NULL;
  g_autofree char *mimetype_json = NULL;
  const char *actual;

  if (form->image == NULL)
    {
      reject (fake, message, scenario, "image", "missing_required_parameter",
              scenario->flavour == FLAVOUR_SDCPP ? "at least one image[] required"
                                                 : "Missing required parameter: 'image'.");
      return FALSE;
    }

  if (form->image_filename == NULL || !is_allowed_image_type (form->image_type))
    {
      mimetype_error = fake_load_fixture ("openai-error-unsupported-mimetype");
      mimetype_json = g_strndup (g_bytes_get_data (mimetype_error, NULL), g_bytes_get_size (mimetype_error));
      fake_reply_error (fake, message, 400, mimetype_json,
                        "%s: image part has filename %s and type %s", scenario->name,
                        form->image_filename != NULL ? form->image_filename : "(none)",
                        form->image_type != NULL ? form->image_type : "(none)");
      return FALSE;
    }

  actual = sniff_image (form->image);
  if (g_strcmp0 (actual, form->image_type) != 0
      || (scenario->flavour == FLAVOUR_SDCPP && g_str_equal (form->image_type, "image/webp")))
    {
      /* sd-server skips images it cannot decode, then finds none. */
      reject (fake, message, scenario, "image", "invalid_image_file",
              scenario->flavour == FLAVOUR_SDCPP ? "at least one image[] required"
                                                 : "Invalid image file or mode for image 1, please check your image file.");
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_size (const char *size,
            int        *width,
            int        *height)
{
  char *end = NULL;

  *width = (int) g_ascii_strtoll (size, &end, 10);
  if (end == NULL || *end != 'x')
    return FALSE;

  *height = (int) g_ascii_strtoll (end + 1, &end, 10);
  return *end == '\0' && *width > 0 && *height > 0;
}

/* Sizes from OpenAI's image edit parameters: three fixed sizes for
 * gpt-image-1*, any WxH in multiples of 16 for gpt-image-2 (aspect 1:3 to
 * 3:1, at most 3840x2160 pixels), squares for dall-e-2. */
static gboolean
openai_size_is_valid (const char *model,
                      const char *size)
{
  int width = 0;
  int height = 0;

  if (g_str_equal (size, "auto"))
    return !g_str_has_prefix (model, "dall-e");

  if (g_str_has_prefix (model, "dall-e-2"))
    return g_str_equal (size, "256x256") || g_str_equal (size, "512x512") || g_str_equal (size, "1024x1024");

  if (g_str_has_prefix (model, "gpt-image-2"))
    return parse_size (size, &width, &height) && width % 16 == 0 && height % 16 == 0
           && width <= 3 * height && height <= 3 * width && MAX (width, height) <= 3840
           && (gint64) width * height <= (gint64) 3840 * 2160;

  return g_str_equal (size, "1024x1024") || g_str_equal (size, "1024x1536") || g_str_equal (size, "1536x1024");
}

static gboolean
check_prompt (FakeServer        *fake,
              SoupServerMessage *message,
              const Scenario    *scenario,
              EditForm          *form)
{
  const char *prompt = g_hash_table_lookup (form->fields, "prompt");

  if (prompt == NULL || prompt[0] == '\0')
    {
      reject (fake, message, scenario, "prompt", "missing_required_parameter",
              scenario->flavour == FLAVOUR_SDCPP ? "prompt required" : "Missing required parameter: 'prompt'.");
      return FALSE;
    }

  if (g_utf8_strlen (prompt, -1) > MAX_PROMPT_CHARS)
    {
      reject (fake, message, scenario, "prompt", "string_above_max_length",
              "Invalid 'prompt': string too long. Expected a string with maximum length 32000.");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_openai_fields (FakeServer        *fake,
                     SoupServerMessage *message,
                     const Scenario    *scenario,
                     EditForm          *form)
{
  const char *model = g_hash_table_lookup (form->fields, "model");
  const char *size = g_hash_table_lookup (form->fields, "size");
  const char *quality = g_hash_table_lookup (form->fields, "quality");
  const char *format = g_hash_table_lookup (form->fields, "output_format");
  gboolean gpt_image = model != NULL && g_str_has_prefix (model, "gpt-image-");
  GHashTableIter iter;
  const char *name;

  g_hash_table_iter_init (&iter, form->fields);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    if (!g_strv_contains (openai_fields, name))
      {
        g_autofree char *text = g_strdup_printf ("Unknown parameter: '%s'.", name);

        reject (fake, message, scenario, name, "unknown_parameter", text);
        return FALSE;
      }

  if (gpt_image && g_hash_table_contains (form->fields, "response_format"))
    {
      reject (fake, message, scenario, "response_format", "unknown_parameter",
              "Unknown parameter: 'response_format'.");
      return FALSE;
    }

  if (g_hash_table_contains (form->fields, "input_fidelity")
      && (!gpt_image || g_str_has_prefix (model, "gpt-image-1-mini")))
    {
      reject (fake, message, scenario, "input_fidelity", "invalid_value",
              "Invalid value for 'input_fidelity': this model does not support it.");
      return FALSE;
    }

  if (size != NULL && !openai_size_is_valid (model, size))
    {
      g_autofree char *text = g_strdup_printf ("Invalid value: '%s'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.", size);

      reject (fake, message, scenario, "size", "invalid_value", text);
      return FALSE;
    }

  if (quality != NULL && !g_strv_contains ((const char * const[]) { "standard", "low", "medium", "high", "auto", NULL }, quality))
    {
      reject (fake, message, scenario, "quality", "invalid_value", "Invalid value for 'quality'.");
      return FALSE;
    }

  if (format != NULL && (!gpt_image || !g_strv_contains ((const char * const[]) { "png", "jpeg", "webp", NULL }, format)))
    {
      reject (fake, message, scenario, "output_format", "invalid_value",
              "Invalid value for 'output_format': only GPT image models take png, jpeg or webp.");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_local_fields (FakeServer        *fake,
                    SoupServerMessage *message,
                    const Scenario    *scenario,
                    EditForm          *form)
{
  const char *size = g_hash_table_lookup (form->fields, "size");
  const char *format = g_hash_table_lookup (form->fields, "output_format");
  const char *response_format = g_hash_table_lookup (form->fields, "response_format");
  int width = 0;
  int height = 0;

  /* sd-server diffuses at the photo's own size when no size is given,
   * which is slow and often too large, but it is not an error there. */
  if (size == NULL && scenario->flavour == FLAVOUR_SDCPP)
    fake_server_add_violation (fake, "%s: no size sent, so sd-server would use the photo's size", scenario->name);

  if (size != NULL && !parse_size (size, &width, &height))
    {
      reject (fake, message, scenario, "size", "invalid_value", "invalid params");
      return FALSE;
    }

  if (format != NULL && !g_strv_contains ((const char * const[]) { "png", "jpeg", NULL }, format))
    {
      reject (fake, message, scenario, "output_format", "invalid_value", "invalid output_format");
      return FALSE;
    }

  if (scenario->flavour == FLAVOUR_LEMONADE && response_format != NULL && !g_str_equal (response_format, "b64_json"))
    {
      reject (fake, message, scenario, "response_format", "invalid_value", "Only b64_json response_format is supported");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_fields (FakeServer        *fake,
              SoupServerMessage *message,
              const Scenario    *scenario,
              EditForm          *form)
{
  const char *n = g_hash_table_lookup (form->fields, "n");

  if (!check_prompt (fake, message, scenario, form))
    return FALSE;

  /* sd-server ignores the model, but OpenAI and Lemonade need one. */
  if (scenario->flavour != FLAVOUR_SDCPP && g_hash_table_lookup (form->fields, "model") == NULL)
    {
      reject (fake, message, scenario, "model", "missing_required_parameter", "Missing required parameter: 'model'.");
      return FALSE;
    }

  if (n != NULL && (g_ascii_strtoll (n, NULL, 10) < 1 || g_ascii_strtoll (n, NULL, 10) > 10))
    {
      reject (fake, message, scenario, "n", "invalid_value", "n must be between 1 and 10");
      return FALSE;
    }

  if (scenario->flavour == FLAVOUR_OPENAI)
    return check_openai_fields (fake, message, scenario, form);

  return check_local_fields (fake, message, scenario, form);
}

/* OpenAI rejects a wrong key with a message that shows part of the key,
 * so the client must not pass that message on. */
static gboolean
check_auth (FakeServer        *fake,
            SoupServerMessage *message,
            const Scenario    *scenario)
{
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                            "Authorization");
  g_autofree char *expected = g_strconcat ("Bearer ", fake_server_get_key (fake), NULL);
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  const char *sent;
  gsize length;

  if (scenario->flavour != FLAVOUR_OPENAI || g_strcmp0 (authorization, expected) == 0)
    return TRUE;

  if (authorization == NULL || !g_str_has_prefix (authorization, "Bearer "))
    {
      json = openai_error_json ("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                                "invalid_request_error", NULL, NULL);
      fake_reply_error (fake, message, 401, json, "%s: no bearer key", scenario->name);
      return FALSE;
    }

  sent = authorization + strlen ("Bearer ");
  length = strlen (sent);
  text = g_strdup_printf ("Incorrect API key provided: %.*s****%s. You can find your API key at https://platform.openai.com/account/api-keys.",
                          (int) MIN (length, 3), sent, length > 7 ? sent + length - 4 : "");
  json = openai_error_json (text, "invalid_request_error", NULL, "invalid_api_key");
  fake_reply_error (fake, message, 401, json, "%s: wrong key", scenario->name);
  return FALSE;
}

static gboolean
check_route (FakeServer        *fake,
             SoupServerMessage *message,
             const Scenario    *scenario,
             const char        *path)
{
  const char *method = soup_server_message_get_method (message);

  /* Lemonade serves both /api/v1 and /v1; the others serve /v1 only. */
  if (g_str_has_prefix (path, "/api/") && scenario->flavour != FLAVOUR_LEMONADE)
    {
      g_autofree char *json = openai_error_json ("Invalid URL (POST /api/v1/images/edits)", "invalid_request_error", NULL, NULL);

      fake_reply_error (fake, message, 404, json, "%s: path %s", scenario->name, path);
      return FALSE;
    }

  if (g_strcmp0 (method, SOUP_METHOD_POST) != 0)
    {
      g_autofree char *text = g_strdup_printf ("Invalid URL (%s %s)", method, path);
      g_autofree char *json = openai_error_json (text, "invalid_request_error", NULL, NULL);

      fake_reply_error (fake, message, 405, json, "%s: method %s", scenario->name, method);
      return FALSE;
    }

  return TRUE;
}

static void
pending_reply_free (PendingReply *reply)
{
  g_clear_handle_id (&reply->timeout_id, g_source_remove);
  g_object_unref (reply->message);
  g_free (reply->body);
  g_free (reply);
}

static gboolean
pending_reply_cb (gpointer user_data)
{
  PendingReply *reply = user_data;

  reply->timeout_id = 0;
  fake_reply_json (reply->message, 200, reply->body);
  soup_server_message_unpause (reply->message);
  g_ptr_array_remove (reply->owner->pending, reply);

  return G_SOURCE_REMOVE;
}

static void
fake_openai_free (FakeOpenai *state)
{
  g_ptr_array_unref (state->pending);
  g_clear_pointer (&state->photo, g_bytes_unref);
  g_free (state->size);
  g_free (state);
}

static void
remember_request (FakeServer *fake,
                  EditForm   *form)
{
  FakeOpenai *state = fake_server_get_data (fake);

  g_clear_pointer (&state->photo, g_bytes_unref);
  state->photo = g_bytes_ref (form->image);
  g_free (state->size);
  state->size = g_strdup (g_hash_table_lookup (form->fields, "size"));
}

static void
reply_later (FakeServer        *fake,
             SoupServerMessage *message,
             char              *body)
{
  FakeOpenai *state = fake_server_get_data (fake);
  PendingReply *reply = g_new0 (PendingReply, 1);

  reply->owner = state;
  reply->message = g_object_ref (message);
  reply->body = body;
  reply->timeout_id = g_timeout_add (SLOW_REPLY_MS, pending_reply_cb, reply);
  g_ptr_array_add (state->pending, reply);
  soup_server_message_pause (message);
}

static void
reply_scenario (FakeServer        *fake,
                SoupServerMessage *message,
                const Scenario    *scenario)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autofree char *body = NULL;

  if (scenario->flavour == FLAVOUR_OPENAI)
    soup_message_headers_replace (headers, "x-request-id", "req_fake0123456789");
  if (scenario->status == 429 && scenario->fixture != NULL)
    soup_message_headers_replace (headers, "retry-after", RATE_LIMIT_RETRY_AFTER);

  if (g_str_equal (scenario->name, "slow"))
    {
      reply_later (fake, message, scenario->build_body (fake));
      return;
    }

  if (scenario->fixture != NULL && scenario->status == SOUP_STATUS_OK)
    {
      int width, height;

      get_fixture_image_size (scenario, &width, &height);
      fake_reply_fixture_with_image (message, scenario->status, scenario->fixture, width, height);
      return;
    }

  if (scenario->fixture != NULL)
    {
      fake_reply_fixture (message, scenario->status, scenario->fixture);
      return;
    }

  body = scenario->build_body (fake);
  fake_reply_json (message, scenario->status, body);
}

static void
edits_cb (SoupServer        *server,
          SoupServerMessage *message,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  FakeServer *fake = user_data;
  const Scenario *scenario = find_scenario (fake_server_get_scenario (fake));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(EditForm) form = NULL;

  fake_server_count_request (fake, path);
  if (scenario == NULL)
    {
      fake_reply_error (fake, message, 500, "{\"error\": \"unknown scenario\"}",
                        "unknown scenario %s", fake_server_get_scenario (fake));
      return;
    }

  if (!check_route (fake, message, scenario, path) || !check_auth (fake, message, scenario))
    return;

  body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  form = parse_form (fake, message, scenario, body);
  if (form == NULL || !check_image (fake, message, scenario, form) || !check_fields (fake, message, scenario, form))
    return;

  fake_server_set_last_body (fake, body);
  remember_request (fake, form);
  reply_scenario (fake, message, scenario);
}

/* Serves the image of a DALL·E link as its storage host would. No key may
 * arrive here. */
static void
download_cb (SoupServer        *server,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  FakeServer *fake = user_data;
  g_autoptr(GBytes) png = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

  fake_server_count_request (fake, path);
  if (g_strcmp0 (soup_server_message_get_method (message), SOUP_METHOD_GET) != 0)
    {
      fake_reply_error (fake, message, 405, "{}", "download with method %s", soup_server_message_get_method (message));
      return;
    }

  if (soup_message_headers_get_one (headers, "Authorization") != NULL)
    fake_server_add_violation (fake, "the key was sent to the image download host");

  if (g_str_equal (path, EXPIRED_PATH))
    {
      soup_server_message_set_status (message, 403, NULL);
      soup_server_message_set_response (message, "application/xml", SOUP_MEMORY_STATIC,
                                        EXPIRED_BODY, strlen (EXPIRED_BODY));
      return;
    }

  png = fake_make_png (256, 256);
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (png, NULL), g_bytes_get_size (png));
}

static void
unknown_path_cb (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakeServer *fake = user_data;
  g_autofree char *text = g_strdup_printf ("Invalid URL (%s %s)", soup_server_message_get_method (message), path);
  g_autofree char *json = openai_error_json (text, "invalid_request_error", NULL, NULL);

  fake_server_count_request (fake, path);
  fake_reply_error (fake, message, 404, json, "unknown path %s", path);
}

void
fake_openai_install (FakeServer *self)
{
  SoupServer *server = fake_server_get_soup_server (self);
  const char *scenario = fake_server_get_scenario (self);
  FakeOpenai *state = g_new0 (FakeOpenai, 1);

  if (find_scenario (scenario) == NULL)
    g_error ("fake openai-images has no scenario %s", scenario);

  state->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_reply_free);
  fake_server_set_data (self, state, (GDestroyNotify) fake_openai_free);

  if (g_str_has_prefix (scenario, "lemonade"))
    fake_server_set_url_path (self, "/api/v1");

  soup_server_add_handler (server, "/v1/images/edits", edits_cb, self, NULL);
  soup_server_add_handler (server, "/api/v1/images/edits", edits_cb, self, NULL);
  soup_server_add_handler (server, DOWNLOAD_PATH, download_cb, self, NULL);
  soup_server_add_handler (server, EXPIRED_PATH, download_cb, self, NULL);
  soup_server_add_handler (server, NULL, unknown_path_cb, self, NULL);
}
