/* A strict fake of POST /v1/chat/completions in two flavours, OpenRouter
 * (image output) and local vision servers (llama.cpp, Ollama, LM Studio:
 * text output), plus the identifying endpoints that discovery probes.
 *
 * Every chat request must be a JSON POST whose messages[0].content contains a
 * text part and an image_url part {"url": "data:image/jpeg|png|webp;base64,…"}
 * with strict base64 (no whitespace) that decodes to an image of the declared
 * type; Ollama rejects anything else. OpenRouter scenarios also need
 * "Authorization: Bearer <fake key>", a model, and "image" in modalities;
 * without it they answer in text only, as OpenRouter does. Vision scenarios
 * take no key: with the fake's key set to NULL, any Authorization header is a
 * violation. A rejected request gets the real server's error and a recorded
 * violation.
 *
 * Scenario                                  Flavour     Answer
 * openrouter-chat-image-success             openrouter  200, fixture with a 96x128 PNG
 * illustrated                               openrouter  200, the same fixture with a short text and
 *                                                       an 864x1184 fake illustrated menu drawn
 *                                                       around the uploaded photo
 * openrouter-chat-text-and-two-images       openrouter  200, fixture with a 768x1024 PNG and a
 *                                                       768x1024 JPEG in place of its 1x1 stubs
 * openrouter-chat-image-dataurl-whitespace  openrouter  200, fixture with its 1x1 PNG, too small
 *                                                       for a job (under 64 pixels a side)
 * openrouter-chat-image-https-url           openrouter  200, image link to /files/menu.png here
 * openrouter-chat-image-bad-base64          openrouter  200, data URL with "!" in the payload
 * openrouter-chat-image-not-image           openrouter  200, data URL of plain text
 * openrouter-text-only                      openrouter  200, text and no images
 * openrouter-no-image-safety                openrouter  200, native_finish_reason IMAGE_SAFETY
 * openrouter-no-image-empty                 openrouter  200, no text and no images
 * openrouter-error-midstream-chunk          openrouter  200, fixture (error inside the body)
 * openrouter-error-400-content-policy       openrouter  400, error_type content_policy_violation
 * openrouter-error-400-image-too-large      openrouter  400, error_type image_too_large
 * openrouter-error-402                      openrouter  402, no credits
 * openrouter-error-403-guardrail            openrouter  403, fixture
 * openrouter-error-429                      openrouter  429, fixture, Retry-After: 7
 * openrouter-error-502                      openrouter  502, provider_unavailable
 * vision-describe                           vision      200, a menu description (llama.cpp shape)
 * vision-describe-think                     vision      200, <think>…</think> before the description
 * vision-describe-length                    vision      200, finish_reason "length"
 * llamacpp-error-no-mmproj                  vision      500, fixture
 * ollama-openai-error-invalid-image         vision      400, fixture
 * lemonade-error-model-not-found            vision      404, fixture
 * localai-error-503-model-loading           vision      503, fixture, Retry-After: 5
 * discovery-llamacpp, -ollama, -lmstudio,   discovery   the identifying endpoints of each
 *   -sdserver, -comfyui, -lemonade                      server, answered as that server does
 * discovery-other                           discovery   {"status": "ok"} to every GET, a generic
 *                                                       model list on /v1/models, 404 otherwise
 *
 * Statuses of the recorded fixtures are the ones in fixtures/sources.md;
 * the bodies marked "synthetic" below follow OpenRouter's documented error
 * envelope but were not recorded from the service. */

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "fake-server.h"

#define CHAT_PATH "/v1/chat/completions"
#define DOWNLOAD_PATH "/files/menu.png"
#define STUB_PNG_BASE64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
#define STUB_JPEG_BASE64 "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAB//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AQH//2Q=="

/* Gemini 2.5 Flash Image's output size for 3:4, as OpenRouter's image
 * generation docs list it. */
#define ILLUSTRATED_WIDTH 864
#define ILLUSTRATED_HEIGHT 1184

typedef enum {
  FLAVOUR_OPENROUTER,
  FLAVOUR_VISION,
  FLAVOUR_DISCOVERY,
} Flavour;

typedef struct {
  const char *name;
  Flavour flavour;
  guint status;
  const char *fixture;                    /* body from tests/fixtures, or NULL */
  const char *json;                       /* fixed synthetic body, or NULL */
  char *(*build_body) (FakeServer *fake); /* body made on the spot, or NULL */
  const char *retry_after;
} Scenario;

