#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/menugen-config.h"

#define BACKEND_SCHEMA_ID APP_ID ".Backend"
#define BACKEND_PATH_PREFIX "/com/example/Menugen/backends/"

typedef struct {
  const char *kind;
  const char *label;
  const char *url;
  const char *model;
  const char *key_variable;
} KindInfo;

/* Defaults follow each service's own SDK: the OpenAI SDK appends paths to
 * a base URL that ends in /v1, the Gemini SDK to the bare host. */
static const KindInfo kinds[] = {
  { "gemini", N_("Google Gemini"), "https://generativelanguage.googleapis.com", "gemini-2.5-flash-image", "GEMINI_API_KEY" },
  { "openai-images", N_("OpenAI Images (also sd-server, Lemonade)"), "https://api.openai.com/v1", "gpt-image-1.5", "OPENAI_API_KEY" },
  { "openai-chat", N_("OpenAI-compatible chat (OpenRouter)"), "https://openrouter.ai/api/v1", "google/gemini-2.5-flash-image", "OPENROUTER_API_KEY" },
  { "comfyui", N_("ComfyUI"), "http://127.0.0.1:8188", "", NULL },
  { "describe-then-draw", N_("Describe, then draw"), "http://127.0.0.1:1234/v1", "", NULL },
};

static const KindInfo *
find_kind (const char *kind)
{
  if (kind == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kinds[i].kind, kind))
      return &kinds[i];

  return NULL;
}

G_DEFINE_BOXED_TYPE (MenugenBackendConfig, menugen_backend_config,
                     menugen_backend_config_copy, menugen_backend_config_free)

MenugenBackendConfig *
menugen_backend_config_new (const char *kind)
{
  MenugenBackendConfig *config = g_new0 (MenugenBackendConfig, 1);
  const KindInfo *info = find_kind (kind);

  config->kind = g_strdup (kind);
  config->id = g_strdup (kind);
  config->name = g_strdup (info != NULL ? _(info->label) : kind);
  config->url = g_strdup (info != NULL ? info->url : "");
  config->model = g_strdup ("");
  config->connect_timeout_s = MENUGEN_HTTP_DEFAULT_CONNECT_TIMEOUT_S;
  config->read_timeout_s = MENUGEN_HTTP_DEFAULT_READ_TIMEOUT_S;

  if (g_strcmp0 (kind, "describe-then-draw") == 0)
    {
      config->vision_url = g_strdup ("http://127.0.0.1:8080/v1");
      config->draw_kind = g_strdup ("openai-images");
    }

  return config;
}

MenugenBackendConfig *
menugen_backend_config_copy (const MenugenBackendConfig *config)
{
  MenugenBackendConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_new0 (MenugenBackendConfig, 1);
  copy->id = g_strdup (config->id);
  copy->kind = g_strdup (config->kind);
  copy->name = g_strdup (config->name);
  copy->url = g_strdup (config->url);
  copy->model = g_strdup (config->model);
  copy->api_key = g_strdup (config->api_key);
  copy->workflow = g_strdup (config->workflow);
  copy->vision_url = g_strdup (config->vision_url);
  copy->vision_model = g_strdup (config->vision_model);
  copy->draw_kind = g_strdup (config->draw_kind);
  copy->connect_timeout_s = config->connect_timeout_s;
  copy->read_timeout_s = config->read_timeout_s;
  copy->local_only = config->local_only;

  return copy;
}

void
menugen_backend_config_free (MenugenBackendConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->id);
  g_free (config->kind);
  g_free (config->name);
  g_free (config->url);
  g_free (config->model);
  if (config->api_key != NULL)
    memset (config->api_key, 0, strlen (config->api_key));
  g_free (config->api_key);
  g_free (config->workflow);
  g_free (config->vision_url);
  g_free (config->vision_model);
  g_free (config->draw_kind);
  g_free (config);
}

