#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "core/menugen-config.h"
#include "core/menugen-secrets.h"
#include "fake-server.h"
#include "test-util.h"
#include "ui/menugen-application.h"
#include "ui/menugen-history-list.h"
#include "ui/menugen-variants.h"
#include "ui/menugen-window.h"

#define BACKEND_ID "test-gemini"
#define WAIT_TIMEOUT_S 30

static MenugenApplication *application;

typedef struct {
  FakeServer *fake;
  MenugenWindow *window;
  char *scratch;
  char *photo_path;
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

  menugen_test_wait_for (&poll.done, WAIT_TIMEOUT_S);
  if (!poll.done)
    g_source_remove (id);

  return poll.done;
}

static gpointer
get_child (MenugenWindow *window,
           const char    *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), MENUGEN_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return child;
}

static MenugenHistoryList *
get_list (Fixture *fixture)
{
  return get_child (fixture->window, "history_list");
}

static MenugenVariants *
get_variants (Fixture *fixture)
{
  return get_child (fixture->window, "variants");
}

static guint
n_entries (Fixture *fixture)
{
  return g_list_model_get_n_items (menugen_history_list_get_model (get_list (fixture)));
}

static MenugenHistoryEntry *
newest_entry (Fixture *fixture)
{
  g_autoptr(MenugenHistoryEntry) entry = g_list_model_get_item (menugen_history_list_get_model (get_list (fixture)), 0);

  return entry;
}

static gboolean
is_idle (gpointer data)
{
  return menugen_window_get_state (data) != MENUGEN_WINDOW_STATE_BUSY;
}

static gboolean
list_is_loaded (gpointer data)
{
  return !menugen_history_list_get_loading (data);
}

static void
save_backend (const char *url)
{
  GSettings *settings = menugen_application_get_settings (application);
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");

  g_free (config->id);
  config->id = g_strdup (BACKEND_ID);
  g_free (config->name);
  config->name = g_strdup ("Fake Gemini");
  g_free (config->url);
  config->url = g_strdup (url);
  menugen_config_save_backend (settings, config);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static int photo_number;
  /* Every test gets a photo of its own, because the history and with it
   * the variants of a photo outlive each test. */
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (1200 + 8 * photo_number++, 900, 6, TRUE);
  g_autoptr(GError) error = NULL;

  fixture->fake = fake_server_new ("gemini", "success-portrait");
  save_backend (fake_server_get_url (fixture->fake));
  menugen_secrets_set_session_key (BACKEND_ID, "test-key-not-real");

  fixture->scratch = menugen_test_make_scratch_dir ();
  fixture->photo_path = g_build_filename (fixture->scratch, "menu photo.jpg", NULL);
  g_file_set_contents (fixture->photo_path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error);
  g_assert_no_error (error);

  fixture->window = menugen_window_new (application);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 800);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (wait_until (list_is_loaded, get_list (fixture)));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      gtk_window_destroy (l->data);

  gtk_window_destroy (GTK_WINDOW (fixture->window));
  menugen_config_remove_backend (menugen_application_get_settings (application), BACKEND_ID);
  g_assert_cmpuint (fake_server_get_violations (fixture->fake)->len, ==, 0);
  fake_server_free (fixture->fake);
  menugen_test_remove_tree (fixture->scratch);
  g_free (fixture->scratch);
  g_free (fixture->photo_path);
}

static void
load_photo (Fixture *fixture)
{
  g_autoptr(GFile) file = g_file_new_for_path (fixture->photo_path);

  menugen_window_open_file (fixture->window, file);
  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
}

typedef struct {
  Fixture *fixture;
  guint count;
} Count;

static gboolean
has_entries (gpointer data)
{
  Count *count = data;

  return n_entries (count->fixture) == count->count
         && !menugen_history_list_get_loading (get_list (count->fixture));
}

/* Runs Generate and waits for the result and for the list to show it. */
static void
generate (Fixture *fixture)
{
  Count count = { fixture, n_entries (fixture) + 1 };

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_RESULT);
  g_assert_true (wait_until (has_entries, &count));
}