/* A plausible answer of a vision model to the describe-menu prompt. */
static const char menu_description[] =
  "Draw one illustrated menu page titled \"Trattoria Da Marco\" in a 3:4 portrait frame with wide margins.\n"
  "\n"
  "ANTIPASTI\n"
  "- Bruschetta al pomodoro, 6,50 €: toasted bread topped with diced tomato and basil.\n"
  "- Carpaccio di manzo, 12,00 €: thin slices of raw beef with rocket and parmesan shavings.\n"
  "\n"
  "PIZZE\n"
  "- Margherita, 8,00 €: a round pizza with tomato, mozzarella and basil leaves.\n"
  "- Quattro formaggi, 10,50 €: a pizza covered in four melted cheeses.\n"
  "\n"
  "Layout: one column; section headings in bold serif capitals; each dish name on the left, "
  "its price right-aligned, and a small round watercolour picture of the dish to the left of the name.";

static char *build_success_body (FakeServer *fake);
static char *build_illustrated_body (FakeServer *fake);
static char *build_two_images_body (FakeServer *fake);
static char *build_https_url_body (FakeServer *fake);
static char *build_describe_body (FakeServer *fake);
static char *build_describe_think_body (FakeServer *fake);
static char *build_describe_length_body (FakeServer *fake);

