#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkPrintOperation *menugen_print_operation_new   (GdkTexture *texture,
                                                  const char *title);

void               menugen_print_texture_async   (GtkWindow          *parent,
                                                  GdkTexture         *texture,
                                                  const char         *title,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean           menugen_print_texture_finish  (GAsyncResult  *result,
                                                  GError       **error);

G_END_DECLS
