#include "config.h"

#include <math.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include "backends/menugen-job.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-png.h"

/* A result whose width-to-height ratio is off the requested one by more
 * than this factor gets a size note. 15 % accepts a 2:3 result for a 3:4
 * request, because gpt-image-1 sizes are only 1024x1536, 1024x1024 and
 * 1536x1024 (OpenAI Images API reference), but flags a square one. */
#define ASPECT_TOLERANCE 1.15

/* A result narrower or shorter than this, in pixels, cannot show a
 * legible menu, so it fails the job like a missing image. */
#define MIN_RESULT_EDGE 64

struct _MenugenJob
{
  GObject parent_instance;

  MenugenBackend *backend;
  MenugenHistory *history;
  char *template_text;
  MenugenDishNames dish_names;
  char *language;
  char *style;

  GTask *task;                /* the run in progress, or NULL */
  gulong progress_handler;

  MenugenStage stage;
  double fraction;
  char *detail;
  gint64 started_us;          /* monotonic time of the run's start, 0 before */
  gint64 finished_us;         /* monotonic time of the run's end, 0 while running */
  gsize upload_bytes;

  char *instruction;
  char *notes;
  char *size_note;
  GdkPixbuf *result_pixbuf;
};

G_DEFINE_FINAL_TYPE (MenugenJob, menugen_job, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STAGE,
  PROP_FRACTION,
  PROP_DETAIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What one run carries from step to step. The worker thread only reads the
 * fields filled in before it starts and writes the decoded ones. */
typedef struct {
  MenugenPhoto *photo;
  MenugenRequest *request;
  MenugenResult *result;
  char *backend_kind;
  char *backend_name;
  char *model;
  GDateTime *started;
  GDateTime *finished;

  GdkPixbuf *pixbuf;
  GBytes *result_png;
  char *size_note;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_object (&data->photo);
  g_clear_pointer (&data->request, menugen_request_free);
  g_clear_pointer (&data->result, menugen_result_free);
  g_free (data->backend_kind);
  g_free (data->backend_name);
  g_free (data->model);
  g_clear_pointer (&data->started, g_date_time_unref);
  g_clear_pointer (&data->finished, g_date_time_unref);
  g_clear_object (&data->pixbuf);
  g_clear_pointer (&data->result_png, g_bytes_unref);
  g_free (data->size_note);
  g_free (data);
}

static void
set_progress (MenugenJob   *self,
              MenugenStage  stage,
              double        fraction,
              const char   *detail)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->stage != stage)
    {
      self->stage = stage;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
    }

  if (self->fraction != fraction)
    {
      self->fraction = fraction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }

  if (g_strcmp0 (self->detail, detail) != 0)
    {
      g_free (self->detail);
      self->detail = g_strdup (detail);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAIL]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* Formats seconds as "0:42" or, from an hour on, "1:02:03". */
static char *
format_elapsed (double seconds)
{
  guint64 total = seconds > 0 ? (guint64) seconds : 0;

  if (total >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", (guint) (total / 3600),
                            (guint) (total / 60 % 60), (guint) (total % 60));

  return g_strdup_printf ("%u:%02u", (guint) (total / 60), (guint) (total % 60));
}

static char *
join_notes (const char *first,
            const char *second)
{
  if (first == NULL || first[0] == '\0')
    return g_strdup (second);
  if (second == NULL || second[0] == '\0')
    return g_strdup (first);

  return g_strconcat (first, "\n\n", second, NULL);
}

/* Returns a translated note when the image's shape is noticeably off the
 * requested "W:H" ratio, or NULL when it matches or nothing was requested. */
static char *
describe_shape_mismatch (int         width,
                         int         height,
                         const char *aspect_ratio)
{
  int ratio_width = 0;
  int ratio_height = 0;
  double requested;
  double returned;

  if (aspect_ratio == NULL
      || sscanf (aspect_ratio, "%d:%d", &ratio_width, &ratio_height) != 2
      || ratio_width <= 0 || ratio_height <= 0 || width <= 0 || height <= 0)
    return NULL;

  requested = (double) ratio_width / ratio_height;
  returned = (double) width / height;
  if (fabs (log (returned / requested)) <= log (ASPECT_TOLERANCE))
    return NULL;

  return g_strdup_printf (_("The model returned a %d × %d image instead of the requested %s shape. It was kept as it is, without stretching."),
                          width, height, aspect_ratio);
}

