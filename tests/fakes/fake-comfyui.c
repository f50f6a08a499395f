/* A strict fake of the ComfyUI server API: /upload/image, /object_info,
 * /prompt, the /ws WebSocket, /history, /view, /queue and /interrupt.
 *
 * It checks what ComfyUI's server.py and execution.py check, and replies in
 * the same shapes. An upload needs a file name, and it is stored as
 * "name (1).ext" when the name exists with other bytes. A prompt must be an
 * object of nodes with class_type and inputs, and its node types must exist.
 * LoadImage must name an uploaded file, model loaders must name a listed
 * file, and a client-chosen prompt_id must be a lowercase UUID.
 *
 * It also records as violations what this client must never do, even where
 * ComfyUI would accept it: an upload without an image Content-Type, a
 * prompt without client_id (no events would reach the client), a /view of
 * an image that was never produced, and an interrupt of a prompt that is
 * not running.
 *
 * After a prompt is queued, the WebSocket of its client_id gets the
 * recorded event sequence (tests/fixtures/comfyui-ws-message-sequence.json)
 * with the real prompt id and node ids, one frame every FRAME_INTERVAL_MS,
 * with one progress frame per sampler step and binary frames among them.
 *
 * Scenarios:
 *
 * | Scenario            | Behaviour                                                        |
 * |---------------------|------------------------------------------------------------------|
 * | success             | the recorded sequence, then a history entry and an 832×1248 PNG  |
 * | c2, model-folders   | loaders list only flux/a.safetensors and sdxl/b.safetensors      |
 * | c4, hip-error       | execution_error in the CLIPTextEncode node: "HIP error: invalid  |
 * |                     | device function", and the history entry has status "error"      |
 * | validation-error    | /prompt returns 400 with comfyui-prompt-validation-error.json    |
 * | missing-node-type   | /prompt returns 400 with comfyui-prompt-missing-node-type.json   |
 * | node-errors-preview | 200 with node_errors on the first PreviewImage, the rest runs    |
 * | node-errors-save    | 200 with node_errors on the first SaveImage, the rest runs       |
 * | interrupted         | execution_interrupted after one step, and no outputs in history  |
 * | lost                | accepts the prompt, then forgets it: no events, not in /queue,   |
 * |                     | not in /history, as after a restart                              |
 * | slow                | 20 steps, one frame every 200 ms, and /interrupt stops the prompt|
 * | queued              | the prompt stays pending behind another until /queue deletes it  |
 * | no-websocket        | /ws returns 404, and the prompt runs as in "success"             |
 * | ws-drop             | the WebSocket closes right after the prompt is queued            |
 * | illustrated         | 20 steps, one every 250 ms, then /view serves an 832×1248 fake   |
 * |                     | illustrated menu drawn around the uploaded photo                 |
 */

#include <string.h>

#include "fake-server.h"

#define FIXTURE_PROMPT_ID "3f6e1c2a-8b4d-4f7e-9a1b-2c3d4e5f6a7b"
#define FIXTURE_SAMPLER_NODE "\"433:3\""
#define FIXTURE_SAVE_NODE "\"60\""
#define FIXTURE_OUTPUT_FILE "menu_00001_.png"

#define FRAME_INTERVAL_MS 20
#define SLOW_FRAME_INTERVAL_MS 200
#define SLOW_STEPS 20
/* Each step sends two frames (progress_state and progress), so one step
 * arrives every 250 ms. */
#define ILLUSTRATED_FRAME_INTERVAL_MS 125
#define ILLUSTRATED_STEPS 20
#define RESULT_WIDTH 832
#define RESULT_HEIGHT 1248

/* Large enough to exceed libsoup's default 128 KiB frame limit. */
#define PREVIEW_FRAME_BYTES (256 * 1024)

/* Binary event types of ComfyUI's protocol.py. */
#define BINARY_PREVIEW_IMAGE 1
#define BINARY_TEXT 3

typedef enum {
  JOB_PENDING,
  JOB_RUNNING,
  JOB_DONE,
} JobState;

typedef enum {
  FRAME_SEND,
  FRAME_START,    /* the prompt leaves the queue and runs */
  FRAME_FINISH,   /* the history entry is written, then the frame is sent */
} FrameAction;

typedef enum {
  HISTORY_SUCCESS,
  HISTORY_ERROR,
  HISTORY_INTERRUPTED,
} HistoryKind;

typedef struct {
  FrameAction action;
  gboolean broadcast;
  char *text;
  GBytes *binary;
} Frame;

typedef struct _FakeComfy FakeComfy;

typedef struct {
  FakeComfy *fake;
  char *id;
  char *client_id;
  int number;
  JsonNode *prompt;
  char *output_node;
  char *output_type;
  char *output_file;
  char *sampler_node;
  char *text_node;
  JobState state;
  HistoryKind history_kind;
  JsonNode *error_data;
  GPtrArray *frames;
  guint next_frame;
  guint timer_id;
} FakeJob;

struct _FakeComfy {
  FakeServer *server;
  GHashTable *uploads;   /* "subfolder/name" → GBytes */
  GHashTable *sockets;   /* client id → SoupWebsocketConnection */
  GHashTable *history;   /* prompt id → JSON text */
  GHashTable *outputs;   /* output file name → GBytes */
  FakeJob *job;
  int number;
  int output_counter;
};

/* Node types the fake server has, with the output nodes marked. */
static const struct {
  const char *class_type;
  gboolean output;
} known_classes[] = {
  { "LoadImage", FALSE }, { "UNETLoader", FALSE }, { "CLIPLoader", FALSE },
  { "DualCLIPLoader", FALSE }, { "VAELoader", FALSE }, { "LoraLoaderModelOnly", FALSE },
  { "CheckpointLoaderSimple", FALSE }, { "ModelSamplingAuraFlow", FALSE }, { "CFGNorm", FALSE },
  { "FluxKontextImageScale", FALSE }, { "TextEncodeQwenImageEditPlus", FALSE },
  { "TextEncodeQwenImageEdit", FALSE }, { "CLIPTextEncode", FALSE }, { "ReferenceLatent", FALSE },
  { "FluxGuidance", FALSE }, { "ConditioningZeroOut", FALSE }, { "VAEEncode", FALSE },
  { "VAEDecode", FALSE }, { "KSampler", FALSE }, { "EmptyLatentImage", FALSE },
  { "PrimitiveStringMultiline", FALSE }, { "UnloadAllModels", FALSE },
  { "SaveImage", TRUE }, { "PreviewImage", TRUE },
};

static const char * const default_unet_files[] = {
  "flux1-dev-kontext_fp8_scaled.safetensors",
  "qwen_image_edit_2509_fp8_e4m3fn.safetensors",
  "qwen_image_edit_2511_fp8mixed.safetensors",
  "qwen/Qwen-Image-Edit-2509-Q8_0.safetensors",
  NULL,
};

static const char * const default_checkpoint_files[] = {
  "sd_xl_base_1.0.safetensors",
  "sdxl/juggernautXL_v9.safetensors",
  NULL,
};

static const char * const c2_files[] = {
  "flux/a.safetensors",
  "sdxl/b.safetensors",
  NULL,
};

static void
frame_free (Frame *frame)
{
  g_free (frame->text);
  g_clear_pointer (&frame->binary, g_bytes_unref);
  g_free (frame);
}