static const Scenario scenarios[] = {
  { "openrouter-chat-image-success", FLAVOUR_OPENROUTER, 200, NULL, NULL, build_success_body, NULL },
  { "illustrated", FLAVOUR_OPENROUTER, 200, NULL, NULL, build_illustrated_body, NULL },
  { "openrouter-chat-text-and-two-images", FLAVOUR_OPENROUTER, 200, NULL, NULL, build_two_images_body, NULL },
  { "openrouter-chat-image-dataurl-whitespace", FLAVOUR_OPENROUTER, 200, "openrouter-chat-image-dataurl-whitespace", NULL, NULL, NULL },
  { "openrouter-chat-image-https-url", FLAVOUR_OPENROUTER, 200, NULL, NULL, build_https_url_body, NULL },
  { "openrouter-chat-image-bad-base64", FLAVOUR_OPENROUTER, 200, NULL,
    "{\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
    "\"images\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0K!!GgoAAAA\"}}]}}]}",
    NULL, NULL },
  { "openrouter-chat-image-not-image", FLAVOUR_OPENROUTER, 200, NULL,
    "{\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
    "\"images\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,aGVsbG8gd29ybGQ=\"}}]}}]}",
    NULL, NULL },
  { "openrouter-text-only", FLAVOUR_OPENROUTER, 200, NULL,
    "{\"model\":\"google/gemini-2.5-flash-image\",\"choices\":[{\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\","
    "\"message\":{\"role\":\"assistant\",\"content\":\"This menu lists four Italian dishes.\"}}]}",
    NULL, NULL },
  { "openrouter-no-image-safety", FLAVOUR_OPENROUTER, 200, NULL,
    "{\"choices\":[{\"finish_reason\":\"stop\",\"native_finish_reason\":\"IMAGE_SAFETY\","
    "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"images\":[]}}]}",
    NULL, NULL },
  { "openrouter-no-image-empty", FLAVOUR_OPENROUTER, 200, NULL,
    "{\"choices\":[{\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\","
    "\"message\":{\"role\":\"assistant\",\"content\":null}}]}",
    NULL, NULL },
  { "openrouter-error-midstream-chunk", FLAVOUR_OPENROUTER, 200, "openrouter-error-midstream-chunk", NULL, NULL, NULL },
  /* synthetic */
  { "openrouter-error-400-content-policy", FLAVOUR_OPENROUTER, 400, NULL,
    "{\"error\":{\"code\":400,\"message\":\"The request was rejected by the provider's content policy\","
    "\"metadata\":{\"error_type\":\"content_policy_violation\",\"provider_name\":\"Google AI Studio\"}}}",
    NULL, NULL },
  /* synthetic */
  { "openrouter-error-400-image-too-large", FLAVOUR_OPENROUTER, 400, NULL,
    "{\"error\":{\"code\":400,\"message\":\"The image is larger than the provider accepts\","
    "\"metadata\":{\"error_type\":\"image_too_large\"}}}",
    NULL, NULL },
  /* synthetic */
  { "openrouter-error-402", FLAVOUR_OPENROUTER, 402, NULL,
    "{\"error\":{\"code\":402,\"message\":\"Insufficient credits. Add more credits to continue.\"}}",
    NULL, NULL },
  { "openrouter-error-403-guardrail", FLAVOUR_OPENROUTER, 403, "openrouter-error-403-guardrail", NULL, NULL, NULL },
  { "openrouter-error-429", FLAVOUR_OPENROUTER, 429, "openrouter-error-429", NULL, NULL, "7" },
  /* synthetic */
  { "openrouter-error-502", FLAVOUR_OPENROUTER, 502, NULL,
    "{\"error\":{\"code\":502,\"message\":\"Provider returned error\","
    "\"metadata\":{\"error_type\":\"provider_unavailable\"}}}",
    NULL, NULL },
  { "vision-describe", FLAVOUR_VISION, 200, NULL, NULL, build_describe_body, NULL },
  { "vision-describe-think", FLAVOUR_VISION, 200, NULL, NULL, build_describe_think_body, NULL },
  { "vision-describe-length", FLAVOUR_VISION, 200, NULL, NULL, build_describe_length_body, NULL },
  { "llamacpp-error-no-mmproj", FLAVOUR_VISION, 500, "llamacpp-error-no-mmproj", NULL, NULL, NULL },
  { "ollama-openai-error-invalid-image", FLAVOUR_VISION, 400, "ollama-openai-error-invalid-image", NULL, NULL, NULL },
  { "lemonade-error-model-not-found", FLAVOUR_VISION, 404, "lemonade-error-model-not-found", NULL, NULL, NULL },
  { "localai-error-503-model-loading", FLAVOUR_VISION, 503, "localai-error-503-model-loading", NULL, NULL, "5" },
  { "discovery-llamacpp", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-ollama", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-lmstudio", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-sdserver", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-comfyui", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-lemonade", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
  { "discovery-other", FLAVOUR_DISCOVERY, 0, NULL, NULL, NULL, NULL },
};

/* OpenRouter's image_config.aspect_ratio values. */
static const char * const aspect_ratios[] = {
  "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
  "1:4", "4:1", "1:8", "8:1", NULL
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

  return (guint) g_uri_get_port (uri);
}

static char *
build_success_body (FakeServer *fake)
{
  return fake_fixture_with_image ("openrouter-chat-image-success", NULL, 96, 128);
}

/* Returns the photo of the last accepted request: the bytes of the data
 * URL in messages[0].content, which check_content() has validated. */
static GBytes *
find_photo (FakeServer *fake)
{
  GBytes *body = fake_server_get_last_body (fake);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *first;
  JsonArray *content;

  if (body == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    return NULL;

  first = json_array_get_object_element (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "messages"), 0);
  content = json_object_get_array_member (first, "content");
  for (guint i = 0; i < json_array_get_length (content); i++)
    {
      JsonNode *node = json_array_get_element (content, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *url = NULL;
      guchar *bytes;
      gsize length = 0;

      if (part != NULL && json_object_has_member (part, "image_url"))
        url = json_object_get_string_member (json_object_get_object_member (part, "image_url"), "url");
      if (url == NULL || strchr (url, ',') == NULL)
        continue;

      bytes = g_base64_decode (strchr (url, ',') + 1, &length);
      return g_bytes_new_take (bytes, length);
    }

  return NULL;
}

static char *
build_illustrated_body (FakeServer *fake)
{
  g_autoptr(GBytes) fixture = fake_load_fixture ("openrouter-chat-image-success");
  g_autofree char *text = g_strndup (g_bytes_get_data (fixture, NULL), g_bytes_get_size (fixture));
  g_autoptr(GBytes) photo = find_photo (fake);
  g_autoptr(GBytes) png = fake_make_illustrated_menu (photo, ILLUSTRATED_WIDTH, ILLUSTRATED_HEIGHT);
  g_autofree char *image = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_auto(GStrv) around_image = g_strsplit (text, STUB_PNG_BASE64, -1);
  g_autofree char *with_image = g_strjoinv (image, around_image);
  g_auto(GStrv) around_content = g_strsplit (with_image, "\"content\": \"\",", 2);

  g_assert_cmpuint (g_strv_length (around_content), ==, 2);
  fake_server_set_image_size (fake, ILLUSTRATED_WIDTH, ILLUSTRATED_HEIGHT);
  return g_strjoinv ("\"content\": \"Here is the menu with a picture beside each dish.\",", around_content);
}

static char *
make_jpeg_base64 (int width,
                  int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  g_autofree char *buffer = NULL;
  gsize length = 0;

  gdk_pixbuf_fill (pixbuf, 0xe8b04aff);
  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "jpeg", &error, NULL))
    g_error ("could not encode a test JPEG: %s", error->message);

  return g_base64_encode ((const guchar *) buffer, length);
}

/* The recorded reply with real images in place of its 1x1 PNG and JPEG
 * stubs, so that a whole job accepts the last one. */
