#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-comfyui.h"
#include "backends/menugen-comfyui-reply.h"
#include "backends/menugen-comfyui-workflow.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-json.h"

/* Qwen-Image-Edit scales its reference image to about one megapixel, so a
 * longer edge than this only costs upload time. */
#define COMFYUI_MAX_LONG_EDGE 1536

/* A sampler step of a large model on an integrated GPU can take many
 * seconds without any event, so only this much silence on the WebSocket
 * starts polling /history and /queue. */
#define SILENCE_BEFORE_POLLING_MS 10000
#define POLL_INTERVAL_MS 2000

/* After the server reports the end of the prompt, its history entry can
 * trail the event by a moment (execution_success is sent before the
 * entry is written). */
#define FINISHING_POLL_INTERVAL_MS 250

/* Polls in a row that find the prompt neither queued, running nor in the
 * history before the job counts as lost. */
#define MAX_MISSED_POLLS 2

/* Timeouts of the status checks while polling, and of the best-effort
 * interrupt or dequeue on cancel. They are short so that the job ends
 * promptly. */
#define CHECK_READ_TIMEOUT_S 10
#define CANCEL_CONNECT_TIMEOUT_S 3
#define CANCEL_READ_TIMEOUT_S 5

/* Preview frames carry whole images, so the limit leaves room for large
 * ones. */
#define MAX_SOCKET_PAYLOAD_BYTES ((guint64) 64 * 1024 * 1024)

struct _MenugenBackendComfyui
{
  GObject parent_instance;

  MenugenBackendConfig *config;
  char *image_node_id;
  char *prompt_node_id;
};

static void backend_iface_init (MenugenBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenBackendComfyui, menugen_backend_comfyui, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MENUGEN_TYPE_BACKEND, backend_iface_init))

typedef enum {
  PHASE_PREPARING,  /* workflow, model check, upload, WebSocket */
  PHASE_QUEUEING,   /* POST /prompt sent, no answer yet */
  PHASE_WAITING,    /* queued or running on the server */
  PHASE_FETCHING,   /* reading the result */
} Phase;

typedef struct {
  MenugenBackendComfyui *self;
  GBytes *photo;
  char *photo_mime_type;
  char *instruction;
  guint64 seed;
  MenugenHttpLimits limits;
  MenugenComfyuiWorkflow *workflow;
  char *client_id;
  char *prompt_id;
  char *model;
  MenugenComfyuiImage image;

  GCancellable *operations;     /* cancels every request of the job */
  GCancellable *socket_connect; /* cancels the WebSocket handshake */
  GCancellable *caller;
  gulong caller_handler;

  SoupWebsocketConnection *socket;
  GSource *connect_timer;
  GSource *silence_timer;
  GSource *poll_timer;

  Phase phase;
  gboolean started;   /* the server began to run the prompt */
  gboolean polling;   /* checking /history and /queue on a timer */
  gboolean checking;  /* a check is in flight */
  gboolean finishing; /* the server reported the end of the prompt */
  gboolean over;      /* the outcome is decided, so late callbacks do nothing */
  guint missed_polls;
  double last_step_value;
  double last_step_max;
} Job;

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Adds a timer on the task's main context that holds a reference on the
 * task until it is destroyed. */
