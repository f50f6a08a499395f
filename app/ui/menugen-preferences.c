#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "backends/menugen-backend-comfyui.h"
#include "backends/menugen-discovery.h"
#include "core/menugen-config.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-instruction.h"
#include "core/menugen-secrets.h"
#include "ui/menugen-preferences.h"

/* The preview composes the instruction for a portrait photo, the usual
 * shape of a menu photographed with a phone. */
#define SAMPLE_ASPECT_RATIO "3:4"

/* Items of the workflow combo row, in the order of the .ui file. The last
 * item stands for a workflow file. */
static const char * const builtin_workflows[] = { "qwen-image-edit", "flux-kontext" };
#define WORKFLOW_FILE_ITEM G_N_ELEMENTS (builtin_workflows)

/* Nicks of com.example.Menugen.DishNames, in the order of MenugenDishNames
 * and of the dish names combo row. */
static const char * const dish_names_nicks[] = { "original", "translated", "both" };

typedef enum {
  KEY_STATE_UNKNOWN,   /* the keyring lookup has not finished */
  KEY_STATE_NONE,
  KEY_STATE_KEYRING,
  KEY_STATE_SESSION,
} KeyState;

struct _MenugenPreferences
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GCancellable *cancellable;         /* discovery, saving, removing */
  GCancellable *editor_cancellable;  /* key status and model list of the open editor */
  char *builtin_template;
  char *template_before_reset;       /* for the Undo button of the reset toast */
  gboolean updating_template;        /* the buffer is being filled from the settings */
  gboolean writing_template;         /* the settings are being written from the buffer */
  GPtrArray *found_servers;          /* MenugenBackendConfig from the last discovery */
  GError *discovery_error;
  gboolean discovering;
  gboolean disposed;

  /* Back-ends page */
  AdwPreferencesGroup *discovery_group;
  GtkListBox *discovery_list;
  GtkListBox *backends_list;

  /* Instruction page */
  AdwComboRow *dish_names_row;
  AdwActionRow *language_row;
  GtkEntry *language_entry;
  AdwComboRow *style_row;
  GtkTextView *template_view;
  GtkLabel *template_error_label;
  GtkLabel *preview_label;

  /* Network page */
  GtkSpinButton *connect_timeout_spin;
  GtkSpinButton *read_timeout_spin;
  GtkSwitch *local_only_switch;

  /* Back-end editor */
  GtkWidget *editor_page;
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

G_DEFINE_FINAL_TYPE (MenugenPreferences, menugen_preferences, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  BACKEND_SAVED,
  BACKEND_REMOVED,
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
 * what to do with it. */
typedef struct {
  MenugenPreferences *self;
  MenugenBackendConfig *config;
  char *key;
} SaveOperation;

static void
save_operation_free (SaveOperation *operation)
{
  g_object_unref (operation->self);
  menugen_backend_config_free (operation->config);
  secret_text_free (operation->key);
  g_free (operation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveOperation, save_operation_free)

typedef struct {
  MenugenPreferences *self;
  char *id;
  char *name;
} RemoveOperation;

static void
remove_operation_free (RemoveOperation *operation)
{
  g_object_unref (operation->self);
  g_free (operation->id);
  g_free (operation->name);
  g_free (operation);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RemoveOperation, remove_operation_free)

static void rebuild_backends_list (MenugenPreferences *self);
static void rebuild_discovery_list (MenugenPreferences *self);

/* Helpers */

static void
show_toast (MenugenPreferences *self,
            const char         *title)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (title));
}

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

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
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

static gboolean
same_server (const MenugenBackendConfig *a,
             const MenugenBackendConfig *b)
{
  return g_strcmp0 (a->kind, b->kind) == 0
         && g_strcmp0 (menugen_backend_config_get_url (a), menugen_backend_config_get_url (b)) == 0;
}

/* Settings mappings */

static gboolean
dish_names_get_mapping (GValue   *value,
                        GVariant *variant,
                        gpointer  user_data)
{
  MenugenDishNames names;

  if (!menugen_dish_names_from_string (g_variant_get_string (variant, NULL), &names))
    return FALSE;

  g_value_set_uint (value, names);
  return TRUE;
}

static GVariant *
dish_names_set_mapping (const GValue       *value,
                        const GVariantType *expected_type,
                        gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (dish_names_nicks))
    return NULL;

  return g_variant_new_string (dish_names_nicks[selected]);
}

static gboolean
style_get_mapping (GValue   *value,
                   GVariant *variant,
                   gpointer  user_data)
{
  guint index = find_string_index (menugen_instruction_get_styles (),
                                   g_variant_get_string (variant, NULL));

  if (index == GTK_INVALID_LIST_POSITION)
    return FALSE;

  g_value_set_uint (value, index);
  return TRUE;
}