/* Picks the model id for the provenance: what the service reported, else
 * the configured one, else the ComfyUI workflow, else the kind. */
static char *
pick_model (const MenugenBackendConfig *config,
            const MenugenResult        *result)
{
  const char *model = menugen_backend_config_get_model (config);

  if (result->model != NULL && result->model[0] != '\0')
    return g_strdup (result->model);
  if (model != NULL && model[0] != '\0')
    return g_strdup (model);
  if (config->workflow != NULL && config->workflow[0] != '\0')
    return g_strdup (config->workflow);

  return g_strdup (config->kind);
}

/* Runs in a worker thread: decodes the image with its size capped, rejects
 * a tiny one, checks its shape, and encodes the PNG that carries the
 * provenance. */
static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RunData *data = task_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GBytes) png = NULL;
  GError *error = NULL;
  MenugenProvenance provenance = { 0 };

  pixbuf = menugen_image_decode (data->result->image, MENUGEN_RESULT_MAX_PIXELS, &error);
  if (pixbuf == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (gdk_pixbuf_get_width (pixbuf) < MIN_RESULT_EDGE || gdk_pixbuf_get_height (pixbuf) < MIN_RESULT_EDGE)
    {
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                               /* Translators: the pixel size of the image, such as 1 × 1 */
                               _("The model returned a %d × %d image, which cannot be a menu. Try again or choose another back-end."),
                               gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf));
      return;
    }

  data->size_note = describe_shape_mismatch (gdk_pixbuf_get_width (pixbuf),
                                             gdk_pixbuf_get_height (pixbuf),
                                             data->request->aspect_ratio);

  provenance.backend = data->backend_kind;
  provenance.model = data->model;
  provenance.instruction = data->request->instruction;
  provenance.creation_time = data->finished;
  provenance.photo_sha256 = menugen_photo_get_sha256 (data->photo);

  png = menugen_png_encode (pixbuf, &provenance, &error);
  if (png == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data->pixbuf = g_steal_pointer (&pixbuf);
  data->result_png = g_steal_pointer (&png);
  g_task_return_boolean (task, TRUE);
}

static void
end_run (MenugenJob *self)
{
  const MenugenBackendConfig *config = menugen_backend_get_config (self->backend);

  g_clear_signal_handler (&self->progress_handler, self->backend);
  self->finished_us = g_get_monotonic_time ();
  g_clear_object (&self->task);

  g_debug ("Job with back-end %s ended after %.1f s", config->kind,
           menugen_job_get_elapsed (self));
}

/* Ends the run with @error. Takes ownership of @task and @error. */
static void
fail_run (GTask  *task,
          GError *error)
{
  MenugenJob *self = g_task_get_source_object (task);

  g_debug ("Job failed at stage %d: %s", self->stage, error->message);
  end_run (self);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* Puts the model's text, the vision model's drawing instruction and the
 * size note together for the history record. */
static char *
compose_record_notes (const RunData *data)
{
  g_autofree char *intermediate = NULL;
  g_autofree char *with_intermediate = NULL;

  if (data->result->intermediate != NULL && data->result->intermediate[0] != '\0')
    intermediate = g_strdup_printf (_("Drawing instruction written by the vision model: %s"),
                                    data->result->intermediate);

  with_intermediate = join_notes (data->result->notes, intermediate);
  return join_notes (with_intermediate, data->size_note);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  MenugenJob *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  GError *error = NULL;

  entry = menugen_history_save_finish (MENUGEN_HISTORY (source), result, &error);
  if (entry == NULL)
    {
      fail_run (task, error);
      return;
    }

  /* The result becomes visible only now that it is on disk. A cancel that
   * arrives after the save does not undo it, as the image is paid for. */
  g_set_object (&self->result_pixbuf, data->pixbuf);
  g_free (self->notes);
  self->notes = g_strdup (data->result->notes);
  g_free (self->size_note);
  self->size_note = g_strdup (data->size_note);

  g_debug ("Job saved to history entry %s", menugen_history_entry_get_id (entry));
  end_run (self);
  g_task_return_pointer (task, g_steal_pointer (&entry), g_object_unref);
  g_object_unref (task);
}

static void
save_to_history (GTask *task)
{
  MenugenJob *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  g_autofree char *job_id = menugen_history_new_job_id ();
  g_autofree char *notes = compose_record_notes (data);
  MenugenHistoryRecord record = { 0 };

  record.job_id = job_id;
  record.backend_kind = data->backend_kind;
  record.backend_name = data->backend_name;
  record.model = data->model;
  record.instruction = data->request->instruction;
  record.notes = notes;
  record.started = data->started;
  record.finished = data->finished;
  record.photo = data->request->photo;
  record.photo_mime_type = data->request->photo_mime_type;
  record.photo_sha256 = menugen_photo_get_sha256 (data->photo);
  record.photo_width = data->request->photo_width;
  record.photo_height = data->request->photo_height;
  record.result_png = data->result_png;
  record.result_width = gdk_pixbuf_get_width (data->pixbuf);
  record.result_height = gdk_pixbuf_get_height (data->pixbuf);
  record.requested_aspect_ratio = data->request->aspect_ratio;

  set_progress (self, MENUGEN_STAGE_SAVING, -1, NULL);
  menugen_history_save_async (self->history, &record, g_task_get_cancellable (task),
                              saved_cb, task);
}

static void
decoded_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      fail_run (task, error);
      return;
    }

  save_to_history (task);
}

