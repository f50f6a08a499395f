#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "core/menugen-error.h"
#include "core/menugen-history.h"
#include "test-util.h"
#include "ui/menugen-drag.h"
#include "ui/menugen-history-list.h"
#include "ui/menugen-print.h"
#include "ui/menugen-reopen.h"
#include "ui/menugen-thumbnails.h"
#include "ui/menugen-variants.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct {
  char *scratch;
  GFile *root;
  MenugenHistory *history;
  GtkWindow *window;
  MenugenHistoryList *list;
  GPtrArray *problems;      /* every sentence of every "problems" emission */
  guint problem_signals;
  GPtrArray *activated;     /* entries of "entry-activated" */
  GPtrArray *deleted;       /* entries of "entry-deleted" */
} Fixture;

typedef gboolean (*Predicate) (gpointer data);

typedef struct {
  Predicate predicate;
  gpointer data;
  gboolean done;
} Poll;

static gboolean
poll_cb (gpointer user_data)
{
  Poll *poll = user_data;

  poll->done = poll->predicate (poll->data);
  return poll->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean
wait_until (Predicate predicate,
            gpointer  data)
{
  Poll poll = { predicate, data, predicate (data) };
  guint id = 0;

  if (!poll.done)
    id = g_timeout_add (10, poll_cb, &poll);

  menugen_test_wait_for (&poll.done, 20);
  if (!poll.done)
    g_source_remove (id);

  return poll.done;
}

static void
run_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
is_loaded (gpointer data)
{
  return !menugen_history_list_get_loading (data);
}

static void
problems_cb (MenugenHistoryList *list,
             char              **messages,
             Fixture            *fixture)
{
  fixture->problem_signals++;
  for (guint i = 0; messages[i] != NULL; i++)
    g_ptr_array_add (fixture->problems, g_strdup (messages[i]));
}

static void
activated_cb (MenugenHistoryList  *list,
              MenugenHistoryEntry *entry,
              Fixture             *fixture)
{
  g_ptr_array_add (fixture->activated, g_object_ref (entry));
}

static void
deleted_cb (MenugenHistoryList  *list,
            MenugenHistoryEntry *entry,
            Fixture             *fixture)
{
  g_ptr_array_add (fixture->deleted, g_object_ref (entry));
}

static MenugenHistoryList *
make_list (Fixture *fixture)
{
  MenugenHistoryList *list = MENUGEN_HISTORY_LIST (menugen_history_list_new ());

  g_signal_connect (list, "problems", G_CALLBACK (problems_cb), fixture);
  g_signal_connect (list, "entry-activated", G_CALLBACK (activated_cb), fixture);
  g_signal_connect (list, "entry-deleted", G_CALLBACK (deleted_cb), fixture);
  return list;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *path = NULL;

  fixture->scratch = menugen_test_make_scratch_dir ();
  path = g_build_filename (fixture->scratch, "history", NULL);
  fixture->root = g_file_new_for_path (path);
  fixture->history = menugen_history_new (fixture->root);
  fixture->problems = g_ptr_array_new_with_free_func (g_free);
  fixture->activated = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->deleted = g_ptr_array_new_with_free_func (g_object_unref);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  fixture->list = make_list (fixture);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->list));
  gtk_window_set_default_size (fixture->window, 360, 600);
  gtk_window_present (fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != fixture->window)
      gtk_window_destroy (l->data);

  gtk_window_destroy (fixture->window);
  run_pending ();

  menugen_test_remove_tree (fixture->scratch);
  g_clear_pointer (&fixture->problems, g_ptr_array_unref);
  g_clear_pointer (&fixture->activated, g_ptr_array_unref);
  g_clear_pointer (&fixture->deleted, g_ptr_array_unref);
  g_clear_object (&fixture->history);
  g_clear_object (&fixture->root);
  g_clear_pointer (&fixture->scratch, g_free);
}

/* Saves an entry through the history store, finished @minute minutes
 * after 12:00 UTC on 17 May 2024, with a real JPEG photo and PNG result. */
