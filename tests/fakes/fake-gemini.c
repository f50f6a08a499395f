/* A strict fake of the Gemini API's generateContent endpoint,
 * POST /v1beta/models/{model}:generateContent.
 *
 * It rejects, and records as a violation, what the real API rejects. That is
 * another method or path, a wrong or missing x-goog-api-key, a body that is
 * not JSON, and unknown field names. It is also an inline image whose base64
 * or magic bytes do not match its mimeType, a missing text part, and enum
 * values outside the documented lists.
 *
 * It also rejects what this client must never send, even though the API
 * might accept it: the key in a "key=" query parameter, and imageSize for
 * gemini-2.5-flash-image. An unknown model gets 404 NOT_FOUND without a
 * violation, because a misspelt model name is a user error. A request whose
 * responseModalities lacks "IMAGE" gets a text-only reply, as image models
 * send when image output was never requested.
 *
 * Scenarios (the reply to a valid request):
 *
 * | Scenario                          | HTTP | Reply                                                   |
 * |-----------------------------------|------|---------------------------------------------------------|
 * | gemini-NAME (any fixture)         | per  | tests/fixtures/gemini-NAME.json, with the status from   |
 * |                                   | file | fixtures/sources.md (400, 429, 503 for the error ones); |
 * |                                   |      | a 768×1024 PNG replaces the 1×1 stub of a success       |
 * | tiny-image                        | 200  | gemini-success-image-only with its 1×1 stub kept        |
 * | success-portrait                  | 200  | image-only success with a real 768×1024 PNG             |
 * | success-square                    | 200  | image-only success with a real 1024×1024 PNG            |
 * | illustrated                       | 200  | a short text, then an 864×1184 fake illustrated menu    |
 * |                                   |      | drawn around the uploaded photo                         |
 * | success-snake-case                | 200  | inline_data, mime_type and finish_reason spellings,     |
 * |                                   |      | with a 40×30 PNG                                        |
 * | success-with-thoughts             | 200  | thought text and thought image, then text and a 64×48   |
 * |                                   |      | PNG                                                     |
 * | two-images                        | 200  | a 32×32 PNG, text, then a 64×48 PNG                     |
 * | max-tokens                        | 200  | finishReason MAX_TOKENS with empty content              |
 * | refusal-with-message              | 200  | IMAGE_PROHIBITED_CONTENT, content with only a role, and |
 * |                                   |      | a finishMessage                                         |
 * | text-only-long                    | 200  | STOP with one text part of about 1000 characters        |
 * | bad-base64                        | 200  | success shape whose image data is not base64            |
 * | not-an-image                      | 200  | success shape whose image data decodes to plain text    |
 * | empty-reply                       | 200  | JSON with neither candidates nor promptFeedback         |
 * | not-json                          | 200  | an HTML page                                            |
 * | slow                              | 200  | image-only success with a 768×1024 PNG after 3 s        |
 * | bad-key                           | 400  | INVALID_ARGUMENT, reason API_KEY_INVALID, whatever key  |
 * | leaked-key                        | 403  | PERMISSION_DENIED "Your API key was reported as leaked" |
 * | permission-denied                 | 403  | PERMISSION_DENIED "The caller does not have permission" |
 * | rate-limit-minute                 | 429  | per-minute quota, RetryInfo retryDelay "2s", every time |
 * | rate-limit-once                   | 429  | the first request as above with "1s", then success with |
 * |                                   |      | a 768×1024 PNG                                          |
 * | free-tier-zero                    | 429  | per-minute free-tier quota with limit 0 and a "retry in |
 * |                                   |      | 37s" hint: the model has no free quota at all           |
 * | quota-per-day                     | 429  | a PerDay quota with a retry hint                        |
 * | server-error-500                  | 500  | INTERNAL                                                |
 * | deadline-504                      | 504  | DEADLINE_EXCEEDED                                       |
 *
 * A job rejects an image under 64 pixels on either side, so
 * success-snake-case, success-with-thoughts and two-images serve back-end
 * tests only, and tiny-image tests that rejection.
 */

#include <string.h>

#include "fake-server.h"

#define MODELS_PATH "/v1beta/models/"
#define METHOD_SUFFIX ":generateContent"
#define SLOW_REPLY_MS 3000

