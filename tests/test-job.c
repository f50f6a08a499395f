/* Runs whole jobs against the in-process Gemini fake: photo in, history
 * folder and result out. */

#include "config.h"

#include <string.h>

#include "backends/menugen-job.h"
#include "core/menugen-error.h"
#include "core/menugen-http.h"
#include "core/menugen-png.h"
#include "fake-server.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"
#define JOB_TIMEOUT_S 30

typedef struct {
  FakeServer *fake;
  char *history_root;
  MenugenHistory *history;
  MenugenBackend *backend;
  MenugenJob *job;
  GCancellable *cancellable;
  GArray *stages;                /* every MenugenStage notified, in order */
  GPtrArray *stage_lines;        /* describe_stage() at each notification */
  MenugenStage cancel_at;        /* cancel when the job reaches this stage */
  gboolean cancel_at_enabled;

  gboolean done;
  MenugenHistoryEntry *entry;
  GError *error;
  gboolean record_present_at_finish;
  gboolean result_present_at_finish;
  gboolean photo_present_at_finish;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  scenario)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");
  g_autoptr(GFile) root = NULL;
  g_autoptr(GError) error = NULL;
  MenugenInstructionOptions options = {
    .dish_names = MENUGEN_DISH_NAMES_BOTH,
    .language = "English",
    .style = "illustration",
  };

  menugen_test_use_loopback_session ();
  fixture->fake = fake_server_new ("gemini", scenario);
  fixture->history_root = menugen_test_make_scratch_dir ();
  root = g_file_new_for_path (fixture->history_root);
  fixture->history = menugen_history_new (root);

  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (fixture->fake));
  config->api_key = g_strdup (FAKE_KEY);
  fixture->backend = menugen_backend_new (config, &error);
  g_assert_no_error (error);

  fixture->job = menugen_job_new (fixture->backend, fixture->history, NULL, &options);
  fixture->cancellable = g_cancellable_new ();
  fixture->stages = g_array_new (FALSE, FALSE, sizeof (int));
  fixture->stage_lines = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  scenario)
{
  g_clear_object (&fixture->job);
  g_clear_object (&fixture->backend);
  g_clear_object (&fixture->history);
  g_clear_object (&fixture->cancellable);
  g_clear_object (&fixture->entry);
  g_clear_error (&fixture->error);
  g_clear_pointer (&fixture->fake, fake_server_free);
  g_clear_pointer (&fixture->stages, g_array_unref);
  g_clear_pointer (&fixture->stage_lines, g_ptr_array_unref);
  menugen_test_remove_tree (fixture->history_root);
  g_free (fixture->history_root);
}

static MenugenPhoto *
make_photo (int width,
            int height,
            int max_long_edge)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (width, height, 1, TRUE);
  g_autoptr(GError) error = NULL;
  MenugenPhotoLimits limits;
  MenugenPhoto *photo;

  menugen_photo_limits_init_default (&limits);
  limits.max_long_edge = max_long_edge;
  photo = menugen_photo_prepare (jpeg, &limits, NULL, &error);
  g_assert_no_error (error);

  return photo;
}

static gboolean
child_exists (MenugenHistoryEntry *entry,
              const char          *name)
{
  g_autoptr(GFile) child = g_file_get_child (menugen_history_entry_get_directory (entry), name);

  return g_file_query_exists (child, NULL);
}

static gboolean
has_child_with_prefix (MenugenHistoryEntry *entry,
                       const char          *prefix)
{
  g_autofree char *path = g_file_get_path (menugen_history_entry_get_directory (entry));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      return TRUE;

  return FALSE;
}

/* Looks at the folder the moment the job reports, before anything else
 * can write it. */
static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->entry = menugen_job_run_finish (MENUGEN_JOB (source), result, &fixture->error);
  if (fixture->entry != NULL)
    {
      fixture->record_present_at_finish = child_exists (fixture->entry, MENUGEN_HISTORY_RECORD_FILE);
      fixture->result_present_at_finish = child_exists (fixture->entry, MENUGEN_HISTORY_RESULT_FILE);
      fixture->photo_present_at_finish = has_child_with_prefix (fixture->entry, "photo.");
    }

  fixture->done = TRUE;
}

static void
stage_notified_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  Fixture *fixture = user_data;
  int stage = menugen_job_get_stage (MENUGEN_JOB (object));

  g_array_append_val (fixture->stages, stage);
  g_ptr_array_add (fixture->stage_lines, menugen_job_describe_stage (MENUGEN_JOB (object)));

  if (fixture->cancel_at_enabled && stage == (int) fixture->cancel_at)
    g_cancellable_cancel (fixture->cancellable);
}

