/* Runs the real menugen binary in command-line mode against the standalone
 * fake server, the way a user or a script would. */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "core/menugen-png.h"
#include "fake-server.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"
#define RUN_TIMEOUT_S 60

typedef struct {
  GSubprocess *process;
  GDataInputStream *stdout_lines;
  char *url;
} FakeProcess;

typedef struct {
  gboolean done;
  int status;
  char *stdout_text;
  char *stderr_text;
} CliResult;

typedef struct {
  char *root;           /* HOME of the run, removed at the end */
  char *data_home;      /* XDG_DATA_HOME */
  char *output;         /* path given to --output */
} Scratch;

static void
cli_result_free (CliResult *result)
{
  g_free (result->stdout_text);
  g_free (result->stderr_text);
  g_free (result);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

static FakeProcess *
fake_process_start (const char *kind,
                    const char *scenario)
{
  const char *binary = g_getenv ("MENUGEN_FAKE_SERVER");
  FakeProcess *fake = g_new0 (FakeProcess, 1);
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_assert_nonnull (binary);
  fake->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                    | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                    &error, binary, kind, scenario, NULL);
  g_assert_no_error (error);

  fake->stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fake->process));
  fake->url = g_data_input_stream_read_line_utf8 (fake->stdout_lines, &length, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fake->url);
  g_assert_true (g_str_has_prefix (fake->url, "http://127.0.0.1:"));

  return fake;
}

/* Closes the fake's stdin, which ends it, and returns what it printed on
 * stderr: one "request:" line per request and any violations. */
static char *
fake_process_stop (FakeProcess *fake)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_communicate_utf8 (fake->process, NULL, NULL, NULL, &stderr_text, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fake->process));
  if (g_subprocess_get_exit_status (fake->process) != 0)
    g_test_message ("fake server stderr:\n%s", stderr_text);
  g_assert_cmpint (g_subprocess_get_exit_status (fake->process), ==, 0);

  g_clear_object (&fake->stdout_lines);
  g_clear_object (&fake->process);
  g_free (fake->url);
  g_free (fake);

  return g_steal_pointer (&stderr_text);
}

static void
scratch_init (Scratch *scratch)
{
  scratch->root = menugen_test_make_scratch_dir ();
  scratch->data_home = g_build_filename (scratch->root, "data", NULL);
  scratch->output = g_build_filename (scratch->root, "out", "menu.png", NULL);
  g_assert_cmpint (g_mkdir_with_parents (scratch->data_home, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (scratch->root, 0700), ==, 0);
  {
    g_autofree char *out_dir = g_path_get_dirname (scratch->output);

    g_assert_cmpint (g_mkdir_with_parents (out_dir, 0700), ==, 0);
  }
}

static void
scratch_clear (Scratch *scratch)
{
  menugen_test_remove_tree (scratch->root);
  g_free (scratch->root);
  g_free (scratch->data_home);
  g_free (scratch->output);
}

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CliResult *cli = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &cli->stdout_text, &cli->stderr_text, &error);
  g_assert_no_error (error);
  if (cli->stdout_text == NULL)
    cli->stdout_text = g_strdup ("");
  if (cli->stderr_text == NULL)
    cli->stderr_text = g_strdup ("");
  cli->done = TRUE;
}

static gboolean
send_sigint_cb (gpointer user_data)
{
  g_subprocess_send_signal (user_data, SIGINT);

  return G_SOURCE_REMOVE;
}

/**
 * run_cli_interrupted:
 * @scratch: the run's HOME and XDG_DATA_HOME
 * @key: value of GEMINI_API_KEY and OPENAI_API_KEY, "" for none
 * @args: arguments after the binary's name, %NULL-terminated
 * @interrupt_after_ms: when not 0, sends SIGINT after this many milliseconds
 *
 * Runs the binary without a display and with G_MESSAGES_DEBUG=all, and
 * kills it when it takes longer than RUN_TIMEOUT_S.
 */