static MenugenHistoryEntry *
save_entry (Fixture    *fixture,
            int         minute,
            const char *model,
            const char *sha256)
{
  g_autoptr(GBytes) photo = menugen_test_make_jpeg (64, 48, 0, FALSE);
  g_autoptr(GBytes) result = menugen_test_make_png (40, 60);
  g_autoptr(GDateTime) finished = g_date_time_new_utc (2024, 5, 17, 12, minute, 0);
  g_autoptr(GError) error = NULL;
  MenugenHistoryRecord record = {
    .backend_kind = "gemini",
    .backend_name = "Test Gemini",
    .model = model,
    .instruction = "Draw every dish.",
    .notes = "Notes from the model.",
    .started = finished,
    .finished = finished,
    .photo = photo,
    .photo_mime_type = "image/jpeg",
    .photo_sha256 = sha256,
    .photo_width = 64,
    .photo_height = 48,
    .result_png = result,
    .result_width = 40,
    .result_height = 60,
  };
  MenugenHistoryEntry *entry = menugen_history_save (fixture->history, &record, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  return entry;
}

static void
load (Fixture *fixture)
{
  menugen_history_list_set_history (fixture->list, fixture->history);
  g_assert_true (wait_until (is_loaded, fixture->list));
}

static MenugenHistoryEntry *
model_entry (MenugenHistoryList *list,
             guint               position)
{
  g_autoptr(MenugenHistoryEntry) entry = g_list_model_get_item (menugen_history_list_get_model (list), position);

  return entry;
}

static guint
n_entries (MenugenHistoryList *list)
{
  return g_list_model_get_n_items (menugen_history_list_get_model (list));
}

static void
collect_widgets (GtkWidget *widget,
                 GType      type,
                 GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, type, found);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_widgets (root, type, found);
  return found->len > 0 ? g_ptr_array_index (found, 0) : NULL;
}

/* Texts of the mapped labels under @root, in widget tree order, which is
 * top to bottom for the rows of a list view. */
static GPtrArray *
mapped_labels (GtkWidget *root)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  collect_widgets (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_get_mapped (g_ptr_array_index (labels, i)))
      g_ptr_array_add (texts, g_strdup (gtk_label_get_text (g_ptr_array_index (labels, i))));

  return texts;
}

static gboolean
has_string (GPtrArray  *strings,
            const char *text)
{
  return g_ptr_array_find_with_equal_func (strings, text, g_str_equal, NULL);
}

/* The box above the rows that shows damaged entries: the parent of the
 * button with the history-list.dismiss-problems action. */
static GtkWidget *
find_problems_box (MenugenHistoryList *list)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_widgets (GTK_WIDGET (list), GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (g_ptr_array_index (buttons, i)),
                   "history-list.dismiss-problems") == 0)
      return gtk_widget_get_parent (g_ptr_array_index (buttons, i));

  g_assert_not_reached ();
}

static gboolean
any_contains (GPtrArray  *strings,
              const char *text)
{
  for (guint i = 0; i < strings->len; i++)
    if (strstr (g_ptr_array_index (strings, i), text) != NULL)
      return TRUE;

  return FALSE;
}

static guint
string_index (GPtrArray  *strings,
              const char *text)
{
  guint index = G_MAXUINT;

  g_ptr_array_find_with_equal_func (strings, text, g_str_equal, &index);
  return index;
}

static gboolean
pictures_have_textures (gpointer data)
{
  g_autoptr(GPtrArray) pictures = g_ptr_array_new ();
  guint with_texture = 0;

  collect_widgets (data, GTK_TYPE_PICTURE, pictures);
  for (guint i = 0; i < pictures->len; i++)
    if (GDK_IS_TEXTURE (gtk_picture_get_paintable (g_ptr_array_index (pictures, i))))
      with_texture++;

  return pictures->len > 0 && with_texture == pictures->len;
}

