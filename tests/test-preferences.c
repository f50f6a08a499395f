#include "config.h"

#include <string.h>
#include <adwaita.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "core/menugen-config.h"
#include "core/menugen-instruction.h"
#include "core/menugen-secrets.h"
#include "fake-server.h"
#include "test-util.h"
#include "ui/menugen-backend-editor.h"
#include "ui/menugen-preferences.h"

#define FAKE_KEY "test-key-not-real"
#define WAIT_S 20

typedef gboolean (*Predicate) (gpointer data);

typedef struct {
  Predicate predicate;
  gpointer data;
  gboolean done;
} Poll;

/* Settings kept in a keyfile of a scratch folder, so that a second
 * GSettings on the same file reads what the first one wrote, as after a
 * restart. */
typedef struct {
  char *dir;
  char *path;
  GSettingsBackend *backend;
  GSettings *settings;
} Store;

typedef struct {
  char *id;
  gboolean done;
} SignalWait;

typedef struct {
  char *key;
  GError *error;
  gboolean done;
} Lookup;

static gboolean
keyring_expected (void)
{
  return g_strcmp0 (g_getenv ("MENUGEN_TEST_NO_KEYRING"), "1") != 0;
}

static gboolean
poll_cb (gpointer user_data)
{
  Poll *poll = user_data;

  poll->done = poll->predicate (poll->data);
  return poll->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean
wait_until (Predicate predicate,
            gpointer  data)
{
  Poll poll = { predicate, data, predicate (data) };
  guint id = 0;

  if (!poll.done)
    id = g_timeout_add (10, poll_cb, &poll);

  menugen_test_wait_for (&poll.done, WAIT_S);
  if (!poll.done)
    g_source_remove (id);

  return poll.done;
}

static void
run_pending_events (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Settings */

static GSettings *
new_settings_on (GSettingsBackend *backend)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);

  g_assert_nonnull (schema);
  return g_settings_new_full (schema, backend, NULL);
}

static void
store_open (Store *store)
{
  store->backend = g_keyfile_settings_backend_new (store->path, "/", NULL);
  store->settings = new_settings_on (store->backend);
}

static void
store_close (Store *store)
{
  g_clear_object (&store->settings);
  g_clear_object (&store->backend);
}

static Store *
store_new (void)
{
  Store *store = g_new0 (Store, 1);

  store->dir = menugen_test_make_scratch_dir ();
  store->path = g_build_filename (store->dir, "settings.ini", NULL);
  store_open (store);

  return store;
}

static void
store_free (Store *store)
{
  store_close (store);
  menugen_test_remove_tree (store->dir);
  g_free (store->dir);
  g_free (store->path);
  g_free (store);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_free)

static char *
store_read_file (Store *store)
{
  char *contents = NULL;

  if (!g_file_get_contents (store->path, &contents, NULL, NULL))
    return g_strdup ("");

  return contents;
}

/* A GSettings of its own in memory, for tests without a restart. */
static GSettings *
memory_settings_new (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  return new_settings_on (backend);
}

/* The window */

static MenugenPreferences *
open_preferences (GSettings *settings)
{
  GtkWindow *window = menugen_preferences_new (NULL, settings);

  gtk_window_present (window);
  run_pending_events ();

  return MENUGEN_PREFERENCES (window);
}

static void
close_preferences (MenugenPreferences *preferences)
{
  gtk_window_destroy (GTK_WINDOW (preferences));
  run_pending_events ();
}

static gpointer
child (MenugenPreferences *preferences,
       const char         *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (preferences), MENUGEN_TYPE_PREFERENCES, name);

  /* The rows of the back-end editor belong to its own template. */
  if (object == NULL)
    {
      GObject *editor = gtk_widget_get_template_child (GTK_WIDGET (preferences), MENUGEN_TYPE_PREFERENCES, "editor");

      g_assert_nonnull (editor);
      object = gtk_widget_get_template_child (GTK_WIDGET (editor), MENUGEN_TYPE_BACKEND_EDITOR, name);
    }

  g_assert_nonnull (object);
  return object;
}

