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
 * Signals, emitted when the change is complete, settings and keyring both:
 * - "backend-saved" (const char *id): the editor saved a back-end
 * - "backend-removed" (const char *id): a back-end and its key are gone
 */

GtkWindow *menugen_preferences_new            (GtkWindow  *parent,
                                               GSettings  *settings);

void       menugen_preferences_edit_backend   (MenugenPreferences *self,
                                               const char         *id);

G_END_DECLS
