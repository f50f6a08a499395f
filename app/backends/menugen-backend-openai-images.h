#pragma once

#include "backends/menugen-backend.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_OPENAI_IMAGES (menugen_backend_openai_images_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendOpenaiImages, menugen_backend_openai_images, MENUGEN, BACKEND_OPENAI_IMAGES, GObject)

MenugenBackend *menugen_backend_openai_images_new (const MenugenBackendConfig *config);

G_END_DECLS