/* Returns the model to request: the configured one, or the kind's default. */
const char *
menugen_backend_config_get_model (const MenugenBackendConfig *config)
{
  if (config->model != NULL && config->model[0] != '\0')
    return config->model;

  return menugen_backend_kind_default_model (config->kind);
}

const char *
menugen_backend_config_get_url (const MenugenBackendConfig *config)
{
  if (config->url != NULL && config->url[0] != '\0')
    return config->url;

  return menugen_backend_kind_default_url (config->kind);
}

void
menugen_backend_config_get_http_limits (const MenugenBackendConfig *config,
                                        MenugenHttpLimits          *limits)
{
  menugen_http_limits_init_default (limits);

  if (config->connect_timeout_s > 0)
    limits->connect_timeout_s = config->connect_timeout_s;
  limits->read_timeout_s = config->read_timeout_s;
}

const char * const *
menugen_backend_kinds (void)
{
  static const char *names[G_N_ELEMENTS (kinds) + 1];

  if (names[0] == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
      names[i] = kinds[i].kind;

  return names;
}

gboolean
menugen_backend_kind_is_known (const char *kind)
{
  return find_kind (kind) != NULL;
}

const char *
menugen_backend_kind_label (const char *kind)
{
  const KindInfo *info = find_kind (kind);

  return info != NULL ? _(info->label) : kind;
}

const char *
menugen_backend_kind_default_url (const char *kind)
{
  const KindInfo *info = find_kind (kind);

  return info != NULL ? info->url : "";
}

const char *
menugen_backend_kind_default_model (const char *kind)
{
  const KindInfo *info = find_kind (kind);

  return info != NULL ? info->model : "";
}

gboolean
menugen_backend_kind_needs_key (const char *kind)
{
  const KindInfo *info = find_kind (kind);

  return info != NULL && info->key_variable != NULL;
}

/* Returns the environment variable that contains this kind's key, for messages. */
const char *
menugen_backend_kind_key_variable (const char *kind)
{
  const KindInfo *info = find_kind (kind);

  return info != NULL && info->key_variable != NULL ? info->key_variable : "MENUGEN_API_KEY";
}

GSettings *
menugen_config_get_backend_settings (const char *id)
{
  g_autofree char *path = g_strconcat (BACKEND_PATH_PREFIX, id, "/", NULL);

  return g_settings_new_with_path (BACKEND_SCHEMA_ID, path);
}

/* Opens the back-end's settings on the same GSettingsBackend as @settings,
 * so that a keyfile or memory backend chosen for @settings holds both. */
static GSettings *
open_backend_settings (GSettings  *settings,
                       const char *id)
{
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autofree char *path = g_strconcat (BACKEND_PATH_PREFIX, id, "/", NULL);

  g_object_get (settings, "backend", &backend, NULL);
  return g_settings_new_with_backend_and_path (BACKEND_SCHEMA_ID, backend, path);
}

MenugenBackendConfig *
menugen_config_load_backend (GSettings  *settings,
                             const char *id)
{
  g_autoptr(GSettings) backend = open_backend_settings (settings, id);
  g_autofree char *kind = g_settings_get_string (backend, "kind");
  MenugenBackendConfig *config = menugen_backend_config_new (kind);

  g_free (config->id);
  config->id = g_strdup (id);
  g_free (config->name);
  config->name = g_settings_get_string (backend, "name");
  g_free (config->url);
  config->url = g_settings_get_string (backend, "url");
  g_free (config->model);
  config->model = g_settings_get_string (backend, "model");
  g_free (config->workflow);
  config->workflow = g_settings_get_string (backend, "workflow");
  g_free (config->vision_url);
  config->vision_url = g_settings_get_string (backend, "vision-url");
  g_free (config->vision_model);
  config->vision_model = g_settings_get_string (backend, "vision-model");
  g_free (config->draw_kind);
  config->draw_kind = g_settings_get_string (backend, "draw-kind");

  config->connect_timeout_s = g_settings_get_uint (settings, "connect-timeout");
  config->read_timeout_s = g_settings_get_uint (settings, "read-timeout");
  config->local_only = g_settings_get_boolean (settings, "local-only");

  return config;
}

/* Loads every configured back-end in the user's order. Ids whose kind is
 * unknown (written by a newer version) are skipped with a message. */
GPtrArray *
menugen_config_load_backends (GSettings *settings)
{
  g_auto(GStrv) ids = g_settings_get_strv (settings, "backends");
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify) menugen_backend_config_free);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      MenugenBackendConfig *config = menugen_config_load_backend (settings, ids[i]);

      if (!menugen_backend_kind_is_known (config->kind))
        {
          g_message ("Skipping back-end %s of unknown kind %s", ids[i], config->kind);
          menugen_backend_config_free (config);
          continue;
        }

      g_ptr_array_add (configs, config);
    }

  return configs;
}