static void
generated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  MenugenJob *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  const MenugenBackendConfig *config = menugen_backend_get_config (self->backend);
  g_autoptr(GTask) decode_task = NULL;
  GError *error = NULL;

  data->result = menugen_backend_generate_finish (MENUGEN_BACKEND (source), result, &error);
  if (data->result == NULL || g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      fail_run (task, error);
      return;
    }

  /* Never a placeholder: a reply without image bytes is a failure. */
  if (data->result->image == NULL || g_bytes_get_size (data->result->image) == 0)
    {
      fail_run (task, g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE,
                                   _("The back-end “%s” finished without an image. Try again or choose another back-end."),
                                   config->name != NULL ? config->name : config->kind));
      return;
    }

  data->model = pick_model (config, data->result);
  data->finished = g_date_time_new_now_local ();
  g_debug ("Job received %" G_GSIZE_FORMAT " bytes of %s from model %s",
           g_bytes_get_size (data->result->image),
           data->result->mime_type != NULL ? data->result->mime_type : "an unknown type",
           data->model);

  set_progress (self, MENUGEN_STAGE_DECODING, -1, NULL);
  decode_task = g_task_new (self, g_task_get_cancellable (task), decoded_cb, task);
  g_task_set_source_tag (decode_task, decode_thread);
  g_task_set_task_data (decode_task, data, NULL);
  g_task_run_in_thread (decode_task, decode_thread);
}

static MenugenRequest *
build_request (MenugenJob    *self,
               MenugenPhoto  *photo,
               GError       **error)
{
  g_autoptr(MenugenRequest) request = menugen_request_new ();
  MenugenInstructionOptions options = { 0 };
  int width = menugen_photo_get_width (photo);
  int height = menugen_photo_get_height (photo);

  options.dish_names = self->dish_names;
  options.language = self->language;
  options.style = self->style;
  options.aspect_ratio = menugen_aspect_ratio_nearest (width, height);

  request->instruction = menugen_instruction_compose (self->template_text, &options, error);
  if (request->instruction == NULL)
    return NULL;

  request->photo = g_bytes_ref (menugen_photo_get_bytes (photo));
  request->photo_mime_type = g_strdup (menugen_photo_get_mime_type (photo));
  request->photo_width = width;
  request->photo_height = height;
  request->aspect_ratio = g_strdup (options.aspect_ratio);
  request->seed = g_random_int ();

  return g_steal_pointer (&request);
}