static GSource *
add_timer (GTask       *task,
           guint        milliseconds,
           GSourceFunc  callback)
{
  GSource *source = g_timeout_source_new (milliseconds);

  g_source_set_callback (source, callback, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  return source;
}

static void
close_socket (Job  *job,
              GTask *task)
{
  if (job->socket == NULL)
    return;

  g_signal_handlers_disconnect_by_data (job->socket, task);
  if (soup_websocket_connection_get_state (job->socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (job->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&job->socket);
}

/* Stops the WebSocket and every timer of the job. */
static void
stop_watching (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  clear_source (&job->connect_timer);
  clear_source (&job->silence_timer);
  clear_source (&job->poll_timer);
  job->polling = FALSE;
  g_cancellable_cancel (job->socket_connect);
  close_socket (job, task);
}

static void
job_free (Job *job)
{
  g_assert (job->socket == NULL);
  g_assert (job->poll_timer == NULL && job->silence_timer == NULL && job->connect_timer == NULL);

  g_clear_object (&job->self);
  g_clear_pointer (&job->photo, g_bytes_unref);
  g_free (job->photo_mime_type);
  g_free (job->instruction);
  g_clear_pointer (&job->workflow, menugen_comfyui_workflow_free);
  g_free (job->client_id);
  g_free (job->prompt_id);
  g_free (job->model);
  menugen_comfyui_image_clear (&job->image);
  g_clear_object (&job->operations);
  g_clear_object (&job->socket_connect);
  g_clear_object (&job->caller);
  g_free (job);
}

/* Ends the job's own work before it returns: the caller's cancellable no
 * longer reaches it, and requests still in flight are cancelled. */
static void
end_job (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  job->over = TRUE;
  stop_watching (task);
  g_cancellable_cancel (job->operations);

  if (job->caller_handler != 0)
    {
      g_cancellable_disconnect (job->caller, job->caller_handler);
      job->caller_handler = 0;
    }
}

static void
fail (GTask  *task,
      GError *error)
{
  end_job (task);
  g_debug ("ComfyUI job failed: %s", error->message);
  g_task_return_error (task, error);
}

static void
emit_progress (GTask        *task,
               MenugenStage  stage,
               double        fraction,
               const char   *detail)
{
  Job *job = g_task_get_task_data (task);

  menugen_backend_emit_progress (MENUGEN_BACKEND (job->self), stage, fraction, detail);
}

static const char *
base_url (MenugenBackendComfyui *self)
{
  return menugen_backend_config_get_url (self->config);
}

static GError *
http_status_error (MenugenBackendComfyui *self,
                   SoupMessage           *message)
{
  guint status = soup_message_get_status (message);
  const char *path = g_uri_get_path (soup_message_get_uri (message));
  const char *reason = soup_message_get_reason_phrase (message);

  if (status >= 500)
    return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_SERVER,
                        _("ComfyUI at %s failed with HTTP %u %s for %s. The ComfyUI console shows the error."),
                        base_url (self), status, reason != NULL ? reason : "", path);

  return g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_REJECTED,
                      _("ComfyUI at %s answered HTTP %u %s to %s. Check that the URL points to a ComfyUI server."),
                      base_url (self), status, reason != NULL ? reason : "", path);
}

static SoupMessage *
new_message (MenugenBackendComfyui *self,
             const char            *method,
             const char            *path)
{
  g_autofree char *url = menugen_http_join_url (base_url (self), path);

  return soup_message_new (method, url);
}

static SoupMessage *
new_json_message (MenugenBackendComfyui *self,
                  const char            *path,
                  JsonNode              *body)
{
  SoupMessage *message = new_message (self, SOUP_METHOD_POST, path);
  char *text = json_to_string (body, FALSE);
  gsize length = strlen (text);
  g_autoptr(GBytes) bytes = g_bytes_new_take (text, length);

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  return message;
}

/* Sends @message with the job's limits; @callback gets a task reference. */
static void
send (GTask                   *task,
      SoupMessage             *message,
      const MenugenHttpLimits *limits,
      GAsyncReadyCallback      callback)
{
  Job *job = g_task_get_task_data (task);

  menugen_http_send_async (message, limits != NULL ? limits : &job->limits, job->operations,
                           callback, g_object_ref (task));
}

/* Finishes a request and checks for HTTP 200 before anything parses it. */
static GBytes *
finish_ok (MenugenBackendComfyui  *self,
           SoupMessage            *message,
           GAsyncResult           *result,
           GError                **error)
{
  g_autoptr(GBytes) body = menugen_http_send_finish (result, error);

  if (body == NULL)
    return NULL;

  if (soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      g_propagate_error (error, http_status_error (self, message));
      return NULL;
    }

  return g_steal_pointer (&body);
}

/* Finishes a request whose HTTP 200 response must be JSON. */
static JsonNode *
finish_json (MenugenBackendComfyui  *self,
             SoupMessage            *message,
             GAsyncResult           *result,
             GError                **error)
{
  g_autoptr(GBytes) body = finish_ok (self, message, result, error);

  return body != NULL ? menugen_http_parse_json (body, "ComfyUI", error) : NULL;
}

/* Step 6: the image. */

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "view-message");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(MenugenResult) menu = NULL;
  const char *mime_type;

  if (job->over)
    return;

  image = finish_ok (job->self, message, result, &error);
  if (image == NULL)
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  mime_type = menugen_photo_sniff_mime_type (g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  if (mime_type == NULL)
    {
      fail (task, g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                               _("ComfyUI sent “%s”, which is not a PNG, JPEG or WebP image. Check that the workflow saves images with SaveImage."),
                               job->image.filename));
      return;
    }

  menu = menugen_result_new ();
  menu->image = g_steal_pointer (&image);
  menu->mime_type = g_strdup (mime_type);
  menu->model = g_strdup (job->model != NULL ? job->model : menugen_comfyui_workflow_get_name (job->workflow));

  end_job (task);
  g_task_return_pointer (task, g_steal_pointer (&menu), (GDestroyNotify) menugen_result_free);
}

static void
download_image (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autofree char *filename = g_uri_escape_string (job->image.filename, NULL, FALSE);
  g_autofree char *subfolder = g_uri_escape_string (job->image.subfolder, NULL, FALSE);
  g_autofree char *type = g_uri_escape_string (job->image.type, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/view?filename=%s&subfolder=%s&type=%s", filename, subfolder, type);
  g_autoptr(SoupMessage) message = new_message (job->self, SOUP_METHOD_GET, path);

  job->phase = PHASE_FETCHING;
  stop_watching (task);
  emit_progress (task, MENUGEN_STAGE_DOWNLOADING, -1, NULL);

  g_object_set_data_full (G_OBJECT (task), "view-message", g_object_ref (message), g_object_unref);
  send (task, message, NULL, download_cb);
}

/* Step 7: following the prompt by polling, when the WebSocket is silent,
 * closed or could not be opened, and after the server reported the end. */

static void check_prompt (GTask *task);

static gboolean
poll_timer_cb (gpointer user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);

  g_clear_pointer (&job->poll_timer, g_source_unref);
  check_prompt (task);

  return G_SOURCE_REMOVE;
}

static void
schedule_check (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  guint interval = job->finishing && job->missed_polls == 0 ? FINISHING_POLL_INTERVAL_MS : POLL_INTERVAL_MS;

  if (job->over || job->poll_timer != NULL || !(job->polling || job->finishing))
    return;

  job->poll_timer = add_timer (task, interval, poll_timer_cb);
}

