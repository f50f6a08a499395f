#pragma once

#include <adwaita.h>

#include "core/menugen-history.h"
#include "ui/menugen-thumbnails.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_HISTORY_LIST (menugen_history_list_get_type ())
G_DECLARE_FINAL_TYPE (MenugenHistoryList, menugen_history_list, MENUGEN, HISTORY_LIST, AdwBin)

GtkWidget           *menugen_history_list_new             (void);

void                 menugen_history_list_set_history     (MenugenHistoryList *self,
                                                           MenugenHistory     *history);
MenugenHistory      *menugen_history_list_get_history     (MenugenHistoryList *self);
void                 menugen_history_list_reload          (MenugenHistoryList *self);
gboolean             menugen_history_list_get_loading     (MenugenHistoryList *self);

GListModel          *menugen_history_list_get_model       (MenugenHistoryList *self);
MenugenHistoryEntry *menugen_history_list_find            (MenugenHistoryList *self,
                                                           const char         *id);
MenugenThumbnails   *menugen_history_list_get_thumbnails  (MenugenHistoryList *self);

GtkWidget           *menugen_history_list_confirm_delete  (MenugenHistoryList  *self,
                                                           MenugenHistoryEntry *entry);

char                *menugen_history_entry_format_date    (MenugenHistoryEntry *entry);
char                *menugen_history_entry_format_source  (MenugenHistoryEntry *entry);

G_END_DECLS