static CliResult *
run_cli_interrupted (Scratch            *scratch,
                     const char         *key,
                     const char * const *args,
                     guint               interrupt_after_ms)
{
  const char *binary = g_getenv ("MENUGEN_BINARY");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  CliResult *cli = g_new0 (CliResult, 1);

  g_assert_nonnull (binary);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "HOME", scratch->root, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", scratch->data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", scratch->root, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", scratch->root, TRUE);
  g_subprocess_launcher_setenv (launcher, "GEMINI_API_KEY", key, TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", key, TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENROUTER_API_KEY", "", TRUE);
  g_subprocess_launcher_setenv (launcher, "MENUGEN_API_KEY", "", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  /* Relative paths in @args resolve inside the scratch folder. */
  g_subprocess_launcher_set_cwd (launcher, scratch->root);

  g_ptr_array_add (argv, (char *) binary);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, cli);
  if (interrupt_after_ms > 0)
    g_timeout_add_full (G_PRIORITY_DEFAULT, interrupt_after_ms, send_sigint_cb,
                        g_object_ref (process), g_object_unref);
  if (!menugen_test_wait_for (&cli->done, RUN_TIMEOUT_S))
    {
      g_subprocess_force_exit (process);
      g_error ("menugen did not finish within %d s", RUN_TIMEOUT_S);
    }

  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  cli->status = g_subprocess_get_exit_status (process);
  g_test_message ("menugen exited with %d; stderr:\n%s", cli->status, cli->stderr_text);

  return cli;
}

static CliResult *
run_cli (Scratch            *scratch,
         const char         *key,
         const char * const *args)
{
  return run_cli_interrupted (scratch, key, args, 0);
}

static GPtrArray *
list_history_folders (const Scratch *scratch)
{
  g_autofree char *root = g_build_filename (scratch->data_home, "menugen", "history", NULL);
  GPtrArray *folders = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (root, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (folders, g_steal_pointer (&path));
    }

  return folders;
}

static gboolean
contains_bytes (GBytes     *haystack,
                const char *needle)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (haystack, &length);
  gsize needle_length = strlen (needle);

  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (data + i, needle, needle_length) == 0)
      return TRUE;

  return FALSE;
}

static void
assert_file_lacks_key (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GBytes) bytes = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  bytes = g_bytes_new (contents, length);
  g_assert_false (contains_bytes (bytes, FAKE_KEY));
}

/* The key must not show in any output or file the run left, whatever the
 * outcome. */
static void
assert_no_key_anywhere (const Scratch   *scratch,
                        const CliResult *cli)
{
  g_autoptr(GPtrArray) folders = list_history_folders (scratch);

  g_assert_null (strstr (cli->stdout_text, FAKE_KEY));
  g_assert_null (strstr (cli->stderr_text, FAKE_KEY));
  assert_file_lacks_key (scratch->output);

  for (guint i = 0; i < folders->len; i++)
    {
      g_autofree char *record = g_build_filename (folders->pdata[i], "job.json", NULL);
      g_autofree char *result = g_build_filename (folders->pdata[i], "result.png", NULL);

      assert_file_lacks_key (record);
      assert_file_lacks_key (result);
    }
}

/* Returns the lines of @text that start with "menugen: ". */
static GPtrArray *
menugen_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "menugen: "))
      g_ptr_array_add (found, g_strdup (lines[i]));

  return found;
}

/* Checks that a failed run reported its error as the last "menugen: "
 * line, exactly once, and returns that line. */
static char *
assert_one_error_line (const CliResult *cli)
{
  g_autoptr(GPtrArray) lines = menugen_lines (cli->stderr_text);
  const char *last;
  guint repeats = 0;

  g_assert_cmpuint (lines->len, >, 0);
  last = g_ptr_array_index (lines, lines->len - 1);
  g_assert_cmpuint (strlen (last), >, strlen ("menugen: ") + 10);

  for (guint i = 0; i < lines->len; i++)
    if (g_str_equal (g_ptr_array_index (lines, i), last))
      repeats++;
  g_assert_cmpuint (repeats, ==, 1);

  return g_strdup (last);
}

static void
assert_no_requests (const char *fake_stderr)
{
  g_assert_null (strstr (fake_stderr, "request: "));
}