static void
job_free (FakeJob *job)
{
  if (job == NULL)
    return;

  g_clear_handle_id (&job->timer_id, g_source_remove);
  g_free (job->id);
  g_free (job->client_id);
  g_clear_pointer (&job->prompt, json_node_unref);
  g_free (job->output_node);
  g_free (job->output_type);
  g_free (job->output_file);
  g_free (job->sampler_node);
  g_free (job->text_node);
  g_clear_pointer (&job->error_data, json_node_unref);
  g_clear_pointer (&job->frames, g_ptr_array_unref);
  g_free (job);
}

static void socket_closed_cb (SoupWebsocketConnection *socket,
                              gpointer                 user_data);

static void
close_socket (gpointer data)
{
  SoupWebsocketConnection *socket = data;

  g_signal_handlers_disconnect_matched (socket, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, socket_closed_cb, NULL);
  if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (socket);
}

static void
fake_comfy_free (FakeComfy *fake)
{
  job_free (fake->job);
  g_hash_table_unref (fake->uploads);
  g_hash_table_unref (fake->sockets);
  g_hash_table_unref (fake->history);
  g_hash_table_unref (fake->outputs);
  g_free (fake);
}

/* Scenarios that have a second, descriptive name. */
static const char * const scenario_aliases[][2] = {
  { "model-folders", "c2" },
  { "hip-error", "c4" },
};

static gboolean
scenario_is (FakeComfy  *fake,
             const char *scenario)
{
  const char *current = fake_server_get_scenario (fake->server);

  for (guint i = 0; i < G_N_ELEMENTS (scenario_aliases); i++)
    if (g_strcmp0 (current, scenario_aliases[i][0]) == 0)
      current = scenario_aliases[i][1];

  return g_strcmp0 (current, scenario) == 0;
}

/* JSON helpers. */

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static char *
object_to_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static JsonNode *
parse_text (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL) || json_parser_get_root (parser) == NULL)
    return NULL;

  return json_node_ref (json_parser_get_root (parser));
}

static char *
load_fixture_text (const char *name)
{
  g_autoptr(GBytes) bytes = fake_load_fixture (name);

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static char *
replace_all (const char *text,
             const char *from,
             const char *to)
{
  g_auto(GStrv) pieces = g_strsplit (text, from, -1);

  return g_strjoinv (to, pieces);
}

static char *
event_text (const char *type,
            JsonObject *data)
{
  g_autoptr(JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "type", type);
  json_object_set_object_member (event, "data", json_object_ref (data));
  return object_to_text (event);
}

static char *
status_text (int         remaining,
             const char *sid)
{
  g_autoptr(JsonObject) data = json_object_new ();
  JsonObject *status = json_object_new ();
  JsonObject *exec_info = json_object_new ();

  json_object_set_int_member (exec_info, "queue_remaining", remaining);
  json_object_set_object_member (status, "exec_info", exec_info);
  json_object_set_object_member (data, "status", status);
  if (sid != NULL)
    json_object_set_string_member (data, "sid", sid);

  return event_text ("status", data);
}

static const char *
node_class (JsonObject *prompt,
            const char *node_id)
{
  return get_string (get_object (prompt, node_id), "class_type");
}

static gboolean
class_is_known (const char *class_type,
                gboolean   *output)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_classes); i++)
    if (g_strcmp0 (known_classes[i].class_type, class_type) == 0)
      {
        if (output != NULL)
          *output = known_classes[i].output;
        return TRUE;
      }

  return FALSE;
}

static char *
find_class (JsonObject *prompt,
            const char *class_type)
{
  g_autoptr(GList) ids = json_object_get_members (prompt);

  for (GList *l = ids; l != NULL; l = l->next)
    if (g_strcmp0 (node_class (prompt, l->data), class_type) == 0)
      return g_strdup (l->data);

  return NULL;
}

/* WebSocket sending. */

static void
send_frame_to (SoupWebsocketConnection *socket,
               Frame                   *frame)
{
  if (soup_websocket_connection_get_state (socket) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  if (frame->text != NULL)
    soup_websocket_connection_send_text (socket, frame->text);
  else
    soup_websocket_connection_send_binary (socket, g_bytes_get_data (frame->binary, NULL),
                                           g_bytes_get_size (frame->binary));
}

static void
send_frame (FakeJob *job,
            Frame   *frame)
{
  FakeComfy *fake = job->fake;

  if (frame->broadcast)
    {
      GHashTableIter iter;
      gpointer socket;

      g_hash_table_iter_init (&iter, fake->sockets);
      while (g_hash_table_iter_next (&iter, NULL, &socket))
        send_frame_to (socket, frame);
    }
  else if (job->client_id != NULL && g_hash_table_contains (fake->sockets, job->client_id))
    {
      send_frame_to (g_hash_table_lookup (fake->sockets, job->client_id), frame);
    }
}

static void
broadcast_status (FakeComfy *fake,
                  int        remaining)
{
  Frame frame = { FRAME_SEND, TRUE, status_text (remaining, NULL), NULL };
  GHashTableIter iter;
  gpointer socket;

  g_hash_table_iter_init (&iter, fake->sockets);
  while (g_hash_table_iter_next (&iter, NULL, &socket))
    send_frame_to (socket, &frame);
  g_free (frame.text);
}

static int
queue_remaining (FakeComfy *fake)
{
  if (scenario_is (fake, "queued"))
    return fake->job != NULL && fake->job->state == JOB_PENDING ? 2 : 1;

  return fake->job != NULL && fake->job->state != JOB_DONE ? 1 : 0;
}

/* History entries, as PromptQueue.task_done() writes them. */

static JsonNode *
load_history_fixture (FakeJob    *job,
                      const char *fixture)
{
  g_autofree char *text = load_fixture_text (fixture);
  g_autofree char *with_id = replace_all (text, FIXTURE_PROMPT_ID, job->id);

  return parse_text (with_id);
}

static void
set_history_outputs (FakeJob    *job,
                     JsonObject *entry)
{
  JsonObject *outputs = json_object_new ();
  JsonObject *output = json_object_new ();
  JsonArray *images = json_array_new ();
  JsonObject *image = json_object_new ();

  json_object_set_string_member (image, "filename", job->output_file);
  json_object_set_string_member (image, "subfolder", "");
  json_object_set_string_member (image, "type", job->output_type);
  json_array_add_object_element (images, image);
  json_object_set_array_member (output, "images", images);
  json_object_set_object_member (outputs, job->output_node, output);
  json_object_set_object_member (entry, "outputs", outputs);
  json_object_set_object_member (entry, "meta", json_object_new ());
}

/* Makes the image of a finished prompt: a plain PNG, or in the
 * "illustrated" scenario the fake menu around the photo that the prompt's
 * LoadImage node names. */
static GBytes *
make_output (FakeJob *job)
{
  JsonObject *prompt = json_node_get_object (job->prompt);
  g_autofree char *loader = find_class (prompt, "LoadImage");
  const char *image = NULL;

  if (!scenario_is (job->fake, "illustrated"))
    return fake_make_png (RESULT_WIDTH, RESULT_HEIGHT);

  if (loader != NULL)
    image = get_string (get_object (get_object (prompt, loader), "inputs"), "image");

  fake_server_set_image_size (job->fake->server, RESULT_WIDTH, RESULT_HEIGHT);
  return fake_make_illustrated_menu (image != NULL ? g_hash_table_lookup (job->fake->uploads, image) : NULL,
                                     RESULT_WIDTH, RESULT_HEIGHT);
}

static void
write_history (FakeJob *job)
{
  FakeComfy *fake = job->fake;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *entry;

  if (job->history_kind == HISTORY_SUCCESS)
    root = load_history_fixture (job, "comfyui-history-success");
  else
    root = load_history_fixture (job, "comfyui-history-interrupted-no-outputs");

  /* The prompt tuple is [number, id, workflow, extra_data, outputs]. */
  entry = get_object (json_node_get_object (root), job->id);
  json_node_set_object (json_array_get_element (json_object_get_array_member (entry, "prompt"), 2),
                        json_node_get_object (job->prompt));

  if (job->history_kind == HISTORY_SUCCESS)
    {
      set_history_outputs (job, entry);
      g_hash_table_insert (fake->outputs, g_strdup (job->output_file), make_output (job));
    }
  else if (job->history_kind == HISTORY_ERROR)
    {
      JsonArray *messages = json_object_get_array_member (get_object (entry, "status"), "messages");
      JsonArray *pair = json_array_new ();

      json_array_remove_element (messages, 1);
      json_array_add_string_element (pair, "execution_error");
      json_array_add_element (pair, json_node_copy (job->error_data));
      json_array_add_array_element (messages, pair);
    }

  g_hash_table_insert (fake->history, g_strdup (job->id), json_to_string (root, FALSE));
}

/* The event sequence of a prompt. */

static void
add_text_frame (FakeJob     *job,
                FrameAction  action,
                gboolean     broadcast,
                char        *text)
{
  Frame *frame = g_new0 (Frame, 1);

  frame->action = action;
  frame->broadcast = broadcast;
  frame->text = text;
  g_ptr_array_add (job->frames, frame);
}

static void
add_binary_frame (FakeJob *job,
                  guint32  type,
                  GBytes  *payload)
{
  Frame *frame = g_new0 (Frame, 1);
  GByteArray *bytes = g_byte_array_new ();
  guint32 type_be = GUINT32_TO_BE (type);

  g_byte_array_append (bytes, (const guint8 *) &type_be, 4);
  g_byte_array_append (bytes, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  frame->action = FRAME_SEND;
  frame->binary = g_byte_array_free_to_bytes (bytes);
  g_ptr_array_add (job->frames, frame);
}

static JsonObject *
prompt_data (FakeJob *job)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "prompt_id", job->id);
  return data;
}