static char *
build_two_images_body (FakeServer *fake)
{
  g_autofree char *text = fake_fixture_with_image ("openrouter-chat-text-and-two-images", NULL, 768, 1024);
  g_autofree char *jpeg = make_jpeg_base64 (768, 1024);
  g_auto(GStrv) around_jpeg = g_strsplit (text, STUB_JPEG_BASE64, -1);

  g_assert_cmpuint (g_strv_length (around_jpeg), ==, 2);
  return g_strjoinv (jpeg, around_jpeg);
}

static char *
build_https_url_body (FakeServer *fake)
{
  /* OpenRouter itself sends data URLs; other gateways send links. Tests
   * stay on loopback, so the link is http://127.0.0.1 on this fake. */
  return g_strdup_printf ("{\"model\":\"gateway/image-model\",\"choices\":[{\"finish_reason\":\"stop\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\"Here is the illustrated menu.\","
                          "\"images\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://127.0.0.1:%u%s\"}}]}}]}",
                          get_port (fake), DOWNLOAD_PATH);
}

/* Builds a chat completion in llama-server's shape. */
static char *
build_vision_completion (const char *content,
                         const char *finish_reason)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "finish_reason");
  json_builder_add_string_value (builder, finish_reason);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "assistant");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, 1755000000);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, "gemma-3-4b-it-Q4_K_M.gguf");
  json_builder_set_member_name (builder, "system_fingerprint");
  json_builder_add_string_value (builder, "b6123-abcdef0");
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "chat.completion");
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, "chatcmpl-fake");
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
build_describe_body (FakeServer *fake)
{
  return build_vision_completion (menu_description, "stop");
}

static char *
build_describe_think_body (FakeServer *fake)
{
  g_autofree char *content = g_strconcat ("<think>The photo shows an Italian menu with two sections.</think>\n\n",
                                          menu_description, NULL);

  return build_vision_completion (content, "stop");
}

static char *
build_describe_length_body (FakeServer *fake)
{
  return build_vision_completion ("Draw one illustrated menu page titled \"Trattoria Da Marco\". ANTIPASTI: - Brus", "length");
}

/* Replies with the error the real server sends for a request it rejects,
 * and records the violation. */
static void
reject (FakeServer        *fake,
        SoupServerMessage *message,
        const Scenario    *scenario,
        guint              status,
        const char        *text)
{
  g_autofree char *json = NULL;

  if (scenario->flavour == FLAVOUR_OPENROUTER)
    json = g_strdup_printf ("{\"error\":{\"code\":%u,\"message\":\"%s\"}}", status, text);
  else
    json = g_strdup_printf ("{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}", text);

  fake_reply_error (fake, message, status, json, "%s: %s", scenario->name, text);
}

static gboolean
check_authorization (FakeServer        *fake,
                     SoupServerMessage *message,
                     const Scenario    *scenario)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (message), "Authorization");
  const char *key = fake_server_get_key (fake);
  const char *query = g_uri_get_query (soup_server_message_get_uri (message));
  g_autofree char *expected = g_strconcat ("Bearer ", key != NULL ? key : "", NULL);

  if (key != NULL && query != NULL && strstr (query, key) != NULL)
    fake_server_add_violation (fake, "%s: the key appears in the URL", scenario->name);

  if (scenario->flavour == FLAVOUR_VISION && key == NULL)
    {
      if (header != NULL)
        fake_server_add_violation (fake, "%s: Authorization sent to a server that takes no key", scenario->name);
      return TRUE;
    }

  if (header == NULL && scenario->flavour == FLAVOUR_VISION)
    return TRUE;

  if (header == NULL)
    {
      reject (fake, message, scenario, 401, "No auth credentials found");
      return FALSE;
    }

  if (!g_str_equal (header, expected))
    {
      /* A wrong key is the user's mistake, not the client's, so no violation. */
      fake_reply_json (message, 401, "{\"error\":{\"code\":401,\"message\":\"User not found.\"}}");
      return FALSE;
    }

  return TRUE;
}

