#include "config.h"

#include <glib/gi18n.h>

#include "core/menugen-error.h"
#include "ui/menugen-print.h"

/* What one print operation draws. */
typedef struct {
  GdkTexture *texture;
  cairo_surface_t *surface;  /* made in begin-print */
} PrintData;

/* One run of the print dialog, from the start until "done". */
typedef struct {
  GtkPrintOperation *operation;
  char *title;
  gulong done_id;
  GCancellable *cancellable;
  gulong cancelled_id;
} PrintRun;

/* The settings of the last print, so the next one starts with the same
 * printer and options. */
static GtkPrintSettings *last_settings;

static void
print_data_free (PrintData *data)
{
  g_clear_object (&data->texture);
  g_clear_pointer (&data->surface, cairo_surface_destroy);
  g_free (data);
}

static void
print_run_free (PrintRun *run)
{
  g_clear_signal_handler (&run->done_id, run->operation);
  if (run->cancelled_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancelled_id);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->operation);
  g_free (run->title);
  g_free (run);
}

/* Copies the pixels into a cairo image surface. gdk_texture_download()
 * writes cairo's ARGB32 layout, premultiplied and in native byte order. */
static cairo_surface_t *
texture_to_surface (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return surface;

  cairo_surface_flush (surface);
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);

  return surface;
}

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                PrintData         *data)
{
  if (data->surface == NULL)
    data->surface = texture_to_surface (data->texture);

  if (cairo_surface_status (data->surface) != CAIRO_STATUS_SUCCESS)
    {
      g_message ("Cannot print a %d × %d image: %s", gdk_texture_get_width (data->texture),
                 gdk_texture_get_height (data->texture),
                 cairo_status_to_string (cairo_surface_status (data->surface)));
      gtk_print_operation_cancel (operation);
    }
}

/* Scales the image to the largest size that fits the printable area,
 * keeping its aspect ratio, and centres it. */
static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              PrintData         *data)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  double page_width = gtk_print_context_get_width (context);
  double page_height = gtk_print_context_get_height (context);
  int width = gdk_texture_get_width (data->texture);
  int height = gdk_texture_get_height (data->texture);
  double scale = MIN (page_width / width, page_height / height);

  if (data->surface == NULL || cairo_surface_status (data->surface) != CAIRO_STATUS_SUCCESS)
    return;

  cairo_save (cr);
  cairo_translate (cr, (page_width - width * scale) / 2, (page_height - height * scale) / 2);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, data->surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
  cairo_restore (cr);
}

static GtkPageSetup *
page_setup_for (GdkTexture *texture)
{
  GtkPageSetup *setup = gtk_page_setup_new ();
  gboolean wide = gdk_texture_get_width (texture) > gdk_texture_get_height (texture);

  gtk_page_setup_set_orientation (setup, wide ? GTK_PAGE_ORIENTATION_LANDSCAPE
                                              : GTK_PAGE_ORIENTATION_PORTRAIT);
  return setup;
}

/* @run_error is the error that gtk_print_operation_run() set. Without
 * one, the operation's own error is used. */
static void
return_result (GTask                   *task,
               GtkPrintOperationResult  result,
               const GError            *run_error)
{
  PrintRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = run_error != NULL ? g_error_copy (run_error) : NULL;

  switch (result)
    {
    case GTK_PRINT_OPERATION_RESULT_APPLY:
      g_set_object (&last_settings, gtk_print_operation_get_print_settings (run->operation));
      g_task_return_boolean (task, TRUE);
      break;

    case GTK_PRINT_OPERATION_RESULT_CANCEL:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Printing was cancelled");
      break;

    case GTK_PRINT_OPERATION_RESULT_ERROR:
    default:
      if (error == NULL)
        gtk_print_operation_get_error (run->operation, &error);
      g_message ("Printing “%s” failed: %s", run->title, error != NULL ? error->message : "no error set");
      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                               _("Printing “%s” failed (%s). Check the printer and try again."),
                               run->title, error != NULL ? error->message : _("unknown error"));
      break;
    }
}

