#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "backends/menugen-backend.h"
#include "backends/menugen-job.h"
#include "cli/menugen-cli.h"
#include "core/menugen-config.h"
#include "core/menugen-error.h"
#include "core/menugen-history.h"
#include "core/menugen-http.h"
#include "core/menugen-instruction.h"
#include "core/menugen-photo.h"
#include "core/menugen-secrets.h"

/* Exit statuses: 0 success, 1 the job failed, 2 the command line is wrong,
 * 130 interrupted by SIGINT (128 + signal number, as shells report it). */
#define EXIT_JOB_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

/* A stage that lasts longer than this gets its line again with the time
 * since the job started, so that a long wait does not look like a hang. */
#define ELAPSED_INTERVAL_S 15

typedef struct {
  char *photo_path;
  char *output_path;
  char *backend;
  char *url;
  char *model;
  char *language;
  char *dish_names;
  char *style;
  char *read_timeout;          /* the text of --read-timeout, or NULL */
  int read_timeout_s;          /* -1 when --read-timeout is not given */
  char *workflow;
  char *vision_url;
  char *vision_model;
} CliOptions;

typedef struct {
  GMainLoop *loop;
  GCancellable *cancellable;
  MenugenBackend *backend;
  MenugenHistory *history;
  MenugenJob *job;
  MenugenInstructionOptions instruction_options;
  char *language;
  GFile *photo;                /* the file given to --generate */
  GFile *output;               /* the path given to --output */
  GFile *output_target;        /* the file that the copy replaces, symbolic links resolved */
  GFile *output_tmp;           /* the hidden copy next to output_target, or NULL */
  GFile *result_file;          /* result.png in the history entry */
  gsize photo_bytes;
  char *last_line;
  guint sigint_id;
  guint elapsed_id;
  gboolean interrupted;
  int exit_status;
} CliRun;

static void
cli_options_clear (CliOptions *options)
{
  g_free (options->photo_path);
  g_free (options->output_path);
  g_free (options->backend);
  g_free (options->url);
  g_free (options->model);
  g_free (options->language);
  g_free (options->dish_names);
  g_free (options->style);
  g_free (options->read_timeout);
  g_free (options->workflow);
  g_free (options->vision_url);
  g_free (options->vision_model);
}

static void
cli_run_clear (CliRun *run)
{
  g_clear_handle_id (&run->sigint_id, g_source_remove);
  g_clear_handle_id (&run->elapsed_id, g_source_remove);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->job);
  g_clear_object (&run->backend);
  g_clear_object (&run->history);
  /* Removes the hidden copy that a failed or interrupted run leaves. */
  if (run->output_tmp != NULL)
    g_file_delete (run->output_tmp, NULL, NULL);

  g_clear_object (&run->output);
  g_clear_object (&run->output_target);
  g_clear_object (&run->output_tmp);
  g_clear_object (&run->result_file);
  g_free (run->language);
  g_clear_object (&run->photo);
  g_free (run->last_line);
}

/* Prints one line on stderr unless it repeats the line printed last. */
static void
print_line (CliRun     *run,
            const char *line)
{
  if (g_strcmp0 (run->last_line, line) == 0)
    return;

  g_free (run->last_line);
  run->last_line = g_strdup (line);
  g_printerr ("menugen: %s\n", line);
}

/* Ends the run. A failure prints its one sentence, and a run cancelled by
 * SIGINT exits with 130. */
static void
finish (CliRun *run,
        GError *error)
{
  g_clear_handle_id (&run->elapsed_id, g_source_remove);

  if (error == NULL)
    run->exit_status = EXIT_SUCCESS;
  else if (run->interrupted && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      print_line (run, _("Interrupted, so the job was cancelled."));
      run->exit_status = EXIT_INTERRUPTED;
    }
  else
    {
      print_line (run, error->message);
      run->exit_status = EXIT_JOB_FAILED;
    }

  g_main_loop_quit (run->loop);
}

