#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-comfyui.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-secrets.h"
#include "ui/menugen-backend-editor.h"

/* Items of the workflow combo row, in the order of the .ui file. The last
 * item stands for a workflow file. */
static const char * const builtin_workflows[] = { "qwen-image-edit", "flux-kontext" };
#define WORKFLOW_FILE_ITEM G_N_ELEMENTS (builtin_workflows)

typedef enum {
  KEY_STATE_UNKNOWN,   /* the keyring lookup has not finished */
  KEY_STATE_NONE,
  KEY_STATE_KEYRING,
  KEY_STATE_SESSION,
} KeyState;

struct _MenugenBackendEditor
{
  AdwBin parent_instance;

  GSettings *settings;
  GCancellable *cancellable;         /* key storing */
  GCancellable *edit_cancellable;    /* key status and model list of the open edit */
  gboolean disposed;

  AdwWindowTitle *editor_title;
  AdwPreferencesGroup *editor_message_group;
  GtkLabel *editor_message_label;
  AdwComboRow *kind_row;
  AdwEntryRow *name_row;
  AdwPreferencesGroup *connection_group;
  AdwEntryRow *url_row;
  AdwEntryRow *model_row;
  GtkWidget *load_models_button;
  AdwComboRow *server_models_row;
  GtkStringList *server_models;
  AdwPreferencesGroup *key_group;
  AdwActionRow *key_status_row;
  AdwPasswordEntryRow *key_row;
  AdwPreferencesGroup *workflow_group;
  AdwComboRow *workflow_row;
  AdwActionRow *workflow_file_row;
  AdwPreferencesGroup *vision_group;
  AdwEntryRow *vision_url_row;
  AdwEntryRow *vision_model_row;
  AdwComboRow *draw_kind_row;

  char *editing_id;                  /* NULL while adding a back-end */
  char *editor_kind;                 /* the kind whose defaults fill the rows */
  char *workflow_file;
  KeyState key_state;
  gboolean filling_editor;           /* rows are being set by code, not the user */
  GtkFileChooserNative *workflow_chooser;
};

G_DEFINE_FINAL_TYPE (MenugenBackendEditor, menugen_backend_editor, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SAVED,
  CANCELLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Text that contains an API key, wiped before it is freed. */
typedef char SecretText;

static void
secret_text_free (SecretText *text)
{
  if (text != NULL)
    memset (text, 0, strlen (text));
  g_free (text);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretText, secret_text_free)

/* One press of Save, kept until the key is stored or the user decides
 * what to do with it. The window stays alive until then, so that the
 * dialog has a parent and "saved" still reaches the window. */
typedef struct {
  MenugenBackendEditor *self;
  GtkWindow *parent;
  MenugenBackendConfig *config;
  char *key;
} SaveOperation;

static void
save_operation_free (SaveOperation *operation)
{
  g_object_unref (operation->self);
  g_clear_object (&operation->parent);
  menugen_backend_config_free (operation->config);
  secret_text_free (operation->key);
  g_free (operation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveOperation, save_operation_free)

/* Helpers */

static gboolean
is_blank (const char *text)
{
  return text == NULL || *text == '\0';
}

static char *
get_trimmed_text (gpointer editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (editable))));
}

static guint
find_string_index (const char * const *strings,
                   const char         *string)
{
  for (guint i = 0; strings[i] != NULL; i++)
    if (g_strcmp0 (strings[i], string) == 0)
      return i;

  return GTK_INVALID_LIST_POSITION;
}

/* The kinds that can draw the picture for describe-then-draw: every kind
 * but describe-then-draw itself. */
static const char * const *
get_draw_kinds (void)
{
  static const char *draw_kinds[8];

  if (draw_kinds[0] == NULL)
    {
      const char * const *kinds = menugen_backend_kinds ();
      guint n = 0;

      for (guint i = 0; kinds[i] != NULL && n < G_N_ELEMENTS (draw_kinds) - 1; i++)
        if (!g_str_equal (kinds[i], "describe-then-draw"))
          draw_kinds[n++] = kinds[i];
    }

  return draw_kinds;
}