/* The image of the success scenarios that carry no size of their own. */
#define SUCCESS_WIDTH 768
#define SUCCESS_HEIGHT 1024

/* Gemini 2.5 Flash Image's output size for the 3:4 aspect ratio, as
 * Google's and OpenRouter's image generation docs list it. */
#define ILLUSTRATED_WIDTH 864
#define ILLUSTRATED_HEIGHT 1184

/* Image models that the fake serves. Any other id gets 404 NOT_FOUND. */
static const char * const known_models[] = {
  "gemini-2.5-flash-image", "gemini-2.5-flash-image-preview",
  "gemini-2.0-flash-preview-image-generation",
  "gemini-3-pro-image-preview", "gemini-3-pro-image", "nano-banana-pro-preview",
  "gemini-3.1-flash-image-preview", "gemini-3.1-flash-image", NULL
};

static const char * const aspect_ratios[] = {
  "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", NULL
};

static const char * const image_sizes[] = { "1K", "2K", "4K", NULL };

static const char * const modalities[] = { "TEXT", "IMAGE", "AUDIO", NULL };

static const char * const input_mime_types[] = {
  "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", NULL
};

/* GenerateContentRequest fields in both spellings, as the API accepts both. */
static const char * const request_fields[] = {
  "contents", "tools", "toolConfig", "tool_config", "safetySettings", "safety_settings",
  "systemInstruction", "system_instruction", "generationConfig", "generation_config",
  "cachedContent", "cached_content", NULL
};

static const char * const generation_config_fields[] = {
  "stopSequences", "stop_sequences", "responseMimeType", "response_mime_type",
  "responseSchema", "response_schema", "responseJsonSchema", "response_json_schema",
  "responseModalities", "response_modalities", "candidateCount", "candidate_count",
  "maxOutputTokens", "max_output_tokens", "temperature", "topP", "top_p", "topK", "top_k",
  "seed", "presencePenalty", "presence_penalty", "frequencyPenalty", "frequency_penalty",
  "responseLogprobs", "response_logprobs", "logprobs", "speechConfig", "speech_config",
  "thinkingConfig", "thinking_config", "imageConfig", "image_config",
  "mediaResolution", "media_resolution", NULL
};

/* The Gemini Developer API accepts only these two. The other ImageConfig
 * fields are Vertex AI only. */
static const char * const image_config_fields[] = {
  "aspectRatio", "aspect_ratio", "imageSize", "image_size", NULL
};

static const char * const content_fields[] = { "role", "parts", NULL };

/* Part fields in both spellings (v1beta Part). */
static const char * const part_fields[] = {
  "text", "inlineData", "inline_data", "fileData", "file_data", "functionCall", "function_call",
  "functionResponse", "function_response", "executableCode", "executable_code",
  "codeExecutionResult", "code_execution_result", "videoMetadata", "video_metadata",
  "thought", "thoughtSignature", "thought_signature", "partMetadata", "part_metadata",
  "mediaResolution", "media_resolution", NULL
};

/* Builds a Google RPC error envelope, with an ErrorInfo detail when
 * @reason is set. */
static char *
google_error (guint       code,
              const char *status,
              const char *message,
              const char *reason)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  if (reason != NULL)
    {
      json_builder_set_member_name (builder, "details");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "@type");
      json_builder_add_string_value (builder, "type.googleapis.com/google.rpc.ErrorInfo");
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
      json_builder_set_member_name (builder, "domain");
      json_builder_add_string_value (builder, "googleapis.com");
      json_builder_end_object (builder);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
reject (FakeServer        *self,
        SoupServerMessage *message,
        const char        *google_message,
        const char        *violation)
{
  g_autofree char *body = google_error (400, "INVALID_ARGUMENT", google_message, NULL);

  fake_reply_error (self, message, 400, body, "%s", violation);
}

static void
reject_unknown_name (FakeServer        *self,
                     SoupServerMessage *message,
                     const char        *name,
                     const char        *where)
{
  g_autofree char *text = where != NULL
    ? g_strdup_printf ("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find field.", name, where)
    : g_strdup_printf ("Invalid JSON payload received. Unknown name \"%s\": Cannot find field.", name);
  g_autofree char *violation = g_strdup_printf ("unknown field \"%s\" in %s", name, where != NULL ? where : "the request");

  reject (self, message, text, violation);
}