static char *
join_strv (const char * const *items)
{
  return g_strjoinv (", ", (char **) items);
}

static gboolean
usage_error (GError    **error,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError    **error,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, format, args));
  va_end (args);

  return FALSE;
}

static gboolean
env_is_set (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && value[0] != '\0';
}

/* Picks the back-end: --backend, else the first kind whose key variable is
 * set, in the order Gemini, OpenAI. */
static gboolean
choose_backend_kind (CliOptions  *options,
                     GError     **error)
{
  g_autofree char *kinds = join_strv (menugen_backend_kinds ());

  if (options->backend == NULL)
    {
      if (env_is_set ("GEMINI_API_KEY"))
        options->backend = g_strdup ("gemini");
      else if (env_is_set ("OPENAI_API_KEY"))
        options->backend = g_strdup ("openai-images");
      else
        return usage_error (error, _("No back-end was chosen, and neither GEMINI_API_KEY nor OPENAI_API_KEY is set. Pass --backend with one of: %s."),
                            kinds);
    }

  if (!menugen_backend_kind_is_known (options->backend))
    return usage_error (error, _("Unknown back-end “%s”. Pass --backend with one of: %s."),
                        options->backend, kinds);

  return TRUE;
}

static gboolean
check_style (const char  *style,
             GError     **error)
{
  const char * const *styles = menugen_instruction_get_styles ();
  g_autofree char *names = NULL;

  if (g_strv_contains (styles, style))
    return TRUE;

  names = join_strv (styles);
  return usage_error (error, _("Unknown style “%s”. Pass --style with one of: %s."), style, names);
}

/* Reads --read-timeout as a whole number of seconds from 0 up. GOption's
 * own integer parsing would let -1 through, which is also the value for
 * "not given". */
static gboolean
parse_read_timeout (CliOptions  *options,
                    GError     **error)
{
  gint64 seconds = 0;

  if (options->read_timeout == NULL)
    return TRUE;

  if (!g_ascii_string_to_signed (options->read_timeout, 10, 0, G_MAXINT, &seconds, NULL))
    return usage_error (error, _("The read timeout “%s” is not a whole number of seconds of 0 or more. Pass --read-timeout with a number such as 600, or 0 to wait without limit."),
                        options->read_timeout);

  options->read_timeout_s = (int) seconds;
  return TRUE;
}

/* Checks what GOptionContext cannot: required options, allowed values and
 * leftover arguments. */
static gboolean
check_options (CliOptions  *options,
               char       **rest,
               GError     **error)
{
  if (options->photo_path == NULL || options->photo_path[0] == '\0')
    return usage_error (error, _("The --generate option needs the path of a menu photo, such as --generate menu.jpg."));

  /* "--generate --output out.png" takes "--output" as the photo. */
  if (g_str_has_prefix (options->photo_path, "--"))
    return usage_error (error, _("The --generate option is followed by “%s” instead of a photo. Give the path of the menu photo right after it, such as --generate menu.jpg."),
                        options->photo_path);

  if (options->output_path == NULL || options->output_path[0] == '\0')
    return usage_error (error, _("The --output option is missing. Give the path of the PNG file to write, such as --output menu.png."));

  if (g_str_has_prefix (options->output_path, "--"))
    return usage_error (error, _("The --output option is followed by “%s” instead of a file name. Give the path of the PNG file right after it, such as --output menu.png."),
                        options->output_path);

  if (rest != NULL && rest[0] != NULL && rest[1] != NULL)
    return usage_error (error, _("Unexpected argument “%s”. Give the photo with --generate PHOTO and the result with --output OUT.png."),
                        rest[1]);

  if (!parse_read_timeout (options, error))
    return FALSE;

  if (options->style != NULL && !check_style (options->style, error))
    return FALSE;

  return choose_backend_kind (options, error);
}