static void
send_request (GTask *task)
{
  MenugenJob *self = g_task_get_source_object (task);
  RunData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->request = build_request (self, data->photo, &error);
  if (data->request == NULL)
    {
      fail_run (task, error);
      return;
    }

  g_free (self->instruction);
  self->instruction = g_strdup (data->request->instruction);
  self->upload_bytes = g_bytes_get_size (data->request->photo);

  g_debug ("Job sends a %d × %d %s photo of %" G_GSIZE_FORMAT " bytes to %s, aspect ratio %s",
           data->request->photo_width, data->request->photo_height,
           data->request->photo_mime_type, self->upload_bytes, data->backend_kind,
           data->request->aspect_ratio);

  menugen_backend_generate_async (self->backend, data->request, g_task_get_cancellable (task),
                                  generated_cb, task);

  /* Back-ends report UPLOADING themselves, with the size of the body they
   * send. This covers one that does not. */
  if (self->stage == MENUGEN_STAGE_PREPARING)
    set_progress (self, MENUGEN_STAGE_UPLOADING, -1, NULL);
}

static void
prepared_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(MenugenPhoto) photo = NULL;
  GError *error = NULL;

  photo = menugen_photo_prepare_finish (result, &error);
  if (photo == NULL)
    {
      fail_run (task, error);
      return;
    }

  g_set_object (&data->photo, photo);
  send_request (task);
}

static void
backend_progress_cb (MenugenBackend *backend,
                     int             stage,
                     double          fraction,
                     const char     *detail,
                     gpointer        user_data)
{
  MenugenJob *self = user_data;

  if (stage < MENUGEN_STAGE_PREPARING || stage > MENUGEN_STAGE_SAVING)
    {
      g_debug ("Ignoring progress with unknown stage %d", stage);
      return;
    }

  set_progress (self, (MenugenStage) stage, fraction, detail);
}

static void
menugen_job_dispose (GObject *object)
{
  MenugenJob *self = (MenugenJob *) object;

  /* A running job holds a reference through its task, so no run is
   * pending here. */
  if (self->backend != NULL)
    g_clear_signal_handler (&self->progress_handler, self->backend);
  g_clear_object (&self->backend);
  g_clear_object (&self->history);
  g_clear_object (&self->result_pixbuf);

  G_OBJECT_CLASS (menugen_job_parent_class)->dispose (object);
}

static void
menugen_job_finalize (GObject *object)
{
  MenugenJob *self = (MenugenJob *) object;

  g_free (self->template_text);
  g_free (self->language);
  g_free (self->style);
  g_free (self->detail);
  g_free (self->instruction);
  g_free (self->notes);
  g_free (self->size_note);

  G_OBJECT_CLASS (menugen_job_parent_class)->finalize (object);
}