static void
assert_output_has_provenance (const Scratch *scratch,
                              const char    *backend)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (scratch->output, &error);
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GPtrArray) folders = list_history_folders (scratch);
  g_autofree char *photo_sha256 = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_no_error (error);
  g_assert_nonnull (pixbuf);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), >, 1);

  g_assert_true (g_file_get_contents (scratch->output, &contents, &length, NULL));
  {
    g_autoptr(GBytes) png = g_bytes_new (contents, length);

    text = menugen_png_read_text (png, &error);
  }
  g_assert_no_error (error);
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_SOFTWARE));
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_SOURCE));
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_CREATION_TIME));
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_DESCRIPTION));
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_PHOTO_SHA256));
  g_assert_nonnull (strstr (g_hash_table_lookup (text, MENUGEN_PNG_KEY_SOURCE), backend));

  g_assert_cmpuint (folders->len, ==, 1);
  {
    g_autofree char *record = g_build_filename (folders->pdata[0], "job.json", NULL);
    g_autoptr(GDir) dir = g_dir_open (folders->pdata[0], 0, NULL);
    const char *name;

    g_assert_true (g_file_test (record, G_FILE_TEST_IS_REGULAR));
    while ((name = g_dir_read_name (dir)) != NULL)
      if (g_str_has_prefix (name, "photo."))
        {
          g_autofree char *photo_path = g_build_filename (folders->pdata[0], name, NULL);
          g_autofree char *photo = NULL;
          gsize photo_length = 0;

          g_assert_true (g_file_get_contents (photo_path, &photo, &photo_length, NULL));
          photo_sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) photo, photo_length);
        }
  }
  g_assert_nonnull (photo_sha256);
  g_assert_cmpstr (g_hash_table_lookup (text, MENUGEN_PNG_KEY_PHOTO_SHA256), ==, photo_sha256);
}

/* The output folder must hold only the output, without the temporary copy
 * that the atomic write goes through. */
static void
assert_output_folder_clean (const Scratch *scratch)
{
  g_autofree char *folder = g_path_get_dirname (scratch->output);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_cmpstr (name, ==, "menu.png");
      count++;
    }
  g_assert_cmpuint (count, ==, 1);
}

static void
assert_output_folder_empty (const Scratch *scratch)
{
  g_autofree char *folder = g_path_get_dirname (scratch->output);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);

  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
}

/* Up to three real menu photos, or one generated portrait JPEG when the
 * shared folder is absent. Generated files go into @scratch_dir. */
static GPtrArray *
pick_photos (const char *scratch_dir,
             guint       count)
{
  g_autoptr(GPtrArray) menus = menugen_test_list_menu_photos ();
  GPtrArray *photos = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < menus->len && photos->len < count; i++)
    g_ptr_array_add (photos, g_strdup (menus->pdata[i]));

  if (photos->len == 0)
    {
      g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (900, 1200, 6, TRUE);
      char *path = g_build_filename (scratch_dir, "generated-menu.jpg", NULL);

      g_assert_true (g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
      g_ptr_array_add (photos, path);
    }

  return photos;
}

/* Runs one successful job. Without @name_backend the command line leaves
 * out --backend, so the binary picks the kind from the key variables. */
static void
run_success (const char *backend,
             const char *scenario,
             const char *photo,
             gboolean    name_backend)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autofree char *expected_stdout = NULL;
  FakeProcess *fake = fake_process_start (backend, scenario);
  Scratch scratch;

  scratch_init (&scratch);
  g_test_message ("photo %s, back-end %s", photo, backend);

  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--url", fake->url, "--backend", backend, NULL };

    if (!name_backend)
      args[6] = NULL;
    cli = run_cli (&scratch, FAKE_KEY, args);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 0);
  assert_output_folder_clean (&scratch);
  expected_stdout = g_strconcat (scratch.output, "\n", NULL);
  g_assert_true (g_str_has_suffix (cli->stdout_text, expected_stdout));
  g_assert_nonnull (strstr (fake_stderr, "request: "));

  lines = menugen_lines (cli->stderr_text);
  g_assert_cmpuint (lines->len, >=, 3);
  g_assert_nonnull (strstr (cli->stderr_text, "menugen: uploading "));
  g_assert_nonnull (strstr (cli->stderr_text, "menugen: saved to "));

  assert_output_has_provenance (&scratch, backend);
  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

static void
test_gemini_success (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GPtrArray) photos = pick_photos (dir, 2);

  for (guint i = 0; i < photos->len; i++)
    run_success ("gemini", "success-portrait", photos->pdata[i], i == 0);

  menugen_test_remove_tree (dir);
}

static void
test_openai_images_success (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GPtrArray) photos = pick_photos (dir, 3);

  /* A different photo from the Gemini runs when the folder has three. */
  run_success ("openai-images", "success-portrait", photos->pdata[photos->len - 1], TRUE);

  menugen_test_remove_tree (dir);
}

static void
test_refusal (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *error_line = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GPtrArray) photos = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "gemini-refusal-image-prohibited-no-content");
  Scratch scratch;

  scratch_init (&scratch);
  photos = pick_photos (scratch.root, 1);
  {
    const char *args[] = { "--generate", photos->pdata[0], "--output", scratch.output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 1);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "IMAGE_PROHIBITED_CONTENT"));
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));
  folders = list_history_folders (&scratch);
  g_assert_cmpuint (folders->len, ==, 0);
  g_assert_cmpstr (cli->stdout_text, ==, "");

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