static gboolean
parse_options (int          argc,
               char       **argv,
               CliOptions  *options,
               GError     **error)
{
  const GOptionEntry entries[] = {
    { "generate", 0, 0, G_OPTION_ARG_FILENAME, &options->photo_path,
      N_("Turn the menu photo PHOTO into an illustrated menu without opening a window"), N_("PHOTO") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options->output_path,
      N_("Write the illustrated menu as a PNG file to OUT.png"), N_("OUT.png") },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &options->backend,
      N_("Kind of back-end: gemini, openai-images, openai-chat, comfyui or describe-then-draw"), N_("KIND") },
    { "url", 0, 0, G_OPTION_ARG_STRING, &options->url,
      N_("Base URL of the server; the kind’s default when not given"), N_("BASE_URL") },
    { "model", 0, 0, G_OPTION_ARG_STRING, &options->model,
      N_("Model id; the kind’s default when not given"), N_("MODEL") },
    { "language", 0, 0, G_OPTION_ARG_STRING, &options->language,
      N_("Language that dish names are translated into, in English, such as “Simplified Chinese”"), N_("LANG") },
    { "dish-names", 0, 0, G_OPTION_ARG_STRING, &options->dish_names,
      N_("Dish names as printed (original), translated (translated) or both (both, the default)"), N_("original|translated|both") },
    { "style", 0, 0, G_OPTION_ARG_STRING, &options->style,
      N_("Picture style, such as photo or illustration (the default)"), N_("STYLE") },
    { "read-timeout", 0, 0, G_OPTION_ARG_STRING, &options->read_timeout,
      N_("Seconds to wait for the image once the photo is sent; 0 waits without limit"), N_("SECONDS") },
    { "workflow", 0, 0, G_OPTION_ARG_FILENAME, &options->workflow,
      N_("ComfyUI: path of an API-format workflow file, or a built-in workflow name"), N_("FILE") },
    { "vision-url", 0, 0, G_OPTION_ARG_STRING, &options->vision_url,
      N_("Describe, then draw: base URL of the vision chat server"), N_("URL") },
    { "vision-model", 0, 0, G_OPTION_ARG_STRING, &options->vision_model,
      N_("Describe, then draw: vision model id"), N_("MODEL") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("[PHOTO…]"));
  g_auto(GStrv) args = g_new0 (char *, argc + 1);

  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  options->read_timeout_s = -1;
  g_option_context_set_summary (context, _("Turns a photo of a restaurant menu into an illustrated menu. Keys come from GEMINI_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY or MENUGEN_API_KEY."));
  g_option_context_set_description (context, _("Without --generate, Menugen opens its window with the given photos."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse_strv (context, &args, error))
    return FALSE;

  return check_options (options, args, error);
}

static void
replace_string (char       **field,
                const char  *value)
{
  if (value == NULL)
    return;

  g_free (*field);
  *field = g_strdup (value);
}

static MenugenBackendConfig *
build_config (const CliOptions *options)
{
  MenugenBackendConfig *config = menugen_backend_config_new (options->backend);
  const char *key = menugen_secrets_key_from_environment (options->backend);

  replace_string (&config->url, options->url);
  replace_string (&config->model, options->model);
  replace_string (&config->workflow, options->workflow);
  replace_string (&config->vision_url, options->vision_url);
  replace_string (&config->vision_model, options->vision_model);
  if (options->read_timeout_s >= 0)
    config->read_timeout_s = options->read_timeout_s;
  /* "$(cat key.txt)" keeps the carriage return of a file saved on
   * Windows, and a pasted key may carry spaces around it. */
  if (key != NULL)
    config->api_key = g_strstrip (g_strdup (key));

  return config;
}

static gboolean
set_instruction_options (CliRun      *run,
                         CliOptions  *options,
                         GError     **error)
{
  MenugenInstructionOptions *instruction = &run->instruction_options;

  instruction->dish_names = MENUGEN_DISH_NAMES_BOTH;
  if (options->dish_names != NULL
      && !menugen_dish_names_from_string (options->dish_names, &instruction->dish_names))
    return usage_error (error, _("Unknown choice “%s” for --dish-names. Pass original, translated or both."),
                        options->dish_names);

  run->language = options->language != NULL ? g_strdup (options->language)
                                            : menugen_instruction_language_for_locale ();
  instruction->language = run->language;
  instruction->style = options->style != NULL ? options->style : "illustration";

  return TRUE;
}

static GError *
new_output_error (const char *format,
                  ...) G_GNUC_PRINTF (1, 2);

static GError *
new_output_error (const char *format,
                  ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (MENUGEN_ERROR, MENUGEN_ERROR_FAILED, format, args);
  va_end (args);

  return error;
}

/* Returns the device and inode of @file, following symbolic links, or
 * NULL when it does not exist. */
static char *
get_file_identity (GFile *file)
{
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_UNIX_DEVICE "," G_FILE_ATTRIBUTE_UNIX_INODE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_UNIX_INODE))
    return NULL;

  return g_strdup_printf ("%u:%" G_GUINT64_FORMAT,
                          g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_UNIX_DEVICE),
                          g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_UNIX_INODE));
}