/* Rejects the request unless every member of @object is in @allowed. */
static gboolean
check_fields (FakeServer         *self,
              SoupServerMessage  *message,
              JsonObject         *object,
              const char * const *allowed,
              const char         *where)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        reject_unknown_name (self, message, l->data, where);
        return FALSE;
      }

  return TRUE;
}

static JsonNode *
member (JsonObject *object,
        const char *camel,
        const char *snake)
{
  JsonNode *node = json_object_get_member (object, camel);

  return node != NULL ? node : json_object_get_member (object, snake);
}

static const char *
member_string (JsonObject *object,
               const char *camel,
               const char *snake)
{
  JsonNode *node = member (object, camel, snake);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *camel,
               const char *snake)
{
  JsonNode *node = member (object, camel, snake);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *camel,
              const char *snake)
{
  JsonNode *node = member (object, camel, snake);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* Decodes base64 the way a proto3 JSON parser does: the standard or the
 * URL-safe alphabet, padding optional, nothing else. */
static GBytes *
decode_strict_base64 (const char *text)
{
  gsize length = strlen (text);
  gsize padding = 0;
  g_autofree char *padded = NULL;
  guchar *bytes;
  gsize decoded = 0;

  while (padding < 2 && length > padding && text[length - 1 - padding] == '=')
    padding++;
  if (length == padding || (length - padding) % 4 == 1)
    return NULL;

  for (gsize i = 0; i < length - padding; i++)
    if (!g_ascii_isalnum (text[i]) && strchr ("+/-_", text[i]) == NULL)
      return NULL;

  padded = g_strndup (text, length - padding);
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  while (strlen (padded) % 4 != 0)
    {
      g_autofree char *longer = g_strconcat (padded, "=", NULL);

      g_free (padded);
      padded = g_steal_pointer (&longer);
    }

  bytes = g_base64_decode (padded, &decoded);
  return g_bytes_new_take (bytes, decoded);
}

static gboolean
magic_matches (GBytes     *bytes,
               const char *mime_type)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  if (g_str_equal (mime_type, "image/jpeg"))
    return length >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
  if (g_str_equal (mime_type, "image/png"))
    return length >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0;
  if (g_str_equal (mime_type, "image/webp"))
    return length >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0;

  /* HEIC and HEIF: an ISO BMFF "ftyp" box first. */
  return length >= 12 && memcmp (data + 4, "ftyp", 4) == 0;
}

static gboolean
check_inline_data (FakeServer        *self,
                   SoupServerMessage *message,
                   JsonObject        *inline_data)
{
  const char *mime_type = member_string (inline_data, "mimeType", "mime_type");
  const char *data = member_string (inline_data, "data", "data");
  g_autoptr(GBytes) bytes = NULL;

  if (mime_type == NULL || !g_strv_contains (input_mime_types, mime_type))
    {
      g_autofree char *violation = g_strdup_printf ("inlineData.mimeType \"%s\" is not an image type Gemini reads",
                                                    mime_type != NULL ? mime_type : "(missing)");

      reject (self, message, "Unsupported MIME type in contents[0].parts: inlineData.mimeType", violation);
      return FALSE;
    }

  bytes = data != NULL ? decode_strict_base64 (data) : NULL;
  if (bytes == NULL)
    {
      reject (self, message, "Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed",
              "inlineData.data is missing or not valid base64");
      return FALSE;
    }

  if (!magic_matches (bytes, mime_type))
    {
      g_autofree char *violation = g_strdup_printf ("inlineData.data does not start with the magic bytes of %s", mime_type);

      reject (self, message, "Provided image is not valid.", violation);
      return FALSE;
    }

  return TRUE;
}

/* Checks contents[0]: a user turn whose parts contain a valid inline image
 * and a non-empty text. */