static void
test_job_adds_row (Fixture       *fixture,
                   gconstpointer  data)
{
  guint before = n_entries (fixture);

  load_photo (fixture);
  generate (fixture);

  g_assert_cmpuint (n_entries (fixture), ==, before + 1);
  g_assert_cmpstr (menugen_history_entry_get_backend_name (newest_entry (fixture)), ==, "Fake Gemini");
  g_assert_cmpstr (menugen_history_entry_get_photo_sha256 (newest_entry (fixture)), ==,
                   menugen_photo_get_sha256 (menugen_window_get_photo (fixture->window)));
  /* One menu of this photo so far, so no strip. */
  g_assert_cmpuint (menugen_variants_get_n_variants (get_variants (fixture)), ==, 1);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (get_variants (fixture))));
}

static gboolean
has_two_variants (gpointer data)
{
  return menugen_variants_get_n_variants (data) == 2;
}

typedef struct {
  MenugenVariants *variants;
  const char *id;
} ShownVariant;

static gboolean
shows_variant (gpointer data)
{
  ShownVariant *shown = data;
  MenugenHistoryEntry *current = menugen_variants_get_current (shown->variants);

  return current != NULL && g_strcmp0 (menugen_history_entry_get_id (current), shown->id) == 0;
}

static void
test_generate_twice_variants (Fixture       *fixture,
                              gconstpointer  data)
{
  MenugenVariants *variants = get_variants (fixture);
  g_autoptr(MenugenHistoryEntry) first = NULL;
  g_autoptr(MenugenHistoryEntry) second = NULL;
  guint before = n_entries (fixture);
  ShownVariant expected;

  load_photo (fixture);
  generate (fixture);
  first = g_object_ref (newest_entry (fixture));
  generate (fixture);
  second = g_object_ref (newest_entry (fixture));

  g_assert_cmpuint (n_entries (fixture), ==, before + 2);
  g_assert_cmpstr (menugen_history_entry_get_id (first), !=, menugen_history_entry_get_id (second));
  g_assert_true (wait_until (has_two_variants, variants));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (variants)));
  g_assert_cmpstr (menugen_history_entry_get_id (menugen_variants_get_current (variants)), ==,
                   menugen_history_entry_get_id (second));

  /* The older variant is one click away. */
  expected.variants = variants;
  expected.id = menugen_history_entry_get_id (first);
  gtk_widget_activate (menugen_variants_get_button (variants, 0));
  g_assert_true (wait_until (shows_variant, &expected));
  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_RESULT);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 2);
}