/* Returns the file that @output's symbolic links lead to, so that the
 * rename replaces that file and keeps the links. */
static GFile *
resolve_links (GFile *output)
{
  g_autofree char *path = g_file_get_path (output);
  char *resolved = path != NULL ? realpath (path, NULL) : NULL;
  GFile *target;

  if (resolved == NULL)
    return g_object_ref (output);

  target = g_file_new_for_path (resolved);
  free (resolved);

  return target;
}

/* Creates the hidden copy next to the target now, so that a folder that
 * cannot be written fails before the request is paid for. The final rename
 * in the same folder is atomic. */
static gboolean
create_hidden_copy (CliRun      *run,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(GFile) parent = g_file_get_parent (run->output_target);
  g_autofree char *name = g_file_get_basename (run->output_target);
  g_autofree char *tmp_name = g_strdup_printf (".%s.%d.tmp", name, (int) getpid ());
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;

  if (parent == NULL
      || g_file_query_file_type (parent, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_DIRECTORY)
    {
      g_propagate_error (error, new_output_error (_("The folder of the output file “%s” does not exist. Create it or choose another --output path."),
                                                  path));
      return FALSE;
    }

  run->output_tmp = g_file_get_child (parent, tmp_name);
  stream = g_file_replace (run->output_tmp, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &local_error);
  if (stream == NULL || !g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &local_error))
    {
      g_clear_object (&run->output_tmp);
      g_propagate_error (error, new_output_error (_("The output file “%s” cannot be written: %s. Choose another --output path."),
                                                  path, local_error->message));
      return FALSE;
    }

  return TRUE;
}

/* Checks --output before anything is paid for: its folder must exist and
 * be writable, and it must be neither a folder nor the photo itself. A
 * device or a pipe, such as /dev/stdout, is written in place, because
 * renaming over it would replace the device node or the link. */
static gboolean
check_output (CliRun      *run,
              const char  *path,
              const char  *photo_path,
              GError     **error)
{
  g_autoptr(GFile) photo = g_file_new_for_commandline_arg (photo_path);
  g_autofree char *output_identity = NULL;
  g_autofree char *photo_identity = NULL;

  run->output = g_file_new_for_commandline_arg (path);

  switch (g_file_query_file_type (run->output, G_FILE_QUERY_INFO_NONE, NULL))
    {
    case G_FILE_TYPE_DIRECTORY:
      g_propagate_error (error, new_output_error (_("The output path “%s” is a folder. Give the path of a PNG file in it, such as --output %s/menu.png."),
                                                  path, path));
      return FALSE;

    case G_FILE_TYPE_SPECIAL:
      return TRUE;

    /* GIO reports the link itself when following it fails. */
    case G_FILE_TYPE_SYMBOLIC_LINK:
      g_propagate_error (error, new_output_error (_("The output path “%s” is a symbolic link that leads nowhere. Remove it or choose another --output path."),
                                                  path));
      return FALSE;

    case G_FILE_TYPE_UNKNOWN:
      run->output_target = g_object_ref (run->output);
      break;

    default:
      output_identity = get_file_identity (run->output);
      photo_identity = get_file_identity (photo);
      if (output_identity != NULL && g_strcmp0 (output_identity, photo_identity) == 0)
        {
          g_propagate_error (error, new_output_error (_("The output file “%s” is the menu photo itself. Choose another --output path, so that the photo is kept."),
                                                      path));
          return FALSE;
        }
      run->output_target = resolve_links (run->output);
      break;
    }

  return create_hidden_copy (run, path, error);
}

