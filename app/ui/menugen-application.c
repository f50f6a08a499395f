#include "config.h"

#include <glib/gi18n.h>

#include "ui/menugen-application.h"
#include "ui/menugen-preferences.h"
#include "ui/menugen-window.h"

struct _MenugenApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  MenugenHistory *history;
  GtkWindow *preferences;  /* weak: the open Preferences window, if any */
};

G_DEFINE_FINAL_TYPE (MenugenApplication, menugen_application, ADW_TYPE_APPLICATION)

/* Window actions are installed on MenugenWindow's class. Their keys are
 * set here, once, so that the shortcuts window shows the same ones. */
static const struct {
  const char *action;
  const char *accels[4];
} accelerators[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "win.open", { "<Control>o", NULL } },
  { "win.paste", { "<Control>v", NULL } },
  { "win.generate", { "<Control>Return", "<Control>KP_Enter", NULL } },
  { "win.cancel", { "Escape", NULL } },
  { "win.save-as", { "<Control><Shift>s", NULL } },
  { "win.copy", { "<Control>c", NULL } },
  { "win.print", { "<Control>p", NULL } },
  { "win.history", { "<Control>h", NULL } },
  { "win.compare", { "<Control>t", NULL } },
  { "win.zoom-in", { "<Control>plus", "<Control>equal", "<Control>KP_Add", NULL } },
  { "win.zoom-out", { "<Control>minus", "<Control>KP_Subtract", NULL } },
  { "win.zoom-fit", { "<Control>0", "<Control>KP_0", NULL } },
  { "win.zoom-original", { "<Control>1", "<Control>KP_1", NULL } },
};

/* Reuses the active window while it is still empty, so that the first
 * photo of "menugen FILE" does not leave an empty window behind. */
static MenugenWindow *
get_empty_window (MenugenApplication *self)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (MENUGEN_IS_WINDOW (active)
      && menugen_window_get_state (MENUGEN_WINDOW (active)) == MENUGEN_WINDOW_STATE_EMPTY)
    return MENUGEN_WINDOW (active);

  return menugen_window_new (self);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GtkApplication *application = GTK_APPLICATION (user_data);
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (application));

  /* Closing, not destroying, lets each window save its size. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication *application = GTK_APPLICATION (user_data);
  AdwAboutWindow *about = ADW_ABOUT_WINDOW (adw_about_window_new ());

  adw_about_window_set_application_name (about, _("Menugen"));
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, _("Menugen developers"));
  adw_about_window_set_comments (about, _("Turns a photo of a restaurant menu into an illustrated menu with a picture beside every dish."));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  /* Translators: your names, one per line */
  adw_about_window_set_translator_credits (about, _("translator-credits"));

  gtk_window_set_transient_for (GTK_WINDOW (about), gtk_application_get_active_window (application));
  gtk_window_present (GTK_WINDOW (about));
}

/* Opens one Preferences window for the whole application, above the
 * active main window. */
static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MenugenApplication *self = MENUGEN_APPLICATION (user_data);
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->preferences == NULL)
    {
      self->preferences = menugen_preferences_new (MENUGEN_IS_WINDOW (active) ? active : NULL,
                                                   menugen_application_get_settings (self));
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
      gtk_window_set_application (self->preferences, GTK_APPLICATION (self));
    }

  gtk_window_present (self->preferences);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "about", .activate = about_activated },
  { .name = "preferences", .activate = preferences_activated },
};

static void
menugen_application_startup (GApplication *application)
{
  G_APPLICATION_CLASS (menugen_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_actions,
                                   G_N_ELEMENTS (app_actions), application);

  for (guint i = 0; i < G_N_ELEMENTS (accelerators); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application),
                                           accelerators[i].action, accelerators[i].accels);
}

static void
menugen_application_activate (GApplication *application)
{
  MenugenApplication *self = MENUGEN_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (menugen_window_new (self));

  gtk_window_present (window);
}

/* Opens each file in its own window, as one window shows one photo. */
static void
menugen_application_open (GApplication  *application,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  MenugenApplication *self = MENUGEN_APPLICATION (application);

  for (int i = 0; i < n_files; i++)
    {
      MenugenWindow *window = get_empty_window (self);

      menugen_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
menugen_application_dispose (GObject *object)
{
  MenugenApplication *self = MENUGEN_APPLICATION (object);

  if (self->preferences != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
  self->preferences = NULL;
  g_clear_object (&self->settings);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (menugen_application_parent_class)->dispose (object);
}

static void
menugen_application_class_init (MenugenApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = menugen_application_dispose;
  application_class->startup = menugen_application_startup;
  application_class->activate = menugen_application_activate;
  application_class->open = menugen_application_open;
}

static void
menugen_application_init (MenugenApplication *self)
{
}

MenugenApplication *
menugen_application_new (void)
{
  return g_object_new (MENUGEN_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/com/example/Menugen",
                       NULL);
}

/* Returns the application's settings. They are created on first use, so
 * creating the application does not need the installed schema. */
GSettings *
menugen_application_get_settings (MenugenApplication *self)
{
  g_return_val_if_fail (MENUGEN_IS_APPLICATION (self), NULL);

  if (self->settings == NULL)
    self->settings = g_settings_new (APP_ID);

  return self->settings;
}

MenugenHistory *
menugen_application_get_history (MenugenApplication *self)
{
  g_return_val_if_fail (MENUGEN_IS_APPLICATION (self), NULL);

  if (self->history == NULL)
    self->history = menugen_history_new_default ();

  return self->history;
}