static GListModel *
create_kind_labels (const char * const *kinds)
{
  GtkStringList *labels = gtk_string_list_new (NULL);

  for (guint i = 0; kinds[i] != NULL; i++)
    gtk_string_list_append (labels, menugen_backend_kind_label (kinds[i]));

  return G_LIST_MODEL (labels);
}

static const char *
get_selected_string (AdwComboRow        *row,
                     const char * const *strings)
{
  guint selected = adw_combo_row_get_selected (row);

  if (selected >= g_strv_length ((char **) strings))
    return NULL;

  return strings[selected];
}

static void
clear_server_models (MenugenBackendEditor *self)
{
  gtk_string_list_splice (self->server_models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->server_models)), NULL);
}

/* Key status */

static void
show_key_state (MenugenBackendEditor *self,
                KeyState              state)
{
  self->key_state = state;

  switch (state)
    {
    case KEY_STATE_UNKNOWN:
      adw_action_row_set_subtitle (self->key_status_row, _("Checking the keyring…"));
      break;

    case KEY_STATE_KEYRING:
      adw_action_row_set_subtitle (self->key_status_row, _("Key stored in the keyring"));
      break;

    case KEY_STATE_SESSION:
      adw_action_row_set_subtitle (self->key_status_row, _("Key kept for this session only"));
      break;

    case KEY_STATE_NONE:
    default:
      break;
    }

  /* A stored key is never shown. The password row only takes a new one. */
  gtk_widget_set_visible (GTK_WIDGET (self->key_status_row), state != KEY_STATE_NONE);
  gtk_widget_set_visible (GTK_WIDGET (self->key_row), state == KEY_STATE_NONE);
}

static void
key_looked_up_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char *key = menugen_secrets_lookup_finish (result, &error);
  MenugenBackendEditor *self;
  KeyState state;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_BACKEND_EDITOR (user_data);

  if (key != NULL)
    {
      state = menugen_secrets_get_session_key (self->editing_id) != NULL ? KEY_STATE_SESSION : KEY_STATE_KEYRING;
      memset (key, 0, strlen (key));
      g_free (key);
    }
  else
    {
      if (error != NULL)
        g_debug ("Key lookup for back-end %s failed: %s", self->editing_id, error->message);
      state = KEY_STATE_NONE;
    }

  show_key_state (self, state);
}

/* Finds out whether the edited back-end has a key, without showing it. */
static void
look_up_key_state (MenugenBackendEditor *self)
{
  if (self->editing_id == NULL)
    {
      show_key_state (self, KEY_STATE_NONE);
      return;
    }

  show_key_state (self, KEY_STATE_UNKNOWN);
  /* The edit cancellable is cancelled when the editor closes and in
   * dispose, before self goes away. */
  menugen_secrets_lookup_async (self->editing_id, self->edit_cancellable, key_looked_up_cb, self);
}

/* Rows */

static void
show_editor_message (MenugenBackendEditor *self,
                     const char           *message)
{
  gtk_label_set_text (self->editor_message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->editor_message_group), message != NULL);
}

static const char *
get_editor_kind (MenugenBackendEditor *self)
{
  const char *kind = get_selected_string (self->kind_row, menugen_backend_kinds ());

  return kind != NULL ? kind : menugen_backend_kinds ()[0];
}

static void
update_workflow_rows (MenugenBackendEditor *self)
{
  gboolean uses_file = adw_combo_row_get_selected (self->workflow_row) == WORKFLOW_FILE_ITEM;

  gtk_widget_set_visible (GTK_WIDGET (self->workflow_file_row), uses_file);
  adw_action_row_set_subtitle (self->workflow_file_row,
                               self->workflow_file != NULL ? self->workflow_file : _("No file chosen"));
}