static GVariant *
style_set_mapping (const GValue       *value,
                   const GVariantType *expected_type,
                   gpointer            user_data)
{
  const char * const *styles = menugen_instruction_get_styles ();
  guint selected = g_value_get_uint (value);

  if (selected >= g_strv_length ((char **) styles))
    return NULL;

  return g_variant_new_string (styles[selected]);
}

/* Instruction page */

static char *
get_template_text (MenugenPreferences *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->template_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
update_preview (MenugenPreferences *self)
{
  g_autofree char *buffer_text = get_template_text (self);
  const char *template_text = is_blank (buffer_text) ? self->builtin_template : buffer_text;
  g_autofree char *names = g_settings_get_string (self->settings, "dish-names");
  g_autofree char *language = g_settings_get_string (self->settings, "translation-language");
  g_autofree char *style = g_settings_get_string (self->settings, "style");
  g_autofree char *instruction = NULL;
  g_autoptr(GError) error = NULL;
  MenugenInstructionOptions options = { MENUGEN_DISH_NAMES_BOTH, language, style, SAMPLE_ASPECT_RATIO };

  menugen_dish_names_from_string (names, &options.dish_names);
  instruction = menugen_instruction_compose (template_text, &options, &error);

  gtk_label_set_text (self->template_error_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->template_error_label), error != NULL);

  if (instruction != NULL)
    {
      gtk_label_set_text (self->preview_label, instruction);
      gtk_widget_remove_css_class (GTK_WIDGET (self->preview_label), "dim-label");
    }
  else
    {
      gtk_label_set_text (self->preview_label, _("The preview returns once the template above is valid."));
      gtk_widget_add_css_class (GTK_WIDGET (self->preview_label), "dim-label");
    }
}

static void
update_reset_action (MenugenPreferences *self)
{
  g_autofree char *stored = g_settings_get_string (self->settings, "prompt-template");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.reset-template", !is_blank (stored));
}

/* Shows the stored template, or the built-in one when the key is empty.
 * The buffer is left alone when it already shows that text, so that the
 * cursor stays put while the user types. */
static void
load_template (MenugenPreferences *self)
{
  g_autofree char *stored = g_settings_get_string (self->settings, "prompt-template");
  g_autofree char *current = get_template_text (self);
  const char *text = is_blank (stored) ? self->builtin_template : stored;

  if (g_str_equal (current, text))
    return;

  self->updating_template = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->template_view), text, -1);
  self->updating_template = FALSE;
}

static void
update_language_row (MenugenPreferences *self)
{
  g_autofree char *desktop_language = menugen_instruction_language_for_locale ();
  g_autofree char *subtitle = NULL;
  g_autofree char *names = g_settings_get_string (self->settings, "dish-names");

  /* Translators: %s is a language name in English, such as "Simplified Chinese" */
  subtitle = g_strdup_printf (_("The language of the names on the picture, named in English. Empty means the desktop language, %s."),
                              desktop_language);
  adw_action_row_set_subtitle (self->language_row, subtitle);
  gtk_entry_set_placeholder_text (self->language_entry, desktop_language);
  gtk_widget_set_sensitive (GTK_WIDGET (self->language_row), g_strcmp0 (names, "original") != 0);
}

/* Back-ends page */

static GtkWidget *
create_icon_button (const char *icon_name,
                    const char *tooltip,
                    const char *accessible_label,
                    const char *action_name,
                    GVariant   *target)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);

  return button;
}

static void
default_toggled_cb (GtkCheckButton     *check,
                    MenugenPreferences *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "backend-id");
  g_autofree char *default_id = NULL;

  if (!gtk_check_button_get_active (check))
    return;

  default_id = g_settings_get_string (self->settings, "default-backend");
  if (!g_str_equal (default_id, id))
    g_settings_set_string (self->settings, "default-backend", id);
}

/* A warning icon for a back-end that "Local only" refuses. */
static void
add_local_only_warning (MenugenPreferences         *self,
                        AdwActionRow               *row,
                        const MenugenBackendConfig *config)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *icon;

  if (menugen_http_check_url (menugen_backend_config_get_url (config), FALSE,
                              g_settings_get_boolean (self->settings, "local-only"), &error)
      || !g_error_matches (error, MENUGEN_ERROR, MENUGEN_ERROR_LOCAL_ONLY))
    return;

  icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_add_css_class (icon, "warning");
  gtk_widget_set_tooltip_text (icon, error->message);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, error->message, -1);
  adw_action_row_add_suffix (row, icon);
}

