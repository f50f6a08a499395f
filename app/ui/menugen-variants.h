#pragma once

#include <adwaita.h>

#include "core/menugen-history.h"
#include "ui/menugen-thumbnails.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_VARIANTS (menugen_variants_get_type ())
G_DECLARE_FINAL_TYPE (MenugenVariants, menugen_variants, MENUGEN, VARIANTS, AdwBin)

GtkWidget           *menugen_variants_new            (void);

void                 menugen_variants_set_model      (MenugenVariants *self,
                                                      GListModel      *entries);
void                 menugen_variants_set_thumbnails (MenugenVariants   *self,
                                                      MenugenThumbnails *thumbnails);
void                 menugen_variants_set_current    (MenugenVariants     *self,
                                                      MenugenHistoryEntry *entry);
MenugenHistoryEntry *menugen_variants_get_current    (MenugenVariants *self);
guint                menugen_variants_get_n_variants (MenugenVariants *self);
GtkWidget           *menugen_variants_get_button     (MenugenVariants *self,
                                                      guint            index);

G_END_DECLS