static void
update_kind_rows (MenugenBackendEditor *self)
{
  const char *kind = get_editor_kind (self);
  gboolean is_comfyui = g_str_equal (kind, "comfyui");
  gboolean is_describe = g_str_equal (kind, "describe-then-draw");
  const char *description = NULL;

  if (is_comfyui)
    description = _("Leave the model empty to use the one the workflow names.");
  else if (is_describe)
    description = _("The server that draws the picture.");

  adw_preferences_group_set_description (self->connection_group, description);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row),
                                 is_describe ? _("Drawing server URL") : _("Server URL"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row),
                                 is_describe ? _("Drawing model") : _("Model"));

  gtk_widget_set_visible (self->load_models_button, is_comfyui);
  gtk_widget_set_visible (GTK_WIDGET (self->server_models_row),
                          is_comfyui && g_list_model_get_n_items (G_LIST_MODEL (self->server_models)) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->key_group),
                          menugen_backend_kind_needs_key (kind) || is_describe);
  gtk_widget_set_visible (GTK_WIDGET (self->workflow_group), is_comfyui);
  gtk_widget_set_visible (GTK_WIDGET (self->vision_group), is_describe);
  update_workflow_rows (self);
}

/* Replaces the text of @row with @new_default when the row still shows
 * @old_default, or nothing, so that a kind change never overwrites what
 * the user typed. */
static void
replace_default_text (AdwEntryRow *row,
                      const char  *old_default,
                      const char  *new_default)
{
  g_autofree char *text = get_trimmed_text (row);

  if (is_blank (text) || g_strcmp0 (text, old_default) == 0)
    gtk_editable_set_text (GTK_EDITABLE (row), new_default);
}

static void
kind_selected_cb (MenugenBackendEditor *self)
{
  const char *kind = get_editor_kind (self);
  g_autoptr(MenugenBackendConfig) defaults = NULL;

  if (self->filling_editor || g_strcmp0 (kind, self->editor_kind) == 0)
    return;

  defaults = menugen_backend_config_new (kind);
  replace_default_text (self->name_row, menugen_backend_kind_label (self->editor_kind),
                        menugen_backend_kind_label (kind));
  replace_default_text (self->url_row, menugen_backend_kind_default_url (self->editor_kind),
                        menugen_backend_kind_default_url (kind));
  replace_default_text (self->model_row, menugen_backend_kind_default_model (self->editor_kind),
                        menugen_backend_kind_default_model (kind));
  if (defaults->vision_url != NULL)
    replace_default_text (self->vision_url_row, NULL, defaults->vision_url);

  g_free (self->editor_kind);
  self->editor_kind = g_strdup (kind);
  clear_server_models (self);
  update_kind_rows (self);
}

static void
server_model_selected_cb (MenugenBackendEditor *self)
{
  guint selected = adw_combo_row_get_selected (self->server_models_row);

  if (self->filling_editor || selected == GTK_INVALID_LIST_POSITION)
    return;

  gtk_editable_set_text (GTK_EDITABLE (self->model_row),
                         gtk_string_list_get_string (self->server_models, selected));
}

static void
fill_workflow_rows (MenugenBackendEditor       *self,
                    const MenugenBackendConfig *config)
{
  guint item = 0;

  g_clear_pointer (&self->workflow_file, g_free);

  if (!is_blank (config->workflow))
    {
      for (item = 0; item < G_N_ELEMENTS (builtin_workflows); item++)
        if (g_str_equal (config->workflow, builtin_workflows[item]))
          break;

      if (item == WORKFLOW_FILE_ITEM)
        self->workflow_file = g_strdup (config->workflow);
    }

  adw_combo_row_set_selected (self->workflow_row, item);
}

static void
fill_editor (MenugenBackendEditor       *self,
             const MenugenBackendConfig *config)
{
  guint draw_kind = find_string_index (get_draw_kinds (), is_blank (config->draw_kind) ? "openai-images" : config->draw_kind);

  self->filling_editor = TRUE;

  g_free (self->editor_kind);
  self->editor_kind = g_strdup (config->kind);
  adw_combo_row_set_selected (self->kind_row, find_string_index (menugen_backend_kinds (), config->kind));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), config->name != NULL ? config->name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), menugen_backend_config_get_url (config));
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), menugen_backend_config_get_model (config));
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->vision_url_row), config->vision_url != NULL ? config->vision_url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->vision_model_row), config->vision_model != NULL ? config->vision_model : "");
  adw_combo_row_set_selected (self->draw_kind_row, draw_kind != GTK_INVALID_LIST_POSITION ? draw_kind : 0);
  fill_workflow_rows (self, config);
  clear_server_models (self);

  self->filling_editor = FALSE;

  show_editor_message (self, NULL);
  update_kind_rows (self);
}