static GtkWidget *
create_backend_row (MenugenPreferences         *self,
                    const MenugenBackendConfig *config,
                    gboolean                    is_default,
                    GtkCheckButton             *group)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *check = gtk_check_button_new ();
  const char *name = is_blank (config->name) ? config->id : config->name;
  g_autofree char *subtitle = NULL;
  g_autofree char *default_label = NULL;
  g_autofree char *edit_label = NULL;
  g_autofree char *remove_label = NULL;

  /* Translators: a back-end's kind and its server URL */
  subtitle = g_strdup_printf (_("%s · %s"), menugen_backend_kind_label (config->kind),
                              menugen_backend_config_get_url (config));
  default_label = g_strdup_printf (_("Use “%s” by default"), name);
  edit_label = g_strdup_printf (_("Edit “%s”"), name);
  remove_label = g_strdup_printf (_("Remove “%s”"), name);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (row, subtitle);

  gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), is_default);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (check, _("Default back-end"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, default_label, -1);
  g_object_set_data_full (G_OBJECT (check), "backend-id", g_strdup (config->id), g_free);
  g_signal_connect (check, "toggled", G_CALLBACK (default_toggled_cb), self);
  adw_action_row_add_prefix (row, check);
  adw_action_row_set_activatable_widget (row, check);

  add_local_only_warning (self, row, config);
  adw_action_row_add_suffix (row, create_icon_button ("document-edit-symbolic", _("Edit"), edit_label,
                                                      "prefs.edit-backend", g_variant_new_string (config->id)));
  adw_action_row_add_suffix (row, create_icon_button ("user-trash-symbolic", _("Remove"), remove_label,
                                                      "prefs.remove-backend", g_variant_new_string (config->id)));

  return GTK_WIDGET (row);
}

static GtkWidget *
create_note_row (const char *title,
                 const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  return row;
}

/* Moves the default mark without rebuilding the list, because the change
 * may come from a check button that is still handling its click. */
static void
update_default_checks (MenugenPreferences *self)
{
  g_autofree char *default_id = g_settings_get_string (self->settings, "default-backend");

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->backends_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *check;

      if (!ADW_IS_ACTION_ROW (row))
        continue;

      check = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row));
      if (GTK_IS_CHECK_BUTTON (check)
          && g_strcmp0 (g_object_get_data (G_OBJECT (check), "backend-id"), default_id) == 0)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
    }
}

static void
rebuild_backends_list (MenugenPreferences *self)
{
  g_autoptr(GPtrArray) configs = menugen_config_load_backends (self->settings);
  g_autofree char *default_id = g_settings_get_string (self->settings, "default-backend");
  GtkCheckButton *group = NULL;
  gboolean default_found = FALSE;

  clear_list_box (self->backends_list);

  if (configs->len == 0)
    {
      gtk_list_box_append (self->backends_list,
                           create_note_row (_("No back-ends yet"),
                                            _("Add one, or find servers running on this computer.")));
      return;
    }

  for (guint i = 0; i < configs->len; i++)
    default_found |= g_str_equal (((MenugenBackendConfig *) configs->pdata[i])->id, default_id);

  for (guint i = 0; i < configs->len; i++)
    {
      const MenugenBackendConfig *config = configs->pdata[i];
      gboolean is_default = default_found ? g_str_equal (config->id, default_id) : i == 0;
      GtkWidget *row = create_backend_row (self, config, is_default, group);

      if (group == NULL)
        group = GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)));
      gtk_list_box_append (self->backends_list, row);
    }
}

static GtkWidget *
create_found_row (MenugenPreferences         *self,
                  const MenugenBackendConfig *found,
                  guint                       index,
                  GPtrArray                  *configured)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Add"));
  g_autofree char *subtitle = NULL;
  g_autofree char *add_label = g_strdup_printf (_("Add “%s”"), found->name);
  gboolean added = FALSE;

  /* Translators: a found server's kind and its URL */
  subtitle = g_strdup_printf (_("%s · %s"), menugen_backend_kind_label (found->kind),
                              menugen_backend_config_get_url (found));

  for (guint i = 0; i < configured->len; i++)
    added |= same_server (configured->pdata[i], found);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), found->name);
  adw_action_row_set_subtitle (row, subtitle);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, add_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "prefs.add-found");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_uint32 (index));
  if (added)
    {
      gtk_button_set_label (GTK_BUTTON (button), _("Added"));
      gtk_widget_set_sensitive (button, FALSE);
    }
  adw_action_row_add_suffix (row, button);

  return GTK_WIDGET (row);
}

static GtkWidget *
create_searching_row (void)
{
  GtkWidget *row = create_note_row (_("Searching…"), _("Asking the usual ports of this computer."));
  GtkWidget *spinner = gtk_spinner_new ();

  gtk_spinner_start (GTK_SPINNER (spinner));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), spinner);

  return row;
}

