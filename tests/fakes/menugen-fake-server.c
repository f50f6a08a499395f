/* Runs one fake service for tests that start the real menugen binary:
 *   menugen-fake-server KIND SCENARIO
 * prints the base URL on the first line of stdout, then serves until its
 * stdin is closed or it is killed. Request paths and any violations of
 * the service's rules go to stderr, one per line. */

#include <stdio.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>

#include "fake-server.h"

static gboolean
stdin_closed_cb (GIOChannel   *channel,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  char buffer[256];
  gssize got = read (0, buffer, sizeof buffer);

  if (got <= 0)
    {
      g_main_loop_quit (user_data);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(FakeServer) fake = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  GPtrArray *violations;
  GPtrArray *paths;

  if (argc < 3 || !fake_server_has_kind (argv[1]))
    {
      g_autofree char *kinds = fake_server_list_kinds ();

      if (argc >= 3)
        g_printerr ("%s: unknown kind \"%s\"\n", argv[0], argv[1]);
      g_printerr ("usage: %s KIND SCENARIO [KEY], where KIND is one of %s\n", argv[0], kinds);
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  fake = fake_server_new (argv[1], argv[2]);
  if (argc > 3)
    fake_server_set_key (fake, argv[3]);

  g_print ("%s\n", fake_server_get_url (fake));
  fflush (stdout);

  channel = g_io_channel_unix_new (0);
  g_io_add_watch (channel, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_closed_cb, loop);
  g_main_loop_run (loop);

  paths = fake_server_get_paths (fake);
  for (guint i = 0; i < paths->len; i++)
    g_printerr ("request: %s\n", (const char *) g_ptr_array_index (paths, i));

  violations = fake_server_get_violations (fake);
  for (guint i = 0; i < violations->len; i++)
    g_printerr ("violation: %s\n", (const char *) g_ptr_array_index (violations, i));

  return violations->len == 0 ? 0 : 1;
}