static char *
progress_text (FakeJob *job,
               int      value,
               int      max)
{
  g_autoptr(JsonObject) data = prompt_data (job);

  json_object_set_int_member (data, "value", value);
  json_object_set_int_member (data, "max", max);
  json_object_set_string_member (data, "node", job->sampler_node);
  return event_text ("progress", data);
}

static char *
progress_state_text (FakeJob *job,
                     int      value,
                     int      max)
{
  g_autoptr(JsonObject) data = prompt_data (job);
  JsonObject *nodes = json_object_new ();
  JsonObject *state = json_object_new ();

  json_object_set_double_member (state, "value", value);
  json_object_set_double_member (state, "max", max);
  json_object_set_string_member (state, "state", "running");
  json_object_set_string_member (state, "node_id", job->sampler_node);
  json_object_set_string_member (state, "prompt_id", job->id);
  json_object_set_string_member (state, "display_node_id", job->sampler_node);
  json_object_set_null_member (state, "parent_node_id");
  json_object_set_string_member (state, "real_node_id", job->sampler_node);
  json_object_set_object_member (nodes, job->sampler_node, state);
  json_object_set_object_member (data, "nodes", nodes);
  return event_text ("progress_state", data);
}

static char *
executing_text (FakeJob    *job,
                const char *node)
{
  g_autoptr(JsonObject) data = prompt_data (job);

  if (node != NULL)
    {
      json_object_set_string_member (data, "node", node);
      json_object_set_string_member (data, "display_node", node);
    }
  else
    json_object_set_null_member (data, "node");

  return event_text ("executing", data);
}

static char *
simple_event_text (FakeJob    *job,
                   const char *type)
{
  g_autoptr(JsonObject) data = prompt_data (job);

  json_object_set_int_member (data, "timestamp", g_get_real_time () / 1000);
  return event_text (type, data);
}

/* A preview (type 1, then image type 1 = JPEG), node text (type 3) and an
 * unknown type, which a client must skip. */
static void
add_binary_frames (FakeJob *job)
{
  g_autofree guint8 *preview = g_malloc0 (PREVIEW_FRAME_BYTES);
  GByteArray *node_text = g_byte_array_new ();
  guint32 node_length = GUINT32_TO_BE ((guint32) strlen (job->sampler_node));
  g_autoptr(GBytes) preview_bytes = NULL;
  g_autoptr(GBytes) text_bytes = NULL;
  g_autoptr(GBytes) unknown_bytes = g_bytes_new_static ("????", 4);

  preview[3] = 1;
  preview[4] = 0xff;
  preview[5] = 0xd8;
  preview_bytes = g_bytes_new (preview, PREVIEW_FRAME_BYTES);
  add_binary_frame (job, BINARY_PREVIEW_IMAGE, preview_bytes);

  g_byte_array_append (node_text, (const guint8 *) &node_length, 4);
  g_byte_array_append (node_text, (const guint8 *) job->sampler_node, strlen (job->sampler_node));
  g_byte_array_append (node_text, (const guint8 *) "step done", strlen ("step done"));
  text_bytes = g_byte_array_free_to_bytes (node_text);
  add_binary_frame (job, BINARY_TEXT, text_bytes);
  add_binary_frame (job, 99, unknown_bytes);
}

/* The recorded sequence minus the status sent on connect, with this
 * prompt's ids, and one progress frame per step instead of the single
 * recorded one. */
static void
build_success_frames (FakeJob *job,
                      int      steps)
{
  g_autofree char *text = load_fixture_text ("comfyui-ws-message-sequence");
  g_autofree char *quoted_sampler = g_strdup_printf ("\"%s\"", job->sampler_node);
  g_autofree char *quoted_output = g_strdup_printf ("\"%s\"", job->output_node);
  g_autofree char *step1 = replace_all (text, FIXTURE_PROMPT_ID, job->id);
  g_autofree char *step2 = replace_all (step1, FIXTURE_SAMPLER_NODE, quoted_sampler);
  g_autofree char *step3 = replace_all (step2, FIXTURE_SAVE_NODE, quoted_output);
  g_autofree char *step4 = replace_all (step3, FIXTURE_OUTPUT_FILE, job->output_file);
  g_autoptr(JsonNode) sequence = parse_text (step4);
  JsonArray *events = json_node_get_array (sequence);

  for (guint i = 1; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      const char *type = get_string (event, "type");
      JsonObject *data = get_object (event, "data");
      FrameAction action = FRAME_SEND;

      /* The server sends progress_state with every progress event. */
      if (g_str_equal (type, "progress_state"))
        continue;

      if (g_str_equal (type, "progress"))
        {
          for (int step = 1; step <= steps; step++)
            {
              add_text_frame (job, FRAME_SEND, FALSE, progress_state_text (job, step, steps));
              add_text_frame (job, FRAME_SEND, FALSE, progress_text (job, step, steps));
              if (step == 1)
                add_binary_frames (job);
            }
          continue;
        }

      if (g_str_equal (type, "execution_start"))
        action = FRAME_START;
      else if (g_str_equal (type, "executing") && json_object_has_member (data, "node")
               && JSON_NODE_HOLDS_NULL (json_object_get_member (data, "node")))
        action = FRAME_FINISH;

      add_text_frame (job, action, g_str_equal (type, "status"), object_to_text (event));
    }
}