static gboolean
check_contents (FakeServer        *self,
                SoupServerMessage *message,
                JsonObject        *request)
{
  JsonArray *contents = member_array (request, "contents", "contents");
  JsonNode *first = contents != NULL && json_array_get_length (contents) > 0 ? json_array_get_element (contents, 0) : NULL;
  JsonObject *content = first != NULL && JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
  JsonArray *parts = content != NULL ? member_array (content, "parts", "parts") : NULL;
  const char *role = content != NULL ? member_string (content, "role", "role") : NULL;
  gboolean has_image = FALSE;
  gboolean has_text = FALSE;

  if (parts == NULL || json_array_get_length (parts) == 0)
    {
      reject (self, message, "* GenerateContentRequest.contents: contents is not specified", "contents[0].parts is missing or empty");
      return FALSE;
    }
  if (!check_fields (self, message, content, content_fields, "contents[0]"))
    return FALSE;
  if (role != NULL && !g_str_equal (role, "user"))
    {
      reject (self, message, "Please use a valid role: user, model.", "contents[0].role is not \"user\"");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *inline_data = part != NULL ? member_object (part, "inlineData", "inline_data") : NULL;
      const char *text = part != NULL ? member_string (part, "text", "text") : NULL;

      if (part == NULL)
        {
          reject (self, message, "Invalid JSON payload received. Expected an object in contents[0].parts.",
                  "a part of contents[0].parts is not an object");
          return FALSE;
        }
      if (!check_fields (self, message, part, part_fields, "contents[0].parts")
          || (inline_data != NULL && !check_inline_data (self, message, inline_data)))
        return FALSE;
      has_image |= inline_data != NULL;
      has_text |= text != NULL && text[0] != '\0';
    }

  if (!has_image || !has_text)
    {
      reject (self, message, "* GenerateContentRequest.contents[0].parts: must contain the menu photo and the instruction",
              has_image ? "contents[0].parts has no text part" : "contents[0].parts has no inlineData part");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_modalities (FakeServer        *self,
                  SoupServerMessage *message,
                  JsonArray         *array)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *value = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;

      if (value == NULL || !g_strv_contains (modalities, value))
        {
          g_autofree char *text = g_strdup_printf ("Invalid value at 'generation_config.response_modalities[%u]' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), \"%s\"",
                                                   i, value != NULL ? value : "");

          reject (self, message, text, "generationConfig.responseModalities has an unknown value");
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
check_image_config (FakeServer        *self,
                    SoupServerMessage *message,
                    JsonObject        *image_config,
                    const char        *model)
{
  const char *ratio = member_string (image_config, "aspectRatio", "aspect_ratio");
  const char *size = member_string (image_config, "imageSize", "image_size");

  if (!check_fields (self, message, image_config, image_config_fields, "generation_config.image_config"))
    return FALSE;

  if (member (image_config, "aspectRatio", "aspect_ratio") != NULL
      && (ratio == NULL || !g_strv_contains (aspect_ratios, ratio)))
    {
      reject (self, message, "Unsupported aspect ratio. Use one of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9.",
              "imageConfig.aspectRatio is not a listed value");
      return FALSE;
    }

  if (member (image_config, "imageSize", "image_size") != NULL
      && (size == NULL || !g_strv_contains (image_sizes, size)))
    {
      reject (self, message, "Unsupported image size. Use 1K, 2K or 4K.", "imageConfig.imageSize is not 1K, 2K or 4K");
      return FALSE;
    }

  /* NOTE: whether the real API rejects imageSize on 2.5-flash-image is not
   * documented; the client must not send it, so the fake rejects it. */
  if (size != NULL && g_str_has_prefix (model, "gemini-2"))
    {
      reject (self, message, "Image size is not supported for this model.", "imageConfig.imageSize sent to a Gemini 2 model");
      return FALSE;
    }

  return TRUE;
}

/* Checks generationConfig and sets @wants_image when image output was
 * requested. */
static gboolean
check_generation_config (FakeServer        *self,
                         SoupServerMessage *message,
                         JsonObject        *request,
                         const char        *model,
                         gboolean          *wants_image)
{
  JsonObject *config = member_object (request, "generationConfig", "generation_config");
  JsonArray *requested = config != NULL ? member_array (config, "responseModalities", "response_modalities") : NULL;
  JsonObject *image_config = config != NULL ? member_object (config, "imageConfig", "image_config") : NULL;

  *wants_image = FALSE;
  if (config == NULL)
    return TRUE;

  if (!check_fields (self, message, config, generation_config_fields, "generation_config")
      || !check_modalities (self, message, requested))
    return FALSE;

  if (image_config != NULL && !check_image_config (self, message, image_config, model))
    return FALSE;

  for (guint i = 0; requested != NULL && i < json_array_get_length (requested); i++)
    *wants_image |= g_strcmp0 (json_array_get_string_element (requested, i), "IMAGE") == 0;

  return TRUE;
}

/* Splits "/v1beta/models/{model}:generateContent" and returns the model. */
static char *
parse_model (const char *path)
{
  const char *start;
  const char *end;

  if (!g_str_has_prefix (path, MODELS_PATH) || !g_str_has_suffix (path, METHOD_SUFFIX))
    return NULL;

  start = path + strlen (MODELS_PATH);
  end = path + strlen (path) - strlen (METHOD_SUFFIX);
  if (end <= start || memchr (start, '/', end - start) != NULL)
    return NULL;

  return g_strndup (start, end - start);
}

static gboolean
check_route (FakeServer        *self,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             char             **model)
{
  g_autofree char *not_found = NULL;

  if (!g_str_equal (soup_server_message_get_method (message), SOUP_METHOD_POST))
    {
      g_autofree char *body = google_error (405, "INVALID_ARGUMENT", "Method not allowed; use POST.", NULL);

      fake_reply_error (self, message, 405, body, "method %s instead of POST", soup_server_message_get_method (message));
      return FALSE;
    }

  if (query != NULL && g_hash_table_contains (query, "key"))
    {
      reject (self, message, "The key must travel in the x-goog-api-key header.", "API key sent in the URL (key= query parameter)");
      return FALSE;
    }

  *model = parse_model (path);
  if (*model == NULL)
    {
      g_autofree char *body = google_error (404, "NOT_FOUND", "The requested URL was not found on this server.", NULL);

      fake_reply_error (self, message, 404, body, "path %s is not " MODELS_PATH "{model}" METHOD_SUFFIX, path);
      return FALSE;
    }

  if (g_strv_contains (known_models, *model))
    return TRUE;

  not_found = g_strdup_printf ("models/%s is not found for API version v1beta, or is not supported for generateContent. "
                               "Call ListModels to see the list of available models and their supported methods.", *model);
  {
    g_autofree char *body = google_error (404, "NOT_FOUND", not_found, NULL);

    fake_reply_json (message, 404, body);
  }
  return FALSE;
}

static gboolean
check_key (FakeServer        *self,
           SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *key = soup_message_headers_get_one (headers, "x-goog-api-key");

  if (key == NULL)
    {
      g_autofree char *body = google_error (403, "PERMISSION_DENIED",
                                            "Method doesn't allow unregistered callers (callers without established identity). "
                                            "Please use API Key or other form of API consumer identity to call this API.",
                                            NULL);

      fake_reply_error (self, message, 403, body, "no x-goog-api-key header");
      return FALSE;
    }

  if (!g_str_equal (key, fake_server_get_key (self)))
    {
      g_autofree char *body = google_error (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                            "API_KEY_INVALID");

      fake_reply_error (self, message, 400, body, "x-goog-api-key is not the expected key");
      return FALSE;
    }

  return TRUE;
}

/* Parses the body as a JSON object; @body is set to its bytes. */
static JsonNode *
read_body (FakeServer        *self,
           SoupServerMessage *message,
           GBytes           **body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *text;

  *body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  text = g_bytes_get_data (*body, &length);

  if (g_strcmp0 (content_type, "application/json") != 0)
    {
      reject (self, message, "Invalid JSON payload received. Content-Type must be application/json.",
              "Content-Type is not application/json");
      return NULL;
    }

  if (length == 0 || !json_parser_load_from_data (parser, text, length, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      reject (self, message, "Invalid JSON payload received. Unexpected token.", "body is not a JSON object");
      return NULL;
    }

  return json_node_ref (json_parser_get_root (parser));
}

static char *
quota_error (const char *quota_id,
             const char *metric,
             const char *quota_value,
             const char *message,
             const char *retry_delay)
{
  g_autofree char *escaped = g_strescape (message, NULL);

  return g_strdup_printf ("{\"error\":{\"code\":429,\"message\":\"%s\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":["
                          "{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{"
                          "\"quotaMetric\":\"%s\",\"quotaId\":\"%s\",\"quotaDimensions\":{\"location\":\"global\","
                          "\"model\":\"gemini-2.5-flash-image\"},\"quotaValue\":\"%s\"}]},"
                          "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"%s\"}]}}",
                          escaped, metric, quota_id, quota_value, retry_delay);
}

static void
reply_per_minute_limit (SoupServerMessage *message,
                        const char        *retry_delay)
{
  g_autofree char *text = g_strdup_printf ("Resource has been exhausted (e.g. check quota). Please retry in %s.", retry_delay);
  g_autofree char *body = quota_error ("GenerateRequestsPerMinutePerProjectPerModel",
                                       "generativelanguage.googleapis.com/generate_requests_per_model",
                                       "10", text, retry_delay);

  fake_reply_json (message, 429, body);
}

static void
reply_free_tier_zero (SoupServerMessage *message)
{
  g_autofree char *body = quota_error ("GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                                       "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                       "0",
                                       "You exceeded your current quota, please check your plan and billing details.\n"
                                       "* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, "
                                       "limit: 0, model: gemini-2.5-flash-image\nPlease retry in 37.512s.",
                                       "37s");

  fake_reply_json (message, 429, body);
}

static void
reply_quota_per_day (SoupServerMessage *message)
{
  g_autofree char *body = quota_error ("GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                                       "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                       "100",
                                       "You exceeded your current quota, please check your plan and billing details.\n"
                                       "* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, "
                                       "limit: 100, model: gemini-2.5-flash-image\nPlease retry in 14.2s.",
                                       "14s");

  fake_reply_json (message, 429, body);
}

static void
reply_with_image (SoupServerMessage *message,
                  int                width,
                  int                height)
{
  g_autofree char *body = fake_fixture_with_image ("gemini-success-image-only", NULL, width, height);

  fake_reply_json (message, 200, body);
}

/* Returns the bytes of the first inline image in contents[0].parts, which
 * check_contents() has already validated. */
static GBytes *
find_photo (JsonObject *request)
{
  JsonArray *contents = member_array (request, "contents", "contents");
  JsonObject *content = json_array_get_object_element (contents, 0);
  JsonArray *parts = member_array (content, "parts", "parts");

  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *inline_data = member_object (json_array_get_object_element (parts, i), "inlineData", "inline_data");

      if (inline_data != NULL)
        return decode_strict_base64 (member_string (inline_data, "data", "data"));
    }

  return NULL;
}

static void
reply_illustrated (FakeServer        *self,
                   SoupServerMessage *message,
                   JsonObject        *request)
{
  g_autoptr(GBytes) photo = find_photo (request);
  g_autoptr(GBytes) png = fake_make_illustrated_menu (photo, ILLUSTRATED_WIDTH, ILLUSTRATED_HEIGHT);
  g_autofree char *image = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *body = g_strdup_printf (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "{\"text\":\"Here is your illustrated menu, with a picture beside every dish.\"},"
    "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"}}]},"
    "\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"gemini-2.5-flash-image\"}",
    image);

  fake_server_set_image_size (self, ILLUSTRATED_WIDTH, ILLUSTRATED_HEIGHT);
  fake_reply_json (message, 200, body);
}