static void
fail_writing (CliRun *run,
              GError *error)
{
  g_autoptr(GError) failure = NULL;
  g_autofree char *path = g_file_get_path (run->output);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish (run, error);
      return;
    }

  failure = g_error_new (MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                         _("Could not write “%s”: %s. The result is kept in the history folder."),
                         path, error->message);
  finish (run, failure);
}

static void
copied_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_path (run->output);

  if (!g_file_copy_finish (G_FILE (source), result, &error)
      || !g_file_move (run->output_tmp, run->output_target,
                       G_FILE_COPY_OVERWRITE | G_FILE_COPY_NO_FALLBACK_FOR_MOVE,
                       NULL, NULL, NULL, &error))
    {
      fail_writing (run, error);
      return;
    }

  g_print ("%s\n", path);
  finish (run, NULL);
}

/* A device or pipe output gets the PNG alone, so its path is not printed
 * on stdout, which may be that very pipe. */
static void
spliced_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &error) < 0)
    {
      fail_writing (run, error);
      return;
    }

  finish (run, NULL);
}

static void
stream_opened_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) output = g_file_append_to_finish (G_FILE (source), result, &error);
  g_autoptr(GFileInputStream) input = NULL;

  if (output != NULL)
    input = g_file_read (run->result_file, run->cancellable, &error);

  if (input == NULL)
    {
      fail_writing (run, error);
      return;
    }

  g_output_stream_splice_async (G_OUTPUT_STREAM (output), G_INPUT_STREAM (input),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, run->cancellable, spliced_cb, run);
}

static void
write_output (CliRun *run)
{
  if (run->output_tmp == NULL)
    {
      g_file_append_to_async (run->output, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                              run->cancellable, stream_opened_cb, run);
      return;
    }

  g_file_copy_async (run->result_file, run->output_tmp,
                     G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, run->cancellable,
                     NULL, NULL, copied_cb, run);
}

static void
print_result (CliRun              *run,
              MenugenHistoryEntry *entry)
{
  g_autofree char *folder = g_file_get_path (menugen_history_entry_get_directory (entry));
  g_autofree char *saved = g_strdup_printf (_("saved to %s"), folder);
  const char *size_note = menugen_job_get_size_note (run->job);
  const char *notes = menugen_job_get_notes (run->job);

  print_line (run, saved);
  if (size_note != NULL)
    print_line (run, size_note);
  if (notes != NULL && notes[0] != '\0')
    {
      g_autofree char *line = g_strdup_printf (_("the model wrote: %s"), notes);

      print_line (run, line);
    }
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  entry = menugen_job_run_finish (MENUGEN_JOB (source), result, &error);
  if (entry == NULL)
    {
      finish (run, error);
      return;
    }

  print_result (run, entry);
  run->result_file = g_object_ref (menugen_history_entry_get_result_file (entry));
  write_output (run);
}

static char *
get_detail (MenugenJob *job)
{
  char *detail = NULL;

  g_object_get (job, "detail", &detail, NULL);
  if (detail != NULL && detail[0] == '\0')
    g_clear_pointer (&detail, g_free);

  return detail;
}

/* The photo's size, as back-ends word their upload detail differently. */
static char *
describe_uploading (CliRun *run)
{
  g_autofree char *size = menugen_http_describe_size (run->photo_bytes);

  return g_strdup_printf (_("uploading %s…"), size);
}

/* Back-ends pass a translated line as the detail, such as a queue length
 * or a rate-limit wait, and it replaces the stage's own line. */
