#pragma once

#include "backends/menugen-backend.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_COMFYUI (menugen_backend_comfyui_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendComfyui, menugen_backend_comfyui, MENUGEN, BACKEND_COMFYUI, GObject)

MenugenBackend *menugen_backend_comfyui_new                (const MenugenBackendConfig *config);

void            menugen_backend_comfyui_set_nodes          (MenugenBackendComfyui *self,
                                                            const char            *image_node_id,
                                                            const char            *prompt_node_id);

void            menugen_backend_comfyui_list_models_async  (MenugenBackendComfyui *self,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
char          **menugen_backend_comfyui_list_models_finish (MenugenBackendComfyui  *self,
                                                            GAsyncResult           *result,
                                                            GError                **error);

G_END_DECLS
