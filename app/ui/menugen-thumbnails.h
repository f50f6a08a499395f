#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Long edge of a decoded thumbnail in pixels: twice the 64 px that the
 * lists show, so thumbnails stay sharp at a scale factor of 2. */
#define MENUGEN_THUMBNAIL_SIZE 128

#define MENUGEN_TYPE_THUMBNAILS (menugen_thumbnails_get_type ())
G_DECLARE_FINAL_TYPE (MenugenThumbnails, menugen_thumbnails, MENUGEN, THUMBNAILS, GObject)

MenugenThumbnails *menugen_thumbnails_new         (int size);

void               menugen_thumbnails_set_picture (MenugenThumbnails *self,
                                                   GtkPicture        *picture,
                                                   GFile             *file);
GdkPaintable      *menugen_thumbnails_lookup      (MenugenThumbnails *self,
                                                   GFile             *file);
void               menugen_thumbnails_forget      (MenugenThumbnails *self,
                                                   GFile             *file);

void               menugen_thumbnails_load_async  (MenugenThumbnails  *self,
                                                   GFile              *file,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
GdkTexture        *menugen_thumbnails_load_finish (MenugenThumbnails *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);

G_END_DECLS