static void
collect_buttons (GtkWidget *widget,
                 GPtrArray *found)
{
  if (GTK_IS_BUTTON (widget))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_buttons (child, found);
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_laid_out (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

static gboolean
shows_entry (gpointer data)
{
  Fixture *fixture = data;
  MenugenVariants *variants = get_variants (fixture);

  return menugen_window_get_state (fixture->window) == MENUGEN_WINDOW_STATE_RESULT
         && menugen_variants_get_current (variants) != NULL;
}

/* A second window stands for the app after a restart: it lists the
 * history from disk, reopens an entry with its photo and notes, and
 * generates again from the stored photo. */
static void
test_reopen_and_regenerate (Fixture       *fixture,
                            gconstpointer  data)
{
  MenugenWindow *first_window = fixture->window;
  g_autoptr(MenugenHistoryEntry) saved = NULL;
  MenugenViewer *viewer;
  GtkWidget *list_view;
  const char *notes;

  load_photo (fixture);
  generate (fixture);
  saved = g_object_ref (newest_entry (fixture));
  gtk_window_destroy (GTK_WINDOW (first_window));

  fixture->window = menugen_window_new (application);
  gtk_window_present (GTK_WINDOW (fixture->window));
  g_assert_true (wait_until (list_is_loaded, get_list (fixture)));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
  g_assert_cmpstr (menugen_history_entry_get_id (newest_entry (fixture)), ==,
                   menugen_history_entry_get_id (saved));

  /* NOTE: libadwaita 1.2's AdwFlap, revealed before the window's first
   * layout, sometimes allocated its content with a width of INT_MIN in
   * these tests. A user can only press Ctrl+H once the window is shown. */
  g_assert_true (wait_until (is_laid_out, fixture->window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.history", NULL));
  g_assert_true (adw_flap_get_reveal_flap (get_child (fixture->window, "history_flap")));
  /* The action a click or Enter on the top row triggers. */
  list_view = find_widget (GTK_WIDGET (get_list (fixture)), GTK_TYPE_LIST_VIEW);
  g_assert_nonnull (list_view);
  g_assert_true (gtk_widget_activate_action (list_view, "list.activate-item", "u", 0));
  g_assert_true (wait_until (shows_entry, fixture));

  viewer = menugen_window_get_viewer (fixture->window);
  g_assert_nonnull (menugen_viewer_get_paintable (viewer));
  g_assert_nonnull (menugen_viewer_get_compare_paintable (viewer));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (menugen_viewer_get_compare_paintable (viewer)), ==, 900);
  notes = gtk_label_get_text (get_child (fixture->window, "notes_label"));
  g_assert_nonnull (strstr (notes, menugen_history_entry_get_instruction (saved)));
  g_assert_true (gtk_widget_get_visible (get_child (fixture->window, "notes_expander")));
  g_assert_cmpstr (menugen_photo_get_sha256 (menugen_window_get_photo (fixture->window)), ==,
                   menugen_history_entry_get_photo_sha256 (saved));

  /* Generate on the reopened menu sends the stored photo again. */
  generate (fixture);
  g_assert_cmpstr (menugen_history_entry_get_photo_sha256 (newest_entry (fixture)), ==,
                   menugen_history_entry_get_photo_sha256 (saved));
  g_assert_true (wait_until (has_two_variants, get_variants (fixture)));
}

/* The Print button follows the enabled state of win.print. */
static gboolean
print_enabled (Fixture *fixture)
{
  GtkWidget *content = GTK_WIDGET (get_child (fixture->window, "stack"));
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_buttons (content, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (g_ptr_array_index (buttons, i)), "win.print") == 0)
      return gtk_widget_get_sensitive (g_ptr_array_index (buttons, i));

  g_assert_not_reached ();
}

static gboolean
result_cleared (gpointer data)
{
  return menugen_window_get_state (data) == MENUGEN_WINDOW_STATE_PHOTO;
}

static void
test_delete_shown (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MenugenHistoryEntry) entry = NULL;
  g_autoptr(GFile) folder = NULL;
  GtkWidget *dialog;

  load_photo (fixture);
  generate (fixture);
  entry = g_object_ref (newest_entry (fixture));
  folder = g_object_ref (menugen_history_entry_get_directory (entry));

  dialog = menugen_history_list_confirm_delete (get_list (fixture), entry);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (fixture->window));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "delete");
  g_assert_true (wait_until (result_cleared, fixture->window));

  g_assert_false (g_file_query_exists (folder, NULL));
  g_assert_nonnull (menugen_window_get_photo (fixture->window));
  g_assert_false (print_enabled (fixture));
}

static GtkDragSource *
find_drag_source (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DRAG_SOURCE (controller))
        return GTK_DRAG_SOURCE (controller);
    }

  return NULL;
}

static GdkContentProvider *
prepare_drag (GtkDragSource *source)
{
  GdkContentProvider *content = NULL;

  g_signal_emit_by_name (source, "prepare", 10.0, 10.0, &content);
  return content;
}

static gboolean
can_pan (gpointer data)
{
  GtkAdjustment *horizontal = gtk_scrollable_get_hadjustment (data);

  return gtk_adjustment_get_upper (horizontal) > gtk_adjustment_get_page_size (horizontal) + 0.5;
}

/* True once the viewer has laid out the menu at best fit. */
static gboolean
fits_view (gpointer data)
{
  graphene_rect_t area;

  return menugen_viewer_get_image_area (data, &area) && !can_pan (data);
}