static void
test_missing_key (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *error_line = NULL;
  g_autoptr(GPtrArray) photos = NULL;
  Scratch scratch;

  scratch_init (&scratch);
  photos = pick_photos (scratch.root, 1);
  {
    /* The default Gemini URL: the run must stop before any request. */
    const char *args[] = { "--generate", photos->pdata[0], "--output", scratch.output,
                           "--backend", "gemini", NULL };

    cli = run_cli (&scratch, "", args);
  }

  g_assert_cmpint (cli->status, !=, 0);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "GEMINI_API_KEY"));
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

static void
test_no_backend_chosen (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *error_line = NULL;
  Scratch scratch;

  scratch_init (&scratch);
  {
    const char *args[] = { "--generate", "menu.jpg", "--output", scratch.output, NULL };

    cli = run_cli (&scratch, "", args);
  }

  g_assert_cmpint (cli->status, ==, 2);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "--backend"));
  g_assert_nonnull (strstr (error_line, "openai-images"));

  scratch_clear (&scratch);
}

static void
test_bad_photo (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *error_line = NULL;
  g_autofree char *photo = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "success-portrait");
  Scratch scratch;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, "Soup of the day 4.50\nBread 1.20\n", -1, NULL));
  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 1);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "menu.jpg"));
  assert_no_requests (fake_stderr);
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));
  folders = list_history_folders (&scratch);
  g_assert_cmpuint (folders->len, ==, 0);

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

/* Runs with a photo path typed relative to the current folder and returns
 * the error line. */
static char *
run_with_relative_photo (Scratch    *scratch,
                         const char *fake_url,
                         const char *photo)
{
  g_autoptr(CliResult) cli = NULL;
  const char *args[] = { "--generate", photo, "--output", scratch->output,
                         "--backend", "gemini", "--url", fake_url, NULL };

  cli = run_cli (scratch, FAKE_KEY, args);
  g_assert_cmpint (cli->status, ==, 1);

  return assert_one_error_line (cli);
}

/* Whether the file is missing or is no image, the error names the photo by
 * the same absolute path, however it was typed. */
static void
test_photo_errors_absolute_path (void)
{
  g_autofree char *fake_stderr = NULL;
  g_autofree char *root = NULL;
  g_autofree char *missing_line = NULL;
  g_autofree char *text_line = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_path = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "success-portrait");
  Scratch scratch;

  scratch_init (&scratch);
  root = realpath (scratch.root, NULL);
  g_assert_nonnull (root);
  text_path = g_build_filename (scratch.root, "menu.jpg", NULL);
  g_assert_true (g_file_set_contents (text_path, "Soup of the day 4.50\n", -1, NULL));
  missing = g_strdup_printf ("“%s/missing.jpg”", root);
  text = g_strdup_printf ("“%s/menu.jpg”", root);

  missing_line = run_with_relative_photo (&scratch, fake->url, "missing.jpg");
  text_line = run_with_relative_photo (&scratch, fake->url, "./menu.jpg");
  fake_stderr = fake_process_stop (fake);

  g_assert_nonnull (strstr (missing_line, "does not exist"));
  g_assert_nonnull (strstr (missing_line, missing));
  g_assert_nonnull (strstr (text_line, "Could not use the photo"));
  g_assert_nonnull (strstr (text_line, text));
  assert_no_requests (fake_stderr);
  scratch_clear (&scratch);
}

/* SIGINT while the fake delays its response by 3 s cancels the job, so
 * the run exits with 130 and leaves no output and no history folder. */
static void
test_interrupt (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
  g_autofree char *photo = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "slow");
  Scratch scratch;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "small-menu.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli_interrupted (&scratch, FAKE_KEY, args, 1500);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 130);
  g_assert_nonnull (strstr (cli->stderr_text, "menugen: waiting for the model"));
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));
  folders = list_history_folders (&scratch);
  g_assert_cmpuint (folders->len, ==, 0);
  g_assert_cmpstr (cli->stdout_text, ==, "");

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

static void
test_unknown_backend (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *error_line = NULL;
  Scratch scratch;

  scratch_init (&scratch);
  {
    const char *args[] = { "--generate", "menu.jpg", "--output", scratch.output,
                           "--backend", "dall-e", NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }

  g_assert_cmpint (cli->status, ==, 2);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "dall-e"));
  g_assert_nonnull (strstr (error_line, "gemini"));
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

