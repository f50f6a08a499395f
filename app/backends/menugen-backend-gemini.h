#pragma once

#include "backends/menugen-backend.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_GEMINI (menugen_backend_gemini_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendGemini, menugen_backend_gemini, MENUGEN, BACKEND_GEMINI, GObject)

MenugenBackend *menugen_backend_gemini_new (const MenugenBackendConfig *config);

G_END_DECLS