static void
reply_success_with_thoughts (SoupServerMessage *message)
{
  g_autofree char *thought_image = fake_make_png_base64 (16, 16);
  g_autofree char *image = fake_make_png_base64 (64, 48);
  g_autofree char *body = g_strdup_printf (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "{\"text\":\"**Planning the layout** I will place each dish beside its picture.\",\"thought\":true},"
    "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"},\"thought\":true},"
    "{\"text\":\"Here is the illustrated menu.\"},"
    "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"},\"thoughtSignature\":\"c2lnbmF0dXJl\"}]},"
    "\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"gemini-3-pro-image-preview\"}",
    thought_image, image);

  fake_reply_json (message, 200, body);
}

static void
reply_two_images (SoupServerMessage *message)
{
  g_autofree char *first = fake_make_png_base64 (32, 32);
  g_autofree char *last = fake_make_png_base64 (64, 48);
  g_autofree char *body = g_strdup_printf (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"}},"
    "{\"text\":\"A second version with larger dish names.\"},"
    "{\"inlineData\":{\"mimeType\":\"image/jpeg\",\"data\":\"%s\"}}]},"
    "\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"gemini-2.5-flash-image\"}",
    first, last);

  fake_reply_json (message, 200, body);
}

static void
reply_success_snake_case (SoupServerMessage *message)
{
  g_autofree char *image = fake_make_png_base64 (40, 30);
  g_autofree char *body = g_strdup_printf (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "{\"text\":\"Menu ready.\"},"
    "{\"inline_data\":{\"mime_type\":\"image/png\",\"data\":\"%s\"}}]},"
    "\"finish_reason\":\"STOP\",\"index\":0}],\"model_version\":\"gemini-2.5-flash-image\"}",
    image);

  fake_reply_json (message, 200, body);
}

