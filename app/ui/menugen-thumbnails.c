#include "config.h"

#include <glib/gi18n.h>

#include "core/menugen-error.h"
#include "core/menugen-photo.h"
#include "ui/menugen-thumbnails.h"

/* Each thumbnail takes at most size × size × 4 bytes, so the cache stays
 * under 16 MB at the default size of 128. */
#define CACHE_MAX_ENTRIES 256

struct _MenugenThumbnails
{
  GObject parent_instance;

  int size;

  /* URI → GdkTexture, or NULL for a file that could not be decoded. */
  GHashTable *cache;
  GQueue order;  /* URIs in the cache, least recently used first */

  /* URI → GPtrArray of GWeakRef to the pictures that wait for it. */
  GHashTable *pending;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (MenugenThumbnails, menugen_thumbnails, G_TYPE_OBJECT)

static void
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static GPtrArray *
waiting_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) weak_ref_free);
}

static void
add_waiting (GPtrArray  *waiting,
             GtkPicture *picture)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, picture);
  g_ptr_array_add (waiting, ref);
}

/* Moves @uri to the most recently used end of the order. */
static void
touch (MenugenThumbnails *self,
       const char        *uri)
{
  GList *link = g_queue_find_custom (&self->order, uri, (GCompareFunc) g_strcmp0);

  if (link == NULL)
    return;

  g_queue_unlink (&self->order, link);
  g_queue_push_tail_link (&self->order, link);
}

static void
remove_uri (MenugenThumbnails *self,
            const char        *uri)
{
  GList *link = g_queue_find_custom (&self->order, uri, (GCompareFunc) g_strcmp0);

  if (link != NULL)
    g_queue_delete_link (&self->order, link);

  g_hash_table_remove (self->cache, uri);
}

static void
store (MenugenThumbnails *self,
       const char        *uri,
       GdkTexture        *texture)
{
  char *key = g_strdup (uri);

  remove_uri (self, uri);
  g_hash_table_insert (self->cache, key, texture != NULL ? g_object_ref (texture) : NULL);
  g_queue_push_tail (&self->order, key);

  while (g_queue_get_length (&self->order) > CACHE_MAX_ENTRIES)
    {
      char *oldest = g_queue_pop_head (&self->order);

      g_hash_table_remove (self->cache, oldest);
    }
}

static GdkPaintable *
missing_image_paintable (MenugenThumbnails *self,
                         GtkPicture        *picture)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (picture)));
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (picture));

  return GDK_PAINTABLE (gtk_icon_theme_lookup_icon (theme, "image-missing-symbolic", NULL,
                                                    self->size / 2, scale,
                                                    gtk_widget_get_direction (GTK_WIDGET (picture)),
                                                    0));
}

static void
show_in_picture (MenugenThumbnails *self,
                 GtkPicture        *picture,
                 GdkTexture        *texture)
{
  g_autoptr(GdkPaintable) missing = NULL;

  if (texture != NULL)
    {
      gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
      return;
    }

  missing = missing_image_paintable (self, picture);
  gtk_picture_set_paintable (picture, missing);
}

/* Rejects results too large to decode before any pixel is read. The
 * history only holds results that passed the same limit when they were
 * generated, so this guards against files changed on disk. */
static gboolean
check_image_size (const char  *path,
                  GError     **error)
{
  int width = 0;
  int height = 0;
  g_autofree char *name = g_filename_display_name (path);

  if (gdk_pixbuf_get_file_info (path, &width, &height) == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   _("The image %s is not in a format that can be shown. Delete the menu if it "
                     "is damaged."), name);
      return FALSE;
    }

  if (width <= 0 || height <= 0 || (guint64) width * (guint64) height > MENUGEN_RESULT_MAX_PIXELS)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                   _("The image %s has %d × %d pixels, more than a menu can have. Delete the "
                     "menu if it is damaged."), name, width, height);
      return FALSE;
    }

  return TRUE;
}

static void
load_thread_cb (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MenugenThumbnails *self = source_object;
  GFile *file = task_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autofree char *path = g_file_get_path (file);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                               _("The image %s is not a local file, so no thumbnail was made."),
                               uri);
      return;
    }

  if (!check_image_size (path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  pixbuf = gdk_pixbuf_new_from_file_at_scale (path, self->size, self->size, TRUE, &error);
  if (pixbuf == NULL)
    {
      g_autofree char *name = g_filename_display_name (path);

      g_task_return_new_error (task, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                               _("The image %s could not be decoded (%s). Delete the menu if it "
                                 "is damaged."), name, error->message);
      g_error_free (error);
      return;
    }

  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

/* Stores the outcome of one load and shows it in every picture that
 * still waits for it. */
static void
thumbnail_loaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  MenugenThumbnails *self = MENUGEN_THUMBNAILS (source);
  g_autofree char *uri = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = menugen_thumbnails_load_finish (self, result, &error);
  g_autoptr(GPtrArray) waiting = NULL;
  g_autofree char *pending_key = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (!g_hash_table_steal_extended (self->pending, uri, (gpointer *) &pending_key, (gpointer *) &waiting))
    return;

  if (texture == NULL)
    g_debug ("No thumbnail for %s: %s", uri, error->message);

  store (self, uri, texture);

  for (guint i = 0; i < waiting->len; i++)
    {
      g_autoptr(GtkPicture) picture = g_weak_ref_get (g_ptr_array_index (waiting, i));

      if (picture != NULL && g_strcmp0 (g_object_get_data (G_OBJECT (picture), "menugen-thumbnail-uri"), uri) == 0)
        show_in_picture (self, picture, texture);
    }
}

static void
menugen_thumbnails_dispose (GObject *object)
{
  MenugenThumbnails *self = MENUGEN_THUMBNAILS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (menugen_thumbnails_parent_class)->dispose (object);
}

static void
menugen_thumbnails_finalize (GObject *object)
{
  MenugenThumbnails *self = MENUGEN_THUMBNAILS (object);

  g_queue_clear (&self->order);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (menugen_thumbnails_parent_class)->finalize (object);
}

static void
menugen_thumbnails_class_init (MenugenThumbnailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = menugen_thumbnails_dispose;
  object_class->finalize = menugen_thumbnails_finalize;
}

static void
menugen_thumbnails_init (MenugenThumbnails *self)
{
  self->size = MENUGEN_THUMBNAIL_SIZE;
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_if_set);
  g_queue_init (&self->order);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->cancellable = g_cancellable_new ();
}

