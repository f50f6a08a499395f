#include "config.h"

#include <glib/gi18n.h>

#include "core/menugen-error.h"
#include "ui/menugen-reopen.h"

/* What a worker thread read from one history folder. */
typedef struct {
  MenugenHistoryEntry *entry;
  GdkPixbuf *result;
  MenugenPhoto *photo;  /* NULL when the folder has no readable photo */
} Opened;

static void
opened_free (Opened *opened)
{
  g_clear_object (&opened->entry);
  g_clear_object (&opened->result);
  g_clear_object (&opened->photo);
  g_free (opened);
}

static GdkPixbuf *
read_result (MenugenHistoryEntry  *entry,
             GCancellable         *cancellable,
             GError              **error)
{
  GFile *file = menugen_history_entry_get_result_file (entry);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) bytes = g_file_load_bytes (file, cancellable, NULL, &local_error);
  GdkPixbuf *pixbuf = NULL;

  if (bytes != NULL)
    pixbuf = menugen_image_decode (bytes, MENUGEN_RESULT_MAX_PIXELS, &local_error);

  if (pixbuf == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                     _("The menu %s could not be opened (%s). Delete it from the history if "
                       "it is damaged."), name, local_error->message);
    }

  return pixbuf;
}

/* Reads the prepared photo that was sent. A missing or damaged photo
 * leaves the result viewable, so it is logged and not an error. */
static MenugenPhoto *
read_photo (MenugenHistoryEntry *entry,
            GCancellable        *cancellable)
{
  GFile *file = menugen_history_entry_get_photo_file (entry);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  MenugenPhoto *photo = NULL;

  if (file == NULL)
    return NULL;

  bytes = g_file_load_bytes (file, cancellable, NULL, &error);
  if (bytes != NULL)
    photo = menugen_photo_new_prepared (bytes, &error);

  if (photo == NULL)
    g_message ("Could not read the photo of history entry %s: %s",
               menugen_history_entry_get_id (entry), error->message);

  return photo;
}

static void
reopen_thread_cb (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  MenugenHistoryEntry *entry = task_data;
  Opened *opened;
  GError *error = NULL;
  g_autoptr(GdkPixbuf) result = read_result (entry, cancellable, &error);

  if (result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  opened = g_new0 (Opened, 1);
  opened->entry = g_object_ref (entry);
  opened->result = g_steal_pointer (&result);
  opened->photo = read_photo (entry, cancellable);
  g_task_return_pointer (task, opened, (GDestroyNotify) opened_free);
}

/**
 * menugen_reopen_entry_async:
 * @entry: a history entry
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the files are read
 * @user_data: data for @callback
 *
 * Reads the result and the prepared photo of @entry in a worker thread,
 * with the same pixel limit as a freshly generated result.
 */
void
menugen_reopen_entry_async (MenugenHistoryEntry *entry,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_HISTORY_ENTRY (entry));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_reopen_entry_async);
  g_task_set_task_data (task, g_object_ref (entry), g_object_unref);
  g_task_run_in_thread (task, reopen_thread_cb);
}

/**
 * menugen_reopen_entry_finish:
 * @result: the #GAsyncResult
 * @texture: (out) (transfer full): the result image
 * @photo: (out) (transfer full) (nullable): the prepared photo, ready to
 *   generate again, or %NULL when the folder has none or it is damaged
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the entry, or %NULL with a %MENUGEN_ERROR
 *   sentence or %G_IO_ERROR_CANCELLED
 */
MenugenHistoryEntry *
menugen_reopen_entry_finish (GAsyncResult  *result,
                             GdkTexture   **texture,
                             MenugenPhoto **photo,
                             GError       **error)
{
  Opened *opened;
  MenugenHistoryEntry *entry;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_reopen_entry_async, NULL);
  g_return_val_if_fail (texture != NULL && photo != NULL, NULL);

  *texture = NULL;
  *photo = NULL;
  opened = g_task_propagate_pointer (G_TASK (result), error);
  if (opened == NULL)
    return NULL;

  *texture = gdk_texture_new_for_pixbuf (opened->result);
  *photo = g_steal_pointer (&opened->photo);
  entry = g_steal_pointer (&opened->entry);
  opened_free (opened);

  return entry;
}
