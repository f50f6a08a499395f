#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The built-in workflow used when the configuration names none. */
#define MENUGEN_COMFYUI_DEFAULT_WORKFLOW "qwen-image-edit"

/**
 * MenugenComfyuiWorkflow:
 *
 * An API-format ComfyUI workflow (node id → {class_type, inputs}) and the
 * nodes that take the photo, the instruction, the seed and the model file.
 * The photo and instruction nodes are found by class_type, or set by id
 * with menugen_comfyui_workflow_find_nodes().
 */
typedef struct _MenugenComfyuiWorkflow MenugenComfyuiWorkflow;

const char * const     *menugen_comfyui_workflow_builtin_names (void);

MenugenComfyuiWorkflow *menugen_comfyui_workflow_new_from_data (const char  *name,
                                                                const char  *data,
                                                                gsize        length,
                                                                GError     **error);
void                    menugen_comfyui_workflow_load_async    (const char          *workflow,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
MenugenComfyuiWorkflow *menugen_comfyui_workflow_load_finish   (GAsyncResult  *result,
                                                                GError       **error);
void                    menugen_comfyui_workflow_free          (MenugenComfyuiWorkflow *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MenugenComfyuiWorkflow, menugen_comfyui_workflow_free)

gboolean    menugen_comfyui_workflow_find_nodes      (MenugenComfyuiWorkflow  *self,
                                                      const char              *image_node_id,
                                                      const char              *prompt_node_id,
                                                      GError                 **error);

const char *menugen_comfyui_workflow_get_name        (MenugenComfyuiWorkflow *self);
JsonNode   *menugen_comfyui_workflow_get_graph       (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_class_type  (MenugenComfyuiWorkflow *self,
                                                      const char             *node_id);
const char *menugen_comfyui_workflow_get_image_node  (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_prompt_node (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_seed_node   (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_save_node   (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_loader_node (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_loader_class (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_loader_input (MenugenComfyuiWorkflow *self);
const char *menugen_comfyui_workflow_get_model       (MenugenComfyuiWorkflow *self);

void        menugen_comfyui_workflow_set_image       (MenugenComfyuiWorkflow *self,
                                                      const char             *stored_name);
void        menugen_comfyui_workflow_set_prompt      (MenugenComfyuiWorkflow *self,
                                                      const char             *text);
void        menugen_comfyui_workflow_set_seed        (MenugenComfyuiWorkflow *self,
                                                      guint64                 seed);
void        menugen_comfyui_workflow_set_model       (MenugenComfyuiWorkflow *self,
                                                      const char             *model);

G_END_DECLS