static char *
describe_or_detail (MenugenJob *job,
                    const char *line)
{
  char *detail = get_detail (job);

  return detail != NULL ? detail : g_strdup (line);
}

static char *
describe_running (MenugenJob *job)
{
  g_autofree char *detail = get_detail (job);
  double fraction = menugen_job_get_fraction (job);

  /* The back-end's detail is a translated line such as a step count. */
  if (detail != NULL)
    return g_steal_pointer (&detail);

  if (fraction < 0)
    return g_strdup (_("running…"));

  /* Steps of 10 % keep the output short for long runs. */
  return g_strdup_printf (_("running, %d %%"), (int) (fraction * 10) * 10);
}

static char *
describe_stage (CliRun *run)
{
  switch (menugen_job_get_stage (run->job))
    {
    case MENUGEN_STAGE_PREPARING:
      return g_strdup (_("preparing photo…"));
    case MENUGEN_STAGE_DESCRIBING:
      return describe_or_detail (run->job, _("the vision model is reading the menu…"));
    case MENUGEN_STAGE_UPLOADING:
      return describe_uploading (run);
    case MENUGEN_STAGE_QUEUED:
      return describe_or_detail (run->job, _("waiting in the server’s queue…"));
    case MENUGEN_STAGE_WAITING:
      return describe_or_detail (run->job, _("waiting for the model…"));
    case MENUGEN_STAGE_RUNNING:
      return describe_running (run->job);
    case MENUGEN_STAGE_DOWNLOADING:
      return g_strdup (_("downloading…"));
    case MENUGEN_STAGE_DECODING:
      return g_strdup (_("decoding the image…"));
    case MENUGEN_STAGE_SAVING:
      return g_strdup (_("saving…"));
    default:
      g_assert_not_reached ();
    }

  return NULL;
}

static gboolean
elapsed_cb (gpointer user_data)
{
  CliRun *run = user_data;
  g_autofree char *line = describe_stage (run);
  guint64 seconds = (guint64) (menugen_job_get_elapsed (run->job) + 0.5);
  g_autofree char *timed = g_strdup_printf ("%s %u:%02u", line, (guint) (seconds / 60), (guint) (seconds % 60));

  print_line (run, timed);
  return G_SOURCE_CONTINUE;
}

static void
job_progress_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  CliRun *run = user_data;
  g_autofree char *line = describe_stage (run);

  print_line (run, line);
}

/* Adds the photo's path to a loading error that does not name it, as
 * decoding errors do not know the file, and a shell user may have given
 * several files to several commands. The path is the parse name, the
 * absolute form that the file errors of menugen_photo_load_async() use. */
static GError *
name_photo_in_error (CliRun *run,
                     GError *error)
{
  g_autofree char *name = g_file_get_parse_name (run->photo);
  GError *named;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || strstr (error->message, name) != NULL)
    return error;

  named = g_error_new (error->domain, error->code, _("Could not use the photo “%s”. %s"),
                       name, error->message);
  g_error_free (error);

  return named;
}

static void
photo_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CliRun *run = user_data;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;

  photo = menugen_photo_load_finish (result, &error);
  if (photo == NULL)
    {
      error = name_photo_in_error (run, g_steal_pointer (&error));
      finish (run, error);
      return;
    }

  description = menugen_photo_describe (photo);
  print_line (run, description);
  run->photo_bytes = g_bytes_get_size (menugen_photo_get_bytes (photo));

  run->job = menugen_job_new (run->backend, run->history, NULL, &run->instruction_options);
  g_signal_connect (run->job, "notify::stage", G_CALLBACK (job_progress_cb), run);
  g_signal_connect (run->job, "notify::detail", G_CALLBACK (job_progress_cb), run);
  g_signal_connect (run->job, "notify::fraction", G_CALLBACK (job_progress_cb), run);
  menugen_job_run_async (run->job, photo, run->cancellable, job_done_cb, run);
  run->elapsed_id = g_timeout_add_seconds (ELAPSED_INTERVAL_S, elapsed_cb, run);
}

