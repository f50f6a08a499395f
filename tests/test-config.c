#include "config.h"

#include "backends/menugen-backend.h"
#include "core/menugen-config.h"
#include "core/menugen-error.h"

static void
test_config_kind_defaults (void)
{
  const char * const *kinds = menugen_backend_kinds ();

  g_assert_cmpuint (g_strv_length ((char **) kinds), ==, 5);
  g_assert_cmpstr (menugen_backend_kind_default_url ("gemini"), ==, "https://generativelanguage.googleapis.com");
  g_assert_cmpstr (menugen_backend_kind_default_url ("openai-images"), ==, "https://api.openai.com/v1");
  g_assert_cmpstr (menugen_backend_kind_default_url ("comfyui"), ==, "http://127.0.0.1:8188");
  g_assert_true (menugen_backend_kind_needs_key ("gemini"));
  g_assert_true (menugen_backend_kind_needs_key ("openai-chat"));
  g_assert_false (menugen_backend_kind_needs_key ("comfyui"));
  g_assert_false (menugen_backend_kind_is_known ("ollama"));
  g_assert_cmpstr (menugen_backend_kind_key_variable ("gemini"), ==, "GEMINI_API_KEY");
  g_assert_cmpstr (menugen_backend_kind_key_variable ("comfyui"), ==, "MENUGEN_API_KEY");
}

static void
test_config_model_and_url_fallback (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");

  g_assert_cmpstr (menugen_backend_config_get_model (config), ==, "gemini-2.5-flash-image");
  g_free (config->model);
  config->model = g_strdup ("gemini-3-pro-image-preview");
  g_assert_cmpstr (menugen_backend_config_get_model (config), ==, "gemini-3-pro-image-preview");

  g_free (config->url);
  config->url = g_strdup ("");
  g_assert_cmpstr (menugen_backend_config_get_url (config), ==, "https://generativelanguage.googleapis.com");
}

static void
test_config_copy_keeps_fields (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("describe-then-draw");
  g_autoptr(MenugenBackendConfig) copy = NULL;

  config->api_key = g_strdup ("k");
  config->read_timeout_s = 42;
  config->local_only = TRUE;
  copy = menugen_backend_config_copy (config);

  g_assert_cmpstr (copy->kind, ==, "describe-then-draw");
  g_assert_cmpstr (copy->vision_url, ==, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr (copy->draw_kind, ==, "openai-images");
  g_assert_cmpstr (copy->api_key, ==, "k");
  g_assert_cmpuint (copy->read_timeout_s, ==, 42);
  g_assert_true (copy->local_only);
}

static void
test_config_settings_round_trip (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("comfyui");
  g_autoptr(GPtrArray) loaded = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *default_id = NULL;
  MenugenBackendConfig *first;

  g_free (config->name);
  config->name = g_strdup ("Strix Halo");
  g_free (config->workflow);
  config->workflow = g_strdup ("flux-kontext");
  menugen_config_save_backend (settings, config);

  second_id = menugen_config_new_backend_id (settings, "comfyui");
  g_assert_cmpstr (second_id, ==, "comfyui-2");

  loaded = menugen_config_load_backends (settings);
  g_assert_cmpuint (loaded->len, ==, 1);
  first = g_ptr_array_index (loaded, 0);
  g_assert_cmpstr (first->id, ==, "comfyui");
  g_assert_cmpstr (first->name, ==, "Strix Halo");
  g_assert_cmpstr (first->workflow, ==, "flux-kontext");
  g_assert_null (first->api_key);

  default_id = g_settings_get_string (settings, "default-backend");
  g_assert_cmpstr (default_id, ==, "comfyui");

  menugen_config_remove_backend (settings, "comfyui");
  g_clear_pointer (&loaded, g_ptr_array_unref);
  loaded = menugen_config_load_backends (settings);
  g_assert_cmpuint (loaded->len, ==, 0);
  g_free (default_id);
  default_id = g_settings_get_string (settings, "default-backend");
  g_assert_cmpstr (default_id, ==, "");
}

static void
test_config_check_rejects (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");
  g_autoptr(GError) error = NULL;

  g_assert_false (menugen_backend_check_config (config, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "GEMINI_API_KEY"));
  g_clear_error (&error);

  config->api_key = g_strdup ("test-key-not-real");
  g_free (config->url);
  config->url = g_strdup ("http://gemini.example.test");
  g_assert_false (menugen_backend_check_config (config, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_INSECURE);
  g_assert_null (strstr (error->message, "test-key-not-real"));
  g_clear_error (&error);

  g_free (config->url);
  config->url = g_strdup ("https://generativelanguage.googleapis.com");
  config->local_only = TRUE;
  g_assert_false (menugen_backend_check_config (config, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_LOCAL_ONLY);
  g_clear_error (&error);

  g_free (config->kind);
  config->kind = g_strdup ("ollama");
  g_assert_false (menugen_backend_check_config (config, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND);
}

static void
test_config_local_server_needs_no_key (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("openai-images");
  g_autoptr(GError) error = NULL;

  g_free (config->url);
  config->url = g_strdup ("http://127.0.0.1:1234/v1");
  g_assert_true (menugen_backend_check_config (config, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/kind-defaults", test_config_kind_defaults);
  g_test_add_func ("/config/model-and-url-fallback", test_config_model_and_url_fallback);
  g_test_add_func ("/config/copy-keeps-fields", test_config_copy_keeps_fields);
  g_test_add_func ("/config/settings-round-trip", test_config_settings_round_trip);
  g_test_add_func ("/config/check-rejects", test_config_check_rejects);
  g_test_add_func ("/config/local-server-needs-no-key", test_config_local_server_needs_no_key);

  return g_test_run ();
}
