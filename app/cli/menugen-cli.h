#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean menugen_cli_is_requested (int    argc,
                                   char **argv);
int      menugen_cli_run          (int    argc,
                                   char **argv);

G_END_DECLS