static void
rebuild_discovery_list (MenugenPreferences *self)
{
  g_autoptr(GPtrArray) configured = NULL;

  clear_list_box (self->discovery_list);

  if (self->discovering)
    {
      gtk_list_box_append (self->discovery_list, create_searching_row ());
      return;
    }

  if (self->discovery_error != NULL)
    {
      gtk_list_box_append (self->discovery_list,
                           create_note_row (_("The search failed"), self->discovery_error->message));
      return;
    }

  if (self->found_servers == NULL || self->found_servers->len == 0)
    {
      gtk_list_box_append (self->discovery_list,
                           create_note_row (_("No servers found"),
                                            _("Start ComfyUI, sd-server, Lemonade, llama.cpp, Ollama or LM Studio, then search again.")));
      return;
    }

  configured = menugen_config_load_backends (self->settings);
  for (guint i = 0; i < self->found_servers->len; i++)
    gtk_list_box_append (self->discovery_list,
                         create_found_row (self, self->found_servers->pdata[i], i, configured));
}

static void
discovery_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) servers = menugen_discovery_probe_finish (result, &error);
  MenugenPreferences *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_PREFERENCES (user_data);
  self->discovering = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.find-servers", TRUE);

  g_clear_pointer (&self->found_servers, g_ptr_array_unref);
  g_clear_error (&self->discovery_error);
  self->found_servers = g_steal_pointer (&servers);
  self->discovery_error = g_steal_pointer (&error);

  g_debug ("Discovery found %u local servers", self->found_servers != NULL ? self->found_servers->len : 0);
  rebuild_discovery_list (self);
}

static void
start_discovery (MenugenPreferences *self)
{
  if (self->discovering)
    return;

  self->discovering = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.find-servers", FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->discovery_group), TRUE);
  rebuild_discovery_list (self);

  /* self is not referenced: dispose cancels the probe, and the callback
   * returns on cancellation before it touches self. */
  menugen_discovery_probe_async (menugen_discovery_get_default_targets (), self->cancellable,
                                 discovery_done_cb, self);
}

/* Editor: key status */

static void
show_key_state (MenugenPreferences *self,
                KeyState            state)
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
  MenugenPreferences *self;
  KeyState state;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_PREFERENCES (user_data);

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
look_up_key_state (MenugenPreferences *self)
{
  if (self->editing_id == NULL)
    {
      show_key_state (self, KEY_STATE_NONE);
      return;
    }

  show_key_state (self, KEY_STATE_UNKNOWN);
  /* The editor cancellable is cancelled when the editor closes and in
   * dispose, before self goes away. */
  menugen_secrets_lookup_async (self->editing_id, self->editor_cancellable, key_looked_up_cb, self);
}

/* Editor: rows */

static void
show_editor_message (MenugenPreferences *self,
                     const char         *message)
{
  gtk_label_set_text (self->editor_message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->editor_message_group), message != NULL);
}

static const char *
get_editor_kind (MenugenPreferences *self)
{
  const char *kind = get_selected_string (self->kind_row, menugen_backend_kinds ());

  return kind != NULL ? kind : menugen_backend_kinds ()[0];
}

static void
update_workflow_rows (MenugenPreferences *self)
{
  gboolean uses_file = adw_combo_row_get_selected (self->workflow_row) == WORKFLOW_FILE_ITEM;

  gtk_widget_set_visible (GTK_WIDGET (self->workflow_file_row), uses_file);
  adw_action_row_set_subtitle (self->workflow_file_row,
                               self->workflow_file != NULL ? self->workflow_file : _("No file chosen"));
}

static void
update_kind_rows (MenugenPreferences *self)
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
kind_selected_cb (MenugenPreferences *self)
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
  gtk_string_list_splice (self->server_models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->server_models)), NULL);
  update_kind_rows (self);
}

static void
server_model_selected_cb (MenugenPreferences *self)
{
  guint selected = adw_combo_row_get_selected (self->server_models_row);

  if (self->filling_editor || selected == GTK_INVALID_LIST_POSITION)
    return;

  gtk_editable_set_text (GTK_EDITABLE (self->model_row),
                         gtk_string_list_get_string (self->server_models, selected));
}

static void
fill_workflow_rows (MenugenPreferences         *self,
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
fill_editor (MenugenPreferences         *self,
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
  gtk_string_list_splice (self->server_models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->server_models)), NULL);

  self->filling_editor = FALSE;

  show_editor_message (self, NULL);
  update_kind_rows (self);
}

static void
open_editor (MenugenPreferences         *self,
             const MenugenBackendConfig *config,
             gboolean                    is_new)
{
  g_cancellable_cancel (self->editor_cancellable);
  g_clear_object (&self->editor_cancellable);
  self->editor_cancellable = g_cancellable_new ();

  g_clear_pointer (&self->editing_id, g_free);
  self->editing_id = is_new ? NULL : g_strdup (config->id);

  adw_window_title_set_title (self->editor_title, is_new ? _("Add Back-end") : _("Edit Back-end"));
  adw_window_title_set_subtitle (self->editor_title, is_new ? "" : config->name);
  fill_editor (self, config);
  look_up_key_state (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.save-backend", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.load-models", TRUE);

  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), self->editor_page);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