static void
start_polling (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  if (job->polling)
    return;

  g_debug ("ComfyUI prompt %s: polling /history and /queue", job->prompt_id);
  job->polling = TRUE;
  if (!job->checking)
    check_prompt (task);
}

/* Counts a poll that did not find the prompt, or could not reach the
 * server, and gives up after MAX_MISSED_POLLS in a row. */
static void
count_missed_poll (GTask  *task,
                   GError *transport_error)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = transport_error;

  job->missed_polls++;
  if (job->missed_polls < MAX_MISSED_POLLS)
    {
      schedule_check (task);
      return;
    }

  if (error != NULL)
    fail (task, g_steal_pointer (&error));
  else
    fail (task, g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                             _("ComfyUI lost the job %s. It is neither queued, running nor in the history, so the server may have restarted. Try again."),
                             job->prompt_id));
}

static void
note_queue_position (GTask    *task,
                     gboolean  running)
{
  Job *job = g_task_get_task_data (task);

  if (running && !job->started)
    {
      job->started = TRUE;
      emit_progress (task, MENUGEN_STAGE_RUNNING, -1, NULL);
    }
}

static void
queue_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "queue-message");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  gboolean running = FALSE;

  job->checking = FALSE;
  if (job->over)
    return;

  reply = finish_json (job->self, message, result, &error);
  if (reply == NULL)
    {
      count_missed_poll (task, g_steal_pointer (&error));
      return;
    }

  if (!menugen_comfyui_queue_contains (reply, job->prompt_id, &running))
    {
      g_debug ("ComfyUI prompt %s is neither queued, running nor in the history", job->prompt_id);
      count_missed_poll (task, NULL);
      return;
    }

  job->missed_polls = 0;
  note_queue_position (task, running);
  schedule_check (task);
}

static void
check_queue (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = new_message (job->self, SOUP_METHOD_GET, "/queue");
  MenugenHttpLimits limits = job->limits;

  limits.read_timeout_s = CHECK_READ_TIMEOUT_S;
  job->checking = TRUE;
  g_object_set_data_full (G_OBJECT (task), "queue-message", g_object_ref (message), g_object_unref);
  send (task, message, &limits, queue_checked_cb);
}

static void
history_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "history-message");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;

  job->checking = FALSE;
  if (job->over)
    return;

  reply = finish_json (job->self, message, result, &error);
  if (reply == NULL)
    {
      count_missed_poll (task, g_steal_pointer (&error));
      return;
    }

  switch (menugen_comfyui_read_history (reply, job->prompt_id,
                                        menugen_comfyui_workflow_get_save_node (job->workflow),
                                        &job->image, &error))
    {
    case MENUGEN_COMFYUI_HISTORY_PENDING:
      check_queue (task);
      break;

    case MENUGEN_COMFYUI_HISTORY_IMAGE:
      download_image (task);
      break;

    case MENUGEN_COMFYUI_HISTORY_FAILED:
    default:
      fail (task, g_steal_pointer (&error));
      break;
    }
}

static void
check_prompt (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(SoupMessage) message = NULL;
  MenugenHttpLimits limits = job->limits;

  if (job->over || job->checking)
    return;

  id = g_uri_escape_string (job->prompt_id, NULL, FALSE);
  path = g_strconcat ("/history/", id, NULL);
  message = new_message (job->self, SOUP_METHOD_GET, path);

  limits.read_timeout_s = CHECK_READ_TIMEOUT_S;
  job->checking = TRUE;
  g_object_set_data_full (G_OBJECT (task), "history-message", g_object_ref (message), g_object_unref);
  send (task, message, &limits, history_checked_cb);
}

/* The server reported the end of the prompt: read the history now. */
static void
prompt_finished (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  job->finishing = TRUE;
  clear_source (&job->silence_timer);
  if (job->checking)
    return;

  clear_source (&job->poll_timer);
  check_prompt (task);
}

/* Step 5: progress from the WebSocket. */

static gboolean
silence_timer_cb (gpointer user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);

  g_clear_pointer (&job->silence_timer, g_source_unref);
  g_debug ("ComfyUI WebSocket silent for %d ms", SILENCE_BEFORE_POLLING_MS);
  start_polling (task);

  return G_SOURCE_REMOVE;
}

static void
restart_silence_timer (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  clear_source (&job->silence_timer);
  if (job->phase == PHASE_WAITING && !job->finishing)
    job->silence_timer = add_timer (task, SILENCE_BEFORE_POLLING_MS, silence_timer_cb);
}

static double
get_number (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);

  return -1;
}

static void
note_started (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  job->started = TRUE;
  job->missed_polls = 0;
}

static void
report_step (GTask  *task,
             double  value,
             double  max)
{
  Job *job = g_task_get_task_data (task);
  g_autofree char *detail = NULL;

  if (max <= 0 || value < 0 || (value == job->last_step_value && max == job->last_step_max))
    return;

  note_started (task);
  job->last_step_value = value;
  job->last_step_max = max;
  detail = g_strdup_printf (_("Step %d of %d"), (int) value, (int) max);
  emit_progress (task, MENUGEN_STAGE_RUNNING, CLAMP (value / max, 0.0, 1.0), detail);
}