static const char *
sniff_image_type (const guint8 *data,
                  gsize         length)
{
  if (length >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return "image/jpeg";
  if (length >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (length >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";

  return NULL;
}

static gboolean
is_strict_base64 (const char *payload)
{
  gsize length = strlen (payload);
  gsize padding = 0;

  if (length == 0 || length % 4 != 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = payload[i];

      if (c == '=' && i >= length - 2)
        padding++;
      else if (padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }

  return TRUE;
}

/* Checks a data URL the way Ollama's decodeImageURL does, and that its
 * bytes are an image of the declared type. Returns the reason it is
 * invalid, or NULL. */
static const char *
check_data_url (const char *url)
{
  static const char * const types[] = { "image/jpeg", "image/png", "image/webp", NULL };
  g_autofree guchar *bytes = NULL;
  const char *comma = strchr (url, ',');
  g_autofree char *declared = NULL;
  gsize length = 0;

  if (!g_str_has_prefix (url, "data:") || comma == NULL)
    return "the image is not a data URL";

  declared = g_strndup (url + 5, comma - url - 5);
  if (!g_str_has_suffix (declared, ";base64"))
    return "the data URL is not base64";

  declared[strlen (declared) - strlen (";base64")] = '\0';
  if (!g_strv_contains (types, declared))
    return "the data URL type is not image/jpeg, image/png or image/webp";

  if (!is_strict_base64 (comma + 1))
    return "the data URL payload is not strict base64 (whitespace or other characters)";

  bytes = g_base64_decode (comma + 1, &length);
  if (g_strcmp0 (sniff_image_type (bytes, length), declared) != 0)
    return "the data URL bytes do not match the declared image type";

  return NULL;
}

/* Finds the text and image parts of messages[0].content and checks them. */
static gboolean
check_content (FakeServer        *fake,
               SoupServerMessage *message,
               const Scenario    *scenario,
               JsonObject        *request)
{
  JsonNode *messages = json_object_get_member (request, "messages");
  JsonObject *first = NULL;
  JsonNode *content = NULL;
  const char *url = NULL;
  gboolean has_text = FALSE;
  const char *problem;

  if (messages != NULL && JSON_NODE_HOLDS_ARRAY (messages) && json_array_get_length (json_node_get_array (messages)) > 0
      && JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (messages), 0)))
    first = json_array_get_object_element (json_node_get_array (messages), 0);
  if (first != NULL)
    content = json_object_get_member (first, "content");

  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    {
      reject (fake, message, scenario, 400, "messages[0].content must be an array of parts with the photo");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (content), i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type = part != NULL ? json_object_get_string_member_with_default (part, "type", "") : "";

      if (g_str_equal (type, "text"))
        has_text = g_strcmp0 (json_object_get_string_member_with_default (part, "text", ""), "") != 0;
      else if (g_str_equal (type, "image_url") && json_object_has_member (part, "image_url")
               && JSON_NODE_HOLDS_OBJECT (json_object_get_member (part, "image_url")))
        url = json_object_get_string_member_with_default (json_object_get_object_member (part, "image_url"), "url", NULL);
    }

  if (!has_text)
    {
      reject (fake, message, scenario, 400, "messages[0].content has no text part");
      return FALSE;
    }

  if (url == NULL)
    {
      reject (fake, message, scenario, 400, "messages[0].content has no image_url part with an object {url}");
      return FALSE;
    }

  if (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"))
    {
      reject (fake, message, scenario, 400, "image URLs are not currently supported, please use base64 encoded data instead");
      return FALSE;
    }

  problem = check_data_url (url);
  if (problem != NULL)
    {
      fake_server_add_violation (fake, "%s: %s", scenario->name, problem);
      reject (fake, message, scenario, 400, "invalid image input");
      return FALSE;
    }

  return TRUE;
}

static gboolean
modalities_contain_image (JsonObject *request)
{
  JsonNode *modalities = json_object_get_member (request, "modalities");
  JsonArray *array;

  if (modalities == NULL || !JSON_NODE_HOLDS_ARRAY (modalities))
    return FALSE;

  array = json_node_get_array (modalities);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_node_get_string (json_array_get_element (array, i)), "image") == 0)
      return TRUE;

  return FALSE;
}

static gboolean
check_openrouter_fields (FakeServer        *fake,
                         SoupServerMessage *message,
                         const Scenario    *scenario,
                         JsonObject        *request)
{
  JsonNode *stream = json_object_get_member (request, "stream");
  JsonObject *image_config = NULL;

  if (g_strcmp0 (json_object_get_string_member_with_default (request, "model", ""), "") == 0)
    {
      reject (fake, message, scenario, 400, "No model specified");
      return FALSE;
    }

  if (stream != NULL && JSON_NODE_HOLDS_VALUE (stream) && json_node_get_boolean (stream))
    fake_server_add_violation (fake, "%s: stream is true, but the client reads one JSON body", scenario->name);

  if (json_object_has_member (request, "image_config") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (request, "image_config")))
    image_config = json_object_get_object_member (request, "image_config");
  if (image_config != NULL && json_object_has_member (image_config, "aspect_ratio")
      && !g_strv_contains (aspect_ratios, json_object_get_string_member_with_default (image_config, "aspect_ratio", "")))
    {
      reject (fake, message, scenario, 400, "Invalid aspect_ratio in image_config");
      return FALSE;
    }

  return TRUE;
}