static void
test_newest_first (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) middle = save_entry (fixture, 20, "model-middle", SHA_A);
  g_autoptr(MenugenHistoryEntry) oldest = save_entry (fixture, 10, "model-oldest", SHA_A);
  g_autoptr(MenugenHistoryEntry) newest = save_entry (fixture, 30, "model-newest", SHA_B);
  g_autoptr(GPtrArray) texts = NULL;
  g_autofree char *newest_date = menugen_history_entry_format_date (newest);
  g_autofree char *oldest_date = menugen_history_entry_format_date (oldest);

  load (fixture);

  g_assert_cmpuint (n_entries (fixture->list), ==, 3);
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 0)), ==,
                   menugen_history_entry_get_id (newest));
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 1)), ==,
                   menugen_history_entry_get_id (middle));
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 2)), ==,
                   menugen_history_entry_get_id (oldest));
  g_assert_cmpuint (fixture->problem_signals, ==, 0);

  /* The rows show date, back-end and model, newest at the top. */
  run_pending ();
  texts = mapped_labels (GTK_WIDGET (fixture->list));
  g_assert_true (has_string (texts, newest_date));
  g_assert_true (has_string (texts, "Test Gemini · model-newest"));
  g_assert_true (has_string (texts, "Test Gemini · model-oldest"));
  g_assert_cmpuint (string_index (texts, "Test Gemini · model-newest"), <,
                    string_index (texts, "Test Gemini · model-oldest"));
  g_assert_true (g_str_has_prefix (newest_date, "17 May 2024"));
  g_assert_true (has_string (texts, oldest_date));
  g_assert_false (gtk_widget_get_visible (find_problems_box (fixture->list)));

  /* Thumbnails arrive from a worker thread, scaled down. */
  g_assert_true (wait_until (pictures_have_textures, fixture->list));
}

static gboolean
picture_has_paintable (gpointer data)
{
  return gtk_picture_get_paintable (data) != NULL;
}

static void
test_thumbnail_size (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 5, "m", SHA_A);
  g_autoptr(MenugenThumbnails) thumbnails = menugen_thumbnails_new (16);
  g_autoptr(GtkWidget) picture = g_object_ref_sink (gtk_picture_new ());
  GFile *file = menugen_history_entry_get_result_file (entry);
  GdkPaintable *paintable;

  menugen_thumbnails_set_picture (thumbnails, GTK_PICTURE (picture), file);
  g_assert_null (gtk_picture_get_paintable (GTK_PICTURE (picture)));
  g_assert_true (wait_until (picture_has_paintable, picture));

  paintable = gtk_picture_get_paintable (GTK_PICTURE (picture));
  g_assert_true (GDK_IS_TEXTURE (paintable));
  g_assert_cmpint (gdk_texture_get_height (GDK_TEXTURE (paintable)), ==, 16);
  g_assert_cmpint (gdk_texture_get_width (GDK_TEXTURE (paintable)), <, 16);
  g_assert_true (menugen_thumbnails_lookup (thumbnails, file) == paintable);

  menugen_thumbnails_forget (thumbnails, file);
  g_assert_null (menugen_thumbnails_lookup (thumbnails, file));
}

static void
test_thumbnail_damaged (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 5, "m", SHA_A);
  g_autoptr(MenugenThumbnails) thumbnails = menugen_thumbnails_new (32);
  GtkWidget *picture = gtk_picture_new ();
  GFile *file = menugen_history_entry_get_result_file (entry);
  g_autoptr(GError) error = NULL;

  g_file_replace_contents (file, "not a png", 9, NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error);
  g_assert_no_error (error);

  gtk_window_set_child (fixture->window, picture);
  menugen_thumbnails_set_picture (thumbnails, GTK_PICTURE (picture), file);
  g_assert_true (wait_until (picture_has_paintable, picture));
  g_assert_false (GDK_IS_TEXTURE (gtk_picture_get_paintable (GTK_PICTURE (picture))));
  g_assert_null (menugen_thumbnails_lookup (thumbnails, file));
}

static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkWidget *status;

  load (fixture);
  run_pending ();

  g_assert_cmpuint (n_entries (fixture->list), ==, 0);
  status = find_widget (GTK_WIDGET (fixture->list), ADW_TYPE_STATUS_PAGE);
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No Menus Yet");
  g_assert_true (gtk_widget_get_child_visible (status));
  g_assert_cmpuint (fixture->problem_signals, ==, 0);
}