static void
report_node (GTask      *task,
             JsonObject *data)
{
  Job *job = g_task_get_task_data (task);
  const char *node = menugen_json_get_string (data, "display_node");
  const char *class_type;
  g_autofree char *detail = NULL;

  if (node == NULL)
    node = menugen_json_get_string (data, "node");

  class_type = menugen_comfyui_workflow_get_class_type (job->workflow, node);
  note_started (task);
  detail = g_strdup_printf (_("Running %s"), class_type != NULL ? class_type : node);
  emit_progress (task, MENUGEN_STAGE_RUNNING, -1, detail);
}

/* progress_state lists the nodes that report progress. The running one
 * gives the same step as "progress", and report_step() drops the repeat. */
static void
report_progress_state (GTask      *task,
                       JsonObject *data)
{
  JsonObject *nodes = menugen_json_get_object (data, "nodes");
  g_autoptr(GList) ids = nodes != NULL ? json_object_get_members (nodes) : NULL;

  for (GList *l = ids; l != NULL; l = l->next)
    {
      JsonObject *state = menugen_json_get_object (nodes, l->data);

      if (g_strcmp0 (menugen_json_get_string (state, "state"), "running") == 0 && get_number (state, "max") > 1)
        {
          report_step (task, get_number (state, "value"), get_number (state, "max"));
          return;
        }
    }
}

static void
report_queue_status (GTask      *task,
                     JsonObject *data)
{
  Job *job = g_task_get_task_data (task);
  JsonObject *exec_info = menugen_json_get_object (menugen_json_get_object (data, "status"), "exec_info");
  int remaining = exec_info != NULL ? (int) get_number (exec_info, "queue_remaining") : -1;
  g_autofree char *detail = NULL;

  /* Sent to every client, so it only gives the queue length. */
  if (job->phase != PHASE_WAITING || job->started || remaining < 1)
    return;

  detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d prompt in the queue", "%d prompts in the queue", remaining),
                            remaining);
  emit_progress (task, MENUGEN_STAGE_QUEUED, -1, detail);
}

static void
handle_prompt_event (GTask      *task,
                     const char *type,
                     JsonObject *data)
{
  if (g_str_equal (type, "execution_start"))
    {
      note_started (task);
      emit_progress (task, MENUGEN_STAGE_RUNNING, -1, NULL);
    }
  else if (g_str_equal (type, "executing"))
    {
      JsonNode *node = json_object_get_member (data, "node");

      /* {"node": null} is the older signal that the prompt has ended. */
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        prompt_finished (task);
      else
        report_node (task, data);
    }
  else if (g_str_equal (type, "progress"))
    report_step (task, get_number (data, "value"), get_number (data, "max"));
  else if (g_str_equal (type, "progress_state"))
    report_progress_state (task, data);
  else if (g_str_equal (type, "execution_success") || g_str_equal (type, "execution_interrupted"))
    prompt_finished (task);
  else if (g_str_equal (type, "execution_error"))
    fail (task, menugen_comfyui_execution_error (data));
  else
    g_debug ("ComfyUI event %s", type);
}

static void
handle_text_frame (GTask  *task,
                   GBytes *frame)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *message;
  JsonObject *data;
  const char *type;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), NULL))
    {
      g_debug ("ComfyUI sent a WebSocket frame that is not JSON");
      return;
    }

  message = menugen_json_root_object (json_parser_get_root (parser));
  type = menugen_json_get_string (message, "type");
  data = menugen_json_get_object (message, "data");
  if (type == NULL || data == NULL)
    return;

  if (g_str_equal (type, "status"))
    report_queue_status (task, data);
  else if (g_strcmp0 (menugen_json_get_string (data, "prompt_id"), job->prompt_id) == 0)
    handle_prompt_event (task, type, data);
}

/* Binary frames start with a 4-byte big-endian event type: previews (1 and
 * 4) and node text (3). None of them changes the job. */
static void
handle_binary_frame (GBytes *frame)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (frame, &length);

  if (length >= 4)
    g_debug ("ComfyUI binary event %u (%" G_GSIZE_FORMAT " bytes) ignored",
             (guint) data[0] << 24 | (guint) data[1] << 16 | (guint) data[2] << 8 | data[3], length);
}

static void
socket_message_cb (SoupWebsocketConnection *socket,
                   int                      type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GTask) hold = g_object_ref (task);

  if (job->over)
    return;

  /* A live socket makes polling unnecessary again. */
  job->polling = FALSE;
  restart_silence_timer (task);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    handle_text_frame (task, message);
  else
    handle_binary_frame (message);
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GTask) hold = g_object_ref (task);

  if (job->over)
    return;

  /* NOTE: The socket is not reopened, so after a drop the job shows stages
   * from polling but no step progress. */
  g_message ("ComfyUI WebSocket closed (code %u), following prompt %s by polling",
             soup_websocket_connection_get_close_code (socket), job->prompt_id);
  clear_source (&job->silence_timer);
  close_socket (job, task);
  if (job->phase >= PHASE_QUEUEING)
    start_polling (task);
}

/* Step 4: queue the prompt. */

static void
delete_prompt_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GBytes) body = menugen_http_send_finish (result, NULL);
}

/* Removes the prompt from the queue without waiting for the answer. */
static void
delete_prompt (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  MenugenHttpLimits limits = job->limits;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "delete");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, job->prompt_id);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  limits.connect_timeout_s = CANCEL_CONNECT_TIMEOUT_S;
  limits.read_timeout_s = CANCEL_READ_TIMEOUT_S;
  message = new_json_message (job->self, "/queue", body);
  menugen_http_send_async (message, &limits, NULL, delete_prompt_cb, NULL);
}

