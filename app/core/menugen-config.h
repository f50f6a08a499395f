#pragma once

#include <gio/gio.h>

#include "core/menugen-http.h"

G_BEGIN_DECLS

/**
 * MenugenBackendConfig:
 * @id: stable id, also the key of its keyring item and settings path
 * @kind: "gemini", "openai-images", "openai-chat", "comfyui" or
 *   "describe-then-draw"
 * @name: the name the user gave it
 * @url: base URL in the form the service's own SDK takes it: with `/v1`
 *   for OpenAI-style services, the bare host for Gemini and ComfyUI
 * @model: model id; empty means the kind's default
 * @api_key: filled in just before a job from the environment, the keyring
 *   or the session; never written to settings, history or logs
 * @workflow: ComfyUI: path of an API-format workflow, or a built-in name
 * @vision_url: describe-then-draw: base URL of the vision chat server
 * @vision_model: describe-then-draw: vision model id
 * @draw_kind: describe-then-draw: kind of the drawing back-end
 * @connect_timeout_s: seconds to reach the server
 * @read_timeout_s: seconds to wait for the image; 0 waits without limit
 * @local_only: reject hosts that are not loopback or private
 */
typedef struct {
  char *id;
  char *kind;
  char *name;
  char *url;
  char *model;
  char *api_key;
  char *workflow;
  char *vision_url;
  char *vision_model;
  char *draw_kind;
  guint connect_timeout_s;
  guint read_timeout_s;
  gboolean local_only;
} MenugenBackendConfig;

#define MENUGEN_TYPE_BACKEND_CONFIG (menugen_backend_config_get_type ())
GType                 menugen_backend_config_get_type (void) G_GNUC_CONST;
MenugenBackendConfig *menugen_backend_config_new      (const char *kind);
MenugenBackendConfig *menugen_backend_config_copy     (const MenugenBackendConfig *config);
void                  menugen_backend_config_free     (MenugenBackendConfig *config);
const char           *menugen_backend_config_get_model (const MenugenBackendConfig *config);
const char           *menugen_backend_config_get_url   (const MenugenBackendConfig *config);
void                  menugen_backend_config_get_http_limits (const MenugenBackendConfig *config,
                                                              MenugenHttpLimits          *limits);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MenugenBackendConfig, menugen_backend_config_free)

const char * const *menugen_backend_kinds             (void);
gboolean            menugen_backend_kind_is_known     (const char *kind);
const char         *menugen_backend_kind_label        (const char *kind);
const char         *menugen_backend_kind_default_url  (const char *kind);
const char         *menugen_backend_kind_default_model (const char *kind);
gboolean            menugen_backend_kind_needs_key    (const char *kind);
const char         *menugen_backend_kind_key_variable (const char *kind);

/* Back-ends stored in GSettings: the list of ids in "backends", each id
 * with a relocatable com.example.Menugen.Backend at
 * /com/example/Menugen/backends/ID/. */
GPtrArray            *menugen_config_load_backends    (GSettings *settings);
MenugenBackendConfig *menugen_config_load_backend     (GSettings  *settings,
                                                       const char *id);
void                  menugen_config_save_backend     (GSettings                  *settings,
                                                       const MenugenBackendConfig *config);
void                  menugen_config_remove_backend   (GSettings  *settings,
                                                       const char *id);
char                 *menugen_config_new_backend_id   (GSettings  *settings,
                                                       const char *kind);
GSettings            *menugen_config_get_backend_settings (const char *id);

G_END_DECLS
