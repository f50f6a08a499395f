#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MENUGEN_TYPE_PREFERENCES (menugen_preferences_get_type ())
G_DECLARE_FINAL_TYPE (MenugenPreferences, menugen_preferences, MENUGEN, PREFERENCES, AdwPreferencesWindow)

/**
 * MenugenPreferences:
 *
 * The Preferences window: configured back-ends with their keys, the
 * instruction template with a live preview, and the network limits.
 *
 * Signals:
 * - "backend-saved" (const char *id): a back-end from the editor or from
 *   the servers found is in the settings, and its key in the keyring or
 *   the session store
 * - "backend-removed" (const char *id): a back-end is gone from the
 *   settings and deleting its key has finished. A failed deletion is
 *   shown in a toast.
 */

GtkWindow *menugen_preferences_new            (GtkWindow  *parent,
                                               GSettings  *settings);

void       menugen_preferences_edit_backend   (MenugenPreferences *self,
                                               const char         *id);

G_END_DECLS