static void
start_waiting (GTask *task)
{
  Job *job = g_task_get_task_data (task);

  job->phase = PHASE_WAITING;
  if (!job->started)
    emit_progress (task, MENUGEN_STAGE_QUEUED, -1, NULL);

  if (job->finishing)
    prompt_finished (task);
  else if (job->socket != NULL)
    restart_silence_timer (task);
  else
    start_polling (task);
}

static void
prompt_accepted (GTask    *task,
                 JsonNode *reply)
{
  Job *job = g_task_get_task_data (task);
  JsonObject *object = menugen_json_root_object (reply);
  const char *prompt_id = menugen_json_get_string (object, "prompt_id");
  JsonObject *node_errors = menugen_json_get_object (object, "node_errors");
  g_autoptr(GError) error = NULL;

  /* Servers older than client-chosen ids pick their own. */
  if (prompt_id != NULL && g_strcmp0 (prompt_id, job->prompt_id) != 0)
    {
      g_free (job->prompt_id);
      job->prompt_id = g_strdup (prompt_id);
    }

  if (!menugen_comfyui_check_node_errors (reply, menugen_comfyui_workflow_get_save_node (job->workflow), &error))
    {
      delete_prompt (task);
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (node_errors != NULL && json_object_get_size (node_errors) > 0)
    {
      g_autofree char *described = menugen_comfyui_describe_node_errors (node_errors);

      g_message ("ComfyUI queued prompt %s but skips outputs that failed validation: %s", job->prompt_id, described);
    }

  g_debug ("ComfyUI queued prompt %s", job->prompt_id);
  start_waiting (task);
}

static void
prompt_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "prompt-message");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);
  g_autoptr(JsonNode) reply = NULL;
  guint status;

  if (job->over)
    return;

  if (body == NULL)
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_BAD_REQUEST)
    {
      fail (task, http_status_error (job->self, message));
      return;
    }

  reply = menugen_http_parse_json (body, "ComfyUI", &error);
  if (reply == NULL)
    fail (task, g_steal_pointer (&error));
  else if (status == SOUP_STATUS_BAD_REQUEST)
    fail (task, menugen_comfyui_prompt_error (reply));
  else
    prompt_accepted (task, reply);
}

static void
queue_prompt (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(JsonNode) body = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(SoupMessage) message = NULL;

  json_object_set_member (object, "prompt", json_node_copy (menugen_comfyui_workflow_get_graph (job->workflow)));
  json_object_set_string_member (object, "client_id", job->client_id);
  json_object_set_string_member (object, "prompt_id", job->prompt_id);
  json_node_set_object (body, object);

  job->phase = PHASE_QUEUEING;
  emit_progress (task, MENUGEN_STAGE_WAITING, -1, NULL);

  message = new_json_message (job->self, "/prompt", body);
  g_object_set_data_full (G_OBJECT (task), "prompt-message", g_object_ref (message), g_object_unref);
  send (task, message, NULL, prompt_sent_cb);
}

static void
socket_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupWebsocketConnection) socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  clear_source (&job->connect_timer);
  if (job->over)
    {
      if (socket != NULL)
        soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      return;
    }

  if (socket == NULL)
    {
      /* Without progress events the job goes on by polling. */
      g_message ("Could not open the ComfyUI WebSocket, following the job by polling: %s", error->message);
    }
  else
    {
      job->socket = g_steal_pointer (&socket);
      soup_websocket_connection_set_max_incoming_payload_size (job->socket, MAX_SOCKET_PAYLOAD_BYTES);
      g_signal_connect (job->socket, "message", G_CALLBACK (socket_message_cb), task);
      g_signal_connect (job->socket, "closed", G_CALLBACK (socket_closed_cb), task);
    }

  queue_prompt (task);
}

static gboolean
connect_timer_cb (gpointer user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);

  g_clear_pointer (&job->connect_timer, g_source_unref);
  g_cancellable_cancel (job->socket_connect);

  return G_SOURCE_REMOVE;
}

static char *
build_socket_url (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autofree char *path = g_strconcat ("/ws?clientId=", job->client_id, NULL);
  g_autofree char *url = menugen_http_join_url (base_url (job->self), path);

  /* http://host → ws://host, https://host → wss://host */
  if (g_str_has_prefix (url, "https://"))
    return g_strconcat ("wss://", url + strlen ("https://"), NULL);
  if (g_str_has_prefix (url, "http://"))
    return g_strconcat ("ws://", url + strlen ("http://"), NULL);

  return g_steal_pointer (&url);
}

/* Opens the WebSocket before the prompt is queued, so that no event of
 * the prompt is sent before anyone listens. */
static void
connect_socket (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autofree char *url = build_socket_url (task);
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, url);

  if (message == NULL)
    {
      queue_prompt (task);
      return;
    }

  if (job->limits.connect_timeout_s > 0)
    job->connect_timer = add_timer (task, job->limits.connect_timeout_s * 1000, connect_timer_cb);

  soup_session_websocket_connect_async (menugen_http_get_session (), message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, job->socket_connect,
                                        socket_connected_cb, g_object_ref (task));
}

/* Step 1: upload the photo. */