static void
test_restart (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) first = save_entry (fixture, 1, "model-1", SHA_A);
  g_autoptr(MenugenHistoryEntry) second = save_entry (fixture, 2, "model-2", SHA_A);
  g_autoptr(MenugenHistory) history = NULL;
  g_autoptr(GFile) root = NULL;
  MenugenHistoryList *restarted;

  load (fixture);
  g_assert_cmpuint (n_entries (fixture->list), ==, 2);

  /* A new store and widget on the same folder, as after a restart. */
  root = g_file_dup (fixture->root);
  history = menugen_history_new (root);
  restarted = make_list (fixture);
  gtk_window_set_child (fixture->window, GTK_WIDGET (restarted));
  menugen_history_list_set_history (restarted, history);
  g_assert_true (menugen_history_list_get_loading (restarted));
  g_assert_true (wait_until (is_loaded, restarted));

  g_assert_cmpuint (n_entries (restarted), ==, 2);
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (restarted, 0)), ==,
                   menugen_history_entry_get_id (second));
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (restarted, 1)), ==,
                   menugen_history_entry_get_id (first));
  g_assert_cmpstr (menugen_history_entry_get_model (model_entry (restarted, 1)), ==, "model-1");
}

static void
write_file (GFile      *root,
            const char *folder,
            const char *name,
            const char *contents)
{
  g_autofree char *directory = g_build_filename (g_file_peek_path (root), folder, NULL);
  g_autofree char *path = g_build_filename (directory, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (directory, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
test_damaged_entries (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) good = save_entry (fixture, 1, "model-good", SHA_A);
  g_autoptr(MenugenHistoryEntry) half = save_entry (fixture, 2, "model-half", SHA_A);
  g_autoptr(GFile) half_result = g_object_ref (menugen_history_entry_get_result_file (half));
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *problems_box;

  /* Invalid JSON, a record cut off while writing, a folder without its
   * result, and a temporary folder of a save still running. */
  write_file (fixture->root, "20240517-120500-00000001", "job.json", "{ not json");
  write_file (fixture->root, "20240517-120600-00000002", "job.json", "{\"version\": 1, \"id\": \"20240517-1206");
  g_file_delete (half_result, NULL, &error);
  g_assert_no_error (error);
  write_file (fixture->root, ".tmp-20240517-120700-00000003-12345678", "result.png", "partial");

  load (fixture);

  g_assert_cmpuint (n_entries (fixture->list), ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 0)), ==,
                   menugen_history_entry_get_id (good));
  g_assert_cmpuint (fixture->problem_signals, ==, 1);
  g_assert_cmpuint (fixture->problems->len, ==, 3);
  for (guint i = 0; i < fixture->problems->len; i++)
    g_assert_true (strstr (g_ptr_array_index (fixture->problems, i), "history") != NULL);

  /* The list shows the sentences above its rows until dismissed. */
  problems_box = find_problems_box (fixture->list);
  g_assert_true (gtk_widget_get_visible (problems_box));
  run_pending ();
  texts = mapped_labels (GTK_WIDGET (fixture->list));
  for (guint i = 0; i < fixture->problems->len; i++)
    g_assert_true (any_contains (texts, g_ptr_array_index (fixture->problems, i)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "history-list.dismiss-problems", NULL));
  g_assert_false (gtk_widget_get_visible (problems_box));

  /* A reload, as after every job, reports nothing new. */
  menugen_history_list_reload (fixture->list);
  g_assert_true (wait_until (is_loaded, fixture->list));
  g_assert_cmpuint (n_entries (fixture->list), ==, 1);
  g_assert_cmpuint (fixture->problem_signals, ==, 1);
}

static void
test_reload_after_save (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) first = save_entry (fixture, 1, "model-1", SHA_A);
  g_autoptr(MenugenHistoryEntry) second = NULL;

  load (fixture);
  g_assert_cmpuint (n_entries (fixture->list), ==, 1);

  second = save_entry (fixture, 2, "model-2", SHA_A);
  menugen_history_list_reload (fixture->list);
  g_assert_true (menugen_history_list_get_loading (fixture->list));
  /* The rows stay while the reload runs. */
  g_assert_cmpuint (n_entries (fixture->list), ==, 1);
  g_assert_true (wait_until (is_loaded, fixture->list));
  g_assert_cmpuint (n_entries (fixture->list), ==, 2);
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 0)), ==,
                   menugen_history_entry_get_id (second));
}