/* Activates an action of the back-end editor, such as "editor.save". */
static void
activate_editor_action (MenugenPreferences *preferences,
                        const char         *action_name)
{
  g_assert_true (gtk_widget_activate_action (child (preferences, "editor"), action_name, NULL));
}

static void
set_row_text (MenugenPreferences *preferences,
              const char         *row,
              const char         *text)
{
  gtk_editable_set_text (GTK_EDITABLE (child (preferences, row)), text);
}

static const char *
get_row_text (MenugenPreferences *preferences,
              const char         *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (child (preferences, row)));
}

static gboolean
is_shown (MenugenPreferences *preferences,
          const char         *name)
{
  return gtk_widget_get_visible (GTK_WIDGET (child (preferences, name)));
}

static void
select_kind (MenugenPreferences *preferences,
             const char         *kind)
{
  const char * const *kinds = menugen_backend_kinds ();

  for (guint i = 0; kinds[i] != NULL; i++)
    if (g_str_equal (kinds[i], kind))
      {
        adw_combo_row_set_selected (child (preferences, "kind_row"), i);
        return;
      }

  g_assert_not_reached ();
}

static char *
get_template_text (MenugenPreferences *preferences)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (child (preferences, "template_view"));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static const char *
get_label (MenugenPreferences *preferences,
           const char         *name)
{
  return gtk_label_get_text (child (preferences, name));
}

static AdwActionRow *
get_backend_row (MenugenPreferences *preferences,
                 guint               index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (child (preferences, "backends_list"), index);

  return row != NULL ? ADW_ACTION_ROW (row) : NULL;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }

  return NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static AdwMessageDialog *
wait_for_message_dialog (void)
{
  g_assert_true (wait_until (message_dialog_shown, NULL));
  return find_message_dialog ();
}

/* Responds like a click on a response button, which also closes the
 * dialog. adw_message_dialog_response() alone leaves it open. */
static void
answer_dialog (const char *response)
{
  AdwMessageDialog *dialog = wait_for_message_dialog ();

  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
  run_pending_events ();
}

/* Signals and the keyring */

static void
signal_id_cb (MenugenPreferences *preferences,
              const char         *id,
              SignalWait         *wait)
{
  g_free (wait->id);
  wait->id = g_strdup (id);
  wait->done = TRUE;
}

static void
lookup_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->key = menugen_secrets_lookup_finish (result, &lookup->error);
  lookup->done = TRUE;
}

static char *
lookup_key (const char *id)
{
  Lookup lookup = { 0 };

  menugen_secrets_lookup_async (id, NULL, lookup_done_cb, &lookup);
  g_assert_true (menugen_test_wait_for (&lookup.done, WAIT_S));
  g_assert_no_error (lookup.error);

  return lookup.key;
}

/* Fills the editor with an OpenAI-compatible back-end and a key. */
static void
fill_chat_backend (MenugenPreferences *preferences)
{
  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.add-backend", NULL);
  select_kind (preferences, "openai-chat");
  set_row_text (preferences, "name_row", "Test gateway");
  set_row_text (preferences, "url_row", "https://gateway.example.com/api/v1");
  set_row_text (preferences, "model_row", "test/model-1");
  set_row_text (preferences, "key_row", FAKE_KEY);
}

static char *
save_and_wait (MenugenPreferences *preferences)
{
  SignalWait saved = { 0 };
  gulong handler = g_signal_connect (preferences, "backend-saved", G_CALLBACK (signal_id_cb), &saved);

  activate_editor_action (preferences, "editor.save");
  g_assert_true (menugen_test_wait_for (&saved.done, WAIT_S));
  g_signal_handler_disconnect (preferences, handler);

  return saved.id;
}