close_editor (MenugenPreferences *self)
{
  g_cancellable_cancel (self->editor_cancellable);
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

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
read_workflow (MenugenPreferences *self)
{
  guint item = adw_combo_row_get_selected (self->workflow_row);

  if (item < G_N_ELEMENTS (builtin_workflows))
    return g_strdup (builtin_workflows[item]);

  return g_strdup (self->workflow_file);
}

/* Reads the editor into a configuration, without its key. */
static MenugenBackendConfig *
read_editor (MenugenPreferences *self)
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

  g_clear_pointer (&config->workflow, g_free);
  g_clear_pointer (&config->vision_url, g_free);
  g_clear_pointer (&config->vision_model, g_free);
  g_clear_pointer (&config->draw_kind, g_free);

  if (g_str_equal (kind, "comfyui"))
    config->workflow = read_workflow (self);

  if (g_str_equal (kind, "describe-then-draw"))
    {
      config->vision_url = get_trimmed_text (self->vision_url_row);
      config->vision_model = get_trimmed_text (self->vision_model_row);
      config->draw_kind = g_strdup (get_selected_string (self->draw_kind_row, get_draw_kinds ()));
    }

  config->local_only = g_settings_get_boolean (self->settings, "local-only");
  return config;
}

/* Checks what a back-end would refuse later, so that the user fixes it
 * while the editor is still open. */
static gboolean
check_editor (MenugenPreferences         *self,
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

static void
finish_save (MenugenPreferences         *self,
             const MenugenBackendConfig *config)
{
  g_autofree char *message = NULL;

  menugen_config_save_backend (self->settings, config);
  g_debug ("Saved back-end %s of kind %s", config->id, config->kind);

  rebuild_backends_list (self);
  if (self->found_servers != NULL)
    rebuild_discovery_list (self);
  close_editor (self);

  message = g_strdup_printf (_("Saved “%s”"), config->name);
  show_toast (self, message);
  g_signal_emit (self, signals[BACKEND_SAVED], 0, config->id);
}

static void
session_key_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         gpointer          user_data)
{
  SaveOperation *operation = g_object_get_data (G_OBJECT (dialog), "save-operation");
  MenugenPreferences *self = operation->self;

  if (self->disposed)
    return;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.save-backend", TRUE);

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
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (operation->self),
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
  gtk_widget_action_set_enabled (GTK_WIDGET (operation->self), "prefs.save-backend", TRUE);
  finish_save (operation->self, operation->config);
}

static void
key_cleared_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(RemoveOperation) operation = user_data;
  g_autoptr(GError) error = NULL;

  if (!menugen_secrets_clear_finish (result, &error))
    {
      g_autofree char *message = NULL;

      g_debug ("Keyring did not clear the key of back-end %s: %s", operation->id, error->message);
      if (operation->self->disposed)
        return;
      message = g_strdup_printf (_("“%s” was removed, but deleting its key from the keyring failed. If the keyring contains “Menugen API key for %s”, delete that item in Passwords and Keys."),
                                 operation->name, operation->name);
      show_toast (operation->self, message);
    }

  g_signal_emit (operation->self, signals[BACKEND_REMOVED], 0, operation->id);
}

static void
remove_response_cb (AdwMessageDialog   *dialog,
                    const char         *response,
                    MenugenPreferences *self)
{
  RemoveOperation *operation;

  if (!g_str_equal (response, "remove"))
    return;

  operation = g_new0 (RemoveOperation, 1);
  operation->self = g_object_ref (self);
  operation->id = g_strdup (g_object_get_data (G_OBJECT (dialog), "backend-id"));
  operation->name = g_strdup (g_object_get_data (G_OBJECT (dialog), "backend-name"));

  menugen_config_remove_backend (self->settings, operation->id);
  g_debug ("Removed back-end %s", operation->id);
  rebuild_backends_list (self);
  if (self->found_servers != NULL)
    rebuild_discovery_list (self);

  /* Not cancelled with the window: a key must not stay behind because the
   * window closed while the keyring was busy. */
  menugen_secrets_clear_async (operation->id, NULL, key_cleared_cb, operation);
}