/**
 * menugen_thumbnails_new:
 * @size: the long edge of each thumbnail in pixels
 *
 * Creates a cache of thumbnails that are decoded in worker threads.
 *
 * Returns: (transfer full): a new #MenugenThumbnails
 */
MenugenThumbnails *
menugen_thumbnails_new (int size)
{
  MenugenThumbnails *self;

  g_return_val_if_fail (size > 0, NULL);

  self = g_object_new (MENUGEN_TYPE_THUMBNAILS, NULL);
  self->size = size;
  return self;
}

/**
 * menugen_thumbnails_set_picture:
 * @self: a #MenugenThumbnails
 * @picture: the picture that shows the thumbnail
 * @file: (nullable): the image, or %NULL to clear @picture
 *
 * Shows the thumbnail of @file in @picture: at once when it is cached,
 * otherwise once a worker thread has decoded it. A picture that is given
 * another file in the meantime keeps the later one. A file that cannot be
 * decoded shows a "missing image" icon.
 */
void
menugen_thumbnails_set_picture (MenugenThumbnails *self,
                                GtkPicture        *picture,
                                GFile             *file)
{
  g_autofree char *uri = NULL;
  GdkTexture *texture = NULL;
  GPtrArray *waiting;

  g_return_if_fail (MENUGEN_IS_THUMBNAILS (self));
  g_return_if_fail (GTK_IS_PICTURE (picture));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  uri = file != NULL ? g_file_get_uri (file) : NULL;
  g_object_set_data_full (G_OBJECT (picture), "menugen-thumbnail-uri", g_strdup (uri), g_free);
  gtk_picture_set_paintable (picture, NULL);
  if (uri == NULL)
    return;

  if (g_hash_table_lookup_extended (self->cache, uri, NULL, (gpointer *) &texture))
    {
      touch (self, uri);
      show_in_picture (self, picture, texture);
      return;
    }

  waiting = g_hash_table_lookup (self->pending, uri);
  if (waiting != NULL)
    {
      add_waiting (waiting, picture);
      return;
    }

  waiting = waiting_new ();
  add_waiting (waiting, picture);
  g_hash_table_insert (self->pending, g_strdup (uri), waiting);
  menugen_thumbnails_load_async (self, file, self->cancellable, thumbnail_loaded_cb,
                                 g_steal_pointer (&uri));
}

/**
 * menugen_thumbnails_lookup:
 * @self: a #MenugenThumbnails
 * @file: an image
 *
 * Returns: (transfer none) (nullable): the cached thumbnail of @file, or
 *   %NULL when it is not decoded yet or could not be decoded
 */
GdkPaintable *
menugen_thumbnails_lookup (MenugenThumbnails *self,
                           GFile             *file)
{
  g_autofree char *uri = NULL;

  g_return_val_if_fail (MENUGEN_IS_THUMBNAILS (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  uri = g_file_get_uri (file);
  return g_hash_table_lookup (self->cache, uri);
}

/**
 * menugen_thumbnails_forget:
 * @self: a #MenugenThumbnails
 * @file: (nullable): an image that was deleted or replaced
 *
 * Drops the cached thumbnail of @file, so the next request decodes it
 * again. With %NULL it does nothing.
 */
void
menugen_thumbnails_forget (MenugenThumbnails *self,
                           GFile             *file)
{
  g_autofree char *uri = NULL;

  g_return_if_fail (MENUGEN_IS_THUMBNAILS (self));

  if (file == NULL)
    return;

  uri = g_file_get_uri (file);
  remove_uri (self, uri);
}

/**
 * menugen_thumbnails_load_async:
 * @self: a #MenugenThumbnails
 * @file: a local image file
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the thumbnail is ready
 * @user_data: data for @callback
 *
 * Decodes @file scaled to fit the thumbnail size, in a worker thread,
 * without using or filling the cache.
 */
void
menugen_thumbnails_load_async (MenugenThumbnails  *self,
                               GFile              *file,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MENUGEN_IS_THUMBNAILS (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_thumbnails_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread_cb);
}

/**
 * menugen_thumbnails_load_finish:
 * @self: a #MenugenThumbnails
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the thumbnail, or %NULL with a %MENUGEN_ERROR
 *   sentence or %G_IO_ERROR_CANCELLED
 */
GdkTexture *
menugen_thumbnails_load_finish (MenugenThumbnails *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_thumbnails_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
