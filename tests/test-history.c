#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "core/menugen-error.h"
#include "core/menugen-history.h"
#include "test-util.h"

#define FAKE_KEY "test-key-not-real"

typedef struct {
  char *path;
  GFile *root;
  MenugenHistory *history;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *scratch = menugen_test_make_scratch_dir ();

  fixture->path = g_build_filename (scratch, "history", NULL);
  fixture->root = g_file_new_for_path (fixture->path);
  fixture->history = menugen_history_new (fixture->root);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *scratch = g_path_get_dirname (fixture->path);

  menugen_test_remove_tree (scratch);
  g_clear_object (&fixture->history);
  g_clear_object (&fixture->root);
  g_clear_pointer (&fixture->path, g_free);
}

/* A record whose result bytes start with @tag, so tests can tell the
 * results of two saves apart. */
typedef struct {
  MenugenHistoryRecord record;
  char *job_id;
  GDateTime *started;
  GDateTime *finished;
} TestRecord;

static TestRecord *
test_record_new (const char *job_id,
                 const char *tag,
                 gsize       result_size)
{
  TestRecord *test = g_new0 (TestRecord, 1);
  guint8 *result = g_malloc (result_size);
  gsize tag_length = MIN (strlen (tag), result_size);

  for (gsize i = 0; i < result_size; i++)
    result[i] = i & 0xff;
  memcpy (result, tag, tag_length);

  test->job_id = job_id != NULL ? g_strdup (job_id) : menugen_history_new_job_id ();
  test->started = g_date_time_new_utc (2024, 5, 17, 12, 30, 0);
  test->finished = g_date_time_new_utc (2024, 5, 17, 12, 31, 15.5);
  test->record = (MenugenHistoryRecord) {
    .job_id = test->job_id,
    .backend_kind = "gemini",
    .backend_name = "My Gemini",
    .model = "gemini-2.5-flash-image",
    .instruction = "Include every dish. 保留菜名。",
    .notes = "Here is your menu, café included.",
    .started = test->started,
    .finished = test->finished,
    .photo = g_bytes_new_static ("\xff\xd8\xff\xe0 fake jpeg", 15),
    .photo_mime_type = "image/jpeg",
    .photo_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .photo_width = 2048,
    .photo_height = 1536,
    .result_png = g_bytes_new_take (result, result_size),
    .result_width = 1024,
    .result_height = 1536,
    .requested_aspect_ratio = "2:3",
  };

  return test;
}

static void
test_record_free (TestRecord *test)
{
  g_bytes_unref (test->record.photo);
  g_bytes_unref (test->record.result_png);
  g_date_time_unref (test->started);
  g_date_time_unref (test->finished);
  g_free (test->job_id);
  g_free (test);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRecord, test_record_free)

static MenugenHistoryEntry *
save_ok (MenugenHistory *history,
         TestRecord     *test)
{
  g_autoptr(GError) error = NULL;
  MenugenHistoryEntry *entry = menugen_history_save (history, &test->record, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  return entry;
}

static GPtrArray *
list_ok (MenugenHistory  *history,
         GPtrArray      **problems)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = menugen_history_list (history, problems, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
assert_file_equals (GFile  *file,
                    GBytes *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = g_file_load_bytes (file, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (contents, expected));
}

static char *
child_path (Fixture    *fixture,
            const char *first,
            ...)
{
  va_list args;
  g_autoptr(GString) path = g_string_new (fixture->path);
  const char *part = first;

  va_start (args, first);
  while (part != NULL)
    {
      g_string_append_c (path, G_DIR_SEPARATOR);
      g_string_append (path, part);
      part = va_arg (args, const char *);
    }
  va_end (args);

  return g_string_free (g_steal_pointer (&path), FALSE);
}

/* Names of the root's children, sorted, joined by spaces. */
static char *
list_root_names (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));

  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_job_id_format (void)
{
  g_autofree char *id = menugen_history_new_job_id ();
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y%m%d");

  g_assert_true (g_regex_match_simple ("^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$", id, 0, 0));
  /* Fails only if the test runs across midnight. */
  g_assert_true (g_str_has_prefix (id, today));
}

static void
test_job_id_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 2000; i++)
    {
      char *id = menugen_history_new_job_id ();

      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }
}