/* The first SIGINT cancels the job, which then ends the run. A second one
 * ends the run at once. */
static gboolean
sigint_cb (gpointer user_data)
{
  CliRun *run = user_data;

  if (run->interrupted)
    {
      print_line (run, _("Interrupted again, so Menugen stops without waiting for the job."));
      run->exit_status = EXIT_INTERRUPTED;
      g_main_loop_quit (run->loop);
      return G_SOURCE_CONTINUE;
    }

  g_debug ("SIGINT received, cancelling the job");
  run->interrupted = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
set_up_run (CliRun      *run,
            CliOptions  *options,
            GError     **error)
{
  g_autoptr(MenugenBackendConfig) config = NULL;

  if (!set_instruction_options (run, options, error))
    return FALSE;

  config = build_config (options);
  run->backend = menugen_backend_new (config, error);
  if (run->backend == NULL)
    return FALSE;

  if (!check_output (run, options->output_path, options->photo_path, error))
    return FALSE;

  run->history = menugen_history_new_default ();
  run->cancellable = g_cancellable_new ();
  run->loop = g_main_loop_new (NULL, FALSE);
  run->sigint_id = g_unix_signal_add (SIGINT, sigint_cb, run);

  return TRUE;
}

static int
report_setup_error (const GError *error)
{
  /* GOptionContext's own messages, such as "Unknown option --bogus", end
   * without a full stop and without a next step. */
  if (error->domain == G_OPTION_ERROR && !g_str_has_suffix (error->message, "."))
    g_printerr ("menugen: %s. %s\n", error->message, _("Run “menugen --help” to see the options."));
  else
    g_printerr ("menugen: %s\n", error->message);

  return error->domain == G_OPTION_ERROR ? EXIT_USAGE : EXIT_JOB_FAILED;
}

/**
 * menugen_cli_is_requested:
 * @argc: the number of arguments
 * @argv: the program's arguments
 *
 * Tells whether the command line requests a job without a window, that is
 * whether it contains --generate or --generate=PHOTO before any "--". A
 * request for help counts too, because only the command-line parser
 * defines options. The window has none of its own.
 */
gboolean
menugen_cli_is_requested (int    argc,
                          char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        return FALSE;
      if (g_str_equal (argv[i], "--generate") || g_str_has_prefix (argv[i], "--generate=")
          || g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h") || g_str_equal (argv[i], "-?"))
        return TRUE;
    }

  return FALSE;
}

/**
 * menugen_cli_run:
 * @argc: the number of arguments
 * @argv: the program's arguments
 *
 * Runs one job without a display: loads the photo, runs the same
 * #MenugenJob as the window, saves it to history and copies its PNG to
 * --output. Stages go to stderr, the output path to stdout unless
 * --output is a device or a pipe.
 *
 * Returns: the exit status: 0 on success, 1 when the job failed, 2 for a
 *   wrong command line, 130 when interrupted
 */
int
menugen_cli_run (int    argc,
                 char **argv)
{
  CliOptions options = { 0 };
  CliRun run = { 0 };
  g_autoptr(GError) error = NULL;
  MenugenPhotoLimits limits;
  int status;

  /* Stdout carries only the output path, even with G_MESSAGES_DEBUG set. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!parse_options (argc, argv, &options, &error) || !set_up_run (&run, &options, &error))
    {
      status = report_setup_error (error);
      cli_options_clear (&options);
      cli_run_clear (&run);
      return status;
    }

  print_line (&run, _("preparing photo…"));
  run.photo = g_file_new_for_commandline_arg (options.photo_path);
  menugen_backend_get_photo_limits (run.backend, &limits);
  menugen_photo_load_async (run.photo, &limits, run.cancellable, photo_loaded_cb, &run);
  g_main_loop_run (run.loop);

  status = run.exit_status;
  cli_options_clear (&options);
  cli_run_clear (&run);

  return status;
}