static void
remove_and_wait (MenugenPreferences *preferences,
                 const char         *id)
{
  SignalWait removed = { 0 };
  gulong handler = g_signal_connect (preferences, "backend-removed", G_CALLBACK (signal_id_cb), &removed);

  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.remove-backend", "s", id);
  answer_dialog ("remove");
  g_assert_true (menugen_test_wait_for (&removed.done, WAIT_S));
  g_assert_cmpstr (removed.id, ==, id);

  g_signal_handler_disconnect (preferences, handler);
  g_free (removed.id);
}

static gboolean
key_status_known (gpointer data)
{
  MenugenPreferences *preferences = data;
  const char *subtitle = adw_action_row_get_subtitle (child (preferences, "key_status_row"));

  return !is_shown (preferences, "key_status_row")
         || g_strcmp0 (subtitle, "Checking the keyring…") != 0;
}

/* Tests */

static void
test_backend_round_trip (void)
{
  g_autoptr(Store) store = store_new ();
  g_autoptr(GPtrArray) configs = NULL;
  g_autofree char *id = NULL;
  g_autofree char *key = NULL;
  g_autofree char *file = NULL;
  MenugenPreferences *preferences;
  AdwActionRow *row;
  const MenugenBackendConfig *config;

  if (!keyring_expected ())
    {
      g_test_skip ("this run has no keyring daemon");
      return;
    }

  preferences = open_preferences (store->settings);
  fill_chat_backend (preferences);
  id = save_and_wait (preferences);
  g_assert_cmpstr (id, ==, "openai-chat");
  close_preferences (preferences);

  /* A restart: new settings objects on the same file, a new window. */
  store_close (store);
  store_open (store);

  configs = menugen_config_load_backends (store->settings);
  g_assert_cmpuint (configs->len, ==, 1);
  config = configs->pdata[0];
  g_assert_cmpstr (config->id, ==, id);
  g_assert_cmpstr (config->kind, ==, "openai-chat");
  g_assert_cmpstr (config->name, ==, "Test gateway");
  g_assert_cmpstr (config->url, ==, "https://gateway.example.com/api/v1");
  g_assert_cmpstr (config->model, ==, "test/model-1");

  file = store_read_file (store);
  g_assert_nonnull (strstr (file, "Test gateway"));
  g_assert_null (strstr (file, FAKE_KEY));

  key = lookup_key (id);
  g_assert_cmpstr (key, ==, FAKE_KEY);

  preferences = open_preferences (store->settings);
  row = get_backend_row (preferences, 0);
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Test gateway");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "https://gateway.example.com/api/v1"));
  g_assert_null (get_backend_row (preferences, 1));

  /* The editor reports that a key is stored, and never shows it. */
  menugen_preferences_edit_backend (preferences, id);
  g_assert_cmpstr (get_row_text (preferences, "name_row"), ==, "Test gateway");
  g_assert_cmpstr (get_row_text (preferences, "model_row"), ==, "test/model-1");
  g_assert_true (wait_until (key_status_known, preferences));
  g_assert_true (is_shown (preferences, "key_status_row"));
  g_assert_cmpstr (adw_action_row_get_subtitle (child (preferences, "key_status_row")), ==, "Key stored in the keyring");
  g_assert_false (is_shown (preferences, "key_row"));
  g_assert_cmpstr (get_row_text (preferences, "key_row"), ==, "");
  activate_editor_action (preferences, "editor.close");

  remove_and_wait (preferences, id);
  close_preferences (preferences);

  store_close (store);
  store_open (store);
  g_clear_pointer (&configs, g_ptr_array_unref);
  configs = menugen_config_load_backends (store->settings);
  g_assert_cmpuint (configs->len, ==, 0);
  g_clear_pointer (&file, g_free);
  file = store_read_file (store);
  g_assert_null (strstr (file, "Test gateway"));

  g_clear_pointer (&key, g_free);
  key = lookup_key (id);
  g_assert_null (key);
}