static char *
read_stored_name (JsonNode  *reply,
                  GError   **error)
{
  JsonObject *object = menugen_json_root_object (reply);
  const char *name = menugen_json_get_string (object, "name");
  const char *subfolder = menugen_json_get_string (object, "subfolder");

  if (name == NULL || name[0] == '\0')
    {
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_MALFORMED,
                           _("ComfyUI accepted the photo but did not say under which name it stored it. Check that the URL points to a ComfyUI server."));
      return NULL;
    }

  /* The server may have renamed the file, to "name (1).jpg" for example. */
  if (subfolder != NULL && subfolder[0] != '\0')
    return g_strconcat (subfolder, "/", name, NULL);

  return g_strdup (name);
}

static void
photo_uploaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "upload-message");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *stored_name = NULL;

  if (job->over)
    return;

  body = menugen_http_send_finish (result, &error);
  if (body != NULL && soup_message_get_status (message) == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    {
      g_autofree char *size = menugen_http_describe_size (g_bytes_get_size (job->photo));

      fail (task, g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                               _("ComfyUI rejected the photo of %s as too large. Start ComfyUI with a larger --max-upload-size."),
                               size));
      return;
    }

  if (body != NULL && soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      fail (task, http_status_error (job->self, message));
      return;
    }

  reply = body != NULL ? menugen_http_parse_json (body, "ComfyUI", &error) : NULL;
  stored_name = reply != NULL ? read_stored_name (reply, &error) : NULL;
  if (stored_name == NULL)
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("ComfyUI stored the photo as “%s”", stored_name);
  menugen_comfyui_workflow_set_image (job->workflow, stored_name);
  connect_socket (task);
}

/* Names the upload after its content, so that sending the same photo again
 * reuses the stored copy instead of adding "name (1).jpg". */
static char *
build_upload_name (Job *job)
{
  g_autofree char *checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, job->photo);
  const char *extension = ".jpg";

  if (g_strcmp0 (job->photo_mime_type, "image/png") == 0)
    extension = ".png";
  else if (g_strcmp0 (job->photo_mime_type, "image/webp") == 0)
    extension = ".webp";

  return g_strdup_printf ("menugen-%.16s%s", checksum, extension);
}

static void
upload_photo (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(SoupMultipart) multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  g_autofree char *name = build_upload_name (job);
  g_autofree char *url = menugen_http_join_url (base_url (job->self), "/upload/image");
  g_autofree char *size = menugen_http_describe_size (g_bytes_get_size (job->photo));
  g_autofree char *detail = g_strdup_printf (_("Uploading %s"), size);
  g_autoptr(SoupMessage) message = NULL;

  soup_multipart_append_form_file (multipart, "image", name, job->photo_mime_type, job->photo);
  soup_multipart_append_form_string (multipart, "type", "input");
  soup_multipart_append_form_string (multipart, "overwrite", "false");
  message = soup_message_new_from_multipart (url, multipart);

  emit_progress (task, MENUGEN_STAGE_UPLOADING, -1, detail);
  g_object_set_data_full (G_OBJECT (task), "upload-message", g_object_ref (message), g_object_unref);
  send (task, message, NULL, photo_uploaded_cb);
}

/* Step 3: check the model file against /object_info before queueing. */

static SoupMessage *
new_object_info_message (MenugenBackendComfyui *self,
                         const char            *class_type)
{
  g_autofree char *escaped = g_uri_escape_string (class_type, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/object_info/", escaped, NULL);

  return new_message (self, SOUP_METHOD_GET, path);
}

/* Reads the loader's allowed model files from an /object_info reply. */
static char **
read_model_values (MenugenBackendComfyui   *self,
                   MenugenComfyuiWorkflow  *workflow,
                   SoupMessage             *message,
                   GAsyncResult            *result,
                   GError                 **error)
{
  const char *class_type = menugen_comfyui_workflow_get_loader_class (workflow);
  g_autoptr(JsonNode) reply = finish_json (self, message, result, error);
  g_auto(GStrv) values = NULL;
  gboolean has_class = FALSE;

  if (reply == NULL)
    return NULL;

  values = menugen_comfyui_read_combo_values (reply, class_type, menugen_comfyui_workflow_get_loader_input (workflow),
                                              &has_class);
  if (!has_class)
    {
      g_propagate_error (error, menugen_comfyui_missing_node_error (class_type,
                                                                    menugen_comfyui_workflow_get_loader_node (workflow)));
      return NULL;
    }

  return g_steal_pointer (&values);
}

static void
model_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "object-info-message");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  if (job->over)
    return;

  values = read_model_values (job->self, job->workflow, message, result, &error);
  if (values == NULL)
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (!g_strv_contains ((const char * const *) values, job->model))
    {
      fail (task, menugen_comfyui_model_error (job->model, menugen_comfyui_workflow_get_loader_class (job->workflow),
                                               menugen_comfyui_workflow_get_loader_input (job->workflow),
                                               (const char * const *) values));
      return;
    }

  upload_photo (task);
}

static void
check_model (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = new_object_info_message (job->self, menugen_comfyui_workflow_get_loader_class (job->workflow));

  g_object_set_data_full (G_OBJECT (task), "object-info-message", g_object_ref (message), g_object_unref);
  send (task, message, NULL, model_checked_cb);
}

/* Step 2: the workflow, with the photo, instruction, seed and model put
 * into their nodes. */