/* Ends the task once, whether "done" or the return value of
 * gtk_print_operation_run() reports the result first. */
static void
done_cb (GtkPrintOperation       *operation,
         GtkPrintOperationResult  result,
         gpointer                 user_data)
{
  GTask *task = user_data;
  PrintRun *run = g_task_get_task_data (task);

  g_clear_signal_handler (&run->done_id, operation);
  return_result (task, result, NULL);
  g_object_unref (task);
}

static void
cancelled_cb (GCancellable      *cancellable,
              GtkPrintOperation *operation)
{
  gtk_print_operation_cancel (operation);
}

/**
 * menugen_print_operation_new:
 * @texture: the image to print
 * @title: the job name shown in printer queues
 *
 * Sets up a one-page print of @texture: scaled to the largest size that
 * fits the printable area with its aspect ratio kept, centred, in
 * landscape when the image is wider than tall.
 *
 * Returns: (transfer full): a new operation, ready to run
 */
GtkPrintOperation *
menugen_print_operation_new (GdkTexture *texture,
                             const char *title)
{
  GtkPrintOperation *operation;
  g_autoptr(GtkPageSetup) setup = NULL;
  PrintData *data;

  g_return_val_if_fail (GDK_IS_TEXTURE (texture), NULL);
  g_return_val_if_fail (title != NULL, NULL);

  operation = gtk_print_operation_new ();
  setup = page_setup_for (texture);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_n_pages (operation, 1);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_job_name (operation, title);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  if (last_settings != NULL)
    gtk_print_operation_set_print_settings (operation, last_settings);

  data = g_new0 (PrintData, 1);
  data->texture = g_object_ref (texture);
  g_object_set_data_full (G_OBJECT (operation), "menugen-print-data", data,
                          (GDestroyNotify) print_data_free);
  g_signal_connect (operation, "begin-print", G_CALLBACK (begin_print_cb), data);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), data);

  return operation;
}

/**
 * menugen_print_texture_async:
 * @parent: (nullable): the window the print dialog belongs to
 * @texture: the image to print
 * @title: the job name shown in printer queues and in error messages
 * @cancellable: (nullable): a #GCancellable that stops a print in progress
 * @callback: called when the print was sent, cancelled or failed
 * @user_data: data for @callback
 *
 * Shows the print dialog for @texture, set up as
 * menugen_print_operation_new() describes.
 */
void
menugen_print_texture_async (GtkWindow          *parent,
                             GdkTexture         *texture,
                             const char         *title,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PrintRun *run;
  GtkPrintOperationResult result;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (GDK_IS_TEXTURE (texture));
  g_return_if_fail (title != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_print_texture_async);

  run = g_new0 (PrintRun, 1);
  run->operation = menugen_print_operation_new (texture, title);
  run->title = g_strdup (title);
  g_task_set_task_data (task, run, (GDestroyNotify) print_run_free);
  gtk_print_operation_set_allow_async (run->operation, TRUE);

  if (cancellable != NULL)
    {
      run->cancellable = g_object_ref (cancellable);
      run->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb),
                                                 g_object_ref (run->operation), g_object_unref);
    }

  run->done_id = g_signal_connect (run->operation, "done", G_CALLBACK (done_cb), g_object_ref (task));
  result = gtk_print_operation_run (run->operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    parent, &error);

  /* A result other than IN_PROGRESS is final. Not every path emits
   * "done" for it, so the task ends here unless "done" already ended it. */
  if (result != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS && run->done_id != 0)
    {
      g_clear_signal_handler (&run->done_id, run->operation);
      g_object_unref (task);
      return_result (task, result, error);
    }
}

/**
 * menugen_print_texture_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the page was sent to the printer, %FALSE with
 *   %G_IO_ERROR_CANCELLED when the user closed the dialog, or with a
 *   %MENUGEN_ERROR sentence when printing failed
 */
gboolean
menugen_print_texture_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_print_texture_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