static AdwMessageDialog *
find_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static gboolean
has_dialog (gpointer data)
{
  return find_dialog () != NULL;
}

static gboolean
has_no_entries (gpointer data)
{
  return n_entries (data) == 0;
}

static gboolean
has_one_entry (gpointer data)
{
  return n_entries (data) == 1;
}

/* The delete button of the row that shows @entry. */
static GtkWidget *
find_delete_button (MenugenHistoryList  *list,
                    MenugenHistoryEntry *entry)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_widgets (GTK_WIDGET (list), GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkActionable *button = g_ptr_array_index (buttons, i);
      GVariant *target = gtk_actionable_get_action_target_value (button);

      if (g_strcmp0 (gtk_actionable_get_action_name (button), "history-list.delete") == 0
          && target != NULL
          && g_strcmp0 (g_variant_get_string (target, NULL), menugen_history_entry_get_id (entry)) == 0)
        return GTK_WIDGET (button);
    }

  return NULL;
}

static void
test_delete (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) keep = save_entry (fixture, 1, "model-keep", SHA_A);
  g_autoptr(MenugenHistoryEntry) gone = save_entry (fixture, 2, "model-gone", SHA_A);
  g_autoptr(GFile) gone_folder = g_object_ref (menugen_history_entry_get_directory (gone));
  AdwMessageDialog *dialog;
  GtkWidget *button;

  load (fixture);
  run_pending ();
  g_assert_cmpuint (n_entries (fixture->list), ==, 2);

  /* The row's button opens a confirmation first, and "Cancel" keeps
   * everything. */
  button = find_delete_button (fixture->list, gone);
  g_assert_nonnull (button);
  gtk_widget_activate (button);
  g_assert_true (wait_until (has_dialog, NULL));
  dialog = find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Delete this menu?");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "delete"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  run_pending ();
  g_assert_cmpuint (n_entries (fixture->list), ==, 2);
  g_assert_true (g_file_query_exists (gone_folder, NULL));
  g_assert_cmpuint (fixture->deleted->len, ==, 0);

  /* "Delete" removes the folder and then the row. */
  button = find_delete_button (fixture->list, gone);
  gtk_widget_activate (button);
  g_assert_true (wait_until (has_dialog, NULL));
  adw_message_dialog_response (find_dialog (), "delete");
  g_assert_true (wait_until (has_one_entry, fixture->list));

  g_assert_false (g_file_query_exists (gone_folder, NULL));
  g_assert_true (g_file_query_exists (menugen_history_entry_get_directory (keep), NULL));
  g_assert_cmpstr (menugen_history_entry_get_id (model_entry (fixture->list, 0)), ==,
                   menugen_history_entry_get_id (keep));
  g_assert_cmpuint (fixture->deleted->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (fixture->deleted, 0)), ==,
                   menugen_history_entry_get_id (gone));
  g_assert_cmpuint (fixture->problem_signals, ==, 0);
}

static void
test_delete_last_shows_empty (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) only = save_entry (fixture, 1, "model-only", SHA_A);
  GtkWidget *dialog;

  load (fixture);
  dialog = menugen_history_list_confirm_delete (fixture->list, only);
  g_assert_true (ADW_IS_MESSAGE_DIALOG (dialog));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "delete");
  g_assert_true (wait_until (has_no_entries, fixture->list));
  run_pending ();

  g_assert_cmpuint (n_entries (fixture->list), ==, 0);
  g_assert_true (gtk_widget_get_child_visible (find_widget (GTK_WIDGET (fixture->list), ADW_TYPE_STATUS_PAGE)));
}

static void
test_activate (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) older = save_entry (fixture, 1, "model-older", SHA_A);
  g_autoptr(MenugenHistoryEntry) newer = save_entry (fixture, 2, "model-newer", SHA_A);
  GtkWidget *list_view;

  load (fixture);
  run_pending ();

  list_view = find_widget (GTK_WIDGET (fixture->list), GTK_TYPE_LIST_VIEW);
  g_assert_nonnull (list_view);
  /* The action a click or Enter on a row triggers. */
  g_assert_true (gtk_widget_activate_action (list_view, "list.activate-item", "u", 1));

  g_assert_cmpuint (fixture->activated->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (fixture->activated, 0)), ==,
                   menugen_history_entry_get_id (older));
  g_assert_cmpstr (menugen_history_entry_get_notes (g_ptr_array_index (fixture->activated, 0)), ==,
                   "Notes from the model.");
}