static void
test_default_root (void)
{
  g_autoptr(MenugenHistory) history = menugen_history_new_default ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "menugen", "history", NULL);
  g_autofree char *path = g_file_get_path (menugen_history_get_root (history));

  /* G_TEST_OPTION_ISOLATE_DIRS points the user data folder at a
   * temporary folder for each test. */
  g_assert_true (g_str_has_prefix (path, g_get_tmp_dir ()));
  g_assert_cmpstr (path, ==, expected);
}

static void
test_save_list_reopen (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "first", 4096);
  g_autoptr(MenugenHistoryEntry) saved = save_ok (fixture->history, test);
  g_autoptr(MenugenHistory) reopened = menugen_history_new (fixture->root);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = list_ok (reopened, &problems);
  MenugenHistoryEntry *entry;
  g_autofree char *photo_path = child_path (fixture, test->job_id, "photo.jpg", NULL);
  g_autofree char *directory_path = child_path (fixture, test->job_id, NULL);
  g_autofree char *listed_directory = NULL;
  g_autofree char *listed_photo = NULL;

  g_assert_cmpstr (menugen_history_entry_get_id (saved), ==, test->job_id);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (entries->len, ==, 1);

  entry = g_ptr_array_index (entries, 0);
  listed_directory = g_file_get_path (menugen_history_entry_get_directory (entry));
  listed_photo = g_file_get_path (menugen_history_entry_get_photo_file (entry));
  g_assert_cmpstr (menugen_history_entry_get_id (entry), ==, test->job_id);
  g_assert_cmpstr (listed_directory, ==, directory_path);
  g_assert_cmpstr (listed_photo, ==, photo_path);
  g_assert_true (g_date_time_equal (menugen_history_entry_get_created (entry), test->finished));
  g_assert_cmpstr (menugen_history_entry_get_backend_kind (entry), ==, "gemini");
  g_assert_cmpstr (menugen_history_entry_get_backend_name (entry), ==, "My Gemini");
  g_assert_cmpstr (menugen_history_entry_get_model (entry), ==, "gemini-2.5-flash-image");
  g_assert_cmpstr (menugen_history_entry_get_instruction (entry), ==, test->record.instruction);
  g_assert_cmpstr (menugen_history_entry_get_notes (entry), ==, test->record.notes);
  g_assert_cmpstr (menugen_history_entry_get_photo_sha256 (entry), ==, test->record.photo_sha256);
  g_assert_cmpint (menugen_history_entry_get_result_width (entry), ==, 1024);
  g_assert_cmpint (menugen_history_entry_get_result_height (entry), ==, 1536);
  assert_file_equals (menugen_history_entry_get_result_file (entry), test->record.result_png);
  assert_file_equals (menugen_history_entry_get_photo_file (entry), test->record.photo);

  /* The entry that save returns reads the same as the listed one. */
  g_assert_cmpstr (menugen_history_entry_get_model (saved), ==, "gemini-2.5-flash-image");
  g_assert_true (g_date_time_equal (menugen_history_entry_get_created (saved), test->finished));
  g_assert_true (g_file_equal (menugen_history_entry_get_result_file (saved),
                               menugen_history_entry_get_result_file (entry)));
}