/* Stops the work of the open edit and wipes a typed key. */
static void
stop_editing (MenugenBackendEditor *self)
{
  g_cancellable_cancel (self->edit_cancellable);
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
}

/* Reading and checking */

/* Stores the text of @row, or "" when it is the kind's default, because an
 * empty setting follows the default when a later version changes it. */
static char *
read_text_or_default (AdwEntryRow *row,
                      const char  *default_text)
{
  g_autofree char *text = get_trimmed_text (row);

  if (g_strcmp0 (text, default_text) == 0)
    return g_strdup ("");

  return g_steal_pointer (&text);
}

static char *
read_workflow (MenugenBackendEditor *self)
{
  guint item = adw_combo_row_get_selected (self->workflow_row);

  if (item < G_N_ELEMENTS (builtin_workflows))
    return g_strdup (builtin_workflows[item]);

  return g_strdup (self->workflow_file);
}

/* Reads the fields that only one kind has, and clears the others. */
static void
read_kind_fields (MenugenBackendEditor *self,
                  MenugenBackendConfig *config)
{
  g_clear_pointer (&config->workflow, g_free);
  g_clear_pointer (&config->vision_url, g_free);
  g_clear_pointer (&config->vision_model, g_free);
  g_clear_pointer (&config->draw_kind, g_free);

  if (g_str_equal (config->kind, "comfyui"))
    config->workflow = read_workflow (self);

  if (g_str_equal (config->kind, "describe-then-draw"))
    {
      config->vision_url = get_trimmed_text (self->vision_url_row);
      config->vision_model = get_trimmed_text (self->vision_model_row);
      config->draw_kind = g_strdup (get_selected_string (self->draw_kind_row, get_draw_kinds ()));
    }
}

/* Reads the editor into a configuration, without its key. */
static MenugenBackendConfig *
read_editor (MenugenBackendEditor *self)
{
  const char *kind = get_editor_kind (self);
  MenugenBackendConfig *config = menugen_backend_config_new (kind);
  g_autofree char *name = get_trimmed_text (self->name_row);

  g_free (config->id);
  config->id = self->editing_id != NULL ? g_strdup (self->editing_id)
                                        : menugen_config_new_backend_id (self->settings, kind);
  g_free (config->name);
  config->name = is_blank (name) ? g_strdup (menugen_backend_kind_label (kind)) : g_steal_pointer (&name);
  g_free (config->url);
  config->url = read_text_or_default (self->url_row, menugen_backend_kind_default_url (kind));
  g_free (config->model);
  config->model = read_text_or_default (self->model_row, menugen_backend_kind_default_model (kind));

  read_kind_fields (self, config);

  config->local_only = g_settings_get_boolean (self->settings, "local-only");
  return config;
}

/* Checks what a back-end would refuse later, so that the user fixes it
 * while the editor is still open. */
static gboolean
check_editor (MenugenBackendEditor       *self,
              const MenugenBackendConfig *config,
              gboolean                    has_key,
              GError                    **error)
{
  if (g_str_equal (config->kind, "comfyui") && is_blank (config->workflow))
    {
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_NO_BACKEND,
                           _("No workflow file is chosen. Choose an API-format workflow file, or a built-in workflow."));
      return FALSE;
    }

  if (!menugen_http_check_url (menugen_backend_config_get_url (config), has_key, config->local_only, error))
    return FALSE;

  if (g_str_equal (config->kind, "describe-then-draw")
      && !menugen_http_check_url (config->vision_url, has_key, config->local_only, error))
    return FALSE;

  return TRUE;
}