static void
reply_scenario (FakeServer        *fake,
                SoupServerMessage *message,
                const Scenario    *scenario)
{
  g_autofree char *built = scenario->build_body != NULL ? scenario->build_body (fake) : NULL;

  if (scenario->retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                  "Retry-After", scenario->retry_after);

  if (built != NULL)
    fake_reply_json (message, scenario->status, built);
  else if (scenario->json != NULL)
    fake_reply_json (message, scenario->status, scenario->json);
  else
    fake_reply_fixture (message, scenario->status, scenario->fixture);
}

static void
chat_cb (FakeServer        *fake,
         SoupServerMessage *message,
         const Scenario    *scenario)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  const char *content_type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (message), NULL);
  g_autoptr(GBytes) body = soup_message_body_flatten (request_body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request;

  if (!g_str_equal (soup_server_message_get_method (message), SOUP_METHOD_POST))
    {
      reject (fake, message, scenario, 405, "Method not allowed");
      return;
    }

  if (!check_authorization (fake, message, scenario))
    return;

  if (g_strcmp0 (content_type, "application/json") != 0
      || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      reject (fake, message, scenario, 400, "The body must be a JSON object sent as application/json");
      return;
    }

  request = json_node_get_object (json_parser_get_root (parser));
  if (!check_content (fake, message, scenario, request))
    return;
  if (scenario->flavour == FLAVOUR_OPENROUTER && !check_openrouter_fields (fake, message, scenario, request))
    return;

  fake_server_set_last_body (fake, body);

  if (scenario->flavour == FLAVOUR_OPENROUTER && !modalities_contain_image (request))
    {
      /* OpenRouter replies in text when modalities does not request images. */
      fake_reply_json (message, 200, "{\"choices\":[{\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\","
                                     "\"message\":{\"role\":\"assistant\",\"content\":\"This menu lists four Italian dishes.\"}}]}");
      return;
    }

  reply_scenario (fake, message, scenario);
}

static void
download_cb (FakeServer        *fake,
             SoupServerMessage *message)
{
  g_autoptr(GBytes) png = fake_make_png (80, 60);
  gsize length = 0;
  const char *data = g_bytes_get_data (png, &length);

  if (soup_message_headers_get_one (soup_server_message_get_request_headers (message), "Authorization") != NULL)
    fake_server_add_violation (fake, "the key was sent with the image download");

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY, data, length);
}

static void
reply_text (SoupServerMessage *message,
            guint              status,
            const char        *text)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
llamacpp_cb (SoupServerMessage *message,
             const char        *path)
{
  if (g_str_equal (path, "/health"))
    fake_reply_json (message, 200, "{\"status\":\"ok\"}");
  else if (g_str_equal (path, "/props"))
    fake_reply_json (message, 200,
                     "{\"default_generation_settings\":{\"n_ctx\":8192,\"params\":{\"temperature\":0.8}},"
                     "\"total_slots\":1,\"model_path\":\"/models/gemma-3-4b-it-Q4_K_M.gguf\","
                     "\"modalities\":{\"vision\":true,\"audio\":false},\"build_info\":\"b6123-abcdef0\"}");
  else if (g_str_equal (path, "/v1/models") || g_str_equal (path, "/models"))
    fake_reply_json (message, 200,
                     "{\"object\":\"list\",\"data\":[{\"id\":\"gemma-3-4b-it-Q4_K_M.gguf\",\"object\":\"model\","
                     "\"created\":1755000000,\"owned_by\":\"llamacpp\",\"meta\":{\"n_params\":3880263168}}]}");
  else
    fake_reply_json (message, 404, "{\"error\":{\"code\":404,\"message\":\"File Not Found\",\"type\":\"not_found_error\"}}");
}

static void
ollama_show_cb (FakeServer        *fake,
                SoupServerMessage *message)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *model = NULL;

  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    model = json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (parser)), "model", NULL);

  if (g_strcmp0 (model, "gemma3:4b") == 0)
    fake_reply_json (message, 200, "{\"capabilities\":[\"completion\",\"vision\"],\"details\":{\"family\":\"gemma3\"}}");
  else if (g_strcmp0 (model, "llama3.2:3b") == 0)
    fake_reply_json (message, 200, "{\"capabilities\":[\"completion\",\"tools\"],\"details\":{\"family\":\"llama\"}}");
  else
    fake_reply_error (fake, message, 404, "{\"error\":\"model not found\"}",
                      "discovery-ollama: /api/show for unknown model %s", model != NULL ? model : "(none)");
}