static void
test_record_contents (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "record", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (fixture->history, test);
  g_autofree char *path = child_path (fixture, test->job_id, "job.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, test->job_id);
  g_assert_cmpstr (json_object_get_string_member (object, "started"), ==, "2024-05-17T12:30:00Z");
  g_assert_cmpstr (json_object_get_string_member (object, "finished"), ==, "2024-05-17T12:31:15.500000Z");
  g_assert_cmpstr (json_object_get_string_member (object, "backend-kind"), ==, "gemini");
  g_assert_cmpstr (json_object_get_string_member (object, "backend-name"), ==, "My Gemini");
  g_assert_cmpstr (json_object_get_string_member (object, "photo-file"), ==, "photo.jpg");
  g_assert_cmpstr (json_object_get_string_member (object, "photo-mime-type"), ==, "image/jpeg");
  g_assert_cmpint (json_object_get_int_member (object, "photo-width"), ==, 2048);
  g_assert_cmpint (json_object_get_int_member (object, "photo-height"), ==, 1536);
  g_assert_cmpstr (json_object_get_string_member (object, "photo-sha256"), ==, test->record.photo_sha256);
  g_assert_cmpint (json_object_get_int_member (object, "result-width"), ==, 1024);
  g_assert_cmpint (json_object_get_int_member (object, "result-height"), ==, 1536);
  g_assert_cmpstr (json_object_get_string_member (object, "requested-aspect-ratio"), ==, "2:3");
}

static void
test_record_has_no_key (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "key", 64);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autofree char *path = child_path (fixture, test->job_id, "job.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = NULL;
  g_autofree char *contents = NULL;

  /* The key is in the environment as it is for a real job, so a record
   * that copied it from anywhere would show it. */
  g_setenv ("MENUGEN_API_KEY", FAKE_KEY, TRUE);
  entry = save_ok (fixture->history, test);
  g_setenv ("MENUGEN_API_KEY", "", TRUE);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (contents, FAKE_KEY));

  json_parser_load_from_data (parser, contents, -1, &error);
  g_assert_no_error (error);
  members = json_object_get_members (json_node_get_object (json_parser_get_root (parser)));
  g_assert_cmpuint (g_list_length (members), >=, 15);

  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *name = g_ascii_strdown (l->data, -1);

      g_test_message ("member %s", name);
      g_assert_null (strstr (name, "key"));
      g_assert_null (strstr (name, "token"));
      g_assert_null (strstr (name, "secret"));
    }
}

static void
test_png_photo_name (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "png", 64);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autofree char *photo = NULL;

  test->record.photo_mime_type = "image/png";
  entry = save_ok (fixture->history, test);
  photo = g_file_get_basename (menugen_history_entry_get_photo_file (entry));

  g_assert_cmpstr (photo, ==, "photo.png");
}

static void
test_unsupported_photo_type (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "webp", 64);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  test->record.photo_mime_type = "image/webp";
  entry = menugen_history_save (fixture->history, &test->record, NULL, &error);

  g_assert_null (entry);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "image/webp"));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_invalid_job_id (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *invalid[] = { "", "..", "../escape", "a/b", ".hidden", "tab\tid" };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(TestRecord) test = test_record_new (invalid[i], "bad id", 64);
      g_autoptr(GError) error = NULL;
      g_autoptr(MenugenHistoryEntry) entry = NULL;

      entry = menugen_history_save (fixture->history, &test->record, NULL, &error);
      g_test_message ("job id “%s”", invalid[i]);
      g_assert_null (entry);
      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
    }

  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_newest_first (Fixture       *fixture,
                   gconstpointer  data)
{
  const int minutes[] = { 10, 30, 20 };
  const char *ids[] = { "job-10", "job-30", "job-20" };
  g_autoptr(GPtrArray) entries = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (minutes); i++)
    {
      g_autoptr(TestRecord) test = test_record_new (ids[i], ids[i], 64);
      g_autoptr(MenugenHistoryEntry) entry = NULL;

      g_date_time_unref (test->finished);
      test->finished = g_date_time_new_utc (2024, 1, 1, 9, minutes[i], 0);
      test->record.finished = test->finished;
      entry = save_ok (fixture->history, test);
    }

  entries = list_ok (fixture->history, NULL);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (entries, 0)), ==, "job-30");
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (entries, 1)), ==, "job-20");
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (entries, 2)), ==, "job-10");
}