static void
models_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = menugen_backend_comfyui_list_models_finish (MENUGEN_BACKEND_COMFYUI (source), result, &error);
  MenugenPreferences *self;
  g_autofree char *model = NULL;
  guint current;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = MENUGEN_PREFERENCES (user_data);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.load-models", TRUE);

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

  model = get_trimmed_text (self->model_row);
  current = find_string_index ((const char * const *) models, model);

  self->filling_editor = TRUE;
  gtk_string_list_splice (self->server_models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->server_models)),
                          (const char * const *) models);
  adw_combo_row_set_selected (self->server_models_row, current);
  self->filling_editor = FALSE;

  show_editor_message (self, NULL);
  update_kind_rows (self);
}

static void
workflow_chosen_cb (GtkNativeDialog    *chooser,
                    int                 response,
                    MenugenPreferences *self)
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
add_backend_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new (menugen_backend_kinds ()[0]);

  open_editor (MENUGEN_PREFERENCES (widget), config, TRUE);
}

static void
edit_backend_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  menugen_preferences_edit_backend (MENUGEN_PREFERENCES (widget), g_variant_get_string (parameter, NULL));
}

static void
remove_backend_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "backends");
  g_autoptr(MenugenBackendConfig) config = NULL;
  const char *name;
  GtkWidget *dialog;
  AdwMessageDialog *message_dialog;

  if (!g_strv_contains ((const char * const *) ids, id))
    return;

  config = menugen_config_load_backend (self->settings, id);
  name = is_blank (config->name) ? id : config->name;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL,
                                   _("Its settings and its API key will be deleted from this computer."));
  message_dialog = ADW_MESSAGE_DIALOG (dialog);

  adw_message_dialog_format_heading (message_dialog, _("Remove “%s”?"), name);
  adw_message_dialog_add_responses (message_dialog,
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (message_dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (message_dialog, "cancel");
  adw_message_dialog_set_close_response (message_dialog, "cancel");

  g_object_set_data_full (G_OBJECT (dialog), "backend-id", g_strdup (id), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "backend-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
find_servers_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  start_discovery (MENUGEN_PREFERENCES (widget));
}

static void
add_found_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
  guint index = g_variant_get_uint32 (parameter);
  g_autoptr(MenugenBackendConfig) config = NULL;
  g_autofree char *message = NULL;

  if (self->found_servers == NULL || index >= self->found_servers->len)
    return;

  config = menugen_backend_config_copy (self->found_servers->pdata[index]);
  g_free (config->id);
  config->id = menugen_config_new_backend_id (self->settings, config->kind);
  menugen_config_save_backend (self->settings, config);
  g_debug ("Added discovered back-end %s at %s", config->id, menugen_backend_config_get_url (config));

  rebuild_backends_list (self);
  rebuild_discovery_list (self);

  message = g_strdup_printf (_("Added “%s”"), config->name);
  show_toast (self, message);
  g_signal_emit (self, signals[BACKEND_SAVED], 0, config->id);
}

static void
save_backend_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
  g_autoptr(MenugenBackendConfig) config = read_editor (self);
  g_autoptr(SecretText) key = get_trimmed_text (self->key_row);
  gboolean new_key = gtk_widget_get_visible (GTK_WIDGET (self->key_group))
                     && gtk_widget_get_visible (GTK_WIDGET (self->key_row))
                     && !is_blank (key);
  gboolean has_key = new_key || self->key_state == KEY_STATE_KEYRING || self->key_state == KEY_STATE_SESSION;
  g_autoptr(GError) error = NULL;
  SaveOperation *operation;

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

  operation = g_new0 (SaveOperation, 1);
  operation->self = g_object_ref (self);
  operation->config = g_steal_pointer (&config);
  operation->key = g_steal_pointer (&key);

  show_editor_message (self, NULL);
  gtk_widget_action_set_enabled (widget, "prefs.save-backend", FALSE);
  menugen_secrets_store_async (operation->config->id, operation->config->name, operation->key,
                               self->cancellable, key_stored_cb, operation);
}

static void
close_editor_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  close_editor (MENUGEN_PREFERENCES (widget));
}

static void
replace_key_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);

  gtk_widget_set_visible (GTK_WIDGET (self->key_status_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->key_row), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}

static void
load_models_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
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
  gtk_widget_action_set_enabled (widget, "prefs.load-models", FALSE);
  /* The editor cancellable is cancelled before self goes away. */
  menugen_backend_comfyui_list_models_async (MENUGEN_BACKEND_COMFYUI (backend), self->editor_cancellable,
                                             models_listed_cb, self);
}

static void
choose_workflow_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->workflow_chooser != NULL)
    return;

  gtk_file_filter_set_name (filter, _("ComfyUI workflows (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.json");

  self->workflow_chooser = gtk_file_chooser_native_new (_("Choose a Workflow"), GTK_WINDOW (self),
                                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                                        _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->workflow_chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->workflow_chooser), TRUE);
  g_signal_connect (self->workflow_chooser, "response", G_CALLBACK (workflow_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->workflow_chooser));
}