static void
test_drag_out_and_print (Fixture       *fixture,
                         gconstpointer  data)
{
  MenugenViewer *viewer = menugen_window_get_viewer (fixture->window);
  g_autoptr(GdkContentProvider) content = NULL;
  g_autoptr(GdkContentProvider) zoomed = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  GtkDragSource *source;

  load_photo (fixture);
  g_assert_false (print_enabled (fixture));
  generate (fixture);
  g_assert_true (print_enabled (fixture));

  /* At best fit a drag offers the saved file. */
  source = find_drag_source (GTK_WIDGET (viewer));
  g_assert_nonnull (source);
  g_assert_true (menugen_viewer_get_fit (viewer));
  g_assert_true (wait_until (fits_view, viewer));
  content = prepare_drag (source);
  g_assert_nonnull (content);
  g_value_init (&value, G_TYPE_FILE);
  g_assert_true (gdk_content_provider_get_value (content, &value, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_equal (g_value_get_object (&value),
                               menugen_history_entry_get_result_file (newest_entry (fixture))));

  /* Zoomed in, the same gesture pans, so no drag starts. */
  menugen_viewer_set_zoom (viewer, 4.0);
  g_assert_true (wait_until (can_pan, viewer));
  zoomed = prepare_drag (source);
  g_assert_null (zoomed);
}

typedef struct {
  MenugenViewer *viewer;
  double zoom;
} ZoomWait;

static gboolean
is_allocated_at_zoom (gpointer data)
{
  ZoomWait *wait = data;
  graphene_rect_t area;

  return menugen_viewer_get_image_area (wait->viewer, &area)
         && ABS (menugen_viewer_get_zoom (wait->viewer) - wait->zoom) < 1e-6;
}

static void
test_zoom_and_compare (Fixture       *fixture,
                       gconstpointer  data)
{
  MenugenViewer *viewer = menugen_window_get_viewer (fixture->window);
  double fit_zoom, zoom, x, y, compare_x, compare_y;
  ZoomWait wait = { viewer, 0 };

  load_photo (fixture);
  generate (fixture);
  g_assert_true (menugen_viewer_get_fit (viewer));
  fit_zoom = menugen_viewer_get_zoom (viewer);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.zoom-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.zoom-in", NULL));
  zoom = menugen_viewer_get_zoom (viewer);
  g_assert_cmpfloat (zoom, >, fit_zoom);
  g_assert_false (menugen_viewer_get_fit (viewer));
  wait.zoom = zoom;
  g_assert_true (wait_until (is_allocated_at_zoom, &wait));
  menugen_viewer_get_view_centre (viewer, &x, &y);

  /* The photo appears at the same zoom and place, and back again. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.compare", NULL));
  g_assert_true (menugen_viewer_get_show_compare (viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (viewer), zoom, 1e-6);
  menugen_viewer_get_view_centre (viewer, &compare_x, &compare_y);
  g_assert_cmpfloat_with_epsilon (compare_x, x, 1.0);
  g_assert_cmpfloat_with_epsilon (compare_y, y, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.compare", NULL));
  g_assert_false (menugen_viewer_get_show_compare (viewer));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.zoom-original", NULL));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (viewer), 1.0, 1e-6);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.zoom-fit", NULL));
  g_assert_true (menugen_viewer_get_fit (viewer));
}

/* The header bar's toggle, which carries the history icon. */
static GtkToggleButton *
find_history_button (Fixture *fixture)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect_buttons (GTK_WIDGET (fixture->window), buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (GTK_IS_TOGGLE_BUTTON (g_ptr_array_index (buttons, i))
        && g_strcmp0 (gtk_button_get_icon_name (g_ptr_array_index (buttons, i)), "document-open-recent-symbolic") == 0)
      return g_ptr_array_index (buttons, i);

  g_assert_not_reached ();
}

static gboolean
list_has_focus (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));

  return focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (get_list (fixture)));
}