/* Saving */

static void
finish_save (MenugenBackendEditor       *self,
             const MenugenBackendConfig *config)
{
  menugen_config_save_backend (self->settings, config);
  g_debug ("Saved back-end %s of kind %s", config->id, config->kind);

  stop_editing (self);
  g_signal_emit (self, signals[SAVED], 0, config);
}

static void
session_key_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  SaveOperation *operation = g_object_get_data (G_OBJECT (dialog), "save-operation");
  MenugenBackendEditor *self = operation->self;

  if (self->disposed)
    return;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", TRUE);

  if (g_str_equal (response, "session"))
    {
      menugen_secrets_set_session_key (operation->config->id, operation->key);
      finish_save (self, operation->config);
      return;
    }

  show_editor_message (self, _("Nothing was saved. Press Save to try the keyring again, or clear the API key to save the back-end without one."));
}

/* Asks what to do with a key that the keyring rejected. The key is then
 * kept in memory for this session or not at all, never in settings or a file. */
static void
offer_session_key (SaveOperation *operation,
                   const GError  *error)
{
  GtkWidget *dialog = adw_message_dialog_new (operation->parent,
                                              _("Key Not Saved in the Keyring"),
                                              error->message);
  AdwMessageDialog *message_dialog = ADW_MESSAGE_DIALOG (dialog);

  adw_message_dialog_add_responses (message_dialog,
                                    "cancel", _("_Cancel"),
                                    "session", _("_Use for This Session Only"),
                                    NULL);
  adw_message_dialog_set_response_appearance (message_dialog, "session", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (message_dialog, "session");
  adw_message_dialog_set_close_response (message_dialog, "cancel");

  /* The dialog owns the operation, so that the key is wiped however the
   * dialog ends. */
  g_object_set_data_full (G_OBJECT (dialog), "save-operation", operation,
                          (GDestroyNotify) save_operation_free);
  g_signal_connect (dialog, "response", G_CALLBACK (session_key_response_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
key_stored_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaveOperation) operation = user_data;
  g_autoptr(GError) error = NULL;

  if (!menugen_secrets_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_debug ("Keyring refused the key of back-end %s", operation->config->id);
      offer_session_key (g_steal_pointer (&operation), error);
      return;
    }

  /* A key kept for the session would hide the new one in lookups. */
  menugen_secrets_set_session_key (operation->config->id, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (operation->self), "editor.save", TRUE);
  finish_save (operation->self, operation->config);
}

static void
store_key (MenugenBackendEditor  *self,
           MenugenBackendConfig  *config,
           SecretText            *key)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  SaveOperation *operation = g_new0 (SaveOperation, 1);

  operation->self = g_object_ref (self);
  operation->parent = GTK_IS_WINDOW (root) ? g_object_ref (GTK_WINDOW (root)) : NULL;
  operation->config = config;
  operation->key = key;

  show_editor_message (self, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", FALSE);
  menugen_secrets_store_async (operation->config->id, operation->config->name, operation->key,
                               self->cancellable, key_stored_cb, operation);
}

/* Loading models and choosing a workflow */

/* Offers @models in the combo row, with the model row's file selected
 * when the server has it. */
static void
show_server_models (MenugenBackendEditor *self,
                    const char * const   *models)
{
  g_autofree char *model = get_trimmed_text (self->model_row);
  guint current = find_string_index (models, model);

  self->filling_editor = TRUE;
  gtk_string_list_splice (self->server_models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->server_models)),
                          models);
  adw_combo_row_set_selected (self->server_models_row, current);
  self->filling_editor = FALSE;

  show_editor_message (self, NULL);
  update_kind_rows (self);
}

static void
models_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = menugen_backend_comfyui_list_models_finish (MENUGEN_BACKEND_COMFYUI (source), result, &error);
  MenugenBackendEditor *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_BACKEND_EDITOR (user_data);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.load-models", TRUE);

  if (models == NULL)
    {
      show_editor_message (self, error->message);
      return;
    }

  if (models[0] == NULL)
    {
      show_editor_message (self, _("The server lists no model files for the workflow’s loader node. Copy a model into ComfyUI’s models folder, then load again."));
      return;
    }

  show_server_models (self, (const char * const *) models);
}