/* Editing a back-end keeps its key unless the user replaces it. */
static void
test_backend_edit_keeps_key (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_autofree char *id = NULL;
  g_autofree char *key = NULL;
  MenugenPreferences *preferences;
  g_autoptr(MenugenBackendConfig) config = NULL;

  if (!keyring_expected ())
    {
      g_test_skip ("this run has no keyring daemon");
      return;
    }

  preferences = open_preferences (settings);
  fill_chat_backend (preferences);
  id = save_and_wait (preferences);

  menugen_preferences_edit_backend (preferences, id);
  g_assert_true (wait_until (key_status_known, preferences));
  set_row_text (preferences, "name_row", "Renamed gateway");
  g_free (save_and_wait (preferences));

  config = menugen_config_load_backend (settings, id);
  g_assert_cmpstr (config->name, ==, "Renamed gateway");
  key = lookup_key (id);
  g_assert_cmpstr (key, ==, FAKE_KEY);

  remove_and_wait (preferences, id);
  close_preferences (preferences);
}

static void
test_kind_defaults (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  MenugenPreferences *preferences = open_preferences (settings);

  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.add-backend", NULL);
  select_kind (preferences, "gemini");
  g_assert_cmpstr (get_row_text (preferences, "url_row"), ==, menugen_backend_kind_default_url ("gemini"));
  g_assert_cmpstr (get_row_text (preferences, "model_row"), ==, menugen_backend_kind_default_model ("gemini"));
  g_assert_true (is_shown (preferences, "key_group"));
  g_assert_false (is_shown (preferences, "workflow_group"));

  select_kind (preferences, "comfyui");
  g_assert_cmpstr (get_row_text (preferences, "url_row"), ==, "http://127.0.0.1:8188");
  g_assert_cmpstr (get_row_text (preferences, "name_row"), ==, menugen_backend_kind_label ("comfyui"));
  g_assert_false (is_shown (preferences, "key_group"));
  g_assert_true (is_shown (preferences, "workflow_group"));
  g_assert_true (is_shown (preferences, "load_models_button"));
  g_assert_false (is_shown (preferences, "vision_group"));

  /* Text the user typed survives a change of kind. */
  set_row_text (preferences, "url_row", "http://127.0.0.1:9999");
  select_kind (preferences, "describe-then-draw");
  g_assert_cmpstr (get_row_text (preferences, "url_row"), ==, "http://127.0.0.1:9999");
  g_assert_true (is_shown (preferences, "vision_group"));
  g_assert_cmpstr (get_row_text (preferences, "vision_url_row"), ==, "http://127.0.0.1:8080/v1");

  close_preferences (preferences);
}

static void
test_url_checked_on_save (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_auto(GStrv) ids = NULL;
  MenugenPreferences *preferences = open_preferences (settings);

  fill_chat_backend (preferences);
  set_row_text (preferences, "url_row", "not a url");
  activate_editor_action (preferences, "editor.save");
  g_assert_true (is_shown (preferences, "editor_message_group"));
  g_assert_nonnull (strstr (get_label (preferences, "editor_message_label"), "“not a url” is not a valid"));

  /* A key must not travel over plain http to another computer. */
  set_row_text (preferences, "url_row", "http://gateway.example.com/api/v1");
  activate_editor_action (preferences, "editor.save");
  g_assert_nonnull (strstr (get_label (preferences, "editor_message_label"), "unencrypted to gateway.example.com"));

  ids = g_settings_get_strv (settings, "backends");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);

  close_preferences (preferences);
}

/* Enter in a text row saves the back-end, as the Save button does. */
static void
test_enter_saves (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  MenugenPreferences *preferences = open_preferences (settings);
  SignalWait saved = { 0 };
  g_auto(GStrv) ids = NULL;

  g_signal_connect (preferences, "backend-saved", G_CALLBACK (signal_id_cb), &saved);
  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.add-backend", NULL);
  select_kind (preferences, "comfyui");
  set_row_text (preferences, "name_row", "Desk ComfyUI");
  set_row_text (preferences, "url_row", "http://127.0.0.1:8188");

  g_signal_emit_by_name (child (preferences, "url_row"), "entry-activated");
  g_assert_true (menugen_test_wait_for (&saved.done, WAIT_S));

  ids = g_settings_get_strv (settings, "backends");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, saved.id);

  g_signal_handlers_disconnect_by_data (preferences, &saved);
  g_free (saved.id);
  close_preferences (preferences);
}