/* Ctrl+H is the keyboard's way to past menus: focus lands on a row, which
 * Tab alone never reaches because it stops only at the row's delete
 * button. */
static void
test_history_shortcut_focuses_list (Fixture       *fixture,
                                    gconstpointer  data)
{
  load_photo (fixture);
  generate (fixture);
  g_assert_true (wait_until (is_laid_out, fixture->window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.history", NULL));
  g_assert_true (wait_until (list_has_focus, fixture));
  g_assert_true (GTK_IS_LIST_VIEW (gtk_widget_get_ancestor (gtk_root_get_focus (GTK_ROOT (fixture->window)),
                                                             GTK_TYPE_LIST_VIEW)));
  g_assert_false (GTK_IS_BUTTON (gtk_root_get_focus (GTK_ROOT (fixture->window))));
}

static gboolean
file_is_written (gpointer data)
{
  g_autoptr(GFileInfo) info = g_file_query_info (data, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  return info != NULL && g_file_info_get_size (info) > 0;
}

static void
assert_same_contents (GFile *first,
                      GFile *second)
{
  g_autoptr(GBytes) first_bytes = g_file_load_bytes (first, NULL, NULL, NULL);
  g_autoptr(GBytes) second_bytes = g_file_load_bytes (second, NULL, NULL, NULL);

  g_assert_nonnull (first_bytes);
  g_assert_nonnull (second_bytes);
  g_assert_true (g_bytes_equal (first_bytes, second_bytes));
}

/* Each Save As copies the history's PNG. The entry keeps its file, so a
 * second save, a drag-out or a thumbnail still find it. */
static void
test_save_as_twice (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *first_path = g_build_filename (fixture->scratch, "first.png", NULL);
  g_autofree char *second_path = g_build_filename (fixture->scratch, "second.png", NULL);
  g_autoptr(GFile) first = g_file_new_for_path (first_path);
  g_autoptr(GFile) second = g_file_new_for_path (second_path);
  MenugenHistoryEntry *entry;

  load_photo (fixture);
  generate (fixture);
  entry = newest_entry (fixture);

  menugen_window_save_as_file (fixture->window, first);
  g_assert_true (wait_until (file_is_written, first));
  menugen_window_save_as_file (fixture->window, second);
  g_assert_true (wait_until (file_is_written, second));

  g_assert_true (G_IS_FILE (menugen_history_entry_get_result_file (entry)));
  assert_same_contents (menugen_history_entry_get_result_file (entry), first);
  assert_same_contents (first, second);
  g_assert_null (menugen_window_get_error_message (fixture->window));
}

static GtkFileChooser *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_FILE_CHOOSER (window);
    }

  return NULL;
}

/* The dialog reads its folder once it has loaded it. */
static gboolean
file_chooser_has_folder (gpointer data)
{
  GtkFileChooser *chooser = find_file_chooser ();
  g_autoptr(GFile) folder = chooser != NULL ? gtk_file_chooser_get_current_folder (chooser) : NULL;

  return folder != NULL;
}

static void
assert_save_folder (Fixture    *fixture,
                    const char *expected)
{
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.save-as", NULL));
  g_assert_true (wait_until (file_chooser_has_folder, NULL));
  folder = gtk_file_chooser_get_current_folder (find_file_chooser ());
  path = g_file_get_path (folder);
  g_assert_cmpstr (path, ==, expected);
}

/* Save As starts in the Pictures or home folder, not in the working
 * directory, and then where the last save went. */
static void
test_save_as_folder (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);
  g_autofree char *saved_path = g_build_filename (fixture->scratch, "saved.png", NULL);
  g_autoptr(GFile) saved = g_file_new_for_path (saved_path);

  load_photo (fixture);
  generate (fixture);

  if (pictures != NULL && g_file_test (pictures, G_FILE_TEST_IS_DIR))
    assert_save_folder (fixture, pictures);
  else
    assert_save_folder (fixture, g_get_home_dir ());

  menugen_window_save_as_file (fixture->window, saved);
  g_assert_true (wait_until (file_is_written, saved));
  assert_save_folder (fixture, fixture->scratch);
}