static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, 0x2060c0ff);
  return gdk_texture_new_for_pixbuf (pixbuf);
}

static void
assert_offers_file (GdkContentProvider *provider,
                    GFile              *expected)
{
  g_auto(GValue) file_value = G_VALUE_INIT;
  g_auto(GValue) list_value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkContentFormats) formats = gdk_content_provider_ref_formats (provider);
  GdkFileList *files;
  g_autoptr(GSList) list = NULL;

  g_assert_true (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST));
  g_assert_true (gdk_content_formats_contain_gtype (formats, G_TYPE_FILE));

  g_value_init (&file_value, G_TYPE_FILE);
  g_assert_true (gdk_content_provider_get_value (provider, &file_value, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_equal (g_value_get_object (&file_value), expected));

  g_value_init (&list_value, GDK_TYPE_FILE_LIST);
  g_assert_true (gdk_content_provider_get_value (provider, &list_value, &error));
  g_assert_no_error (error);
  files = g_value_get_boxed (&list_value);
  list = gdk_file_list_get_files (files);
  g_assert_cmpuint (g_slist_length (list), ==, 1);
  g_assert_true (g_file_equal (list->data, expected));
}

static void
test_drag_offers_file (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 1, "m", SHA_A);
  g_autoptr(GdkTexture) texture = make_texture (40, 60);
  g_autoptr(GdkContentProvider) provider = menugen_content_provider_new_for_entry (entry, texture);
  g_autoptr(GdkContentFormats) formats = NULL;
  g_autoptr(GtkEventController) source = GTK_EVENT_CONTROLLER (menugen_drag_source_new_for_entry (entry));
  g_auto(GValue) texture_value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  assert_offers_file (provider, menugen_history_entry_get_result_file (entry));
  path = g_file_get_path (menugen_history_entry_get_result_file (entry));
  g_assert_true (g_str_has_suffix (path, "/result.png"));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* Applications that take only images get the pixels. */
  g_value_init (&texture_value, GDK_TYPE_TEXTURE);
  g_assert_true (gdk_content_provider_get_value (provider, &texture_value, &error));
  g_assert_no_error (error);
  g_assert_true (g_value_get_object (&texture_value) == (gpointer) texture);

  /* The values serialize to the MIME types other processes read. */
  formats = gdk_content_formats_union_serialize_mime_types (gdk_content_provider_ref_formats (provider));
  g_assert_true (gdk_content_formats_contain_mime_type (formats, "text/uri-list"));
  g_assert_true (gdk_content_formats_contain_mime_type (formats, "image/png"));

  g_assert_cmpint (gtk_drag_source_get_actions (GTK_DRAG_SOURCE (source)), ==, GDK_ACTION_COPY);
  assert_offers_file (gtk_drag_source_get_content (GTK_DRAG_SOURCE (source)),
                      menugen_history_entry_get_result_file (entry));
}

/* Reads the first /MediaBox of a PDF written by cairo. */
static gboolean
read_media_box (const char *pdf,
                gsize       length,
                double     *width,
                double     *height)
{
  g_autoptr(GRegex) regex = g_regex_new ("/MediaBox \\[\\s*0 0 ([0-9.]+) ([0-9.]+)\\s*\\]", G_REGEX_RAW, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *w = NULL;
  g_autofree char *h = NULL;

  if (!g_regex_match_full (regex, pdf, length, 0, 0, &match, NULL))
    return FALSE;

  w = g_match_info_fetch (match, 1);
  h = g_match_info_fetch (match, 2);
  *width = g_ascii_strtod (w, NULL);
  *height = g_ascii_strtod (h, NULL);
  return TRUE;
}

static void
export_pdf (Fixture    *fixture,
            GdkTexture *texture,
            const char *name,
            double     *width,
            double     *height)
{
  g_autoptr(GtkPrintOperation) operation = menugen_print_operation_new (texture, "Test menu");
  g_autofree char *path = g_build_filename (fixture->scratch, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GtkPrintOperationResult result;
  gsize length = 0;

  gtk_print_operation_set_export_filename (operation, path);
  result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, GTK_PRINT_OPERATION_RESULT_APPLY);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 1000);
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));
  g_assert_true (read_media_box (contents, length, width, height));
}