static void
test_entry_properties (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "properties", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (fixture->history, test);
  g_autofree char *id = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *name = NULL;
  g_autofree char *model = NULL;
  g_autofree char *notes = NULL;
  g_autofree char *instruction = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autoptr(GFile) result_file = NULL;
  g_autoptr(GFile) photo_file = NULL;
  GParamSpec *pspec;

  g_object_get (entry,
                "id", &id,
                "created", &created,
                "backend-kind", &kind,
                "backend-name", &name,
                "model", &model,
                "notes", &notes,
                "instruction", &instruction,
                "result-file", &result_file,
                "photo-file", &photo_file,
                NULL);

  g_assert_cmpstr (id, ==, test->job_id);
  g_assert_true (g_date_time_equal (created, test->finished));
  g_assert_cmpstr (kind, ==, "gemini");
  g_assert_cmpstr (name, ==, "My Gemini");
  g_assert_cmpstr (model, ==, test->record.model);
  g_assert_cmpstr (notes, ==, test->record.notes);
  g_assert_cmpstr (instruction, ==, test->record.instruction);
  g_assert_true (result_file == menugen_history_entry_get_result_file (entry));
  g_assert_true (photo_file == menugen_history_entry_get_photo_file (entry));

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (entry), "model");
  g_assert_nonnull (pspec);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
}

static void
test_delete (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TestRecord) keep = test_record_new ("keep", "keep", 64);
  g_autoptr(TestRecord) drop = test_record_new ("drop", "drop", 64);
  g_autoptr(MenugenHistoryEntry) kept = save_ok (fixture->history, keep);
  g_autoptr(MenugenHistoryEntry) dropped = save_ok (fixture->history, drop);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *names = NULL;

  g_assert_true (menugen_history_delete (fixture->history, dropped, NULL, &error));
  g_assert_no_error (error);

  names = list_root_names (fixture);
  g_assert_cmpstr (names, ==, "keep");

  entries = list_ok (fixture->history, NULL);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (entries, 0)), ==, "keep");
}

typedef struct {
  gboolean deleted;
  GError *error;
  gboolean done;
} DeleteDone;

static void
delete_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DeleteDone *delete = user_data;

  delete->deleted = menugen_history_delete_finish (MENUGEN_HISTORY (source), result, &delete->error);
  delete->done = TRUE;
}