static void
test_local_only_rejects_remote (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_auto(GStrv) ids = NULL;
  MenugenPreferences *preferences = open_preferences (settings);

  gtk_switch_set_active (child (preferences, "local_only_switch"), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "local-only"));

  fill_chat_backend (preferences);
  activate_editor_action (preferences, "editor.save");
  g_assert_true (is_shown (preferences, "editor_message_group"));
  g_assert_nonnull (strstr (get_label (preferences, "editor_message_label"), "“Local only” is on"));

  ids = g_settings_get_strv (settings, "backends");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);

  close_preferences (preferences);
}

static void
test_network_settings (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  MenugenPreferences *preferences = open_preferences (settings);

  g_assert_cmpfloat (gtk_spin_button_get_value (child (preferences, "connect_timeout_spin")), ==, 20);
  g_assert_cmpfloat (gtk_spin_button_get_value (child (preferences, "read_timeout_spin")), ==, 600);

  gtk_spin_button_set_value (child (preferences, "connect_timeout_spin"), 45);
  gtk_spin_button_set_value (child (preferences, "read_timeout_spin"), 0);
  gtk_switch_set_active (child (preferences, "local_only_switch"), TRUE);

  g_assert_cmpuint (g_settings_get_uint (settings, "connect-timeout"), ==, 45);
  g_assert_cmpuint (g_settings_get_uint (settings, "read-timeout"), ==, 0);
  g_assert_true (g_settings_get_boolean (settings, "local-only"));

  /* Changes from elsewhere show up in the window. */
  g_settings_set_uint (settings, "connect-timeout", 7);
  run_pending_events ();
  g_assert_cmpfloat (gtk_spin_button_get_value (child (preferences, "connect_timeout_spin")), ==, 7);

  close_preferences (preferences);
}

static void
test_instruction_preview (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  MenugenPreferences *preferences = open_preferences (settings);

  g_assert_nonnull (strstr (get_label (preferences, "preview_label"), "hand-drawn colour illustration"));
  g_assert_nonnull (strstr (get_label (preferences, "preview_label"), "3:4"));
  g_assert_false (is_shown (preferences, "template_error_label"));

  adw_combo_row_set_selected (child (preferences, "style_row"), 2);
  run_pending_events ();
  g_assert_cmpstr (g_settings_get_string (settings, "style"), ==, "watercolor");
  g_assert_nonnull (strstr (get_label (preferences, "preview_label"), "watercolour painting"));
  g_assert_null (strstr (get_label (preferences, "preview_label"), "hand-drawn"));

  g_settings_set_string (settings, "translation-language", "Japanese");
  run_pending_events ();
  g_assert_nonnull (strstr (get_label (preferences, "preview_label"), "Japanese translation"));

  adw_combo_row_set_selected (child (preferences, "dish_names_row"), MENUGEN_DISH_NAMES_ORIGINAL);
  run_pending_events ();
  g_assert_cmpstr (g_settings_get_string (settings, "dish-names"), ==, "original");
  g_assert_null (strstr (get_label (preferences, "preview_label"), "Japanese"));
  g_assert_false (gtk_widget_get_sensitive (child (preferences, "language_row")));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (child (preferences, "template_view")),
                            "Draw the menu in {{style}} with {{bogus}}.", -1);
  run_pending_events ();
  g_assert_true (is_shown (preferences, "template_error_label"));
  g_assert_nonnull (strstr (get_label (preferences, "template_error_label"), "{{bogus}}"));
  g_assert_cmpstr (g_settings_get_string (settings, "prompt-template"), ==, "Draw the menu in {{style}} with {{bogus}}.");

  close_preferences (preferences);
}