static void
run_job (Fixture      *fixture,
         MenugenPhoto *photo)
{
  g_signal_connect (fixture->job, "notify::stage", G_CALLBACK (stage_notified_cb), fixture);
  menugen_job_run_async (fixture->job, photo, fixture->cancellable, run_done_cb, fixture);
  g_assert_true (menugen_test_wait_for (&fixture->done, JOB_TIMEOUT_S));
}

/* Counts everything under the history root, temporary folders included. */
static guint
count_history_children (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->history_root, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

static GBytes *
load_file (GFile *file)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = g_file_load_bytes (file, NULL, NULL, &error);

  g_assert_no_error (error);
  return bytes;
}

static void
assert_no_violations (Fixture *fixture)
{
  GPtrArray *violations = fake_server_get_violations (fixture->fake);

  for (guint i = 0; i < violations->len; i++)
    g_test_message ("violation: %s", (const char *) violations->pdata[i]);
  g_assert_cmpuint (violations->len, ==, 0);
}

static void
test_success_saves_before_finish (Fixture       *fixture,
                                  gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GBytes) record = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autoptr(GError) error = NULL;

  run_job (fixture, photo);

  g_assert_no_error (fixture->error);
  g_assert_nonnull (fixture->entry);
  g_assert_true (fixture->record_present_at_finish);
  g_assert_true (fixture->result_present_at_finish);
  g_assert_true (fixture->photo_present_at_finish);
  g_assert_nonnull (menugen_job_get_result_pixbuf (fixture->job));
  g_assert_nonnull (menugen_job_get_instruction (fixture->job));
  g_assert_cmpstr (menugen_history_entry_get_backend_kind (fixture->entry), ==, "gemini");
  g_assert_cmpstr (menugen_history_entry_get_photo_sha256 (fixture->entry), ==,
                   menugen_photo_get_sha256 (photo));
  assert_no_violations (fixture);

  png = load_file (menugen_history_entry_get_result_file (fixture->entry));
  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_SOFTWARE));
  g_assert_cmpstr (g_hash_table_lookup (text, MENUGEN_PNG_KEY_DESCRIPTION), ==,
                   menugen_job_get_instruction (fixture->job));
  g_assert_cmpstr (g_hash_table_lookup (text, MENUGEN_PNG_KEY_PHOTO_SHA256), ==,
                   menugen_photo_get_sha256 (photo));
  g_assert_nonnull (strstr (g_hash_table_lookup (text, MENUGEN_PNG_KEY_SOURCE), "gemini"));
  g_assert_nonnull (g_hash_table_lookup (text, MENUGEN_PNG_KEY_CREATION_TIME));

  {
    g_autoptr(GFile) record_file = g_file_get_child (menugen_history_entry_get_directory (fixture->entry),
                                                     MENUGEN_HISTORY_RECORD_FILE);

    record = load_file (record_file);
  }
  g_assert_null (g_strstr_len (g_bytes_get_data (record, NULL), g_bytes_get_size (record), FAKE_KEY));
}

static void
test_refusal_leaves_no_folder (Fixture       *fixture,
                               gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  run_job (fixture, photo);

  g_assert_error (fixture->error, MENUGEN_ERROR, MENUGEN_ERROR_REFUSED);
  g_assert_null (fixture->entry);
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
  g_assert_null (menugen_job_get_result_pixbuf (fixture->job));
  assert_no_violations (fixture);
}

/* Services sometimes ignore the requested aspect ratio. A square result
 * for a 3:4 request is kept as it is, with a note in the job and in the
 * history record. */
static void
test_square_result_size_note (Fixture       *fixture,
                              gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);
  GdkPixbuf *pixbuf;
  const char *note;

  run_job (fixture, photo);

  g_assert_no_error (fixture->error);
  pixbuf = menugen_job_get_result_pixbuf (fixture->job);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, gdk_pixbuf_get_height (pixbuf));

  note = menugen_job_get_size_note (fixture->job);
  g_assert_nonnull (note);
  g_assert_nonnull (strstr (note, "3:4"));
  g_assert_nonnull (strstr (note, "1024 × 1024"));
  /* The command line shows no image, so the note must not say it does. */
  g_assert_cmpstr (note, ==, "The model returned a 1024 × 1024 image instead of the requested 3:4 shape. "
                             "It was kept as it is, without stretching.");
  g_assert_nonnull (menugen_history_entry_get_notes (fixture->entry));
  g_assert_nonnull (strstr (menugen_history_entry_get_notes (fixture->entry), note));
}

/* A result in the requested shape gets no note. */
static void
test_matching_result_no_size_note (Fixture       *fixture,
                                   gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  run_job (fixture, photo);

  g_assert_no_error (fixture->error);
  g_assert_null (menugen_job_get_size_note (fixture->job));
}