static void
ollama_cb (FakeServer        *fake,
           SoupServerMessage *message,
           const char        *method,
           const char        *path)
{
  if (g_str_equal (method, SOUP_METHOD_POST) && g_str_equal (path, "/api/show"))
    ollama_show_cb (fake, message);
  else if (g_str_equal (path, "/"))
    reply_text (message, 200, "Ollama is running");
  else if (g_str_equal (path, "/api/version"))
    fake_reply_json (message, 200, "{\"version\":\"0.12.6\"}");
  else if (g_str_equal (path, "/api/tags"))
    fake_reply_json (message, 200,
                     "{\"models\":[{\"name\":\"llama3.2:3b\",\"model\":\"llama3.2:3b\",\"size\":2019393189,"
                     "\"details\":{\"family\":\"llama\",\"families\":[\"llama\"]}},"
                     "{\"name\":\"gemma3:4b\",\"model\":\"gemma3:4b\",\"size\":3338801804,"
                     "\"details\":{\"family\":\"gemma3\",\"families\":[\"gemma3\"]}}]}");
  else
    reply_text (message, 404, "404 page not found");
}

static void
lmstudio_cb (SoupServerMessage *message,
             const char        *method,
             const char        *path)
{
  g_autofree char *unexpected = NULL;

  if (g_str_equal (path, "/v1/models"))
    fake_reply_json (message, 200,
                     "{\"data\":[{\"id\":\"meta-llama-3.1-8b-instruct\",\"object\":\"model\",\"owned_by\":\"organization_owner\"},"
                     "{\"id\":\"qwen2.5-vl-7b-instruct\",\"object\":\"model\",\"owned_by\":\"organization_owner\"}],"
                     "\"object\":\"list\"}");
  else if (g_str_equal (path, "/api/v0/models"))
    fake_reply_json (message, 200,
                     "{\"object\":\"list\",\"data\":["
                     "{\"id\":\"meta-llama-3.1-8b-instruct\",\"object\":\"model\",\"type\":\"llm\",\"publisher\":\"lmstudio-community\","
                     "\"arch\":\"llama\",\"compatibility_type\":\"gguf\",\"quantization\":\"Q4_K_M\",\"state\":\"loaded\",\"max_context_length\":131072},"
                     "{\"id\":\"qwen2.5-vl-7b-instruct\",\"object\":\"model\",\"type\":\"vlm\",\"publisher\":\"lmstudio-community\","
                     "\"arch\":\"qwen2_vl\",\"compatibility_type\":\"gguf\",\"quantization\":\"Q4_K_M\",\"state\":\"not-loaded\",\"max_context_length\":32768},"
                     "{\"id\":\"text-embedding-nomic-embed-text-v1.5\",\"object\":\"model\",\"type\":\"embeddings\",\"publisher\":\"nomic-ai\","
                     "\"arch\":\"nomic-bert\",\"compatibility_type\":\"gguf\",\"quantization\":\"Q4_K_M\",\"state\":\"not-loaded\",\"max_context_length\":2048}]}");
  else
    {
      /* LM Studio replies to unknown endpoints with 200 and an error string. */
      unexpected = g_strdup_printf ("{\"error\":\"Unexpected endpoint or method. (%s %s)\"}", method, path);
      fake_reply_json (message, 200, unexpected);
    }
}

static void
sdserver_cb (SoupServerMessage *message,
             const char        *path)
{
  if (g_str_equal (path, "/v1/models"))
    fake_reply_json (message, 200, "{\"data\":[{\"id\":\"sd-cpp-local\",\"object\":\"model\",\"owned_by\":\"local\"}],\"object\":\"list\"}");
  else
    reply_text (message, 404, "");
}

static void
comfyui_cb (SoupServerMessage *message,
            const char        *path)
{
  if (g_str_equal (path, "/system_stats"))
    fake_reply_json (message, 200,
                     "{\"system\":{\"os\":\"posix\",\"ram_total\":135089217536,\"ram_free\":120000000000,"
                     "\"comfyui_version\":\"0.3.66\",\"python_version\":\"3.12.3\",\"pytorch_version\":\"2.8.0+rocm6.4\","
                     "\"embedded_python\":false,\"argv\":[\"main.py\",\"--listen\",\"127.0.0.1\"]},"
                     "\"devices\":[{\"name\":\"cuda:0 AMD Radeon Graphics : native\",\"type\":\"cuda\",\"index\":0,"
                     "\"vram_total\":103079215104,\"vram_free\":100000000000,"
                     "\"torch_vram_total\":0,\"torch_vram_free\":0}]}");
  else
    reply_text (message, 404, "404: Not Found");
}

