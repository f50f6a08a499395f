#pragma once

#include <adwaita.h>

#include "backends/menugen-discovery.h"
#include "core/menugen-photo.h"
#include "ui/menugen-application.h"
#include "ui/menugen-viewer.h"

G_BEGIN_DECLS

/**
 * MenugenWindowState:
 * @MENUGEN_WINDOW_STATE_EMPTY: no photo yet
 * @MENUGEN_WINDOW_STATE_PHOTO: a prepared photo is shown, ready to generate
 * @MENUGEN_WINDOW_STATE_BUSY: a photo is loading or a menu is being generated
 * @MENUGEN_WINDOW_STATE_RESULT: the generated menu is shown
 *
 * What the window shows. An error banner can appear over any state.
 */
typedef enum {
  MENUGEN_WINDOW_STATE_EMPTY,
  MENUGEN_WINDOW_STATE_PHOTO,
  MENUGEN_WINDOW_STATE_BUSY,
  MENUGEN_WINDOW_STATE_RESULT,
} MenugenWindowState;

#define MENUGEN_TYPE_WINDOW (menugen_window_get_type ())
G_DECLARE_FINAL_TYPE (MenugenWindow, menugen_window, MENUGEN, WINDOW, AdwApplicationWindow)

MenugenWindow      *menugen_window_new               (MenugenApplication *application);
void                menugen_window_set_discovery_targets (const MenugenDiscoveryTarget *targets);

void                menugen_window_open_file         (MenugenWindow *self,
                                                      GFile         *file);
void                menugen_window_open_texture      (MenugenWindow *self,
                                                      GdkTexture    *texture,
                                                      const char    *name);
gboolean            menugen_window_open_text         (MenugenWindow *self,
                                                      const char    *text,
                                                      const char    *unusable_message);
void                menugen_window_show_error        (MenugenWindow *self,
                                                      const GError  *error,
                                                      gboolean       from_job);
void                menugen_window_save_as_file      (MenugenWindow *self,
                                                      GFile         *destination);

MenugenWindowState  menugen_window_get_state         (MenugenWindow *self);
MenugenPhoto       *menugen_window_get_photo         (MenugenWindow *self);
MenugenViewer      *menugen_window_get_viewer        (MenugenWindow *self);
const char         *menugen_window_get_error_message (MenugenWindow *self);

G_END_DECLS