static void
workflow_chosen_cb (GtkNativeDialog      *chooser,
                    int                   response,
                    MenugenBackendEditor *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  if (file != NULL && g_file_peek_path (file) != NULL)
    {
      g_free (self->workflow_file);
      self->workflow_file = g_file_get_path (file);
      update_workflow_rows (self);
    }

  g_clear_object (&self->workflow_chooser);
}

/* Actions */

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);
  g_autoptr(MenugenBackendConfig) config = read_editor (self);
  g_autoptr(SecretText) key = get_trimmed_text (self->key_row);
  gboolean new_key = gtk_widget_get_visible (GTK_WIDGET (self->key_group))
                     && gtk_widget_get_visible (GTK_WIDGET (self->key_row))
                     && !is_blank (key);
  gboolean has_key = new_key || self->key_state == KEY_STATE_KEYRING || self->key_state == KEY_STATE_SESSION;
  g_autoptr(GError) error = NULL;

  if (!check_editor (self, config, has_key, &error))
    {
      show_editor_message (self, error->message);
      return;
    }

  if (!new_key)
    {
      finish_save (self, config);
      return;
    }

  store_key (self, g_steal_pointer (&config), g_steal_pointer (&key));
}

/* Enter in any text row saves, as in a dialog with a default button. */
static void
entry_activated_cb (MenugenBackendEditor *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "editor.save", NULL);
}

static void
connect_entry_rows (MenugenBackendEditor *self)
{
  AdwEntryRow *rows[] = {
    self->name_row, self->url_row, self->model_row, ADW_ENTRY_ROW (self->key_row),
    self->vision_url_row, self->vision_model_row,
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_signal_connect_swapped (rows[i], "entry-activated", G_CALLBACK (entry_activated_cb), self);
}

static void
close_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);

  stop_editing (self);
  g_signal_emit (self, signals[CANCELLED], 0);
}

static void
replace_key_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);

  gtk_widget_set_visible (GTK_WIDGET (self->key_status_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->key_row), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}

static void
load_models_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (get_editor_kind (self), "comfyui"))
    return;

  config = read_editor (self);
  if (!check_editor (self, config, FALSE, &error))
    {
      show_editor_message (self, error->message);
      return;
    }

  backend = menugen_backend_comfyui_new (config);
  gtk_widget_action_set_enabled (widget, "editor.load-models", FALSE);
  /* The edit cancellable is cancelled before self goes away. */
  menugen_backend_comfyui_list_models_async (MENUGEN_BACKEND_COMFYUI (backend), self->edit_cancellable,
                                             models_listed_cb, self);
}

static void
choose_workflow_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->workflow_chooser != NULL)
    return;

  gtk_file_filter_set_name (filter, _("ComfyUI workflows (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.json");

  self->workflow_chooser = gtk_file_chooser_native_new (_("Choose a Workflow"),
                                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                                        _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->workflow_chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->workflow_chooser), TRUE);
  g_signal_connect (self->workflow_chooser, "response", G_CALLBACK (workflow_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->workflow_chooser));
}

/* Overrides */

static gboolean
menugen_backend_editor_grab_focus (GtkWidget *widget)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
menugen_backend_editor_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      if (g_set_object (&self->settings, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_backend_editor_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_backend_editor_dispose (GObject *object)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->edit_cancellable);
  if (self->workflow_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->workflow_chooser));
  g_clear_object (&self->workflow_chooser);

  /* The template children outlive this point while the parent class
   * destroys them, and must not call back into a half-disposed self. */
  if (self->kind_row != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->kind_row, self);
      g_signal_handlers_disconnect_by_data (self->server_models_row, self);
      g_signal_handlers_disconnect_by_data (self->workflow_row, self);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), MENUGEN_TYPE_BACKEND_EDITOR);

  G_OBJECT_CLASS (menugen_backend_editor_parent_class)->dispose (object);
}