static void
test_delete_async (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new ("async-delete", "async", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (fixture->history, test);
  g_autofree char *folder = child_path (fixture, "async-delete", NULL);
  DeleteDone delete = { 0 };

  menugen_history_delete_async (fixture->history, entry, NULL, delete_done_cb, &delete);
  g_assert_true (menugen_test_wait_for (&delete.done, 10));

  g_assert_no_error (delete.error);
  g_assert_true (delete.deleted);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

static void
test_delete_outside_root (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *scratch = g_path_get_dirname (fixture->path);
  g_autofree char *other_path = g_build_filename (scratch, "other", NULL);
  g_autoptr(GFile) other_root = g_file_new_for_path (other_path);
  g_autoptr(MenugenHistory) other = menugen_history_new (other_root);
  g_autoptr(TestRecord) test = test_record_new ("elsewhere", "elsewhere", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (other, test);
  g_autofree char *folder = g_build_filename (other_path, "elsewhere", "result.png", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (menugen_history_delete (fixture->history, entry, NULL, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_REGULAR));
}

static void
test_delete_keeps_link_targets (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new ("linked", "linked", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (fixture->history, test);
  g_autofree char *scratch = g_path_get_dirname (fixture->path);
  g_autofree char *outside = g_build_filename (scratch, "outside", NULL);
  g_autofree char *outside_file = g_build_filename (outside, "keep.txt", NULL);
  g_autofree char *link = child_path (fixture, "linked", "link-to-outside", NULL);
  g_autofree char *folder = child_path (fixture, "linked", NULL);
  g_autoptr(GError) error = NULL;

  /* A link inside an entry must go without what it points to. */
  write_text (outside_file, "not part of the history");
  g_assert_cmpint (symlink (outside, link), ==, 0);

  g_assert_true (menugen_history_delete (fixture->history, entry, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (outside_file, G_FILE_TEST_IS_REGULAR));
}

static const char valid_record[] =
  "{\"version\": 1, \"finished\": \"2024-02-03T04:05:06Z\", \"backend-kind\": \"comfyui\","
  " \"model\": \"\", \"instruction\": \"Draw\", \"result-width\": 10, \"result-height\": 20}";

static gboolean
problems_mention (GPtrArray  *problems,
                  const char *text)
{
  for (guint i = 0; i < problems->len; i++)
    if (strstr (g_ptr_array_index (problems, i), text) != NULL)
      return TRUE;

  return FALSE;
}

static void
test_damaged_entries (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *empty = child_path (fixture, "empty", NULL);
  g_autofree char *garbage = child_path (fixture, "garbage", "job.json", NULL);
  g_autofree char *no_result = child_path (fixture, "no-result", "job.json", NULL);
  g_autofree char *wrong_type = child_path (fixture, "wrong-type", "job.json", NULL);
  g_autofree char *wrong_type_result = child_path (fixture, "wrong-type", "result.png", NULL);
  g_autofree char *array = child_path (fixture, "array", "job.json", NULL);
  g_autofree char *array_result = child_path (fixture, "array", "result.png", NULL);
  g_autofree char *folder_result = child_path (fixture, "result-folder", "result.png", "x", NULL);
  g_autofree char *folder_record = child_path (fixture, "result-folder", "job.json", NULL);
  g_autofree char *temporary = child_path (fixture, ".tmp-half-0123abcd", "photo.jpg", NULL);
  g_autofree char *stray = child_path (fixture, "stray.txt", NULL);
  g_autoptr(TestRecord) test = test_record_new ("good", "good", 64);
  g_autoptr(MenugenHistoryEntry) saved = save_ok (fixture->history, test);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  write_text (garbage, "{\"finished\": \"2024-02-03T04:05:06Z\", \"model\": ");
  write_text (no_result, valid_record);
  write_text (wrong_type, "{\"finished\": \"2024-02-03T04:05:06Z\", \"backend-kind\": \"gemini\","
                          " \"model\": 7, \"instruction\": \"Draw\"}");
  write_text (wrong_type_result, "png");
  write_text (array, "[1, 2, 3]");
  write_text (array_result, "png");
  write_text (folder_result, "not a result");
  write_text (folder_record, valid_record);
  write_text (temporary, "half written");
  write_text (stray, "not an entry");

  entries = list_ok (fixture->history, &problems);

  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (entries, 0)), ==, "good");
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", (char *) g_ptr_array_index (problems, i));
  g_assert_cmpuint (problems->len, ==, 6);
  g_assert_true (problems_mention (problems, "/empty has no job.json"));
  g_assert_true (problems_mention (problems, "/garbage/job.json is not valid JSON"));
  g_assert_true (problems_mention (problems, "/no-result has no result.png"));
  g_assert_true (problems_mention (problems, "/wrong-type/job.json has no valid “model”"));
  g_assert_true (problems_mention (problems, "/array/job.json does not contain a JSON object"));
  g_assert_true (problems_mention (problems, "/result-folder has no result.png"));
  g_assert_false (problems_mention (problems, ".tmp-half"));
  g_assert_true (g_file_test (temporary, G_FILE_TEST_EXISTS));
}

static void
test_garbage_never_crashes (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *records[] = {
    "", "null", "\"text\"", "{}", "{\"finished\": null}", "\xff\xfe\x00\x01",
    "{\"finished\": \"yesterday\", \"backend-kind\": \"a\", \"model\": \"b\", \"instruction\": \"c\","
    " \"result-width\": 1, \"result-height\": 1}",
    "{\"finished\": \"2024-02-03T04:05:06Z\", \"backend-kind\": \"a\", \"model\": \"b\","
    " \"instruction\": \"c\", \"result-width\": 1e99, \"result-height\": -4}",
    "{\"finished\": \"2024-02-03T04:05:06Z\", \"backend-kind\": [], \"model\": {},"
    " \"instruction\": true}",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint n_folders = G_N_ELEMENTS (records) + 20;

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      g_autofree char *name = g_strdup_printf ("case-%u", i);
      g_autofree char *path = child_path (fixture, name, "job.json", NULL);
      g_autofree char *result = child_path (fixture, name, "result.png", NULL);

      write_text (path, records[i]);
      write_text (result, "png");
    }

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("random-%u", i);
      g_autofree char *folder = child_path (fixture, name, NULL);
      g_autofree char *path = child_path (fixture, name, "job.json", NULL);
      g_autoptr(GError) error = NULL;
      guint8 bytes[300];

      for (guint j = 0; j < sizeof bytes; j++)
        bytes[j] = g_rand_int_range (rand, 0, 256);
      g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
      g_file_set_contents (path, (char *) bytes, sizeof bytes, &error);
      g_assert_no_error (error);
    }

  entries = list_ok (fixture->history, &problems);
  g_assert_cmpuint (entries->len, ==, 0);
  g_assert_cmpuint (problems->len, ==, n_folders);
}

static void
test_stale_temporary_removed (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *stale = child_path (fixture, ".tmp-old-00000000", NULL);
  g_autofree char *stale_file = child_path (fixture, ".tmp-old-00000000", "result.png", NULL);
  g_autofree char *fresh_file = child_path (fixture, ".tmp-new-11111111", "result.png", NULL);
  g_autoptr(GFile) stale_folder = g_file_new_for_path (stale);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  guint64 two_days_ago = g_get_real_time () / G_USEC_PER_SEC - 2 * 24 * 3600;
  g_autofree char *names = NULL;

  write_text (stale_file, "old");
  write_text (fresh_file, "new");
  g_file_set_attribute_uint64 (stale_folder, G_FILE_ATTRIBUTE_TIME_MODIFIED, two_days_ago,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);

  entries = list_ok (fixture->history, &problems);
  names = list_root_names (fixture);

  g_assert_cmpuint (entries->len, ==, 0);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpstr (names, ==, ".tmp-new-11111111");
}

static void
test_missing_root (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = list_ok (fixture->history, &problems);

  g_assert_cmpuint (entries->len, ==, 0);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_root_is_file (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  write_text (fixture->path, "not a folder");
  entries = menugen_history_list (fixture->history, &problems, NULL, &error);

  g_assert_null (entries);
  g_assert_null (problems);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

/* The check creates a missing root and leaves nothing else behind. */
static void
test_check_writable (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  g_assert_true (menugen_history_check_writable (fixture->history, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_IS_DIR));
  names = list_root_names (fixture);
  g_assert_cmpstr (names, ==, "");
}

static void
test_check_writable_root_is_file (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  write_text (fixture->path, "not a folder");

  g_assert_false (menugen_history_check_writable (fixture->history, &error));
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

typedef struct {
  MenugenHistory *history;
  TestRecord *test;
  GMutex *mutex;
  GCond *cond;
  int *waiting;
  MenugenHistoryEntry *entry;
  GError *error;
} SaveThread;

/* Waits until every thread is ready, so both saves start together. */
static gpointer
save_thread (gpointer data)
{
  SaveThread *thread = data;

  g_mutex_lock (thread->mutex);
  (*thread->waiting)--;
  g_cond_broadcast (thread->cond);
  while (*thread->waiting > 0)
    g_cond_wait (thread->cond, thread->mutex);
  g_mutex_unlock (thread->mutex);

  thread->entry = menugen_history_save (thread->history, &thread->test->record, NULL, &thread->error);
  return NULL;
}

static void
test_parallel_saves (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestRecord) first = test_record_new (NULL, "first run", 256 * 1024);
  g_autoptr(TestRecord) second = test_record_new (NULL, "second run", 256 * 1024);
  g_autoptr(GPtrArray) entries = NULL;
  GMutex mutex;
  GCond cond;
  int waiting = 2;
  SaveThread threads[2] = {
    { fixture->history, first, &mutex, &cond, &waiting },
    { fixture->history, second, &mutex, &cond, &waiting },
  };
  GThread *handles[2];

  g_mutex_init (&mutex);
  g_cond_init (&cond);
  for (guint i = 0; i < 2; i++)
    handles[i] = g_thread_new ("save", save_thread, &threads[i]);
  for (guint i = 0; i < 2; i++)
    g_thread_join (handles[i]);
  g_mutex_clear (&mutex);
  g_cond_clear (&cond);

  g_assert_no_error (threads[0].error);
  g_assert_no_error (threads[1].error);
  g_assert_cmpstr (first->job_id, !=, second->job_id);
  assert_file_equals (menugen_history_entry_get_result_file (threads[0].entry), first->record.result_png);
  assert_file_equals (menugen_history_entry_get_result_file (threads[1].entry), second->record.result_png);

  entries = list_ok (fixture->history, NULL);
  g_assert_cmpuint (entries->len, ==, 2);

  g_object_unref (threads[0].entry);
  g_object_unref (threads[1].entry);
}

static void
test_same_id_not_overwritten (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestRecord) first = test_record_new ("20240517-123000-0badcafe", "first", 64);
  g_autoptr(TestRecord) second = test_record_new ("20240517-123000-0badcafe", "second", 64);
  g_autoptr(MenugenHistoryEntry) entry = save_ok (fixture->history, first);
  g_autoptr(MenugenHistoryEntry) duplicate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  duplicate = menugen_history_save (fixture->history, &second->record, NULL, &error);

  g_assert_null (duplicate);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "already exists"));
  assert_file_equals (menugen_history_entry_get_result_file (entry), first->record.result_png);
  names = list_root_names (fixture);
  g_assert_cmpstr (names, ==, "20240517-123000-0badcafe");
}

static void
test_same_id_empty_folder_kept (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new ("taken", "taken", 64);
  g_autofree char *existing_path = child_path (fixture, "taken", NULL);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;
  g_autoptr(GDir) dir = NULL;

  /* rename(2) would replace an empty folder, which must not happen. */
  g_assert_cmpint (g_mkdir_with_parents (existing_path, 0700), ==, 0);
  entry = menugen_history_save (fixture->history, &test->record, NULL, &error);

  g_assert_null (entry);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  dir = g_dir_open (existing_path, 0, NULL);
  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
  names = list_root_names (fixture);
  g_assert_cmpstr (names, ==, "taken");
}

static void
test_cancelled_save_leaves_nothing (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "cancelled", 64);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  g_cancellable_cancel (cancellable);
  entry = menugen_history_save (fixture->history, &test->record, cancellable, &error);
  names = list_root_names (fixture);

  g_assert_null (entry);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (names, ==, "");
}

typedef struct {
  MenugenHistory *history;
  gboolean done;
  guint saved;
} AtomicSaves;

static gpointer
atomic_saves_thread (gpointer data)
{
  AtomicSaves *saves = data;

  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(TestRecord) test = test_record_new (NULL, "atomic", 6 * 1024 * 1024);
      g_autoptr(GError) error = NULL;
      g_autoptr(MenugenHistoryEntry) entry = menugen_history_save (saves->history, &test->record,
                                                                   NULL, &error);

      g_assert_no_error (error);
      g_atomic_int_inc (&saves->saved);
    }

  g_atomic_int_set (&saves->done, TRUE);
  return NULL;
}