static void
test_template_reset (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_autofree char *builtin = menugen_instruction_load_default_template ();
  g_autofree char *text = NULL;
  MenugenPreferences *preferences = open_preferences (settings);

  /* An empty key shows the built-in text, and showing it writes nothing. */
  text = get_template_text (preferences);
  g_assert_cmpstr (text, ==, builtin);
  g_assert_cmpstr (g_settings_get_string (settings, "prompt-template"), ==, "");

  g_settings_set_string (settings, "prompt-template", "Custom: {{style}}");
  run_pending_events ();
  g_clear_pointer (&text, g_free);
  text = get_template_text (preferences);
  g_assert_cmpstr (text, ==, "Custom: {{style}}");
  g_assert_cmpstr (get_label (preferences, "preview_label"), ==,
                   "Custom: hand-drawn colour illustration with clean outlines and soft shading");

  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.reset-template", NULL);
  run_pending_events ();
  g_assert_cmpstr (g_settings_get_string (settings, "prompt-template"), ==, "");
  g_clear_pointer (&text, g_free);
  text = get_template_text (preferences);
  g_assert_cmpstr (text, ==, builtin);

  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.undo-reset", NULL);
  run_pending_events ();
  g_assert_cmpstr (g_settings_get_string (settings, "prompt-template"), ==, "Custom: {{style}}");

  /* Typing the built-in text back stores the empty default. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (child (preferences, "template_view")), builtin, -1);
  run_pending_events ();
  g_assert_cmpstr (g_settings_get_string (settings, "prompt-template"), ==, "");

  close_preferences (preferences);
}

static gboolean
discovery_finished (gpointer data)
{
  MenugenPreferences *preferences = data;
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (child (preferences, "discovery_list"), 0);

  return row != NULL
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Searching…") != 0;
}

static void
test_first_run_discovery (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("comfyui");
  MenugenPreferences *preferences = open_preferences (settings);
  AdwActionRow *row;

  g_assert_true (is_shown (preferences, "discovery_group"));
  g_assert_true (wait_until (discovery_finished, preferences));
  row = get_backend_row (preferences, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "No back-ends yet");
  close_preferences (preferences);

  menugen_config_save_backend (settings, config);
  preferences = open_preferences (settings);
  g_assert_false (is_shown (preferences, "discovery_group"));
  close_preferences (preferences);
}

static gboolean
server_models_listed (gpointer data)
{
  MenugenPreferences *preferences = data;

  return is_shown (preferences, "server_models_row") || is_shown (preferences, "editor_message_group");
}

static void
test_comfyui_models (void)
{
  g_autoptr(GSettings) settings = memory_settings_new ();
  g_autoptr(FakeServer) server = fake_server_new ("comfyui", "success");
  MenugenPreferences *preferences = open_preferences (settings);
  GtkStringList *models;
  guint flux_index = GTK_INVALID_LIST_POSITION;

  gtk_widget_activate_action (GTK_WIDGET (preferences), "prefs.add-backend", NULL);
  select_kind (preferences, "comfyui");
  set_row_text (preferences, "url_row", fake_server_get_url (server));
  adw_combo_row_set_selected (child (preferences, "workflow_row"), 1);

  activate_editor_action (preferences, "editor.load-models");
  g_assert_true (wait_until (server_models_listed, preferences));
  g_assert_false (is_shown (preferences, "editor_message_group"));
  g_assert_true (is_shown (preferences, "server_models_row"));

  models = child (preferences, "server_models");
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (models)); i++)
    if (g_str_equal (gtk_string_list_get_string (models, i), "flux1-dev-kontext_fp8_scaled.safetensors"))
      flux_index = i;
  g_assert_cmpuint (flux_index, !=, GTK_INVALID_LIST_POSITION);

  adw_combo_row_set_selected (child (preferences, "server_models_row"), flux_index);
  g_assert_cmpstr (get_row_text (preferences, "model_row"), ==, "flux1-dev-kontext_fp8_scaled.safetensors");

  g_free (save_and_wait (preferences));
  {
    g_autoptr(MenugenBackendConfig) config = menugen_config_load_backend (settings, "comfyui");

    g_assert_cmpstr (config->workflow, ==, "flux-kontext");
    g_assert_cmpstr (config->model, ==, "flux1-dev-kontext_fp8_scaled.safetensors");
    g_assert_cmpstr (config->url, ==, fake_server_get_url (server));
  }

  close_preferences (preferences);
}

/* Without a Secret Service, the key is offered for this session only and
 * is never written to the settings. */
static void
test_session_key (void)
{
  g_autoptr(Store) store = store_new ();
  g_auto(GStrv) ids = NULL;
  g_autofree char *file = NULL;
  g_autofree char *id = NULL;
  g_autofree char *key = NULL;
  MenugenPreferences *preferences;
  SignalWait saved = { 0 };

  if (keyring_expected ())
    {
      g_test_skip ("this run has a keyring daemon");
      return;
    }

  preferences = open_preferences (store->settings);
  g_signal_connect (preferences, "backend-saved", G_CALLBACK (signal_id_cb), &saved);
  fill_chat_backend (preferences);

  /* Cancel: nothing is saved, and the editor shows why. */
  activate_editor_action (preferences, "editor.save");
  answer_dialog ("cancel");
  g_assert_false (saved.done);
  g_assert_true (is_shown (preferences, "editor_message_group"));
  g_assert_nonnull (strstr (get_label (preferences, "editor_message_label"), "Nothing was saved"));
  g_assert_cmpstr (get_row_text (preferences, "key_row"), ==, FAKE_KEY);
  ids = g_settings_get_strv (store->settings, "backends");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  g_assert_null (menugen_secrets_get_session_key ("openai-chat"));

  /* Keep it for the session. */
  activate_editor_action (preferences, "editor.save");
  answer_dialog ("session");
  g_assert_true (menugen_test_wait_for (&saved.done, WAIT_S));
  id = g_strdup (saved.id);
  g_assert_cmpstr (id, ==, "openai-chat");
  g_assert_cmpstr (menugen_secrets_get_session_key (id), ==, FAKE_KEY);

  key = lookup_key (id);
  g_assert_cmpstr (key, ==, FAKE_KEY);

  file = store_read_file (store);
  g_assert_nonnull (strstr (file, "Test gateway"));
  g_assert_null (strstr (file, FAKE_KEY));

  /* The editor reports the session key without showing it. */
  menugen_preferences_edit_backend (preferences, id);
  g_assert_true (wait_until (key_status_known, preferences));
  g_assert_cmpstr (adw_action_row_get_subtitle (child (preferences, "key_status_row")), ==, "Key kept for this session only");
  g_assert_cmpstr (get_row_text (preferences, "key_row"), ==, "");
  activate_editor_action (preferences, "editor.close");

  /* Removing the back-end removes the session key too. */
  remove_and_wait (preferences, id);
  g_assert_null (menugen_secrets_get_session_key (id));

  close_preferences (preferences);
  g_free (saved.id);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  menugen_test_use_loopback_session ();

  g_test_add_func ("/preferences/backend-round-trip", test_backend_round_trip);
  g_test_add_func ("/preferences/backend-edit-keeps-key", test_backend_edit_keeps_key);
  g_test_add_func ("/preferences/kind-defaults", test_kind_defaults);
  g_test_add_func ("/preferences/url-checked-on-save", test_url_checked_on_save);
  g_test_add_func ("/preferences/enter-saves", test_enter_saves);
  g_test_add_func ("/preferences/local-only-rejects-remote", test_local_only_rejects_remote);
  g_test_add_func ("/preferences/network-settings", test_network_settings);
  g_test_add_func ("/preferences/instruction-preview", test_instruction_preview);
  g_test_add_func ("/preferences/template-reset", test_template_reset);
  g_test_add_func ("/preferences/first-run-discovery", test_first_run_discovery);
  g_test_add_func ("/preferences/comfyui-models", test_comfyui_models);
  g_test_add_func ("/preferences/session-key", test_session_key);

  return g_test_run ();
}