static void
reply_text_only_long (SoupServerMessage *message)
{
  g_autoptr(GString) text = g_string_new ("I would love to help with this menu. ");
  g_autofree char *body = NULL;

  while (text->len < 1000)
    g_string_append (text, "The dishes include soup, noodles, dumplings and tea. ");

  body = g_strdup_printf ("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"%s\"}]},"
                          "\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"gemini-2.5-flash-image\"}",
                          text->str);
  fake_reply_json (message, 200, body);
}

static void
reply_not_json (SoupServerMessage *message)
{
  const char *page = "<html><body><h1>Welcome</h1></body></html>";

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "text/html", SOUP_MEMORY_STATIC, page, strlen (page));
}

static void
reply_slow (SoupServerMessage *message)
{
  g_autofree char *text = fake_fixture_with_image ("gemini-success-image-only", NULL, SUCCESS_WIDTH, SUCCESS_HEIGHT);

  fake_delay_reply (message, SLOW_REPLY_MS, 200, text);
}

static void
reply_google_error (SoupServerMessage *message,
                    guint              code,
                    const char        *status,
                    const char        *text,
                    const char        *reason)
{
  g_autofree char *body = google_error (code, status, text, reason);

  fake_reply_json (message, code, body);
}

static guint
fixture_status (const char *fixture)
{
  if (g_str_equal (fixture, "gemini-error-400-missing-thought-signature"))
    return 400;
  if (g_str_equal (fixture, "gemini-error-429-quota"))
    return 429;
  if (g_str_equal (fixture, "gemini-error-503-overloaded"))
    return 503;

  return 200;
}