static void
build_error_frames (FakeJob *job)
{
  g_autofree char *text = load_fixture_text ("comfyui-ws-execution-error");
  g_autoptr(JsonNode) event = parse_text (text);
  JsonObject *data = get_object (json_node_get_object (event), "data");
  const char *node = job->text_node != NULL ? job->text_node : job->sampler_node;
  JsonArray *executed = json_array_new ();

  json_object_set_string_member (data, "prompt_id", job->id);
  json_object_set_string_member (data, "node_id", node);
  json_object_set_string_member (data, "node_type", node_class (json_node_get_object (job->prompt), node));
  json_object_set_string_member (data, "exception_type", "RuntimeError");
  json_object_set_string_member (data, "exception_message",
                                 "HIP error: invalid device function\n"
                                 "HIP kernel errors might be asynchronously reported at some other API call, "
                                 "so the stacktrace below might be incorrect.\n"
                                 "For debugging consider passing AMD_SERIALIZE_KERNEL=3\n");
  json_object_set_array_member (data, "executed", executed);
  json_object_set_object_member (data, "current_inputs", json_object_new ());
  job->error_data = json_node_copy (json_object_get_member (json_node_get_object (event), "data"));
  job->history_kind = HISTORY_ERROR;

  add_text_frame (job, FRAME_SEND, TRUE, status_text (1, NULL));
  add_text_frame (job, FRAME_START, FALSE, simple_event_text (job, "execution_start"));
  add_text_frame (job, FRAME_SEND, FALSE, executing_text (job, node));
  add_text_frame (job, FRAME_SEND, FALSE, json_to_string (event, FALSE));
  add_text_frame (job, FRAME_FINISH, FALSE, executing_text (job, NULL));
  add_text_frame (job, FRAME_SEND, TRUE, status_text (0, NULL));
}

static char *
interrupted_text (FakeJob *job)
{
  g_autoptr(JsonObject) data = prompt_data (job);

  json_object_set_string_member (data, "node_id", job->sampler_node);
  json_object_set_string_member (data, "node_type", node_class (json_node_get_object (job->prompt), job->sampler_node));
  json_object_set_array_member (data, "executed", json_array_new ());
  json_object_set_int_member (data, "timestamp", g_get_real_time () / 1000);
  return event_text ("execution_interrupted", data);
}

static void
build_interrupted_frames (FakeJob *job)
{
  job->history_kind = HISTORY_INTERRUPTED;
  add_text_frame (job, FRAME_SEND, TRUE, status_text (1, NULL));
  add_text_frame (job, FRAME_START, FALSE, simple_event_text (job, "execution_start"));
  add_text_frame (job, FRAME_SEND, FALSE, executing_text (job, job->sampler_node));
  add_text_frame (job, FRAME_SEND, FALSE, progress_text (job, 1, 4));
  add_text_frame (job, FRAME_SEND, TRUE, interrupted_text (job));
  add_text_frame (job, FRAME_FINISH, FALSE, executing_text (job, NULL));
}

static void
build_frames (FakeJob *job)
{
  FakeComfy *fake = job->fake;

  job->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  job->history_kind = HISTORY_SUCCESS;

  if (scenario_is (fake, "c4"))
    build_error_frames (job);
  else if (scenario_is (fake, "interrupted"))
    build_interrupted_frames (job);
  else if (scenario_is (fake, "queued"))
    add_text_frame (job, FRAME_SEND, TRUE, status_text (2, NULL));
  else if (scenario_is (fake, "slow"))
    build_success_frames (job, SLOW_STEPS);
  else if (scenario_is (fake, "illustrated"))
    build_success_frames (job, ILLUSTRATED_STEPS);
  else
    build_success_frames (job, 4);
}

static gboolean
next_frame_cb (gpointer user_data)
{
  FakeJob *job = user_data;
  Frame *frame;

  if (job->next_frame >= job->frames->len)
    {
      job->timer_id = 0;
      return G_SOURCE_REMOVE;
    }

  frame = g_ptr_array_index (job->frames, job->next_frame++);
  if (frame->action == FRAME_START)
    job->state = JOB_RUNNING;
  else if (frame->action == FRAME_FINISH)
    {
      write_history (job);
      job->state = JOB_DONE;
    }

  send_frame (job, frame);
  return G_SOURCE_CONTINUE;
}

static void
interrupt_job (FakeJob *job)
{
  g_autofree char *interrupted = interrupted_text (job);
  g_autofree char *finished = executing_text (job, NULL);
  Frame broadcast = { FRAME_SEND, TRUE, interrupted, NULL };
  Frame to_client = { FRAME_SEND, FALSE, finished, NULL };

  g_clear_handle_id (&job->timer_id, g_source_remove);
  job->history_kind = HISTORY_INTERRUPTED;
  write_history (job);
  job->state = JOB_DONE;
  send_frame (job, &broadcast);
  send_frame (job, &to_client);
  broadcast_status (job->fake, 0);
}

/* Request handlers. */

static void
reply_empty (SoupServerMessage *message,
             guint              status)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "", 0);
}

static GBytes *
request_body (SoupServerMessage *message)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (message));
}

static JsonNode *
parse_request (SoupServerMessage *message)
{
  g_autoptr(GBytes) body = request_body (message);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  return parse_text (text);
}