/* Checks every visible entry folder while saves run in another thread:
 * once a folder named after an id exists, its files must be complete. */
static guint
check_visible_entries (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->path, 0, NULL);
  const char *name;
  guint checked = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *record = child_path (fixture, name, "job.json", NULL);
      g_autofree char *result = child_path (fixture, name, "result.png", NULL);
      GStatBuf result_stat;

      if (name[0] == '.')
        continue;

      g_assert_true (g_file_test (record, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpint (g_stat (result, &result_stat), ==, 0);
      g_assert_cmpint (result_stat.st_size, ==, 6 * 1024 * 1024);
      checked++;
    }

  return checked;
}

static void
test_atomic_visibility (Fixture       *fixture,
                        gconstpointer  data)
{
  AtomicSaves saves = { fixture->history };
  GThread *thread = g_thread_new ("atomic", atomic_saves_thread, &saves);
  guint polls = 0;

  while (!g_atomic_int_get (&saves.done))
    {
      check_visible_entries (fixture);
      polls++;
    }
  g_thread_join (thread);

  g_test_message ("polled the history folder %u times", polls);
  g_assert_cmpuint (polls, >, 1);
  g_assert_cmpuint (check_visible_entries (fixture), ==, 6);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MenugenHistoryEntry **entry = user_data;
  g_autoptr(GError) error = NULL;

  *entry = menugen_history_save_finish (MENUGEN_HISTORY (source), result, &error);
  g_assert_no_error (error);
}