static void
reset_template_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);
  AdwToast *toast = adw_toast_new (_("Template reset to the default"));

  g_free (self->template_before_reset);
  self->template_before_reset = g_settings_get_string (self->settings, "prompt-template");
  g_settings_reset (self->settings, "prompt-template");

  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "prefs.undo-reset");
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

static void
undo_reset_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (widget);

  if (self->template_before_reset != NULL)
    g_settings_set_string (self->settings, "prompt-template", self->template_before_reset);
  g_clear_pointer (&self->template_before_reset, g_free);
}

/* Callbacks */

static void
settings_changed_cb (GSettings          *settings,
                     const char         *key,
                     MenugenPreferences *self)
{
  if (g_str_equal (key, "backends") || g_str_equal (key, "local-only"))
    rebuild_backends_list (self);
  else if (g_str_equal (key, "default-backend"))
    update_default_checks (self);
  else if (g_str_equal (key, "prompt-template"))
    {
      if (!self->writing_template)
        load_template (self);
      update_reset_action (self);
    }

  if (g_str_equal (key, "dish-names"))
    update_language_row (self);

  update_preview (self);
}

/* Writes the template only when the user changed it. The built-in text is
 * stored as "", so that the setting follows later versions of it. */
static void
template_changed_cb (GtkTextBuffer      *buffer,
                     MenugenPreferences *self)
{
  g_autofree char *text = NULL;
  g_autofree char *stored = NULL;
  const char *value;

  if (self->updating_template)
    return;

  text = get_template_text (self);
  stored = g_settings_get_string (self->settings, "prompt-template");
  value = g_str_equal (text, self->builtin_template) ? "" : text;

  /* The buffer stays as typed, even when it is empty and the key then
   * means the built-in text. */
  self->writing_template = TRUE;
  if (!g_str_equal (stored, value))
    g_settings_set_string (self->settings, "prompt-template", value);
  self->writing_template = FALSE;

  update_preview (self);
}

/* Overrides */

static void
bind_settings (MenugenPreferences *self)
{
  g_settings_bind_with_mapping (self->settings, "dish-names", self->dish_names_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, dish_names_get_mapping, dish_names_set_mapping,
                                NULL, NULL);
  g_settings_bind (self->settings, "translation-language", self->language_entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "style", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, style_get_mapping, style_set_mapping,
                                NULL, NULL);
  g_settings_bind (self->settings, "connect-timeout", self->connect_timeout_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "read-timeout", self->read_timeout_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "local-only", self->local_only_switch, "active", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
}

static void
menugen_preferences_constructed (GObject *object)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (object);
  g_auto(GStrv) ids = NULL;

  G_OBJECT_CLASS (menugen_preferences_parent_class)->constructed (object);

  g_assert (self->settings != NULL);
  bind_settings (self);
  load_template (self);
  update_reset_action (self);
  update_language_row (self);
  update_preview (self);
  rebuild_backends_list (self);

  /* First run: offer what runs on this computer before anything else. */
  ids = g_settings_get_strv (self->settings, "backends");
  if (ids[0] == NULL)
    start_discovery (self);
}

static void
menugen_preferences_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_preferences_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (object);

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
menugen_preferences_dispose (GObject *object)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->editor_cancellable);
  if (self->workflow_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->workflow_chooser));
  g_clear_object (&self->workflow_chooser);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  /* The template children outlive this point while the parent class
   * destroys them, and must not call back into a half-disposed self. */
  if (self->kind_row != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->kind_row, self);
      g_signal_handlers_disconnect_by_data (self->server_models_row, self);
      g_signal_handlers_disconnect_by_data (self->workflow_row, self);
      g_signal_handlers_disconnect_by_data (gtk_text_view_get_buffer (self->template_view), self);
      clear_list_box (self->backends_list);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), MENUGEN_TYPE_PREFERENCES);

  G_OBJECT_CLASS (menugen_preferences_parent_class)->dispose (object);
}

static void
menugen_preferences_finalize (GObject *object)
{
  MenugenPreferences *self = MENUGEN_PREFERENCES (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->editor_cancellable);
  g_clear_pointer (&self->found_servers, g_ptr_array_unref);
  g_clear_error (&self->discovery_error);
  g_free (self->builtin_template);
  g_free (self->template_before_reset);
  g_free (self->editing_id);
  g_free (self->editor_kind);
  g_free (self->workflow_file);

  G_OBJECT_CLASS (menugen_preferences_parent_class)->finalize (object);
}

