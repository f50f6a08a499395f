#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Readers of ComfyUI server replies. They turn what the server sent into
 * values or into one MENUGEN_ERROR message for the user. None of them does
 * any I/O. */

/**
 * MenugenComfyuiImage:
 * @filename: the file name in ComfyUI's output folder
 * @subfolder: the folder below it, "" for none
 * @type: "output" for SaveImage, "temp" for previews
 *
 * One image of a finished prompt, as /view takes it.
 */
typedef struct {
  char *filename;
  char *subfolder;
  char *type;
} MenugenComfyuiImage;

void menugen_comfyui_image_clear (MenugenComfyuiImage *image);

typedef enum {
  MENUGEN_COMFYUI_HISTORY_PENDING,  /* the prompt is not in the history yet */
  MENUGEN_COMFYUI_HISTORY_IMAGE,    /* finished with an image */
  MENUGEN_COMFYUI_HISTORY_FAILED,   /* finished without an image, and the error says why */
} MenugenComfyuiHistory;

char                **menugen_comfyui_read_combo_values   (JsonNode   *object_info,
                                                           const char *class_type,
                                                           const char *input_name,
                                                           gboolean   *has_class);
char                 *menugen_comfyui_format_values        (const char * const *values);
GError               *menugen_comfyui_model_error          (const char         *model,
                                                           const char         *class_type,
                                                           const char         *input_name,
                                                           const char * const *values);

GError               *menugen_comfyui_missing_node_error   (const char *class_type,
                                                           const char *node_id);
GError               *menugen_comfyui_prompt_error         (JsonNode   *reply);
gboolean              menugen_comfyui_check_node_errors    (JsonNode   *reply,
                                                           const char *output_node,
                                                           GError    **error);
char                 *menugen_comfyui_describe_node_errors (JsonObject *node_errors);

GError               *menugen_comfyui_execution_error      (JsonObject *data);
GError               *menugen_comfyui_interrupted_error    (void);

MenugenComfyuiHistory menugen_comfyui_read_history         (JsonNode            *reply,
                                                           const char          *prompt_id,
                                                           const char          *output_node,
                                                           MenugenComfyuiImage *image,
                                                           GError             **error);
gboolean              menugen_comfyui_queue_contains       (JsonNode   *reply,
                                                           const char *prompt_id,
                                                           gboolean   *running);

G_END_DECLS