/* Moves focus with Tab up to @max_steps times and returns every widget
 * that had focus, in order. */
static GPtrArray *
tab_through (MenugenWindow *window,
             guint          max_steps)
{
  GPtrArray *seen = g_ptr_array_new ();

  for (guint i = 0; i < max_steps; i++)
    {
      GtkWidget *focus;

      if (!gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD))
        gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD);
      focus = gtk_root_get_focus (GTK_ROOT (window));
      g_ptr_array_add (seen, focus);
    }

  return seen;
}

static gboolean
reached_button (GPtrArray  *seen,
                const char *action_name)
{
  for (guint i = 0; i < seen->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (seen, i);

      if (GTK_IS_ACTIONABLE (widget)
          && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Tab alone reaches every control of a result. GTK 4.8 kept focus on a
 * collapsed "Notes" expander, so that nothing after it was reachable. */
static void
test_tab_reaches_result_controls (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GPtrArray) seen = NULL;
  const char * const actions[] = {
    "win.open", "win.generate", "win.zoom-in", "win.zoom-out", "win.zoom-toggle",
    "win.copy", "win.print", "win.save-as",
  };

  load_photo (fixture);
  generate (fixture);
  g_assert_true (wait_until (is_laid_out, fixture->window));

  seen = tab_through (fixture->window, 40);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_test_message ("Tab reaches %s", actions[i]);
      g_assert_true (reached_button (seen, actions[i]));
    }
  g_assert_true (g_ptr_array_find (seen, get_child (fixture->window, "show_photo_button"), NULL));
  g_assert_true (g_ptr_array_find (seen, get_child (fixture->window, "notes_expander"), NULL));

  /* Shown notes take part: their text can be selected and copied. */
  g_clear_pointer (&seen, g_ptr_array_unref);
  gtk_expander_set_expanded (get_child (fixture->window, "notes_expander"), TRUE);
  seen = tab_through (fixture->window, 40);
  g_assert_true (g_ptr_array_find (seen, get_child (fixture->window, "notes_label"), NULL));
  g_assert_true (reached_button (seen, "win.save-as"));
  g_assert_true (reached_button (seen, "win.open"));
}

static void
test_history_toggle (Fixture       *fixture,
                     gconstpointer  data)
{
  AdwFlap *flap = get_child (fixture->window, "history_flap");
  GtkToggleButton *button = find_history_button (fixture);

  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.history", NULL));
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_assert_true (gtk_toggle_button_get_active (button));
  gtk_toggle_button_set_active (button, FALSE);
  g_assert_false (adw_flap_get_reveal_flap (flap));
}

static void
add_test (const char *name,
          void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (name, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();

  application = menugen_application_new ();
  g_application_set_flags (G_APPLICATION (application),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (application), NULL, &error);
  g_assert_no_error (error);
  g_application_hold (G_APPLICATION (application));

  add_test ("/window-history/job-adds-row", test_job_adds_row);
  add_test ("/window-history/generate-twice-variants", test_generate_twice_variants);
  add_test ("/window-history/reopen-and-regenerate", test_reopen_and_regenerate);
  add_test ("/window-history/delete-shown", test_delete_shown);
  add_test ("/window-history/drag-out-and-print", test_drag_out_and_print);
  add_test ("/window-history/zoom-and-compare", test_zoom_and_compare);
  add_test ("/window-history/toggle", test_history_toggle);
  add_test ("/window-history/save-as-twice", test_save_as_twice);
  add_test ("/window-history/save-as-folder", test_save_as_folder);
  add_test ("/window-history/tab-reaches-result-controls", test_tab_reaches_result_controls);
  add_test ("/window-history/shortcut-focuses-list", test_history_shortcut_focuses_list);

  status = g_test_run ();

  g_application_release (G_APPLICATION (application));
  g_clear_object (&application);
  return status;
}