static void
install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "prefs.add-backend", NULL, add_backend_activated);
  gtk_widget_class_install_action (widget_class, "prefs.edit-backend", "s", edit_backend_activated);
  gtk_widget_class_install_action (widget_class, "prefs.remove-backend", "s", remove_backend_activated);
  gtk_widget_class_install_action (widget_class, "prefs.find-servers", NULL, find_servers_activated);
  gtk_widget_class_install_action (widget_class, "prefs.add-found", "u", add_found_activated);
  gtk_widget_class_install_action (widget_class, "prefs.save-backend", NULL, save_backend_activated);
  gtk_widget_class_install_action (widget_class, "prefs.close-editor", NULL, close_editor_activated);
  gtk_widget_class_install_action (widget_class, "prefs.replace-key", NULL, replace_key_activated);
  gtk_widget_class_install_action (widget_class, "prefs.load-models", NULL, load_models_activated);
  gtk_widget_class_install_action (widget_class, "prefs.choose-workflow", NULL, choose_workflow_activated);
  gtk_widget_class_install_action (widget_class, "prefs.reset-template", NULL, reset_template_activated);
  gtk_widget_class_install_action (widget_class, "prefs.undo-reset", NULL, undo_reset_activated);
}

static void
bind_template_children (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, discovery_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, discovery_list);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, backends_list);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, dish_names_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, language_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, language_entry);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, style_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, template_view);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, template_error_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, preview_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, connect_timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, read_timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, local_only_switch);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, editor_page);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, editor_title);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, editor_message_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, editor_message_label);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, kind_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, name_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, connection_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, url_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, model_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, load_models_button);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, server_models_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, server_models);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, key_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, key_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, workflow_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, workflow_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, workflow_file_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, vision_group);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, vision_url_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, vision_model_row);
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, draw_kind_row);
}

static void
menugen_preferences_class_init (MenugenPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = menugen_preferences_constructed;
  object_class->set_property = menugen_preferences_set_property;
  object_class->get_property = menugen_preferences_get_property;
  object_class->dispose = menugen_preferences_dispose;
  object_class->finalize = menugen_preferences_finalize;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[BACKEND_SAVED] =
    g_signal_new ("backend-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[BACKEND_REMOVED] =
    g_signal_new ("backend-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Menugen/ui/menugen-preferences.ui");
  bind_template_children (widget_class);
  install_actions (widget_class);
}

static void
fill_choice_models (MenugenPreferences *self)
{
  g_autoptr(GtkStringList) styles = gtk_string_list_new (NULL);
  g_autoptr(GListModel) kinds = create_kind_labels (menugen_backend_kinds ());
  g_autoptr(GListModel) draw_kinds = create_kind_labels (get_draw_kinds ());
  const char * const *style_ids = menugen_instruction_get_styles ();

  for (guint i = 0; style_ids[i] != NULL; i++)
    gtk_string_list_append (styles, menugen_instruction_get_style_label (style_ids[i]));

  adw_combo_row_set_model (self->style_row, G_LIST_MODEL (styles));
  adw_combo_row_set_model (self->kind_row, kinds);
  adw_combo_row_set_model (self->draw_kind_row, draw_kinds);
}

static void
menugen_preferences_init (MenugenPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->editor_cancellable = g_cancellable_new ();
  self->builtin_template = menugen_instruction_load_default_template ();

  fill_choice_models (self);

  g_signal_connect_swapped (self->kind_row, "notify::selected", G_CALLBACK (kind_selected_cb), self);
  g_signal_connect_swapped (self->server_models_row, "notify::selected", G_CALLBACK (server_model_selected_cb), self);
  g_signal_connect_swapped (self->workflow_row, "notify::selected", G_CALLBACK (update_workflow_rows), self);
  g_signal_connect (gtk_text_view_get_buffer (self->template_view), "changed",
                    G_CALLBACK (template_changed_cb), self);
}

/**
 * menugen_preferences_new:
 * @parent: (nullable): the window the preferences belong to
 * @settings: the com.example.Menugen settings to show and change
 *
 * Returns: (transfer none): a new Preferences window, not yet presented
 */
GtkWindow *
menugen_preferences_new (GtkWindow *parent,
                         GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (MENUGEN_TYPE_PREFERENCES,
                       "settings", settings,
                       "transient-for", parent,
                       NULL);
}

/**
 * menugen_preferences_edit_backend:
 * @self: the Preferences window
 * @id: (nullable): a configured back-end's id, or %NULL to add one
 *
 * Opens the back-end editor, for example from an error that names a
 * back-end whose key is missing.
 */
void
menugen_preferences_edit_backend (MenugenPreferences *self,
                                  const char         *id)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(MenugenBackendConfig) config = NULL;

  g_return_if_fail (MENUGEN_IS_PREFERENCES (self));

  ids = g_settings_get_strv (self->settings, "backends");
  if (id == NULL || !g_strv_contains ((const char * const *) ids, id))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "prefs.add-backend", NULL);
      return;
    }

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (self), "backends");
  config = menugen_config_load_backend (self->settings, id);
  open_editor (self, config, FALSE);
}
