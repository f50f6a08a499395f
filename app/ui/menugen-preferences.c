#include "config.h"

#include <glib/gi18n.h>

#include "backends/menugen-discovery.h"
#include "core/menugen-config.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-instruction.h"
#include "core/menugen-secrets.h"
#include "ui/menugen-backend-editor.h"
#include "ui/menugen-preferences.h"

/* The preview composes the instruction for a portrait photo, the usual
 * shape of a menu photographed with a phone. */
#define SAMPLE_ASPECT_RATIO "3:4"

/* Nicks of com.example.Menugen.DishNames, in the order of MenugenDishNames
 * and of the dish names combo row. */
static const char * const dish_names_nicks[] = { "original", "translated", "both" };

struct _MenugenPreferences
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  GCancellable *cancellable;         /* discovery */
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

  /* Back-end editor, shown as a subpage */
  MenugenBackendEditor *editor;
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

/* The radio button that makes the back-end @id the default one. */
static GtkWidget *
create_default_check (MenugenPreferences *self,
                      const char         *id,
                      const char         *name,
                      gboolean            is_default,
                      GtkCheckButton     *group)
{
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *default_label = g_strdup_printf (_("Use “%s” by default"), name);

  gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), is_default);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (check, _("Default back-end"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, default_label, -1);
  g_object_set_data_full (G_OBJECT (check), "backend-id", g_strdup (id), g_free);
  g_signal_connect (check, "toggled", G_CALLBACK (default_toggled_cb), self);

  return check;
}

static GtkWidget *
create_backend_row (MenugenPreferences         *self,
                    const MenugenBackendConfig *config,
                    gboolean                    is_default,
                    GtkCheckButton             *group)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  const char *name = is_blank (config->name) ? config->id : config->name;
  GtkWidget *check = create_default_check (self, config->id, name, is_default, group);
  g_autofree char *subtitle = NULL;
  g_autofree char *edit_label = NULL;
  g_autofree char *remove_label = NULL;

  /* Translators: a back-end's kind and its server URL */
  subtitle = g_strdup_printf (_("%s · %s"), menugen_backend_kind_label (config->kind),
                              menugen_backend_config_get_url (config));
  edit_label = g_strdup_printf (_("Edit “%s”"), name);
  remove_label = g_strdup_printf (_("Remove “%s”"), name);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (row, subtitle);

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

/* Back-end editor */

static void
open_editor (MenugenPreferences         *self,
             const MenugenBackendConfig *config)
{
  menugen_backend_editor_edit (self->editor, config);
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), GTK_WIDGET (self->editor));
  gtk_widget_grab_focus (GTK_WIDGET (self->editor));
}

static void
editor_saved_cb (MenugenBackendEditor       *editor,
                 const MenugenBackendConfig *config,
                 MenugenPreferences         *self)
{
  g_autofree char *message = NULL;

  rebuild_backends_list (self);
  if (self->found_servers != NULL)
    rebuild_discovery_list (self);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));

  message = g_strdup_printf (_("Saved “%s”"), config->name);
  show_toast (self, message);
  g_signal_emit (self, signals[BACKEND_SAVED], 0, config->id);
}

static void
editor_cancelled_cb (MenugenBackendEditor *editor,
                     MenugenPreferences   *self)
{
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

/* Removing */

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

/* Actions */

static void
add_backend_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  open_editor (MENUGEN_PREFERENCES (widget), NULL);
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
  g_object_set (self->editor, "settings", self->settings, NULL);
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
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  /* The template children outlive this point while the parent class
   * destroys them, and must not call back into a half-disposed self. */
  if (self->editor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->editor, self);
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
  g_clear_pointer (&self->found_servers, g_ptr_array_unref);
  g_clear_error (&self->discovery_error);
  g_free (self->builtin_template);
  g_free (self->template_before_reset);

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
  gtk_widget_class_bind_template_child (widget_class, MenugenPreferences, editor);
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

  g_type_ensure (MENUGEN_TYPE_BACKEND_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Menugen/ui/menugen-preferences.ui");
  bind_template_children (widget_class);
  install_actions (widget_class);
}

static void
fill_choice_models (MenugenPreferences *self)
{
  g_autoptr(GtkStringList) styles = gtk_string_list_new (NULL);
  const char * const *style_ids = menugen_instruction_get_styles ();

  for (guint i = 0; style_ids[i] != NULL; i++)
    gtk_string_list_append (styles, menugen_instruction_get_style_label (style_ids[i]));

  adw_combo_row_set_model (self->style_row, G_LIST_MODEL (styles));
}

static void
menugen_preferences_init (MenugenPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->builtin_template = menugen_instruction_load_default_template ();

  fill_choice_models (self);

  g_signal_connect (self->editor, "saved", G_CALLBACK (editor_saved_cb), self);
  g_signal_connect (self->editor, "cancelled", G_CALLBACK (editor_cancelled_cb), self);
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
  open_editor (self, config);
}
