#pragma once

#include <gtk/gtk.h>

#include "core/menugen-history.h"

G_BEGIN_DECLS

GdkContentProvider *menugen_content_provider_new_for_entry (MenugenHistoryEntry *entry,
                                                            GdkTexture          *texture);
GtkDragSource      *menugen_drag_source_new_for_entry      (MenugenHistoryEntry *entry);

G_END_DECLS