void
menugen_config_save_backend (GSettings                  *settings,
                             const MenugenBackendConfig *config)
{
  g_autoptr(GSettings) backend = open_backend_settings (settings, config->id);
  g_auto(GStrv) ids = g_settings_get_strv (settings, "backends");

  g_settings_delay (backend);
  g_settings_set_string (backend, "kind", config->kind);
  g_settings_set_string (backend, "name", config->name != NULL ? config->name : "");
  g_settings_set_string (backend, "url", config->url != NULL ? config->url : "");
  g_settings_set_string (backend, "model", config->model != NULL ? config->model : "");
  g_settings_set_string (backend, "workflow", config->workflow != NULL ? config->workflow : "");
  g_settings_set_string (backend, "vision-url", config->vision_url != NULL ? config->vision_url : "");
  g_settings_set_string (backend, "vision-model", config->vision_model != NULL ? config->vision_model : "");
  g_settings_set_string (backend, "draw-kind", config->draw_kind != NULL ? config->draw_kind : "");
  g_settings_apply (backend);

  if (!g_strv_contains ((const char * const *) ids, config->id))
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) new_ids = NULL;

      g_strv_builder_addv (builder, (const char **) ids);
      g_strv_builder_add (builder, config->id);
      new_ids = g_strv_builder_end (builder);
      g_settings_set_strv (settings, "backends", (const char * const *) new_ids);
    }

  {
    g_autofree char *default_id = g_settings_get_string (settings, "default-backend");

    if (default_id[0] == '\0')
      g_settings_set_string (settings, "default-backend", config->id);
  }
}

void
menugen_config_remove_backend (GSettings  *settings,
                               const char *id)
{
  g_autoptr(GSettings) backend = open_backend_settings (settings, id);
  g_auto(GStrv) ids = g_settings_get_strv (settings, "backends");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) new_ids = NULL;
  g_autofree char *default_id = g_settings_get_string (settings, "default-backend");
  g_autoptr(GSettingsSchema) schema = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    if (!g_str_equal (ids[i], id))
      g_strv_builder_add (builder, ids[i]);
  new_ids = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "backends", (const char * const *) new_ids);

  g_object_get (backend, "settings-schema", &schema, NULL);
  {
    g_auto(GStrv) keys = g_settings_schema_list_keys (schema);

    for (guint i = 0; keys[i] != NULL; i++)
      g_settings_reset (backend, keys[i]);
  }

  if (g_str_equal (default_id, id))
    g_settings_set_string (settings, "default-backend", new_ids[0] != NULL ? new_ids[0] : "");
}

char *
menugen_config_new_backend_id (GSettings  *settings,
                               const char *kind)
{
  g_auto(GStrv) ids = g_settings_get_strv (settings, "backends");

  if (!g_strv_contains ((const char * const *) ids, kind))
    return g_strdup (kind);

  for (guint n = 2; ; n++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%u", kind, n);

      if (!g_strv_contains ((const char * const *) ids, id))
        return g_steal_pointer (&id);
    }
}
