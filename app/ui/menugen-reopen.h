#pragma once

#include <gtk/gtk.h>

#include "core/menugen-history.h"
#include "core/menugen-photo.h"

G_BEGIN_DECLS

void                 menugen_reopen_entry_async  (MenugenHistoryEntry *entry,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
MenugenHistoryEntry *menugen_reopen_entry_finish (GAsyncResult  *result,
                                                  GdkTexture   **texture,
                                                  MenugenPhoto **photo,
                                                  GError       **error);

G_END_DECLS