static void
test_missing_output (void)
{
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *error_line = NULL;
  Scratch scratch;

  scratch_init (&scratch);
  {
    const char *args[] = { "--generate=menu.jpg", "--backend", "gemini", NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }

  g_assert_cmpint (cli->status, ==, 2);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "--output"));

  assert_no_key_anywhere (&scratch, cli);
  scratch_clear (&scratch);
}

/* Runs one Gemini job whose --output is @output, with a small generated
 * photo at @photo, and returns the run. The fake's stderr goes to
 * @fake_stderr. */
static CliResult *
run_with_output (Scratch     *scratch,
                 const char  *photo,
                 const char  *output,
                 char       **fake_stderr)
{
  FakeProcess *fake = fake_process_start ("gemini", "success-portrait");
  CliResult *cli;

  if (!g_file_test (photo, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);

      g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
    }

  {
    const char *args[] = { "--generate", photo, "--output", output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli (scratch, FAKE_KEY, args);
  }
  *fake_stderr = fake_process_stop (fake);

  return cli;
}

static gboolean
file_starts_with_png_signature (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  return g_file_get_contents (path, &contents, &length, NULL)
         && length > 8 && memcmp (contents, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* Writing over the photo would destroy it, so the run stops before the
 * request, whether --output names the photo or a link to it. */
static void
test_output_is_photo (void)
{
  Scratch scratch;
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
  g_autofree char *photo = NULL;
  g_autofree char *link = NULL;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  link = g_build_filename (scratch.root, "menu-link.png", NULL);
  g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  g_assert_cmpint (symlink (photo, link), ==, 0);

  {
    const char *outputs[] = { photo, link };

    for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
      {
        g_autoptr(CliResult) cli = NULL;
        g_autofree char *fake_stderr = NULL;
        g_autofree char *error_line = NULL;
        g_autofree char *after = NULL;
        gsize after_length = 0;

        cli = run_with_output (&scratch, photo, outputs[i], &fake_stderr);

        g_assert_cmpint (cli->status, ==, 1);
        error_line = assert_one_error_line (cli);
        g_assert_nonnull (strstr (error_line, outputs[i]));
        g_assert_nonnull (strstr (error_line, "--output"));
        assert_no_requests (fake_stderr);
        g_assert_true (g_file_get_contents (photo, &after, &after_length, NULL));
        g_assert_cmpmem (after, after_length, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg));
      }
  }

  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  scratch_clear (&scratch);
}

/* A folder or a dangling link as --output fails before the request. */
static void
test_output_unusable (void)
{
  Scratch scratch;
  g_autofree char *photo = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *dangling = NULL;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  folder = g_path_get_dirname (scratch.output);
  dangling = g_build_filename (scratch.root, "dangling.png", NULL);
  g_assert_cmpint (symlink ("missing-folder/menu.png", dangling), ==, 0);

  {
    const char *outputs[] = { folder, dangling };

    for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
      {
        g_autoptr(CliResult) cli = NULL;
        g_autofree char *fake_stderr = NULL;
        g_autofree char *error_line = NULL;
        g_autoptr(GPtrArray) folders = NULL;

        cli = run_with_output (&scratch, photo, outputs[i], &fake_stderr);

        g_assert_cmpint (cli->status, ==, 1);
        error_line = assert_one_error_line (cli);
        g_assert_nonnull (strstr (error_line, outputs[i]));
        assert_no_requests (fake_stderr);
        folders = list_history_folders (&scratch);
        g_assert_cmpuint (folders->len, ==, 0);
        g_assert_cmpstr (cli->stdout_text, ==, "");
      }
  }

  g_assert_true (g_file_test (dangling, G_FILE_TEST_IS_SYMLINK));
  assert_output_folder_empty (&scratch);
  scratch_clear (&scratch);
}

/* A symbolic link as --output stays a link, and the file it leads to gets
 * the PNG. */
static void
test_output_symlink_kept (void)
{
  Scratch scratch;
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *photo = NULL;
  g_autofree char *target = NULL;
  g_autofree char *expected_stdout = NULL;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  target = g_build_filename (scratch.root, "illustrated.png", NULL);
  g_assert_true (g_file_set_contents (target, "old", -1, NULL));
  g_assert_cmpint (symlink (target, scratch.output), ==, 0);

  cli = run_with_output (&scratch, photo, scratch.output, &fake_stderr);

  g_assert_cmpint (cli->status, ==, 0);
  g_assert_true (g_file_test (scratch.output, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (file_starts_with_png_signature (target));
  expected_stdout = g_strconcat (scratch.output, "\n", NULL);
  g_assert_true (g_str_has_suffix (cli->stdout_text, expected_stdout));
  assert_output_folder_clean (&scratch);
  scratch_clear (&scratch);
}

/* A pipe (or a device such as /dev/null or /dev/stdout) is written in
 * place: renaming over it would replace the node. Stdout then carries no
 * path, as it may be that very pipe. */
static void
test_output_fifo_written_in_place (void)
{
  Scratch scratch;
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *photo = NULL;
  g_autofree char *fifo = NULL;
  char buffer[16] = { 0 };
  GStatBuf status;
  int reader;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  fifo = g_build_filename (scratch.root, "menu.fifo", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  /* The PNG of the 768 x 1024 fake image is a few kilobytes, well within
   * the pipe buffer, so the writer does not wait for this reader. */
  reader = open (fifo, O_RDONLY | O_NONBLOCK);
  g_assert_cmpint (reader, >=, 0);
  cli = run_with_output (&scratch, photo, fifo, &fake_stderr);

  g_assert_cmpint (cli->status, ==, 0);
  g_assert_cmpint (read (reader, buffer, 8), ==, 8);
  g_assert_cmpmem (buffer, 8, "\x89PNG\r\n\x1a\n", 8);
  close (reader);
  g_assert_cmpint (g_lstat (fifo, &status), ==, 0);
  g_assert_true (S_ISFIFO (status.st_mode));
  g_assert_null (strstr (cli->stdout_text, fifo));
  scratch_clear (&scratch);
}

/* A key read from a file saved on Windows ends in a carriage return, which
 * is trimmed. A key with a tab or a non-ASCII character inside is rejected
 * before any request, because the server could echo it in a form that
 * escapes the masking. */
static void
test_key_with_stray_characters (void)
{
  const struct {
    const char *key;
    int status;
  } cases[] = {
    { FAKE_KEY "\r\n", 0 },
    { "  " FAKE_KEY " ", 0 },
    { "test-key-\tnot-real", 1 },
    { "test-key-n\xc3\xb6t-real", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CliResult) cli = NULL;
      g_autofree char *fake_stderr = NULL;
      g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
      g_autofree char *photo = NULL;
      FakeProcess *fake = fake_process_start ("gemini", "success-portrait");
      Scratch scratch;

      scratch_init (&scratch);
      photo = g_build_filename (scratch.root, "menu.jpg", NULL);
      g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
      {
        const char *args[] = { "--generate", photo, "--output", scratch.output,
                               "--backend", "gemini", "--url", fake->url, NULL };

        cli = run_cli (&scratch, cases[i].key, args);
      }
      fake_stderr = fake_process_stop (fake);

      g_assert_cmpint (cli->status, ==, cases[i].status);
      if (cases[i].status != 0)
        {
          g_autofree char *error_line = assert_one_error_line (cli);

          g_assert_nonnull (strstr (error_line, "API key"));
          assert_no_requests (fake_stderr);
          g_assert_null (strstr (cli->stderr_text, "not-real"));
        }

      assert_no_key_anywhere (&scratch, cli);
      scratch_clear (&scratch);
    }
}

/* "menugen --help" must show the command-line options, as the window
 * has none of its own. */
static void
test_help_lists_options (void)
{
  const char *options[] = { "--generate", "--output", "--backend", "--url", "--model",
                            "--language", "--dish-names", "--style", "--read-timeout" };
  Scratch scratch;
  g_autoptr(CliResult) cli = NULL;

  scratch_init (&scratch);
  {
    const char *args[] = { "--help", NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }

  g_assert_cmpint (cli->status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    g_assert_nonnull (strstr (cli->stdout_text, options[i]));
  g_assert_nonnull (strstr (cli->stdout_text, "GEMINI_API_KEY"));
  scratch_clear (&scratch);
}

/* An option without its value swallows the next option. The message names
 * what was taken, and GLib's own parse errors point to --help. */
static void
test_option_without_value (void)
{
  const struct {
    const char *args[7];
    const char *expected;
  } cases[] = {
    { { "--generate", "--output", "out.png", "--backend", "gemini", NULL }, "“--output” instead of a photo" },
    { { "--generate", "menu.jpg", "--output", "--backend", "gemini", NULL }, "“--backend” instead of a file name" },
    { { "--generate", "menu.jpg", "--output", "out.png", "--backend", NULL }, "menugen --help" },
    { { "--generate", "menu.jpg", "--output", "out.png", "--bogus", NULL }, "menugen --help" },
    { { "--generate", "menu.jpg", "--output", "out.png", "--read-timeout", "-1", NULL }, "--read-timeout" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Scratch scratch;
      g_autoptr(CliResult) cli = NULL;
      g_autofree char *error_line = NULL;

      scratch_init (&scratch);
      cli = run_cli (&scratch, FAKE_KEY, cases[i].args);

      g_assert_cmpint (cli->status, ==, 2);
      error_line = assert_one_error_line (cli);
      g_assert_nonnull (strstr (error_line, cases[i].expected));
      scratch_clear (&scratch);
    }
}

/* Hints in errors that a command-line user can act on name the option,
 * not only the Preferences window. */
static void
test_model_hint_names_option (void)
{
  const struct {
    const char *backend;
    const char *scenario;
    const char *model;
  } cases[] = {
    { "gemini", "success-portrait", "gemini image" },
    { "gemini", "success-portrait", "gemini-0-unknown-image" },
    { "openai-images", "lemonade-error-model-not-found", "Qwen-Image-Edit" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CliResult) cli = NULL;
      g_autofree char *fake_stderr = NULL;
      g_autofree char *error_line = NULL;
      g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
      g_autofree char *photo = NULL;
      FakeProcess *fake = fake_process_start (cases[i].backend, cases[i].scenario);
      Scratch scratch;

      scratch_init (&scratch);
      photo = g_build_filename (scratch.root, "menu.jpg", NULL);
      g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
      {
        const char *args[] = { "--generate", photo, "--output", scratch.output, "--backend", cases[i].backend,
                               "--url", fake->url, "--model", cases[i].model, NULL };

        /* Lemonade takes no key. */
        cli = run_cli (&scratch, g_str_equal (cases[i].backend, "gemini") ? FAKE_KEY : "", args);
      }
      fake_stderr = fake_process_stop (fake);

      g_assert_cmpint (cli->status, ==, 1);
      error_line = assert_one_error_line (cli);
      g_assert_nonnull (strstr (error_line, cases[i].model));
      g_assert_nonnull (strstr (error_line, "--model"));
      scratch_clear (&scratch);
    }
}

/* The strict fake delays by 3 s at most, so a stand-in for Gemini delays
 * its reply beyond the command line's interval between elapsed-time
 * lines. */
#define LONG_WAIT_MS 16500

typedef struct {
  SoupServerMessage *message;
  char *body;
} HeldReply;

static gboolean
release_reply_cb (gpointer user_data)
{
  HeldReply *reply = user_data;
  gsize length = strlen (reply->body);

  soup_server_message_set_status (reply->message, 200, NULL);
  soup_server_message_set_response (reply->message, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&reply->body), length);
  soup_server_message_unpause (reply->message);
  g_object_unref (reply->message);
  g_free (reply);

  return G_SOURCE_REMOVE;
}

static void
hold_reply_cb (SoupServer        *server,
               SoupServerMessage *message,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  HeldReply *reply = g_new0 (HeldReply, 1);
  g_autofree char *image = fake_make_png_base64 (768, 1024);

  reply->message = g_object_ref (message);
  reply->body = g_strdup_printf ("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                                 "[{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"}}]},"
                                 "\"finishReason\":\"STOP\"}]}", image);
  soup_server_message_pause (message);
  g_timeout_add (LONG_WAIT_MS, release_reply_cb, reply);
}

/* A model that takes minutes must not look like a hang: the waiting line
 * comes again with the elapsed time. */
static void
test_long_wait_shows_elapsed (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *url = NULL;
  g_autofree char *photo = NULL;
  Scratch scratch;

  soup_server_add_handler (server, NULL, hold_reply_cb, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--backend", "gemini", "--url", url, NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }

  g_assert_cmpint (cli->status, ==, 0);
  g_assert_nonnull (strstr (cli->stderr_text, "menugen: waiting for the model…\n"));
  g_assert_nonnull (strstr (cli->stderr_text, "menugen: waiting for the model… 0:1"));
  soup_server_disconnect (server);
  scratch_clear (&scratch);
}

/* A square result for a 3:4 photo is saved with a note, and the note on
 * the command line does not claim that an image is shown. */
static void
test_size_note (void)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
  g_autoptr(CliResult) cli = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *photo = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "success-square");
  Scratch scratch;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 0);
  g_assert_nonnull (strstr (cli->stderr_text,
                            "menugen: The model returned a 1024 × 1024 image instead of the requested 3:4 shape. "
                            "It was kept as it is, without stretching.\n"));
  g_assert_null (strstr (cli->stderr_text, "shown"));
  scratch_clear (&scratch);
}

/* A 1 × 1 image fails the run: no output file and no history entry. */
static void
test_tiny_result (void)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (600, 800, 1, FALSE);
  g_autoptr(CliResult) cli = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  g_autofree char *fake_stderr = NULL;
  g_autofree char *error_line = NULL;
  g_autofree char *photo = NULL;
  FakeProcess *fake = fake_process_start ("gemini", "tiny-image");
  Scratch scratch;

  scratch_init (&scratch);
  photo = g_build_filename (scratch.root, "menu.jpg", NULL);
  g_assert_true (g_file_set_contents (photo, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), NULL));
  {
    const char *args[] = { "--generate", photo, "--output", scratch.output,
                           "--backend", "gemini", "--url", fake->url, NULL };

    cli = run_cli (&scratch, FAKE_KEY, args);
  }
  fake_stderr = fake_process_stop (fake);

  g_assert_cmpint (cli->status, ==, 1);
  error_line = assert_one_error_line (cli);
  g_assert_nonnull (strstr (error_line, "The model returned a 1 × 1 image, which cannot be a menu."));
  g_assert_false (g_file_test (scratch.output, G_FILE_TEST_EXISTS));
  assert_output_folder_empty (&scratch);
  folders = list_history_folders (&scratch);
  g_assert_cmpuint (folders->len, ==, 0);
  g_assert_cmpstr (cli->stdout_text, ==, "");
  scratch_clear (&scratch);
}

/* A misspelt kind gets a usage line that lists the kinds, not a crash. */
static void
test_fake_server_unknown_kind (void)
{
  const char *binary = g_getenv ("MENUGEN_FAKE_SERVER");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_assert_nonnull (binary);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, binary, "gemeni", "success-portrait", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  g_test_message ("fake server stderr:\n%s", stderr_text);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  g_assert_cmpstr (stdout_text, ==, "");
  g_assert_nonnull (strstr (stderr_text, "unknown kind \"gemeni\""));
  g_assert_nonnull (strstr (stderr_text, "usage: "));
  g_assert_nonnull (strstr (stderr_text, "gemini"));
  g_assert_nonnull (strstr (stderr_text, "openai-images"));
  g_assert_nonnull (strstr (stderr_text, "comfyui"));
  g_assert_nonnull (strstr (stderr_text, "openai-chat"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/gemini-success", test_gemini_success);
  g_test_add_func ("/cli/openai-images-success", test_openai_images_success);
  g_test_add_func ("/cli/refusal", test_refusal);
  g_test_add_func ("/cli/missing-key", test_missing_key);
  g_test_add_func ("/cli/no-backend-chosen", test_no_backend_chosen);
  g_test_add_func ("/cli/bad-photo", test_bad_photo);
  g_test_add_func ("/cli/photo-errors-absolute-path", test_photo_errors_absolute_path);
  g_test_add_func ("/cli/interrupt", test_interrupt);
  g_test_add_func ("/cli/unknown-backend", test_unknown_backend);
  g_test_add_func ("/cli/missing-output", test_missing_output);
  g_test_add_func ("/cli/output-is-photo", test_output_is_photo);
  g_test_add_func ("/cli/output-unusable", test_output_unusable);
  g_test_add_func ("/cli/output-symlink-kept", test_output_symlink_kept);
  g_test_add_func ("/cli/output-fifo-written-in-place", test_output_fifo_written_in_place);
  g_test_add_func ("/cli/key-with-stray-characters", test_key_with_stray_characters);
  g_test_add_func ("/cli/help-lists-options", test_help_lists_options);
  g_test_add_func ("/cli/option-without-value", test_option_without_value);
  g_test_add_func ("/cli/model-hint-names-option", test_model_hint_names_option);
  g_test_add_func ("/cli/long-wait-shows-elapsed", test_long_wait_shows_elapsed);
  g_test_add_func ("/cli/size-note", test_size_note);
  g_test_add_func ("/cli/tiny-result", test_tiny_result);
  g_test_add_func ("/cli/fake-server-unknown-kind", test_fake_server_unknown_kind);

  return g_test_run ();
}