static void
test_stages_in_order (Fixture       *fixture,
                      gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);
  int last = -1;
  gboolean saw_uploading = FALSE;
  gboolean saw_decoding = FALSE;
  g_autofree char *size = menugen_http_describe_size (g_bytes_get_size (menugen_photo_get_bytes (photo)));
  g_autofree char *uploading_line = g_strdup_printf ("Uploading %s…", size);
  double elapsed;

  run_job (fixture, photo);
  g_assert_no_error (fixture->error);

  for (guint i = 0; i < fixture->stages->len; i++)
    {
      int stage = g_array_index (fixture->stages, int, i);

      g_test_message ("stage %d: %s", stage, (const char *) fixture->stage_lines->pdata[i]);
      g_assert_cmpint (stage, >, last);
      saw_uploading |= stage == MENUGEN_STAGE_UPLOADING;
      saw_decoding |= stage == MENUGEN_STAGE_DECODING;
      last = stage;
    }

  g_assert_true (saw_uploading);
  g_assert_true (saw_decoding);
  g_assert_cmpint (last, ==, MENUGEN_STAGE_SAVING);

  /* The Gemini back-end reports uploading, waiting and downloading. */
  g_assert_cmpuint (fixture->stages->len, ==, 5);
  g_assert_cmpstr (fixture->stage_lines->pdata[0], ==, uploading_line);
  g_assert_cmpstr (fixture->stage_lines->pdata[1], ==, "Waiting for the model… 0:00");
  g_assert_cmpstr (fixture->stage_lines->pdata[2], ==, "Downloading…");
  g_assert_cmpstr (fixture->stage_lines->pdata[3], ==, "Decoding the image…");
  g_assert_cmpstr (fixture->stage_lines->pdata[4], ==, "Saving…");

  /* The clock stops when the job ends. */
  elapsed = menugen_job_get_elapsed (fixture->job);
  g_assert_cmpfloat (elapsed, >, 0.0);
  g_usleep (20 * 1000);
  g_assert_cmpfloat (menugen_job_get_elapsed (fixture->job), ==, elapsed);
}

/* The "slow" scenario responds after 3 s, so the cancel lands while the
 * job waits for the model. */
static void
test_cancel_mid_request (Fixture       *fixture,
                         gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  fixture->cancel_at = MENUGEN_STAGE_WAITING;
  fixture->cancel_at_enabled = TRUE;
  run_job (fixture, photo);

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fixture->entry);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
  g_assert_null (menugen_job_get_result_pixbuf (fixture->job));
  g_assert_cmpfloat (menugen_job_get_elapsed (fixture->job), <, 2.5);
}

/* Bytes that are no image end the job with an error, never with a
 * placeholder. */
static void
test_undecodable_result (Fixture       *fixture,
                         gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  run_job (fixture, photo);

  g_assert_nonnull (fixture->error);
  g_assert_true (fixture->error->domain == MENUGEN_ERROR);
  g_assert_null (fixture->entry);
  g_assert_null (menugen_job_get_result_pixbuf (fixture->job));
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
}

/* A 1 × 1 image is a placeholder, not a menu: the job fails before
 * anything is saved. */
static void
test_tiny_result_rejected (Fixture       *fixture,
                           gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  run_job (fixture, photo);

  g_assert_error (fixture->error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE);
  g_assert_cmpstr (fixture->error->message, ==,
                   "The model returned a 1 × 1 image, which cannot be a menu. Try again or choose another back-end.");
  g_assert_null (fixture->entry);
  g_assert_null (menugen_job_get_result_pixbuf (fixture->job));
  g_assert_null (menugen_job_get_size_note (fixture->job));
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
  assert_no_violations (fixture);
}

/* 64 pixels wide is enough, but 48 pixels high is not. */
static void
test_short_result_rejected (Fixture       *fixture,
                            gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  run_job (fixture, photo);

  g_assert_error (fixture->error, MENUGEN_ERROR, MENUGEN_ERROR_NO_IMAGE);
  g_assert_nonnull (strstr (fixture->error->message, "a 64 × 48 image"));
  g_assert_null (fixture->entry);
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
}

static void
test_cancel_while_decoding (Fixture       *fixture,
                            gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  fixture->cancel_at = MENUGEN_STAGE_DECODING;
  fixture->cancel_at_enabled = TRUE;
  run_job (fixture, photo);

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
}

static void
test_cancel_while_saving (Fixture       *fixture,
                          gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);

  fixture->cancel_at = MENUGEN_STAGE_SAVING;
  fixture->cancel_at_enabled = TRUE;
  run_job (fixture, photo);

  g_assert_error (fixture->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count_history_children (fixture), ==, 0);
  g_assert_null (menugen_job_get_result_pixbuf (fixture->job));
}

/* A photo prepared for larger limits than the back-end takes is prepared
 * again before it is sent. */