static gboolean
bytes_are_image (GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  return (length > 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
         || (length > 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
         || (length > 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0);
}

/* Stores the upload the way image_upload() does: a name that exists with
 * other bytes becomes "name (1).ext", with the same bytes it is reused. */
static char *
store_upload (FakeComfy  *fake,
              const char *subfolder,
              const char *filename,
              GBytes     *file,
              gboolean    overwrite)
{
  const char *dot = strrchr (filename, '.');
  g_autofree char *stem = dot != NULL ? g_strndup (filename, dot - filename) : g_strdup (filename);
  g_autofree char *name = g_strdup (filename);
  int counter = 1;

  while (!overwrite)
    {
      g_autofree char *key = subfolder[0] != '\0' ? g_strconcat (subfolder, "/", name, NULL) : g_strdup (name);
      GBytes *existing = g_hash_table_lookup (fake->uploads, key);

      if (existing == NULL || g_bytes_equal (existing, file))
        break;

      g_free (name);
      name = g_strdup_printf ("%s (%d)%s", stem, counter++, dot != NULL ? dot : "");
    }

  g_hash_table_insert (fake->uploads,
                       subfolder[0] != '\0' ? g_strconcat (subfolder, "/", name, NULL) : g_strdup (name),
                       g_bytes_ref (file));
  return g_steal_pointer (&name);
}

static void
upload_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  FakeComfy *fake = user_data;
  FakeServer *self = fake->server;
  g_autoptr(GBytes) body = request_body (message);
  SoupMultipart *multipart = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autofree char *stored = NULL;
  g_autofree char *text = NULL;
  const char *subfolder;
  const char *type;
  const char *overwrite;

  fake_server_count_request (self, "POST /upload/image");
  if (soup_server_message_get_method (message) != SOUP_METHOD_POST)
    {
      fake_server_add_violation (self, "/upload/image with method %s", soup_server_message_get_method (message));
      reply_empty (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      return;
    }

  multipart = soup_multipart_new_from_message (soup_server_message_get_request_headers (message), body);
  /* soup_form_decode_multipart() takes the multipart and frees it. */
  if (multipart != NULL)
    fields = soup_form_decode_multipart (multipart, "image", &filename, &content_type, &file);
  if (fields == NULL || file == NULL || filename == NULL || filename[0] == '\0')
    {
      fake_server_add_violation (self, "/upload/image without an \"image\" file part that has a filename");
      reply_empty (message, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  if (content_type == NULL || !g_str_has_prefix (content_type, "image/") || !bytes_are_image (file))
    fake_server_add_violation (self, "/upload/image part of type %s that is not a JPEG, PNG or WebP image",
                               content_type != NULL ? content_type : "(none)");

  subfolder = g_hash_table_lookup (fields, "subfolder");
  subfolder = subfolder != NULL ? subfolder : "";
  type = g_hash_table_lookup (fields, "type");
  overwrite = g_hash_table_lookup (fields, "overwrite");
  if ((type != NULL && !g_str_equal (type, "input")) || strstr (subfolder, "..") != NULL
      || subfolder[0] == '/' || strchr (filename, '/') != NULL)
    {
      fake_server_add_violation (self, "/upload/image to type %s, subfolder %s, file %s",
                                 type != NULL ? type : "(none)", subfolder, filename);
      reply_empty (message, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  stored = store_upload (fake, subfolder, filename, file,
                         g_strcmp0 (overwrite, "true") == 0 || g_strcmp0 (overwrite, "1") == 0);
  json_object_set_string_member (reply, "name", stored);
  json_object_set_string_member (reply, "subfolder", subfolder);
  json_object_set_string_member (reply, "type", "input");
  text = object_to_text (reply);
  fake_reply_json (message, SOUP_STATUS_OK, text);
}

static const char * const *
listed_files (FakeComfy  *fake,
              const char *class_type)
{
  if (scenario_is (fake, "c2"))
    return c2_files;

  return g_str_equal (class_type, "CheckpointLoaderSimple") ? default_checkpoint_files : default_unet_files;
}

static const char *
loader_input (const char *class_type)
{
  if (g_strcmp0 (class_type, "UNETLoader") == 0)
    return "unet_name";
  if (g_strcmp0 (class_type, "CheckpointLoaderSimple") == 0)
    return "ckpt_name";

  return NULL;
}

/* The input specification of a combo, as node_info() writes it:
 * [[values], {}]. */
static JsonArray *
combo_spec (const char * const *values)
{
  JsonArray *spec = json_array_new ();
  JsonArray *list = json_array_new ();

  for (guint i = 0; values[i] != NULL; i++)
    json_array_add_string_element (list, values[i]);
  json_array_add_array_element (spec, list);
  json_array_add_object_element (spec, json_object_new ());
  return spec;
}

static void
object_info_cb (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FakeComfy *fake = user_data;
  const char *class_type = g_str_has_prefix (path, "/object_info/") ? path + strlen ("/object_info/") : "";
  g_autofree char *request = g_strconcat ("GET ", path, NULL);
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autofree char *text = NULL;
  gboolean output = FALSE;

  fake_server_count_request (fake->server, request);
  if (class_is_known (class_type, &output))
    {
      JsonObject *info = json_object_new ();
      JsonObject *input = json_object_new ();
      JsonObject *required = json_object_new ();

      if (loader_input (class_type) != NULL)
        json_object_set_array_member (required, loader_input (class_type),
                                      combo_spec (listed_files (fake, class_type)));
      json_object_set_object_member (input, "required", required);
      json_object_set_object_member (info, "input", input);
      json_object_set_string_member (info, "name", class_type);
      json_object_set_boolean_member (info, "output_node", output);
      json_object_set_object_member (reply, class_type, info);
    }

  text = object_to_text (reply);
  fake_reply_json (message, SOUP_STATUS_OK, text);
}

/* /prompt validation, in the shapes of execution.py. */

static void
reply_prompt_error (SoupServerMessage *message,
                    const char        *type,
                    const char        *text,
                    const char        *details,
                    JsonObject        *extra_info,
                    JsonObject        *node_errors)
{
  g_autoptr(JsonObject) reply = json_object_new ();
  JsonObject *error = json_object_new ();
  g_autofree char *body = NULL;

  json_object_set_string_member (error, "type", type);
  json_object_set_string_member (error, "message", text);
  json_object_set_string_member (error, "details", details);
  json_object_set_object_member (error, "extra_info", extra_info != NULL ? json_object_ref (extra_info) : json_object_new ());
  json_object_set_object_member (reply, "error", error);
  json_object_set_object_member (reply, "node_errors", node_errors != NULL ? json_object_ref (node_errors) : json_object_new ());
  body = object_to_text (reply);
  fake_reply_json (message, SOUP_STATUS_BAD_REQUEST, body);
}

static gboolean
is_canonical_uuid (const char *text)
{
  g_autofree char *lower = g_ascii_strdown (text, -1);

  return g_uuid_string_is_valid (text) && g_str_equal (lower, text);
}

static JsonObject *
new_input_error (const char *type,
                 const char *text,
                 const char *details,
                 const char *input_name)
{
  JsonObject *error = json_object_new ();
  JsonObject *extra = json_object_new ();

  json_object_set_string_member (error, "type", type);
  json_object_set_string_member (error, "message", text);
  json_object_set_string_member (error, "details", details);
  json_object_set_string_member (extra, "input_name", input_name);
  json_object_set_object_member (error, "extra_info", extra);
  return error;
}

static void
add_node_error (JsonObject *node_errors,
                JsonObject *prompt,
                const char *node_id,
                JsonObject *error)
{
  JsonObject *entry = get_object (node_errors, node_id);

  if (entry == NULL)
    {
      entry = json_object_new ();
      json_object_set_array_member (entry, "errors", json_array_new ());
      json_object_set_array_member (entry, "dependent_outputs", json_array_new ());
      json_object_set_string_member (entry, "class_type", node_class (prompt, node_id));
      json_object_set_object_member (node_errors, node_id, entry);
    }

  json_array_add_object_element (json_object_get_array_member (entry, "errors"), error);
}

static void
check_model_value (FakeComfy  *fake,
                   JsonObject *prompt,
                   const char *node_id,
                   JsonObject *node_errors)
{
  const char *class_type = node_class (prompt, node_id);
  const char *input = loader_input (class_type);
  const char * const *files = listed_files (fake, class_type);
  const char *value = get_string (get_object (get_object (prompt, node_id), "inputs"), input);
  g_autoptr(GString) list = g_string_new ("[");
  g_autofree char *details = NULL;
  JsonObject *error;

  if (input == NULL || (value != NULL && g_strv_contains (files, value)))
    return;

  for (guint i = 0; files[i] != NULL; i++)
    g_string_append_printf (list, "%s'%s'", i > 0 ? ", " : "", files[i]);
  g_string_append_c (list, ']');

  details = g_strdup_printf ("%s: '%s' not in %s", input, value != NULL ? value : "", list->str);
  error = new_input_error ("value_not_in_list", "Value not in list", details, input);
  json_object_set_array_member (get_object (error, "extra_info"), "input_config", combo_spec (files));
  json_object_set_string_member (get_object (error, "extra_info"), "received_value", value != NULL ? value : "");
  add_node_error (node_errors, prompt, node_id, error);
}

static void
check_image_value (FakeComfy  *fake,
                   JsonObject *prompt,
                   const char *node_id,
                   JsonObject *node_errors)
{
  const char *image = get_string (get_object (get_object (prompt, node_id), "inputs"), "image");
  g_autofree char *details = NULL;

  if (image != NULL && g_hash_table_contains (fake->uploads, image))
    return;

  /* LoadImage.VALIDATE_INPUTS returns "Invalid image file: NAME". */
  details = g_strdup_printf ("image - Invalid image file: %s", image != NULL ? image : "");
  add_node_error (node_errors, prompt, node_id,
                  new_input_error ("custom_validation_failed", "Custom validation failed for node", details, "image"));
}

static void
add_scenario_node_error (FakeComfy  *fake,
                         JsonObject *prompt,
                         JsonObject *node_errors)
{
  g_autofree char *preview = find_class (prompt, "PreviewImage");
  g_autofree char *save = find_class (prompt, "SaveImage");

  if (scenario_is (fake, "node-errors-preview") && preview != NULL)
    add_node_error (node_errors, prompt, preview,
                    new_input_error ("required_input_missing", "Required input is missing", "images", "images"));
  else if (scenario_is (fake, "node-errors-save") && save != NULL)
    add_node_error (node_errors, prompt, save,
                    new_input_error ("value_smaller_than_min", "Value -1 smaller than min of 0", "filename_prefix", "filename_prefix"));
}

/* Collects the nodes that @output depends on, itself included. */
static void
collect_upstream (JsonObject *prompt,
                  const char *node_id,
                  GHashTable *seen)
{
  JsonObject *inputs = get_object (get_object (prompt, node_id), "inputs");
  g_autoptr(GList) names = inputs != NULL ? json_object_get_members (inputs) : NULL;

  if (g_hash_table_contains (seen, node_id))
    return;

  g_hash_table_add (seen, (gpointer) node_id);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (inputs, l->data);

      if (JSON_NODE_HOLDS_ARRAY (value) && json_array_get_length (json_node_get_array (value)) == 2)
        {
          const char *source = json_array_get_string_element (json_node_get_array (value), 0);

          if (json_object_has_member (prompt, source))
            collect_upstream (prompt, source, seen);
        }
    }
}

/* Fills dependent_outputs and returns the outputs without errors. */
static GPtrArray *
sort_outputs (JsonObject *prompt,
              GPtrArray  *outputs,
              JsonObject *node_errors)
{
  GPtrArray *good = g_ptr_array_new ();

  for (guint i = 0; i < outputs->len; i++)
    {
      const char *output = g_ptr_array_index (outputs, i);
      g_autoptr(GHashTable) upstream = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GList) failed = json_object_get_members (node_errors);
      gboolean ok = TRUE;

      collect_upstream (prompt, output, upstream);
      for (GList *l = failed; l != NULL; l = l->next)
        if (g_hash_table_contains (upstream, l->data))
          {
            json_array_add_string_element (json_object_get_array_member (get_object (node_errors, l->data),
                                                                         "dependent_outputs"), output);
            ok = FALSE;
          }

      if (ok)
        g_ptr_array_add (good, (gpointer) output);
    }

  return good;
}

/* Checks the structure that validate_prompt() checks first. Returns FALSE
 * after replying. */
static gboolean
check_nodes (FakeComfy         *fake,
             SoupServerMessage *message,
             JsonObject        *prompt,
             GPtrArray         *outputs)
{
  g_autoptr(GList) ids = json_object_get_members (prompt);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      JsonObject *node = get_object (prompt, l->data);
      const char *class_type = get_string (node, "class_type");
      g_autofree char *details = g_strdup_printf ("Node ID '#%s'", (const char *) l->data);
      gboolean output = FALSE;

      if (class_type == NULL || get_object (node, "inputs") == NULL)
        {
          fake_server_add_violation (fake->server, "/prompt node %s without class_type or inputs", (const char *) l->data);
          reply_prompt_error (message, "missing_node_type", "Node has no class_type. The workflow may be corrupted or a custom node is missing.",
                              details, NULL, NULL);
          return FALSE;
        }

      if (!class_is_known (class_type, &output))
        {
          g_autoptr(JsonObject) extra = json_object_new ();
          g_autofree char *text = g_strdup_printf ("Node '%s' not found. The custom node may not be installed.", class_type);

          fake_server_add_violation (fake->server, "/prompt with unknown node type %s", class_type);
          json_object_set_string_member (extra, "node_id", l->data);
          json_object_set_string_member (extra, "class_type", class_type);
          json_object_set_string_member (extra, "node_title", class_type);
          reply_prompt_error (message, "missing_node_type", text, details, extra, NULL);
          return FALSE;
        }

      if (output)
        g_ptr_array_add (outputs, l->data);
    }

  if (outputs->len == 0)
    {
      fake_server_add_violation (fake->server, "/prompt without an output node");
      reply_prompt_error (message, "prompt_no_outputs", "Prompt has no outputs", "", NULL, NULL);
      return FALSE;
    }

  return TRUE;
}

static JsonObject *
validate_inputs (FakeComfy  *fake,
                 JsonObject *prompt)
{
  JsonObject *node_errors = json_object_new ();
  g_autoptr(GList) ids = json_object_get_members (prompt);

  for (GList *l = ids; l != NULL; l = l->next)
    {
      const char *class_type = node_class (prompt, l->data);

      if (g_str_equal (class_type, "LoadImage"))
        check_image_value (fake, prompt, l->data, node_errors);
      else if (loader_input (class_type) != NULL)
        check_model_value (fake, prompt, l->data, node_errors);
    }

  add_scenario_node_error (fake, prompt, node_errors);
  return node_errors;
}

static char *
first_text_encoder (JsonObject *prompt)
{
  char *node = find_class (prompt, "CLIPTextEncode");

  if (node == NULL)
    node = find_class (prompt, "TextEncodeQwenImageEditPlus");
  if (node == NULL)
    node = find_class (prompt, "TextEncodeQwenImageEdit");

  return node;
}

static FakeJob *
new_job (FakeComfy  *fake,
         const char *id,
         const char *client_id,
         JsonNode   *prompt_node)
{
  FakeJob *job = g_new0 (FakeJob, 1);
  JsonObject *prompt = json_node_get_object (prompt_node);
  const char *prefix;

  job->fake = fake;
  job->id = g_strdup (id);
  job->client_id = g_strdup (client_id);
  job->number = fake->number++;
  job->prompt = json_node_copy (prompt_node);
  job->output_node = find_class (prompt, "SaveImage");
  job->output_type = g_strdup (job->output_node != NULL ? "output" : "temp");
  if (job->output_node == NULL)
    job->output_node = find_class (prompt, "PreviewImage");
  prefix = get_string (get_object (get_object (prompt, job->output_node), "inputs"), "filename_prefix");
  job->output_file = g_strdup_printf ("%s_%05d_.png", prefix != NULL ? prefix : "ComfyUI", ++fake->output_counter);
  job->sampler_node = find_class (prompt, "KSampler");
  if (job->sampler_node == NULL)
    job->sampler_node = g_strdup (job->output_node);
  job->text_node = first_text_encoder (prompt);
  job->state = JOB_PENDING;

  return job;
}

static void
start_job (FakeComfy *fake,
           FakeJob   *job)
{
  guint interval = FRAME_INTERVAL_MS;

  if (scenario_is (fake, "slow"))
    interval = SLOW_FRAME_INTERVAL_MS;
  else if (scenario_is (fake, "illustrated"))
    interval = ILLUSTRATED_FRAME_INTERVAL_MS;

  job_free (fake->job);
  fake->job = job;

  if (scenario_is (fake, "lost"))
    {
      /* Gone, as if the server restarted right after queueing it. */
      g_clear_pointer (&fake->job, job_free);
      return;
    }

  build_frames (job);
  broadcast_status (fake, queue_remaining (fake));
  if (scenario_is (fake, "ws-drop"))
    g_hash_table_remove_all (fake->sockets);

  job->timer_id = g_timeout_add (interval, next_frame_cb, job);
}

static void
accept_prompt (FakeComfy         *fake,
               SoupServerMessage *message,
               JsonObject        *request,
               JsonObject        *node_errors)
{
  const char *client_id = get_string (request, "client_id");
  const char *requested_id = get_string (request, "prompt_id");
  g_autofree char *id = requested_id != NULL ? g_strdup (requested_id) : g_uuid_string_random ();
  FakeJob *job = new_job (fake, id, client_id, json_object_get_member (request, "prompt"));
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autofree char *text = NULL;

  if (client_id == NULL)
    fake_server_add_violation (fake->server, "/prompt without client_id, so no events reach the client");

  json_object_set_string_member (reply, "prompt_id", id);
  json_object_set_int_member (reply, "number", job->number);
  json_object_set_object_member (reply, "node_errors", json_object_ref (node_errors));
  text = object_to_text (reply);
  fake_reply_json (message, SOUP_STATUS_OK, text);

  start_job (fake, job);
}

static void
queue_prompt (FakeComfy         *fake,
              SoupServerMessage *message,
              JsonObject        *request)
{
  JsonObject *prompt = get_object (request, "prompt");
  const char *requested_id = get_string (request, "prompt_id");
  g_autoptr(GPtrArray) outputs = g_ptr_array_new ();
  g_autoptr(GPtrArray) good = NULL;
  g_autoptr(JsonObject) node_errors = NULL;

  if (prompt == NULL)
    {
      fake_server_add_violation (fake->server, "/prompt without a \"prompt\" object");
      reply_prompt_error (message, "no_prompt", "No prompt provided", "No prompt provided", NULL, NULL);
      return;
    }

  if (json_object_has_member (request, "prompt_id") && (requested_id == NULL || !is_canonical_uuid (requested_id)))
    {
      fake_server_add_violation (fake->server, "/prompt with a prompt_id that is not a lowercase UUID");
      reply_prompt_error (message, "invalid_prompt_id", "prompt_id must be a valid UUID",
                          "prompt_id must be a UUID string in canonical lowercase hyphenated form", NULL, NULL);
      return;
    }

  if (!check_nodes (fake, message, prompt, outputs))
    return;

  node_errors = validate_inputs (fake, prompt);
  good = sort_outputs (prompt, outputs, node_errors);
  if (good->len == 0)
    {
      reply_prompt_error (message, "prompt_outputs_failed_validation", "Prompt outputs failed validation",
                          "", NULL, node_errors);
      return;
    }

  accept_prompt (fake, message, request, node_errors);
}

static void
prompt_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  FakeComfy *fake = user_data;
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(GBytes) body = NULL;

  if (soup_server_message_get_method (message) == SOUP_METHOD_GET)
    {
      g_autofree char *text = g_strdup_printf ("{\"exec_info\": {\"queue_remaining\": %d}}", queue_remaining (fake));

      fake_server_count_request (fake->server, "GET /prompt");
      fake_reply_json (message, SOUP_STATUS_OK, text);
      return;
    }

  fake_server_count_request (fake->server, "POST /prompt");
  body = request_body (message);
  request = parse_request (message);
  if (request == NULL || !JSON_NODE_HOLDS_OBJECT (request))
    {
      fake_server_add_violation (fake->server, "/prompt body that is not a JSON object");
      reply_empty (message, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  fake_server_set_last_body (fake->server, body);
  if (scenario_is (fake, "validation-error"))
    fake_reply_fixture (message, SOUP_STATUS_BAD_REQUEST, "comfyui-prompt-validation-error");
  else if (scenario_is (fake, "missing-node-type"))
    fake_reply_fixture (message, SOUP_STATUS_BAD_REQUEST, "comfyui-prompt-missing-node-type");
  else
    queue_prompt (fake, message, json_node_get_object (request));
}

static void
history_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  FakeComfy *fake = user_data;
  const char *id = g_str_has_prefix (path, "/history/") ? path + strlen ("/history/") : NULL;
  g_autofree char *request = g_strconcat ("GET ", path, NULL);
  const char *entry = id != NULL ? g_hash_table_lookup (fake->history, id) : NULL;

  fake_server_count_request (fake->server, request);
  if (soup_server_message_get_method (message) != SOUP_METHOD_GET || id == NULL)
    {
      fake_server_add_violation (fake->server, "%s %s", soup_server_message_get_method (message), path);
      reply_empty (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      return;
    }

  fake_reply_json (message, SOUP_STATUS_OK, entry != NULL ? entry : "{}");
}

static void
view_cb (SoupServer        *server,
         SoupServerMessage *message,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  FakeComfy *fake = user_data;
  const char *filename = query != NULL ? g_hash_table_lookup (query, "filename") : NULL;
  const char *subfolder = query != NULL ? g_hash_table_lookup (query, "subfolder") : NULL;
  const char *type = query != NULL ? g_hash_table_lookup (query, "type") : NULL;
  GBytes *image;

  fake_server_count_request (fake->server, "GET /view");
  if (filename == NULL)
    {
      reply_empty (message, SOUP_STATUS_NOT_FOUND);
      return;
    }

  if (filename[0] == '/' || strstr (filename, "..") != NULL)
    {
      fake_server_add_violation (fake->server, "/view of a path outside the output folder: %s", filename);
      reply_empty (message, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  image = g_hash_table_lookup (fake->outputs, filename);
  if (image == NULL || (subfolder != NULL && subfolder[0] != '\0') || g_strcmp0 (type, "output") != 0)
    {
      fake_server_add_violation (fake->server, "/view of %s (subfolder %s, type %s) that the server never produced",
                                 filename, subfolder != NULL ? subfolder : "(none)", type != NULL ? type : "(none)");
      reply_empty (message, SOUP_STATUS_NOT_FOUND);
      return;
    }

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (image, NULL), g_bytes_get_size (image));
}

static JsonArray *
queue_item (FakeJob *job)
{
  JsonArray *item = json_array_new ();
  JsonObject *extra = json_object_new ();
  JsonArray *outputs = json_array_new ();

  json_array_add_int_element (item, job->number);
  json_array_add_string_element (item, job->id);
  json_array_add_element (item, json_node_copy (job->prompt));
  if (job->client_id != NULL)
    json_object_set_string_member (extra, "client_id", job->client_id);
  json_array_add_object_element (item, extra);
  json_array_add_string_element (outputs, job->output_node);
  json_array_add_array_element (item, outputs);
  return item;
}

static void
reply_queue (FakeComfy         *fake,
             SoupServerMessage *message)
{
  g_autoptr(JsonObject) reply = json_object_new ();
  JsonArray *running = json_array_new ();
  JsonArray *pending = json_array_new ();
  g_autofree char *text = NULL;

  if (fake->job != NULL && fake->job->state == JOB_RUNNING)
    json_array_add_array_element (running, queue_item (fake->job));
  else if (fake->job != NULL && fake->job->state == JOB_PENDING)
    json_array_add_array_element (pending, queue_item (fake->job));

  json_object_set_array_member (reply, "queue_running", running);
  json_object_set_array_member (reply, "queue_pending", pending);
  text = object_to_text (reply);
  fake_reply_json (message, SOUP_STATUS_OK, text);
}

static void
delete_from_queue (FakeComfy *fake,
                   JsonArray *ids)
{
  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      JsonNode *id = json_array_get_element (ids, i);

      if (!JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING)
        {
          fake_server_add_violation (fake->server, "/queue delete with an id that is not a string");
          continue;
        }

      if (fake->job != NULL && fake->job->state == JOB_PENDING && g_str_equal (fake->job->id, json_node_get_string (id)))
        {
          g_clear_handle_id (&fake->job->timer_id, g_source_remove);
          fake->job->state = JOB_DONE;
          broadcast_status (fake, queue_remaining (fake));
        }
    }
}

static void
queue_cb (SoupServer        *server,
          SoupServerMessage *message,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  FakeComfy *fake = user_data;
  g_autoptr(JsonNode) request = NULL;
  JsonObject *object;
  JsonNode *ids;

  if (soup_server_message_get_method (message) == SOUP_METHOD_GET)
    {
      fake_server_count_request (fake->server, "GET /queue");
      reply_queue (fake, message);
      return;
    }

  fake_server_count_request (fake->server, "POST /queue");
  request = parse_request (message);
  object = request != NULL && JSON_NODE_HOLDS_OBJECT (request) ? json_node_get_object (request) : NULL;
  ids = object != NULL ? json_object_get_member (object, "delete") : NULL;
  if (object == NULL || ((ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids)) && !json_object_has_member (object, "clear")))
    {
      fake_server_add_violation (fake->server, "POST /queue without a \"delete\" list or \"clear\"");
      reply_empty (message, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      return;
    }

  if (ids != NULL && JSON_NODE_HOLDS_ARRAY (ids))
    delete_from_queue (fake, json_node_get_array (ids));
  reply_empty (message, SOUP_STATUS_OK);
}

static void
interrupt_cb (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  FakeComfy *fake = user_data;
  g_autoptr(JsonNode) request = parse_request (message);
  JsonObject *object = request != NULL && JSON_NODE_HOLDS_OBJECT (request) ? json_node_get_object (request) : NULL;
  const char *prompt_id = get_string (object, "prompt_id");
  FakeJob *job = fake->job;

  fake_server_count_request (fake->server, "POST /interrupt");
  if (soup_server_message_get_method (message) != SOUP_METHOD_POST)
    {
      fake_server_add_violation (fake->server, "/interrupt with method %s", soup_server_message_get_method (message));
      reply_empty (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      return;
    }

  if (job == NULL || job->state != JOB_RUNNING || (prompt_id != NULL && !g_str_equal (prompt_id, job->id)))
    fake_server_add_violation (fake->server, "/interrupt of prompt %s, which is not running",
                               prompt_id != NULL ? prompt_id : "(any)");
  else
    interrupt_job (job);

  reply_empty (message, SOUP_STATUS_OK);
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  FakeComfy *fake = user_data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, fake->sockets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == socket)
      {
        g_hash_table_iter_remove (&iter);
        return;
      }
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *message,
              const char              *path,
              SoupWebsocketConnection *socket,
              gpointer                 user_data)
{
  FakeComfy *fake = user_data;
  const char *query = g_uri_get_query (soup_server_message_get_uri (message));
  g_autoptr(GHashTable) params = query != NULL ? g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
  const char *client_id = params != NULL ? g_hash_table_lookup (params, "clientId") : NULL;
  g_autofree char *sid = client_id != NULL && client_id[0] != '\0' ? g_strdup (client_id) : g_uuid_string_random ();
  g_autofree char *status = status_text (queue_remaining (fake), sid);

  fake_server_count_request (fake->server, "GET /ws");
  if (client_id == NULL)
    fake_server_add_violation (fake->server, "/ws without clientId, so prompt events cannot reach it");

  /* A client that reconnects with its id replaces its old socket. */
  g_hash_table_insert (fake->sockets, g_strdup (sid), g_object_ref (socket));
  g_signal_connect (socket, "closed", G_CALLBACK (socket_closed_cb), fake);
  soup_websocket_connection_send_text (socket, status);
}

static void
no_websocket_cb (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakeComfy *fake = user_data;

  /* A reverse proxy that does not pass WebSocket upgrades. */
  fake_server_count_request (fake->server, "GET /ws");
  reply_empty (message, SOUP_STATUS_NOT_FOUND);
}

static void
unknown_path_cb (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakeComfy *fake = user_data;
  g_autofree char *request = g_strconcat (soup_server_message_get_method (message), " ", path, NULL);

  fake_server_count_request (fake->server, request);
  fake_server_add_violation (fake->server, "request to an unknown path: %s", request);
  reply_empty (message, SOUP_STATUS_NOT_FOUND);
}

void
fake_comfyui_install (FakeServer *self)
{
  SoupServer *server = fake_server_get_soup_server (self);
  FakeComfy *fake = g_new0 (FakeComfy, 1);

  fake->server = self;
  fake->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  fake->sockets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, close_socket);
  fake->history = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->outputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  fake->number = 1;
  fake_server_set_data (self, fake, (GDestroyNotify) fake_comfy_free);

  soup_server_add_handler (server, NULL, unknown_path_cb, fake, NULL);
  soup_server_add_handler (server, "/upload/image", upload_cb, fake, NULL);
  soup_server_add_handler (server, "/object_info", object_info_cb, fake, NULL);
  soup_server_add_handler (server, "/prompt", prompt_cb, fake, NULL);
  soup_server_add_handler (server, "/history", history_cb, fake, NULL);
  soup_server_add_handler (server, "/view", view_cb, fake, NULL);
  soup_server_add_handler (server, "/queue", queue_cb, fake, NULL);
  soup_server_add_handler (server, "/interrupt", interrupt_cb, fake, NULL);

  if (scenario_is (fake, "no-websocket"))
    soup_server_add_handler (server, "/ws", no_websocket_cb, fake, NULL);
  else
    soup_server_add_websocket_handler (server, "/ws", NULL, NULL, websocket_cb, fake, NULL);
}