/* Replies to the scenarios whose body is a fixed JSON text. */
static gboolean
reply_literal (SoupServerMessage *message,
               const char        *scenario)
{
  static const struct {
    const char *scenario;
    const char *json;
  } literals[] = {
    { "max-tokens",
      "{\"candidates\":[{\"content\":{},\"finishReason\":\"MAX_TOKENS\",\"index\":0}],"
      "\"usageMetadata\":{\"promptTokenCount\":1290,\"totalTokenCount\":2314},\"modelVersion\":\"gemini-3.1-flash-image-preview\"}" },
    { "refusal-with-message",
      "{\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":\"IMAGE_PROHIBITED_CONTENT\","
      "\"finishMessage\":\"Unable to show the generated image. The image was filtered out because it violated Google's Generative AI Prohibited Use policy.\","
      "\"index\":0}],\"modelVersion\":\"gemini-2.5-flash-image\"}" },
    { "bad-base64",
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\","
      "\"data\":\"iVBORw0KGgo*not base64!\"}}]},\"finishReason\":\"STOP\"}],\"modelVersion\":\"gemini-2.5-flash-image\"}" },
    { "not-an-image",
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\","
      "\"data\":\"SGVsbG8sIHdvcmxkLg==\"}}]},\"finishReason\":\"STOP\"}],\"modelVersion\":\"gemini-2.5-flash-image\"}" },
    { "empty-reply",
      "{\"modelVersion\":\"gemini-2.5-flash-image\",\"responseId\":\"REDACTED_RESPONSE_ID\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    if (g_str_equal (scenario, literals[i].scenario))
      {
        fake_reply_json (message, 200, literals[i].json);
        return TRUE;
      }

  return FALSE;
}

/* Replies to the error scenarios whose body is a Google error envelope. */
static gboolean
reply_error_scenario (FakeServer        *self,
                      SoupServerMessage *message,
                      const char        *scenario)
{
  if (g_str_equal (scenario, "bad-key"))
    reply_google_error (message, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID");
  else if (g_str_equal (scenario, "leaked-key"))
    reply_google_error (message, 403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key.", NULL);
  else if (g_str_equal (scenario, "permission-denied"))
    reply_google_error (message, 403, "PERMISSION_DENIED", "The caller does not have permission", NULL);
  else if (g_str_equal (scenario, "server-error-500"))
    reply_google_error (message, 500, "INTERNAL",
                        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                        NULL);
  else if (g_str_equal (scenario, "deadline-504"))
    reply_google_error (message, 504, "DEADLINE_EXCEEDED", "The request timed out. Please try again.", NULL);
  else if (g_str_equal (scenario, "rate-limit-minute"))
    reply_per_minute_limit (message, "2s");
  else if (g_str_equal (scenario, "rate-limit-once") && fake_server_get_request_count (self) == 1)
    reply_per_minute_limit (message, "1s");
  else if (g_str_equal (scenario, "free-tier-zero"))
    reply_free_tier_zero (message);
  else if (g_str_equal (scenario, "quota-per-day"))
    reply_quota_per_day (message);
  else
    return FALSE;

  return TRUE;
}

static void
reply_scenario (FakeServer        *self,
                SoupServerMessage *message,
                JsonObject        *request)
{
  const char *scenario = fake_server_get_scenario (self);

  if (g_str_has_prefix (scenario, "gemini-") && fixture_status (scenario) == 200)
    fake_reply_fixture_with_image (message, 200, scenario, SUCCESS_WIDTH, SUCCESS_HEIGHT);
  else if (g_str_has_prefix (scenario, "gemini-"))
    fake_reply_fixture (message, fixture_status (scenario), scenario);
  else if (g_str_equal (scenario, "tiny-image"))
    fake_reply_fixture (message, 200, "gemini-success-image-only");
  else if (reply_literal (message, scenario) || reply_error_scenario (self, message, scenario))
    return;
  else if (g_str_equal (scenario, "success-portrait"))
    reply_with_image (message, SUCCESS_WIDTH, SUCCESS_HEIGHT);
  else if (g_str_equal (scenario, "success-square"))
    reply_with_image (message, 1024, 1024);
  else if (g_str_equal (scenario, "illustrated"))
    reply_illustrated (self, message, request);
  else if (g_str_equal (scenario, "success-snake-case"))
    reply_success_snake_case (message);
  else if (g_str_equal (scenario, "success-with-thoughts"))
    reply_success_with_thoughts (message);
  else if (g_str_equal (scenario, "two-images"))
    reply_two_images (message);
  else if (g_str_equal (scenario, "text-only-long"))
    reply_text_only_long (message);
  else if (g_str_equal (scenario, "not-json"))
    reply_not_json (message);
  else if (g_str_equal (scenario, "slow"))
    reply_slow (message);
  else if (g_str_equal (scenario, "rate-limit-once"))
    reply_with_image (message, SUCCESS_WIDTH, SUCCESS_HEIGHT);
  else
    fake_reply_error (self, message, 500, "{\"error\":{\"code\":500,\"message\":\"unknown scenario\",\"status\":\"INTERNAL\"}}",
                      "unknown gemini scenario \"%s\"", scenario);
}

static void
record_request (FakeServer        *self,
                SoupServerMessage *message,
                const char        *path)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (message));
  g_autofree char *target = query != NULL ? g_strconcat (path, "?", query, NULL) : g_strdup (path);

  fake_server_count_request (self, target);
}

static void
models_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  FakeServer *self = user_data;
  g_autofree char *model = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) body = NULL;
  JsonObject *request;
  gboolean wants_image = FALSE;

  record_request (self, message, path);

  if (!check_route (self, message, path, query, &model) || !check_key (self, message))
    return;

  root = read_body (self, message, &body);
  if (root == NULL)
    return;

  request = json_node_get_object (root);
  if (!check_fields (self, message, request, request_fields, NULL)
      || !check_contents (self, message, request)
      || !check_generation_config (self, message, request, model, &wants_image))
    return;

  fake_server_set_last_body (self, body);

  if (!wants_image)
    {
      g_debug ("fake gemini: no image output requested, answering in text only");
      fake_reply_fixture (message, 200, "gemini-no-image-text-only-stop");
      return;
    }

  reply_scenario (self, message, request);
}

void
fake_gemini_install (FakeServer *self)
{
  soup_server_add_handler (fake_server_get_soup_server (self), "/v1beta", models_cb, self, NULL);
}