static void
test_print_export (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GdkTexture) wide = make_texture (300, 200);
  g_autoptr(GdkTexture) tall = make_texture (200, 300);
  g_autoptr(GtkPrintOperation) operation = menugen_print_operation_new (wide, "Wide");
  double width = 0, height = 0;

  g_assert_cmpint (gtk_page_setup_get_orientation (gtk_print_operation_get_default_page_setup (operation)), ==,
                   GTK_PAGE_ORIENTATION_LANDSCAPE);

  export_pdf (fixture, wide, "wide.pdf", &width, &height);
  g_assert_cmpfloat (width, >, height);

  export_pdf (fixture, tall, "tall.pdf", &width, &height);
  g_assert_cmpfloat (width, <, height);
}

static gboolean
has_activation (gpointer data)
{
  Fixture *fixture = data;

  return fixture->activated->len > 0;
}

static void
test_variants (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) first = save_entry (fixture, 1, "model-a1", SHA_A);
  g_autoptr(MenugenHistoryEntry) other = save_entry (fixture, 2, "model-b", SHA_B);
  g_autoptr(MenugenHistoryEntry) second = save_entry (fixture, 3, "model-a2", SHA_A);
  MenugenVariants *variants = MENUGEN_VARIANTS (menugen_variants_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  MenugenHistoryEntry *current;
  GtkWidget *button;

  g_object_ref (fixture->list);
  gtk_window_set_child (fixture->window, NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (fixture->list));
  g_object_unref (fixture->list);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (variants));
  gtk_window_set_child (fixture->window, box);
  g_signal_connect (variants, "entry-activated", G_CALLBACK (activated_cb), fixture);
  menugen_variants_set_thumbnails (variants, menugen_history_list_get_thumbnails (fixture->list));
  menugen_variants_set_model (variants, menugen_history_list_get_model (fixture->list));
  load (fixture);

  /* The strip shows the two menus of photo A, oldest first. */
  current = menugen_history_list_find (fixture->list, menugen_history_entry_get_id (second));
  menugen_variants_set_current (variants, current);
  g_assert_cmpuint (menugen_variants_get_n_variants (variants), ==, 2);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (variants)));
  button = menugen_variants_get_button (variants, 0);
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button)));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (menugen_variants_get_button (variants, 1))));
  g_assert_nonnull (gtk_widget_get_tooltip_text (button));

  /* Clicking the older one requests it. A button emits "clicked" after a
   * short press animation. */
  gtk_widget_activate (button);
  g_assert_true (wait_until (has_activation, fixture));
  g_assert_cmpuint (fixture->activated->len, ==, 1);
  g_assert_cmpstr (menugen_history_entry_get_id (g_ptr_array_index (fixture->activated, 0)), ==,
                   menugen_history_entry_get_id (first));

  /* A photo with one menu has no strip. */
  menugen_variants_set_current (variants, menugen_history_list_find (fixture->list, menugen_history_entry_get_id (other)));
  g_assert_cmpuint (menugen_variants_get_n_variants (variants), ==, 1);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (variants)));

  /* A third menu of photo A joins the strip after the next reload. */
  menugen_variants_set_current (variants, current);
  g_clear_object (&first);
  first = save_entry (fixture, 4, "model-a3", SHA_A);
  menugen_history_list_reload (fixture->list);
  g_assert_true (wait_until (is_loaded, fixture->list));
  g_assert_cmpuint (menugen_variants_get_n_variants (variants), ==, 3);
}

static void
reopened_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static GAsyncResult *
reopen (MenugenHistoryEntry *entry)
{
  GAsyncResult *result = NULL;

  menugen_reopen_entry_async (entry, NULL, reopened_cb, &result);
  g_assert_true (wait_until (has_result, &result));
  return result;
}