static void
menugen_backend_editor_finalize (GObject *object)
{
  MenugenBackendEditor *self = MENUGEN_BACKEND_EDITOR (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->edit_cancellable);
  g_free (self->editing_id);
  g_free (self->editor_kind);
  g_free (self->workflow_file);

  G_OBJECT_CLASS (menugen_backend_editor_parent_class)->finalize (object);
}

static void
install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_activated);
  gtk_widget_class_install_action (widget_class, "editor.close", NULL, close_activated);
  gtk_widget_class_install_action (widget_class, "editor.replace-key", NULL, replace_key_activated);
  gtk_widget_class_install_action (widget_class, "editor.load-models", NULL, load_models_activated);
  gtk_widget_class_install_action (widget_class, "editor.choose-workflow", NULL, choose_workflow_activated);
}

static void
bind_template_children (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, editor_title);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, editor_message_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, editor_message_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, kind_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, connection_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, url_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, model_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, load_models_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, server_models_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, server_models);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, key_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, key_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, workflow_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, workflow_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, workflow_file_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, vision_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, vision_url_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, vision_model_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenBackendEditor, draw_kind_row);
}

static void
menugen_backend_editor_class_init (MenugenBackendEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = menugen_backend_editor_set_property;
  object_class->get_property = menugen_backend_editor_get_property;
  object_class->dispose = menugen_backend_editor_dispose;
  object_class->finalize = menugen_backend_editor_finalize;
  widget_class->grab_focus = menugen_backend_editor_grab_focus;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  MENUGEN_TYPE_BACKEND_CONFIG | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[CANCELLED] =
    g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Menugen/ui/menugen-backend-editor.ui");
  bind_template_children (widget_class);
  install_actions (widget_class);
}

static void
menugen_backend_editor_init (MenugenBackendEditor *self)
{
  g_autoptr(GListModel) kinds = create_kind_labels (menugen_backend_kinds ());
  g_autoptr(GListModel) draw_kinds = create_kind_labels (get_draw_kinds ());

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->edit_cancellable = g_cancellable_new ();

  adw_combo_row_set_model (self->kind_row, kinds);
  adw_combo_row_set_model (self->draw_kind_row, draw_kinds);

  g_signal_connect_swapped (self->kind_row, "notify::selected", G_CALLBACK (kind_selected_cb), self);
  g_signal_connect_swapped (self->server_models_row, "notify::selected", G_CALLBACK (server_model_selected_cb), self);
  g_signal_connect_swapped (self->workflow_row, "notify::selected", G_CALLBACK (update_workflow_rows), self);
  connect_entry_rows (self);
}

/**
 * menugen_backend_editor_edit:
 * @self: the editor
 * @config: (nullable): the configured back-end to edit, or %NULL to add one
 *   with the defaults of the first kind
 *
 * Fills the editor and starts looking up whether a key is stored, which
 * ends any work of the previous edit. The caller then shows the editor.
 */
void
menugen_backend_editor_edit (MenugenBackendEditor       *self,
                             const MenugenBackendConfig *config)
{
  g_autoptr(MenugenBackendConfig) defaults = NULL;
  gboolean is_new = config == NULL;

  g_return_if_fail (MENUGEN_IS_BACKEND_EDITOR (self));

  if (is_new)
    config = defaults = menugen_backend_config_new (menugen_backend_kinds ()[0]);

  g_cancellable_cancel (self->edit_cancellable);
  g_clear_object (&self->edit_cancellable);
  self->edit_cancellable = g_cancellable_new ();

  g_clear_pointer (&self->editing_id, g_free);
  self->editing_id = is_new ? NULL : g_strdup (config->id);

  adw_window_title_set_title (self->editor_title, is_new ? _("Add Back-end") : _("Edit Back-end"));
  adw_window_title_set_subtitle (self->editor_title, is_new ? "" : config->name);
  fill_editor (self, config);
  look_up_key_state (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.load-models", TRUE);
}