static gboolean
prepare_workflow (Job     *job,
                  GError **error)
{
  const char *model = job->self->config->model;

  if (!menugen_comfyui_workflow_find_nodes (job->workflow, job->self->image_node_id,
                                            job->self->prompt_node_id, error))
    return FALSE;

  if (model != NULL && model[0] != '\0')
    menugen_comfyui_workflow_set_model (job->workflow, model);

  menugen_comfyui_workflow_set_prompt (job->workflow, job->instruction);
  menugen_comfyui_workflow_set_seed (job->workflow, job->seed);
  job->model = g_strdup (menugen_comfyui_workflow_get_model (job->workflow));

  return TRUE;
}

static void
workflow_loaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  job->workflow = menugen_comfyui_workflow_load_finish (result, &error);
  if (job->over)
    return;

  if (job->workflow == NULL || !prepare_workflow (job, &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("ComfyUI workflow %s: photo into node %s, instruction into node %s, model %s",
           menugen_comfyui_workflow_get_name (job->workflow),
           menugen_comfyui_workflow_get_image_node (job->workflow),
           menugen_comfyui_workflow_get_prompt_node (job->workflow),
           job->model != NULL ? job->model : "(none)");

  if (job->model != NULL)
    check_model (task);
  else
    upload_photo (task);
}

/* Step 8: cancel. */

static void
return_cancelled (GTask *task)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Cancelled"));
}

static void
stop_on_server_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = menugen_http_send_finish (result, &error);

  if (body == NULL)
    g_message ("Could not stop the ComfyUI prompt: %s", error->message);

  return_cancelled (task);
}

/* Interrupts the prompt if it runs, or removes it from the queue if it
 * waits. The timeouts are short, and the reply does not change the outcome. */
static void
stop_on_server (GTask *task)
{
  Job *job = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  MenugenHttpLimits limits = job->limits;

  json_builder_begin_object (builder);
  if (job->started)
    {
      json_builder_set_member_name (builder, "prompt_id");
      json_builder_add_string_value (builder, job->prompt_id);
    }
  else
    {
      json_builder_set_member_name (builder, "delete");
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, job->prompt_id);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  g_debug ("Cancelling ComfyUI prompt %s (%s)", job->prompt_id, job->started ? "interrupt" : "dequeue");
  limits.connect_timeout_s = CANCEL_CONNECT_TIMEOUT_S;
  limits.read_timeout_s = CANCEL_READ_TIMEOUT_S;
  message = new_json_message (job->self, job->started ? "/interrupt" : "/queue", body);
  menugen_http_send_async (message, &limits, NULL, stop_on_server_cb, g_object_ref (task));
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  Job *job = g_task_get_task_data (task);

  if (job->over)
    return G_SOURCE_REMOVE;

  end_job (task);

  /* NOTE: A cancel while POST /prompt is in flight aborts that request, and
   * the delete that follows can reach the server before the prompt does, in
   * which case the prompt still runs. */
  if (job->phase == PHASE_QUEUEING || job->phase == PHASE_WAITING)
    stop_on_server (task);
  else
    return_cancelled (task);

  return G_SOURCE_REMOVE;
}

/* May run in any thread: the work moves to the task's main context. */
static void
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  GTask *task = user_data;
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, cancel_idle_cb, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

/* MenugenBackend */

static Job *
job_new (MenugenBackendComfyui *self,
         const MenugenRequest  *request,
         GCancellable          *cancellable)
{
  Job *job = g_new0 (Job, 1);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *client_uuid = g_uuid_string_random ();
  g_auto(GStrv) client_parts = g_strsplit (client_uuid, "-", -1);

  job->self = g_object_ref (self);
  job->photo = g_bytes_ref (request->photo);
  job->photo_mime_type = g_strdup (request->photo_mime_type != NULL ? request->photo_mime_type : "image/jpeg");
  job->instruction = g_strdup (request->instruction);
  job->seed = request->seed;
  menugen_backend_config_get_http_limits (self->config, &job->limits);
  /* ComfyUI's own client ids are 32 hex digits, and prompt ids are UUIDs. */
  job->client_id = g_strjoinv ("", client_parts);
  job->prompt_id = g_steal_pointer (&uuid);
  job->operations = g_cancellable_new ();
  job->socket_connect = g_cancellable_new ();
  job->caller = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->last_step_value = -1;
  job->last_step_max = -1;

  return job;
}

static void
menugen_backend_comfyui_generate_async (MenugenBackend       *backend,
                                        const MenugenRequest *request,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data)
{
  MenugenBackendComfyui *self = MENUGEN_BACKEND_COMFYUI (backend);
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (request->photo != NULL);
  g_return_if_fail (request->instruction != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_comfyui_generate_async);
  /* Cancelling returns only after the server was asked to stop the prompt. */
  g_task_set_check_cancellable (task, FALSE);

  job = job_new (self, request, cancellable);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);

  if (cancellable != NULL)
    job->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb), task, NULL);

  menugen_comfyui_workflow_load_async (self->config->workflow, job->operations,
                                       workflow_loaded_cb, g_object_ref (task));
}