static void
menugen_job_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MenugenJob *self = MENUGEN_JOB (object);

  switch (prop_id)
    {
    case PROP_STAGE:
      g_value_set_int (value, self->stage);
      break;

    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;

    case PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_job_class_init (MenugenJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = menugen_job_dispose;
  object_class->finalize = menugen_job_finalize;
  object_class->get_property = menugen_job_get_property;

  /* A MenugenStage value; there is no registered enum type for it. */
  properties[PROP_STAGE] =
    g_param_spec_int ("stage", NULL, NULL,
                      MENUGEN_STAGE_PREPARING, MENUGEN_STAGE_SAVING, MENUGEN_STAGE_PREPARING,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /* 0 to 1 when the server reports progress, -1 otherwise. */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL,
                         -1.0, 1.0, -1.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  properties[PROP_DETAIL] =
    g_param_spec_string ("detail", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
menugen_job_init (MenugenJob *self)
{
  self->stage = MENUGEN_STAGE_PREPARING;
  self->fraction = -1.0;
}

/**
 * menugen_job_new:
 * @backend: the back-end that draws the menu
 * @history: where the finished job is saved
 * @template_text: (nullable): the instruction template; %NULL for the built-in one
 * @options: dish names, language and style; its aspect ratio is ignored,
 *   as each run takes the one nearest to its photo
 *
 * Creates a job. The options are copied.
 *
 * Returns: (transfer full): a new #MenugenJob
 */
MenugenJob *
menugen_job_new (MenugenBackend                  *backend,
                 MenugenHistory                  *history,
                 const char                      *template_text,
                 const MenugenInstructionOptions *options)
{
  MenugenJob *self;

  g_return_val_if_fail (MENUGEN_IS_BACKEND (backend), NULL);
  g_return_val_if_fail (MENUGEN_IS_HISTORY (history), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (MENUGEN_TYPE_JOB, NULL);
  self->backend = g_object_ref (backend);
  self->history = g_object_ref (history);
  self->template_text = template_text != NULL ? g_strdup (template_text)
                                              : menugen_instruction_load_default_template ();
  self->dish_names = options->dish_names;
  self->language = g_strdup (options->language);
  self->style = g_strdup (options->style);

  return self;
}

static void
reset_state (MenugenJob *self)
{
  g_clear_object (&self->result_pixbuf);
  g_clear_pointer (&self->instruction, g_free);
  g_clear_pointer (&self->notes, g_free);
  g_clear_pointer (&self->size_note, g_free);
  self->upload_bytes = 0;
  self->started_us = g_get_monotonic_time ();
  self->finished_us = 0;
}

/**
 * menugen_job_run_async:
 * @self: a #MenugenJob that is not running
 * @photo: the prepared photo
 * @cancellable: (nullable): cancels the run at any stage
 * @callback: called when the result is saved to history, or on failure
 * @user_data: data for @callback
 *
 * Sends @photo with the composed instruction to the back-end, decodes the
 * image in a worker thread and saves photo, result and record to history
 * before @callback runs. A history folder that cannot be written fails
 * the run before anything is sent. A photo over the back-end's limits is prepared
 * again with those limits first. Progress shows in the "stage",
 * "fraction" and "detail" properties.
 */
void
menugen_job_run_async (MenugenJob         *self,
                       MenugenPhoto       *photo,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  const MenugenBackendConfig *config;
  MenugenPhotoLimits limits;
  RunData *data;
  GError *error = NULL;

  g_return_if_fail (MENUGEN_IS_JOB (self));
  g_return_if_fail (MENUGEN_IS_PHOTO (photo));
  g_return_if_fail (self->task == NULL);

  config = menugen_backend_get_config (self->backend);
  data = g_new0 (RunData, 1);
  data->photo = g_object_ref (photo);
  data->backend_kind = g_strdup (config->kind);
  data->backend_name = g_strdup (config->name != NULL ? config->name : config->kind);
  data->started = g_date_time_new_now_local ();

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, menugen_job_run_async);
  g_task_set_task_data (self->task, data, (GDestroyNotify) run_data_free);
  /* Cancellation is checked at each step instead, so that a result saved
   * just before a cancel is still returned with its history entry. */
  g_task_set_check_cancellable (self->task, FALSE);

  reset_state (self);
  set_progress (self, MENUGEN_STAGE_PREPARING, -1, NULL);
  self->progress_handler = g_signal_connect_object (self->backend, "progress",
                                                    G_CALLBACK (backend_progress_cb), self, 0);

  if (!menugen_history_check_writable (self->history, &error))
    {
      fail_run (g_object_ref (self->task), error);
      return;
    }

  menugen_backend_get_photo_limits (self->backend, &limits);
  if (menugen_photo_fits (photo, &limits))
    {
      send_request (g_object_ref (self->task));
      return;
    }

  g_debug ("Photo of %d × %d exceeds the limits of %s, preparing it again",
           menugen_photo_get_width (photo), menugen_photo_get_height (photo), config->kind);
  menugen_photo_prepare_async (menugen_photo_get_bytes (photo), &limits, cancellable,
                               prepared_cb, g_object_ref (self->task));
}

/**
 * menugen_job_run_finish:
 * @self: a #MenugenJob
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the history entry of the saved result, or
 *   %NULL with @error set; %G_IO_ERROR_CANCELLED when cancelled
 */
MenugenHistoryEntry *
menugen_job_run_finish (MenugenJob   *self,
                        GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_job_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

MenugenStage
menugen_job_get_stage (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), MENUGEN_STAGE_PREPARING);

  return self->stage;
}

/* Returns 0 to 1 when the server reports progress, -1 otherwise. */
double
menugen_job_get_fraction (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), -1.0);

  return self->fraction;
}

/**
 * menugen_job_get_elapsed:
 * @self: a #MenugenJob
 *
 * Returns: seconds since the run started, frozen when it ended; 0 before
 *   the first run
 */
double
menugen_job_get_elapsed (MenugenJob *self)
{
  gint64 end;

  g_return_val_if_fail (MENUGEN_IS_JOB (self), 0.0);

  if (self->started_us == 0)
    return 0.0;

  end = self->finished_us != 0 ? self->finished_us : g_get_monotonic_time ();
  return (double) (end - self->started_us) / G_USEC_PER_SEC;
}

static gboolean
has_detail (MenugenJob *self)
{
  return self->detail != NULL && self->detail[0] != '\0';
}

/* Back-ends pass a translated line as the detail, such as the step count
 * ComfyUI reports or a rate-limit wait, and it replaces the stage's own
 * line. */
static char *
describe_with_detail (MenugenJob *self,
                      const char *elapsed)
{
  /* Translators: the back-end's progress line, then the elapsed time such as 0:42 */
  return g_strdup_printf (_("%s… %s"), self->detail, elapsed);
}

static char *
describe_running (MenugenJob *self,
                  const char *elapsed)
{
  if (has_detail (self))
    return describe_with_detail (self, elapsed);

  if (self->fraction >= 0)
    /* Translators: percent done, then the elapsed time such as 0:42 */
    return g_strdup_printf (_("Running… %d %%, %s"), (int) (self->fraction * 100), elapsed);

  return g_strdup_printf (_("Running… %s"), elapsed);
}

/**
 * menugen_job_describe_stage:
 * @self: a #MenugenJob
 *
 * Describes the current stage in one translated line with the elapsed
 * time where waiting is involved, such as "Waiting for the model… 0:42".
 *
 * Returns: (transfer full): the line
 */
char *
menugen_job_describe_stage (MenugenJob *self)
{
  g_autofree char *elapsed = NULL;
  g_autofree char *size = NULL;

  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);

  elapsed = format_elapsed (menugen_job_get_elapsed (self));

  switch (self->stage)
    {
    case MENUGEN_STAGE_PREPARING:
      return g_strdup (_("Preparing the photo…"));

    case MENUGEN_STAGE_DESCRIBING:
      if (has_detail (self))
        return describe_with_detail (self, elapsed);
      return g_strdup_printf (_("Reading the menu with the vision model… %s"), elapsed);

    case MENUGEN_STAGE_UPLOADING:
      /* The photo's size, as back-ends word their upload detail differently. */
      size = menugen_http_describe_size (self->upload_bytes);
      return g_strdup_printf (_("Uploading %s…"), size);

    case MENUGEN_STAGE_QUEUED:
      if (has_detail (self))
        return describe_with_detail (self, elapsed);
      return g_strdup_printf (_("Waiting in the server’s queue… %s"), elapsed);

    case MENUGEN_STAGE_WAITING:
      if (has_detail (self))
        return describe_with_detail (self, elapsed);
      return g_strdup_printf (_("Waiting for the model… %s"), elapsed);

    case MENUGEN_STAGE_RUNNING:
      return describe_running (self, elapsed);

    case MENUGEN_STAGE_DOWNLOADING:
      if (self->fraction >= 0)
        return g_strdup_printf (_("Downloading… %d %%"), (int) (self->fraction * 100));
      return g_strdup (_("Downloading…"));

    case MENUGEN_STAGE_DECODING:
      return g_strdup (_("Decoding the image…"));

    case MENUGEN_STAGE_SAVING:
      return g_strdup (_("Saving…"));

    default:
      g_assert_not_reached ();
    }

  return NULL;
}

/* Returns the composed instruction of the latest run, or NULL before one. */
const char *
menugen_job_get_instruction (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);

  return self->instruction;
}

/**
 * menugen_job_get_result_pixbuf:
 * @self: a #MenugenJob
 *
 * Returns: (transfer none) (nullable): the decoded result once it is saved
 */
GdkPixbuf *
menugen_job_get_result_pixbuf (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);

  return self->result_pixbuf;
}

/* Returns the text the model wrote beside the image, or NULL. */
const char *
menugen_job_get_notes (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);

  return self->notes;
}

/* Returns a translated note when the image's shape differs noticeably
 * from the requested aspect ratio, or NULL. */
const char *
menugen_job_get_size_note (MenugenJob *self)
{
  g_return_val_if_fail (MENUGEN_IS_JOB (self), NULL);

  return self->size_note;
}
