#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "cli/menugen-cli.h"
#include "ui/menugen-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GApplication) app = NULL;

#ifdef MENUGEN_PIXBUF_LOADERS_CACHE
  if (g_file_test (MENUGEN_PIXBUF_LOADERS_CACHE, G_FILE_TEST_EXISTS))
    g_setenv ("GDK_PIXBUF_MODULE_FILE", MENUGEN_PIXBUF_LOADERS_CACHE, FALSE);
#endif

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The command-line job must run without a display, so it is dispatched
   * before GTK is initialised. */
  if (menugen_cli_is_requested (argc, argv))
    return menugen_cli_run (argc, argv);

  app = G_APPLICATION (menugen_application_new ());
  return g_application_run (app, argc, argv);
}