static void
test_reopen (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 1, "m", SHA_A);
  g_autoptr(GAsyncResult) result = reopen (entry);
  g_autoptr(MenugenHistoryEntry) reopened = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(GBytes) saved_photo = NULL;
  g_autoptr(GError) error = NULL;

  reopened = menugen_reopen_entry_finish (result, &texture, &photo, &error);
  g_assert_no_error (error);
  g_assert_true (reopened == entry);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 40);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 60);

  /* The prepared photo is reused as it was sent, byte for byte. */
  g_assert_nonnull (photo);
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 64);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 48);
  saved_photo = g_file_load_bytes (menugen_history_entry_get_photo_file (entry), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (menugen_photo_get_bytes (photo), saved_photo));
}

static void
test_reopen_without_photo (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 1, "m", SHA_A);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MenugenHistoryEntry) reopened = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(GError) error = NULL;

  g_file_replace_contents (menugen_history_entry_get_photo_file (entry), "damaged", 7, NULL, FALSE,
                           G_FILE_CREATE_NONE, NULL, NULL, &error);
  g_assert_no_error (error);

  result = reopen (entry);
  reopened = menugen_reopen_entry_finish (result, &texture, &photo, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reopened);
  g_assert_nonnull (texture);
  g_assert_null (photo);
}

static void
test_reopen_damaged_result (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = save_entry (fixture, 1, "m", SHA_A);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MenugenHistoryEntry) reopened = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(GError) error = NULL;

  g_file_replace_contents (menugen_history_entry_get_result_file (entry), "\x89PNG\r\n\x1a\n", 8,
                           NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error);
  g_assert_no_error (error);

  result = reopen (entry);
  reopened = menugen_reopen_entry_finish (result, &texture, &photo, &error);
  g_assert_null (reopened);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE);
  g_assert_true (strstr (error->message, "result.png") != NULL);
  g_assert_null (texture);
  g_assert_null (photo);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/history-list/newest-first", Fixture, NULL, fixture_set_up, test_newest_first, fixture_tear_down);
  g_test_add ("/history-list/empty-state", Fixture, NULL, fixture_set_up, test_empty_state, fixture_tear_down);
  g_test_add ("/history-list/restart", Fixture, NULL, fixture_set_up, test_restart, fixture_tear_down);
  g_test_add ("/history-list/damaged-entries", Fixture, NULL, fixture_set_up, test_damaged_entries, fixture_tear_down);
  g_test_add ("/history-list/reload-after-save", Fixture, NULL, fixture_set_up, test_reload_after_save, fixture_tear_down);
  g_test_add ("/history-list/delete", Fixture, NULL, fixture_set_up, test_delete, fixture_tear_down);
  g_test_add ("/history-list/delete-last", Fixture, NULL, fixture_set_up, test_delete_last_shows_empty, fixture_tear_down);
  g_test_add ("/history-list/activate", Fixture, NULL, fixture_set_up, test_activate, fixture_tear_down);
  g_test_add ("/thumbnails/size", Fixture, NULL, fixture_set_up, test_thumbnail_size, fixture_tear_down);
  g_test_add ("/thumbnails/damaged", Fixture, NULL, fixture_set_up, test_thumbnail_damaged, fixture_tear_down);
  g_test_add ("/drag/offers-file", Fixture, NULL, fixture_set_up, test_drag_offers_file, fixture_tear_down);
  g_test_add ("/print/export-pdf", Fixture, NULL, fixture_set_up, test_print_export, fixture_tear_down);
  g_test_add ("/reopen/entry", Fixture, NULL, fixture_set_up, test_reopen, fixture_tear_down);
  g_test_add ("/reopen/without-photo", Fixture, NULL, fixture_set_up, test_reopen_without_photo, fixture_tear_down);
  g_test_add ("/reopen/damaged-result", Fixture, NULL, fixture_set_up, test_reopen_damaged_result, fixture_tear_down);
  g_test_add ("/variants/strip", Fixture, NULL, fixture_set_up, test_variants, fixture_tear_down);

  return g_test_run ();
}