typedef struct {
  GPtrArray *entries;
  GPtrArray *problems;
  gboolean done;
} ListDone;

static void
list_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ListDone *list = user_data;
  g_autoptr(GError) error = NULL;

  list->entries = menugen_history_list_finish (MENUGEN_HISTORY (source), result,
                                               &list->problems, &error);
  g_assert_no_error (error);
  list->done = TRUE;
}

static void
test_save_list_async (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestRecord) test = test_record_new (NULL, "async", 1024);
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GBytes) photo = g_bytes_ref (test->record.photo);
  g_autofree char *empty = child_path (fixture, "empty", NULL);
  ListDone list = { 0 };

  /* The record is copied, so the caller may free it at once. */
  menugen_history_save_async (fixture->history, &test->record, NULL, save_done_cb, &entry);
  g_clear_pointer (&test, test_record_free);
  while (entry == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  menugen_history_list_async (fixture->history, NULL, list_done_cb, &list);
  g_assert_true (menugen_test_wait_for (&list.done, 10));

  g_assert_cmpuint (list.entries->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (list.entries, 0)), ==,
                   menugen_history_entry_get_id (entry));
  g_assert_cmpuint (list.problems->len, ==, 1);
  assert_file_equals (menugen_history_entry_get_photo_file (entry), photo);

  g_ptr_array_unref (list.entries);
  g_ptr_array_unref (list.problems);
}