static void
lemonade_cb (SoupServerMessage *message,
             const char        *path)
{
  if (g_str_equal (path, "/api/v1/health") || g_str_equal (path, "/v1/health"))
    fake_reply_json (message, 200,
                     "{\"status\":\"ok\",\"version\":\"10.0.0\",\"model_loaded\":null,\"all_models_loaded\":[],"
                     "\"max_models\":{\"llm\":1,\"embedding\":1,\"reranking\":1,\"transcription\":1,\"image\":1,\"tts\":1}}");
  else if (g_str_equal (path, "/api/v1/models") || g_str_equal (path, "/v1/models"))
    fake_reply_json (message, 200,
                     "{\"object\":\"list\",\"data\":["
                     "{\"id\":\"Qwen3-4B-GGUF\",\"object\":\"model\",\"labels\":[\"reasoning\"],\"recipe\":\"llamacpp\",\"downloaded\":true},"
                     "{\"id\":\"SD-Turbo\",\"object\":\"model\",\"labels\":[\"image\"],\"recipe\":\"sd-cpp\",\"downloaded\":true},"
                     "{\"id\":\"Flux-2-Klein-9B-GGUF\",\"object\":\"model\",\"labels\":[\"image\",\"edit\"],\"recipe\":\"sd-cpp\",\"downloaded\":false},"
                     "{\"id\":\"Flux-2-Klein-4B\",\"object\":\"model\",\"labels\":[\"image\",\"edit\"],\"recipe\":\"sd-cpp\",\"downloaded\":true}]}");
  else
    fake_reply_json (message, 404, "{\"error\":{\"message\":\"Not found\",\"type\":\"not_found\"}}");
}

static void
other_cb (SoupServerMessage *message,
          const char        *method,
          const char        *path)
{
  if (!g_str_equal (method, SOUP_METHOD_GET))
    reply_text (message, 404, "Not Found");
  else if (g_str_equal (path, "/v1/models"))
    fake_reply_json (message, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\"}]}");
  else
    fake_reply_json (message, 200, "{\"status\":\"ok\",\"service\":\"unrelated\"}");
}

static void
discovery_cb (FakeServer        *fake,
              SoupServerMessage *message,
              const Scenario    *scenario)
{
  const char *method = soup_server_message_get_method (message);
  const char *path = g_uri_get_path (soup_server_message_get_uri (message));

  if (!g_str_equal (method, SOUP_METHOD_GET) && !g_str_equal (scenario->name, "discovery-ollama"))
    fake_server_add_violation (fake, "%s: discovery sent %s %s; probes must only read", scenario->name, method, path);

  if (g_str_equal (scenario->name, "discovery-llamacpp"))
    llamacpp_cb (message, path);
  else if (g_str_equal (scenario->name, "discovery-ollama"))
    ollama_cb (fake, message, method, path);
  else if (g_str_equal (scenario->name, "discovery-lmstudio"))
    lmstudio_cb (message, method, path);
  else if (g_str_equal (scenario->name, "discovery-sdserver"))
    sdserver_cb (message, path);
  else if (g_str_equal (scenario->name, "discovery-comfyui"))
    comfyui_cb (message, path);
  else if (g_str_equal (scenario->name, "discovery-lemonade"))
    lemonade_cb (message, path);
  else
    other_cb (message, method, path);
}

static void
any_path_cb (SoupServer        *server,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  FakeServer *fake = user_data;
  const Scenario *scenario = find_scenario (fake_server_get_scenario (fake));

  fake_server_count_request (fake, path);

  if (scenario->flavour == FLAVOUR_DISCOVERY)
    discovery_cb (fake, message, scenario);
  else if (g_str_equal (path, CHAT_PATH))
    chat_cb (fake, message, scenario);
  else if (g_str_equal (path, DOWNLOAD_PATH) && g_str_equal (scenario->name, "openrouter-chat-image-https-url"))
    download_cb (fake, message);
  else
    fake_reply_error (fake, message, 404, "{\"error\":{\"code\":404,\"message\":\"Not Found\"}}",
                      "%s: request to unknown path %s", scenario->name, path);
}

void
fake_chat_install (FakeServer *self)
{
  const char *scenario = fake_server_get_scenario (self);

  if (find_scenario (scenario) == NULL)
    g_error ("fake openai-chat has no scenario %s", scenario);

  soup_server_add_handler (fake_server_get_soup_server (self), NULL, any_path_cb, self, NULL);
}
