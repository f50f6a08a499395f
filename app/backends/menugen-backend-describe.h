#pragma once

#include "backends/menugen-backend.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_DESCRIBE (menugen_backend_describe_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendDescribe, menugen_backend_describe, MENUGEN, BACKEND_DESCRIBE, GObject)

MenugenBackend *menugen_backend_describe_new (const MenugenBackendConfig *config);

G_END_DECLS