#define ADD_HISTORY_TEST(path, function) \
  g_test_add (path, Fixture, NULL, fixture_set_up, function, fixture_tear_down)

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/history/job-id-format", test_job_id_format);
  g_test_add_func ("/history/job-id-unique", test_job_id_unique);
  g_test_add_func ("/history/default-root", test_default_root);
  ADD_HISTORY_TEST ("/history/save-list-reopen", test_save_list_reopen);
  ADD_HISTORY_TEST ("/history/record-contents", test_record_contents);
  ADD_HISTORY_TEST ("/history/record-has-no-key", test_record_has_no_key);
  ADD_HISTORY_TEST ("/history/png-photo-name", test_png_photo_name);
  ADD_HISTORY_TEST ("/history/unsupported-photo-type", test_unsupported_photo_type);
  ADD_HISTORY_TEST ("/history/invalid-job-id", test_invalid_job_id);
  ADD_HISTORY_TEST ("/history/newest-first", test_newest_first);
  ADD_HISTORY_TEST ("/history/entry-properties", test_entry_properties);
  ADD_HISTORY_TEST ("/history/delete", test_delete);
  ADD_HISTORY_TEST ("/history/delete-async", test_delete_async);
  ADD_HISTORY_TEST ("/history/delete-outside-root", test_delete_outside_root);
  ADD_HISTORY_TEST ("/history/delete-keeps-link-targets", test_delete_keeps_link_targets);
  ADD_HISTORY_TEST ("/history/damaged-entries", test_damaged_entries);
  ADD_HISTORY_TEST ("/history/garbage-never-crashes", test_garbage_never_crashes);
  ADD_HISTORY_TEST ("/history/stale-temporary-removed", test_stale_temporary_removed);
  ADD_HISTORY_TEST ("/history/missing-root", test_missing_root);
  ADD_HISTORY_TEST ("/history/root-is-file", test_root_is_file);
  ADD_HISTORY_TEST ("/history/check-writable", test_check_writable);
  ADD_HISTORY_TEST ("/history/check-writable-root-is-file", test_check_writable_root_is_file);
  ADD_HISTORY_TEST ("/history/parallel-saves", test_parallel_saves);
  ADD_HISTORY_TEST ("/history/same-id-not-overwritten", test_same_id_not_overwritten);
  ADD_HISTORY_TEST ("/history/same-id-empty-folder-kept", test_same_id_empty_folder_kept);
  ADD_HISTORY_TEST ("/history/cancelled-save-leaves-nothing", test_cancelled_save_leaves_nothing);
  ADD_HISTORY_TEST ("/history/atomic-visibility", test_atomic_visibility);
  ADD_HISTORY_TEST ("/history/save-list-async", test_save_list_async);

  return g_test_run ();
}