static void
test_oversized_photo_prepared_again (Fixture       *fixture,
                                     gconstpointer  scenario)
{
  MenugenPhotoLimits limits;
  g_autoptr(MenugenPhoto) photo = NULL;
  GFile *photo_file;
  g_autofree char *photo_path = NULL;
  int width = 0;
  int height = 0;

  menugen_backend_get_photo_limits (fixture->backend, &limits);
  photo = make_photo (limits.max_long_edge * 3 / 2, limits.max_long_edge * 2, limits.max_long_edge * 2);
  g_assert_false (menugen_photo_fits (photo, &limits));

  run_job (fixture, photo);

  g_assert_no_error (fixture->error);
  photo_file = menugen_history_entry_get_photo_file (fixture->entry);
  photo_path = g_file_get_path (photo_file);
  g_assert_nonnull (gdk_pixbuf_get_file_info (photo_path, &width, &height));
  g_assert_cmpint (MAX (width, height), <=, limits.max_long_edge);
  g_assert_cmpint (height, >, width);
}

static void
test_describe_stage_before_run (void)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");
  g_autoptr(MenugenBackend) backend = NULL;
  g_autoptr(MenugenHistory) history = NULL;
  g_autoptr(MenugenJob) job = NULL;
  g_autoptr(GFile) root = g_file_new_for_path ("/nonexistent-history");
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  MenugenInstructionOptions options = { .style = "photo" };

  g_free (config->url);
  config->url = g_strdup ("http://127.0.0.1:9");
  backend = menugen_backend_new (config, &error);
  g_assert_no_error (error);
  history = menugen_history_new (root);
  job = menugen_job_new (backend, history, "Draw {{aspect_ratio}}.", &options);

  line = menugen_job_describe_stage (job);
  g_assert_cmpstr (line, ==, "Preparing the photo…");
  g_assert_cmpfloat (menugen_job_get_elapsed (job), ==, 0.0);
  g_assert_cmpfloat (menugen_job_get_fraction (job), ==, -1.0);
  g_assert_null (menugen_job_get_instruction (job));
  g_assert_null (menugen_job_get_size_note (job));
}

/* A history folder that cannot be created fails the job before the paid
 * request, as its result could not be kept. A regular file in the way
 * blocks the folder even for root. */
static void
test_unwritable_history_sends_nothing (Fixture       *fixture,
                                       gconstpointer  scenario)
{
  g_autoptr(MenugenPhoto) photo = make_photo (600, 800, 2048);
  g_autofree char *blocker = g_build_filename (fixture->history_root, "not-a-folder", NULL);
  g_autofree char *root_path = g_build_filename (blocker, "history", NULL);
  g_autoptr(GFile) root = g_file_new_for_path (root_path);
  MenugenInstructionOptions options = { .dish_names = MENUGEN_DISH_NAMES_BOTH, .language = "English" };

  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  g_clear_object (&fixture->history);
  g_clear_object (&fixture->job);
  fixture->history = menugen_history_new (root);
  fixture->job = menugen_job_new (fixture->backend, fixture->history, NULL, &options);

  run_job (fixture, photo);

  g_assert_error (fixture->error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (fixture->error->message, root_path));
  g_assert_null (fixture->entry);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

#define ADD_JOB_TEST(path, scenario, func) \
  g_test_add (path, Fixture, scenario, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD_JOB_TEST ("/job/success-saves-before-finish", "success-portrait", test_success_saves_before_finish);
  ADD_JOB_TEST ("/job/refusal-leaves-no-folder", "gemini-refusal-image-prohibited-no-content", test_refusal_leaves_no_folder);
  ADD_JOB_TEST ("/job/square-result-size-note", "success-square", test_square_result_size_note);
  ADD_JOB_TEST ("/job/matching-result-no-note", "success-portrait", test_matching_result_no_size_note);
  ADD_JOB_TEST ("/job/stages-in-order", "success-portrait", test_stages_in_order);
  ADD_JOB_TEST ("/job/cancel-mid-request", "slow", test_cancel_mid_request);
  ADD_JOB_TEST ("/job/cancel-while-decoding", "success-portrait", test_cancel_while_decoding);
  ADD_JOB_TEST ("/job/cancel-while-saving", "success-portrait", test_cancel_while_saving);
  ADD_JOB_TEST ("/job/undecodable-result", "not-an-image", test_undecodable_result);
  ADD_JOB_TEST ("/job/tiny-result-rejected", "tiny-image", test_tiny_result_rejected);
  ADD_JOB_TEST ("/job/short-result-rejected", "two-images", test_short_result_rejected);
  ADD_JOB_TEST ("/job/oversized-photo-prepared-again", "success-portrait", test_oversized_photo_prepared_again);
  ADD_JOB_TEST ("/job/unwritable-history-sends-nothing", "success-portrait", test_unwritable_history_sends_nothing);
  g_test_add_func ("/job/describe-stage-before-run", test_describe_stage_before_run);

  return g_test_run ();
}
