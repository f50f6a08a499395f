#pragma once

#include <adwaita.h>

#include "core/menugen-config.h"

G_BEGIN_DECLS

#define MENUGEN_TYPE_BACKEND_EDITOR (menugen_backend_editor_get_type ())
G_DECLARE_FINAL_TYPE (MenugenBackendEditor, menugen_backend_editor, MENUGEN, BACKEND_EDITOR, AdwBin)

/**
 * MenugenBackendEditor:
 *
 * The page that adds or edits one back-end: its kind, name, server, model,
 * API key and the fields of its kind. It checks the entries, stores the key
 * in the keyring (or, when the user agrees, for this session only) and
 * writes the back-end to the "settings" property.
 *
 * Its grab_focus() moves the focus to the name row.
 *
 * Signals:
 * - "saved" (MenugenBackendConfig *config): the back-end is in the settings
 *   and its new key, if any, in the keyring or the session store
 * - "cancelled": the user left the editor without saving
 */

void menugen_backend_editor_edit (MenugenBackendEditor       *self,
                                  const MenugenBackendConfig *config);

G_END_DECLS
