#pragma once

#include <adwaita.h>

#include "core/menugen-history.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_APPLICATION (menugen_application_get_type ())
G_DECLARE_FINAL_TYPE (MenugenApplication, menugen_application, MENUGEN, APPLICATION, AdwApplication)

MenugenApplication *menugen_application_new (void);
GSettings          *menugen_application_get_settings (MenugenApplication *self);
MenugenHistory     *menugen_application_get_history  (MenugenApplication *self);

G_END_DECLS