static MenugenResult *
menugen_backend_comfyui_generate_finish (MenugenBackend  *backend,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_comfyui_generate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
menugen_backend_comfyui_get_photo_limits (MenugenBackend     *backend,
                                          MenugenPhotoLimits *limits)
{
  menugen_photo_limits_init_default (limits);
  limits->max_long_edge = COMFYUI_MAX_LONG_EDGE;
}

static const MenugenBackendConfig *
menugen_backend_comfyui_get_config (MenugenBackend *backend)
{
  return MENUGEN_BACKEND_COMFYUI (backend)->config;
}

static void
backend_iface_init (MenugenBackendInterface *iface)
{
  iface->generate_async = menugen_backend_comfyui_generate_async;
  iface->generate_finish = menugen_backend_comfyui_generate_finish;
  iface->get_photo_limits = menugen_backend_comfyui_get_photo_limits;
  iface->get_config = menugen_backend_comfyui_get_config;
}

static void
menugen_backend_comfyui_finalize (GObject *object)
{
  MenugenBackendComfyui *self = MENUGEN_BACKEND_COMFYUI (object);

  g_clear_pointer (&self->config, menugen_backend_config_free);
  g_free (self->image_node_id);
  g_free (self->prompt_node_id);

  G_OBJECT_CLASS (menugen_backend_comfyui_parent_class)->finalize (object);
}

static void
menugen_backend_comfyui_class_init (MenugenBackendComfyuiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = menugen_backend_comfyui_finalize;
}

static void
menugen_backend_comfyui_init (MenugenBackendComfyui *self)
{
}

/**
 * menugen_backend_comfyui_new:
 * @config: a "comfyui" configuration, whose workflow is "" for the
 *   default, a built-in name ("qwen-image-edit", "flux-kontext") or the path
 *   of a workflow exported with "Export (API)"
 *
 * Returns: (transfer full): the back-end
 */
MenugenBackend *
menugen_backend_comfyui_new (const MenugenBackendConfig *config)
{
  MenugenBackendComfyui *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_BACKEND_COMFYUI, NULL);
  self->config = menugen_backend_config_copy (config);

  return MENUGEN_BACKEND (self);
}

/**
 * menugen_backend_comfyui_set_nodes:
 * @self: a ComfyUI back-end
 * @image_node_id: (nullable): id of the node whose "image" input takes the
 *   uploaded photo, such as "78", or %NULL for the first LoadImage
 * @prompt_node_id: (nullable): id of the node that takes the instruction,
 *   such as "433:111"; %NULL follows the sampler's positive input to its
 *   text encoder
 *
 * Sets the nodes by id for workflows where finding them by class_type
 * picks the wrong ones. Applies to jobs started afterwards.
 */
void
menugen_backend_comfyui_set_nodes (MenugenBackendComfyui *self,
                                   const char            *image_node_id,
                                   const char            *prompt_node_id)
{
  g_return_if_fail (MENUGEN_IS_BACKEND_COMFYUI (self));

  g_free (self->image_node_id);
  g_free (self->prompt_node_id);
  self->image_node_id = g_strdup (image_node_id);
  self->prompt_node_id = g_strdup (prompt_node_id);
}

/* Model list for Preferences. */

static void
models_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenComfyuiWorkflow *workflow = g_task_get_task_data (task);
  SoupMessage *message = g_object_get_data (G_OBJECT (task), "object-info-message");
  g_autoptr(GError) error = NULL;
  char **values = read_model_values (g_task_get_source_object (task), workflow, message, result, &error);

  if (values == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, values, (GDestroyNotify) g_strfreev);
}

static void
models_workflow_loaded_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MenugenBackendComfyui *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  MenugenComfyuiWorkflow *workflow = menugen_comfyui_workflow_load_finish (result, &error);
  g_autoptr(SoupMessage) message = NULL;
  MenugenHttpLimits limits;

  if (workflow == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_set_task_data (task, workflow, (GDestroyNotify) menugen_comfyui_workflow_free);
  if (menugen_comfyui_workflow_get_loader_class (workflow) == NULL)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_WORKFLOW_REJECTED,
                               _("The workflow “%s” has no model loader node (UNETLoader or CheckpointLoaderSimple), so it has no model to choose."),
                               menugen_comfyui_workflow_get_name (workflow));
      return;
    }

  menugen_backend_config_get_http_limits (self->config, &limits);
  message = new_object_info_message (self, menugen_comfyui_workflow_get_loader_class (workflow));
  g_object_set_data_full (G_OBJECT (task), "object-info-message", g_object_ref (message), g_object_unref);
  menugen_http_send_async (message, &limits, g_task_get_cancellable (task), models_read_cb, g_object_ref (task));
}

/**
 * menugen_backend_comfyui_list_models_async:
 * @self: a ComfyUI back-end
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the list
 * @user_data: data for @callback
 *
 * Asks the server which model files the workflow's loader node (UNETLoader,
 * CheckpointLoaderSimple) accepts, for the model choice in Preferences.
 */
void
menugen_backend_comfyui_list_models_async (MenugenBackendComfyui *self,
                                           GCancellable          *cancellable,
                                           GAsyncReadyCallback    callback,
                                           gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_BACKEND_COMFYUI (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_backend_comfyui_list_models_async);
  menugen_comfyui_workflow_load_async (self->config->workflow, cancellable,
                                       models_workflow_loaded_cb, g_steal_pointer (&task));
}

/**
 * menugen_backend_comfyui_list_models_finish:
 * @self: a ComfyUI back-end
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the model file names exactly as the server
 *   lists them, folders kept, or %NULL with @error set
 */
char **
menugen_backend_comfyui_list_models_finish (MenugenBackendComfyui  *self,
                                            GAsyncResult           *result,
                                            GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_backend_comfyui_list_models_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
