#include "config.h"

#include <string.h>
#include <gtk/gtk.h>

#include "core/menugen-config.h"
#include "core/menugen-secrets.h"
#include "fake-server.h"
#include "test-util.h"
#include "ui/menugen-application.h"
#include "ui/menugen-preferences.h"
#include "ui/menugen-window.h"

#define BACKEND_ID "test-gemini"
#define WAIT_TIMEOUT_S 30

static MenugenApplication *application;

/* Window tests must not probe this machine's real ports. */
static const MenugenDiscoveryTarget no_discovery_targets[] = { { 0, NULL, 0 } };

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

/* Iterates the main context until @predicate is true or the timeout passes. */
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

static gboolean
is_idle (gpointer data)
{
  return menugen_window_get_state (data) != MENUGEN_WINDOW_STATE_BUSY;
}

static gboolean
is_busy (gpointer data)
{
  return menugen_window_get_state (data) == MENUGEN_WINDOW_STATE_BUSY;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
shows_error (gpointer data)
{
  return menugen_window_get_error_message (data) != NULL;
}

static gpointer
get_child (MenugenWindow *window,
           const char    *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), MENUGEN_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return child;
}

static const char *
get_page (MenugenWindow *window)
{
  return gtk_stack_get_visible_child_name (get_child (window, "stack"));
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
  const char *scenario = data != NULL ? data : "success-portrait";
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (1200, 900, 6, TRUE);
  g_autoptr(GError) error = NULL;

  fixture->fake = fake_server_new ("gemini", scenario);
  save_backend (fake_server_get_url (fixture->fake));
  menugen_secrets_set_session_key (BACKEND_ID, "test-key-not-real");

  fixture->scratch = menugen_test_make_scratch_dir ();
  fixture->photo_path = g_build_filename (fixture->scratch, "menu photo.jpg", NULL);
  g_file_set_contents (fixture->photo_path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error);
  g_assert_no_error (error);

  fixture->window = menugen_window_new (application);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
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

static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkStack *stack = get_child (fixture->window, "stack");
  AdwStatusPage *status = ADW_STATUS_PAGE (gtk_stack_get_child_by_name (stack, "empty"));

  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
  g_assert_cmpstr (get_page (fixture->window), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Drop a Menu Photo Here");
  g_assert_nonnull (strstr (adw_status_page_get_description (status), "Ctrl+V"));
  g_assert_false (gtk_widget_is_sensitive (get_child (fixture->window, "generate_button")));
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_false (gtk_widget_get_visible (get_child (fixture->window, "setup_button")));
}

static void
test_open_photo (Fixture       *fixture,
                 gconstpointer  data)
{
  GtkPicture *picture = get_child (fixture->window, "photo_picture");
  AdwWindowTitle *title = get_child (fixture->window, "window_title");
  GdkPaintable *paintable;
  const char *info;

  load_photo (fixture);

  g_assert_cmpstr (get_page (fixture->window), ==, "photo");
  info = gtk_label_get_text (get_child (fixture->window, "photo_info_label"));
  g_assert_true (g_str_has_prefix (info, "900 × 1200, "));
  g_assert_true (g_str_has_suffix (info, ", location data removed"));
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "menu photo.jpg");

  /* EXIF orientation 6 turns the stored 1200×900 pixels upright. */
  paintable = gtk_picture_get_paintable (picture);
  g_assert_nonnull (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 900);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 1200);
  g_assert_true (gtk_widget_is_sensitive (get_child (fixture->window, "generate_button")));
}

static void
test_bad_photo_keeps_previous (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->scratch, "notes.jpg", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  MenugenPhoto *before;

  load_photo (fixture);
  before = menugen_window_get_photo (fixture->window);
  g_assert_true (g_file_set_contents (path, "not a photo at all", -1, NULL));

  menugen_window_open_file (fixture->window, file);
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "“notes.jpg”: The file is not an image format Menugen reads. Choose a JPEG, PNG, WebP, HEIC or BMP photo.");
  g_assert_true (menugen_window_get_photo (fixture->window) == before);
  g_assert_cmpstr (get_page (fixture->window), ==, "photo");
  g_assert_false (gtk_widget_get_visible (get_child (fixture->window, "retry_button")));
}

static gboolean
history_has_result (void)
{
  g_autofree char *root = g_build_filename (g_get_user_data_dir (), "menugen", "history", NULL);
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *result = g_build_filename (root, name, "result.png", NULL);

      if (g_file_test (result, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }

  return FALSE;
}

static void
test_generate (Fixture       *fixture,
               gconstpointer  data)
{
  MenugenViewer *viewer = menugen_window_get_viewer (fixture->window);
  GdkPaintable *paintable;
  GdkClipboard *clipboard;

  load_photo (fixture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_BUSY);
  g_assert_true (gtk_revealer_get_reveal_child (get_child (fixture->window, "progress_revealer")));

  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_RESULT);
  g_assert_cmpstr (get_page (fixture->window), ==, "result");
  g_assert_false (gtk_revealer_get_reveal_child (get_child (fixture->window, "progress_revealer")));

  paintable = menugen_viewer_get_paintable (viewer);
  g_assert_nonnull (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 768);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 1024);
  g_assert_true (menugen_viewer_get_compare_paintable (viewer) != NULL);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 1);
  g_assert_true (history_has_result ());

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.compare", NULL));
  g_assert_true (menugen_viewer_get_show_compare (viewer));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.compare", NULL));
  g_assert_false (menugen_viewer_get_show_compare (viewer));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.copy", NULL));
  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));
  g_assert_true (gdk_content_formats_contain_gtype (gdk_clipboard_get_formats (clipboard), GDK_TYPE_TEXTURE));
}

static void
test_refusal (Fixture       *fixture,
              gconstpointer  data)
{
  const char *message;

  load_photo (fixture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_true (wait_until (is_idle, fixture->window));

  message = menugen_window_get_error_message (fixture->window);
  g_assert_nonnull (message);
  g_assert_cmpstr (message, ==, "Gemini declined to draw this menu (IMAGE_PROHIBITED_CONTENT). Try another photo or another back-end.");
  g_assert_false (gtk_widget_get_visible (get_child (fixture->window, "retry_button")));
  g_assert_false (gtk_widget_get_visible (get_child (fixture->window, "preferences_button")));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpstr (get_page (fixture->window), ==, "photo");
  g_assert_nonnull (menugen_window_get_photo (fixture->window));
}

static void
test_retry (Fixture       *fixture,
            gconstpointer  data)
{
  load_photo (fixture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_nonnull (menugen_window_get_error_message (fixture->window));
  g_assert_true (gtk_widget_get_visible (get_child (fixture->window, "retry_button")));

  fake_server_set_scenario (fixture->fake, "success-portrait");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.retry", NULL));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_RESULT);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 2);
}

static void
test_no_backend (Fixture       *fixture,
                 gconstpointer  data)
{
  menugen_config_remove_backend (menugen_application_get_settings (application), BACKEND_ID);
  /* A first run points to Preferences before any photo is open. */
  g_assert_true (gtk_widget_get_visible (get_child (fixture->window, "setup_button")));
  g_assert_cmpstr (gtk_actionable_get_action_name (get_child (fixture->window, "setup_button")), ==,
                   "app.preferences");
  load_photo (fixture);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));

  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "No back-end is configured. Add one in Preferences.");
  g_assert_true (gtk_widget_get_visible (get_child (fixture->window, "preferences_button")));
  g_assert_false (gtk_widget_get_visible (get_child (fixture->window, "retry_button")));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpuint (fake_server_get_request_count (fixture->fake), ==, 0);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  GtkLabel *stage = get_child (fixture->window, "stage_label");

  load_photo (fixture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_true (wait_until (is_busy, fixture->window));
  g_assert_cmpstr (gtk_label_get_text (stage), !=, "");
  g_assert_true (gtk_widget_is_sensitive (get_child (fixture->window, "cancel_button")));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.cancel", NULL));

  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpstr (get_page (fixture->window), ==, "photo");
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_false (gtk_revealer_get_reveal_child (get_child (fixture->window, "progress_revealer")));
}

static GtkEventController *
find_drop_target (MenugenWindow *window)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return controller;
    }

  g_assert_not_reached ();
}

/* Emits the drop target's "drop" signal, as a drag from another program
 * ends in it. */
static gboolean
emit_drop (MenugenWindow *window,
           const GValue  *value)
{
  gboolean accepted = FALSE;

  g_signal_emit_by_name (find_drop_target (window), "drop", value, 20.0, 20.0, &accepted);
  return accepted;
}

static void
test_drop_file_list (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = g_file_new_for_path (fixture->photo_path);
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GSList) files = g_slist_prepend (NULL, file);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));

  g_assert_true (emit_drop (fixture->window, &value));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpint (menugen_photo_get_width (menugen_window_get_photo (fixture->window)), ==, 900);
}

static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, 0x30a060ff);
  return gdk_texture_new_for_pixbuf (pixbuf);
}

static void
test_drop_texture (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (640, 480);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, GDK_TYPE_TEXTURE);
  g_value_set_object (&value, texture);

  g_assert_true (emit_drop (fixture->window, &value));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpint (menugen_photo_get_width (menugen_window_get_photo (fixture->window)), ==, 640);
  g_assert_cmpint (menugen_photo_get_height (menugen_window_get_photo (fixture->window)), ==, 480);
}

static void
serve_photo_cb (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  GBytes *jpeg = user_data;

  if (!g_str_equal (path, "/menu.jpg"))
    {
      soup_server_message_set_status (message, 404, NULL);
      return;
    }

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "image/jpeg", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg));
}

static SoupServer *
start_photo_server (GBytes  *jpeg,
                    char   **base_url)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  soup_server_add_handler (server, NULL, serve_photo_cb, jpeg, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (server);
  *base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  return server;
}

static void
test_drop_url (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (800, 600, 1, FALSE);
  g_autofree char *base_url = NULL;
  g_autoptr(SoupServer) server = start_photo_server (jpeg, &base_url);
  g_autofree char *url = g_strconcat (base_url, "/menu.jpg", NULL);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, url);

  g_assert_true (emit_drop (fixture->window, &value));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_BUSY);
  g_assert_cmpstr (gtk_label_get_text (get_child (fixture->window, "stage_label")), ==,
                   "Downloading photo from 127.0.0.1…");

  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpint (menugen_photo_get_width (menugen_window_get_photo (fixture->window)), ==, 800);

  soup_server_disconnect (server);
}

static void
test_drop_missing_url (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (800, 600, 1, FALSE);
  g_autofree char *base_url = NULL;
  g_autoptr(SoupServer) server = start_photo_server (jpeg, &base_url);
  g_autofree char *url = g_strconcat (base_url, "/gone.jpg", NULL);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, url);

  g_assert_true (emit_drop (fixture->window, &value));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "The server 127.0.0.1 answered HTTP 404 to the image link. Check the link, or save the image and open the file.");
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);

  soup_server_disconnect (server);
}

/* A link to a web page instead of an image: the banner names the link. */
static void
test_drop_url_not_image (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) page = g_bytes_new_static ("<html>Menu</html>", 17);
  g_autofree char *base_url = NULL;
  g_autoptr(SoupServer) server = start_photo_server (page, &base_url);
  g_autofree char *url = g_strconcat (base_url, "/menu.jpg", NULL);
  g_autofree char *expected = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, url);

  g_assert_true (emit_drop (fixture->window, &value));
  g_assert_true (wait_until (is_idle, fixture->window));

  expected = g_strdup_printf ("“%s”: The file is not an image format Menugen reads. Choose a JPEG, PNG, WebP, HEIC or BMP photo.", url);
  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==, expected);
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);

  soup_server_disconnect (server);
}

static void
test_drop_plain_text (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "Soupe à l’oignon 8 €");

  g_assert_false (emit_drop (fixture->window, &value));

  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "The dropped text is not a photo or a link to one. Drop a photo file, an image, or an http(s) image link.");
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
}

static gboolean
has_drop_highlight (MenugenWindow *window)
{
  return gtk_widget_has_css_class (get_child (window, "content_box"), "drop-highlight");
}

static GdkDragAction
emit_enter (MenugenWindow *window)
{
  GdkDragAction action = 0;

  g_signal_emit_by_name (find_drop_target (window), "enter", 20.0, 20.0, &action);
  return action;
}

/* GTK ends a drop whose data it cannot read by clearing the target's
 * current drop, which this notification stands for. */
static void
end_drop (MenugenWindow *window)
{
  g_object_notify (G_OBJECT (find_drop_target (window)), "current-drop");
}

static void
test_drop_unreadable (Fixture       *fixture,
                      gconstpointer  data)
{
  g_assert_cmpint (emit_enter (fixture->window), ==, GDK_ACTION_COPY);
  g_assert_true (has_drop_highlight (fixture->window));

  end_drop (fixture->window);

  g_assert_false (has_drop_highlight (fixture->window));
  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "Could not read the dropped item as a photo file, an image or a link. Save the image as a file, then open that file.");
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
}

static void
test_drop_leave_is_quiet (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GFile) file = g_file_new_for_path (fixture->photo_path);
  g_autoptr(GSList) files = g_slist_prepend (NULL, file);
  g_auto(GValue) value = G_VALUE_INIT;

  /* A drag that passes over the window and leaves. */
  emit_enter (fixture->window);
  g_signal_emit_by_name (find_drop_target (fixture->window), "leave");
  end_drop (fixture->window);
  g_assert_false (has_drop_highlight (fixture->window));
  g_assert_null (menugen_window_get_error_message (fixture->window));

  /* A drop that was read. */
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  emit_enter (fixture->window);
  g_assert_true (emit_drop (fixture->window, &value));
  end_drop (fixture->window);
  g_assert_false (has_drop_highlight (fixture->window));
  g_assert_true (wait_until (is_idle, fixture->window));
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
}

static void
test_paste_texture (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (500, 700);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));

  gdk_clipboard_set_texture (clipboard, texture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste", NULL));
  g_assert_true (wait_until (is_busy, fixture->window));
  g_assert_true (wait_until (is_idle, fixture->window));

  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpint (menugen_photo_get_width (menugen_window_get_photo (fixture->window)), ==, 500);
  g_assert_cmpstr (adw_window_title_get_subtitle (get_child (fixture->window, "window_title")), ==,
                   "Pasted image");
}

static void
test_paste_plain_text (Fixture       *fixture,
                       gconstpointer  data)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));

  gdk_clipboard_set_text (clipboard, "Today's specials");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste", NULL));
  g_assert_true (wait_until (shows_error, fixture->window));

  g_assert_cmpstr (menugen_window_get_error_message (fixture->window), ==,
                   "The clipboard has no image or image link.");
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
}

/* Data that claims to be a PNG but is not, as a broken copy in another
 * program leaves it: the message says the image was unreadable. */
static void
test_paste_unreadable_image (Fixture       *fixture,
                             gconstpointer  data)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));
  g_autoptr(GBytes) bytes = g_bytes_new_static ("not a png", 9);
  g_autoptr(GdkContentProvider) provider = gdk_content_provider_new_for_bytes ("image/png", bytes);
  const char *message;

  gdk_clipboard_set_content (clipboard, provider);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste", NULL));
  g_assert_true (wait_until (shows_error, fixture->window));

  message = menugen_window_get_error_message (fixture->window);
  g_assert_true (g_str_has_prefix (message, "Could not read the image on the clipboard ("));
  g_assert_true (g_str_has_suffix (message, "). Copy it again, or save it as a file and open that file."));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_EMPTY);
}

static int
get_min_width (GtkWidget *widget)
{
  int min = 0;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  return min;
}

/* A long back-end name, such as the one made up for a key found in the
 * environment, is cut short in the header instead of widening the
 * window beyond a half-screen. */
static void
test_long_backend_name (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MenugenBackendConfig) config = menugen_backend_config_new ("gemini");
  MenugenWindow *window;
  GtkWidget *dropdown;
  int short_min = get_min_width (GTK_WIDGET (fixture->window));

  g_free (config->id);
  config->id = g_strdup (BACKEND_ID);
  g_free (config->name);
  config->name = g_strdup ("Google Gemini image model on the company account (from GEMINI_API_KEY)");
  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (fixture->fake));
  menugen_config_save_backend (menugen_application_get_settings (application), config);

  window = menugen_window_new (application);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, window));
  dropdown = get_child (window, "backend_dropdown");

  g_assert_true (gtk_widget_get_visible (dropdown));
  g_assert_cmpint (get_min_width (dropdown), <, 200);
  g_assert_cmpint (get_min_width (GTK_WIDGET (window)), <=, short_min);
  g_assert_cmpint (get_min_width (GTK_WIDGET (window)), <, 700);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_size_saved (Fixture       *fixture,
                 gconstpointer  data)
{
  GSettings *settings = menugen_application_get_settings (application);
  MenugenWindow *window = menugen_window_new (application);

  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, window));
  gtk_window_close (GTK_WINDOW (window));

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 640);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 480);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

static gboolean
preferences_shown (gpointer data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (application));

  for (GList *l = windows; l != NULL; l = l->next)
    if (MENUGEN_IS_PREFERENCES (l->data) && gtk_widget_get_mapped (l->data))
      return TRUE;

  return FALSE;
}

static void
test_preferences_action (Fixture       *fixture,
                         gconstpointer  data)
{
  GtkWindow *preferences = NULL;
  guint count = 0;

  g_assert_true (wait_until (is_mapped, fixture->window));
  g_action_group_activate_action (G_ACTION_GROUP (application), "preferences", NULL);
  g_assert_true (wait_until (preferences_shown, NULL));

  g_action_group_activate_action (G_ACTION_GROUP (application), "preferences", NULL);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (application)); l != NULL; l = l->next)
    if (MENUGEN_IS_PREFERENCES (l->data))
      {
        preferences = l->data;
        count++;
      }

  g_assert_cmpuint (count, ==, 1);
  g_assert_true (gtk_window_get_transient_for (preferences) == GTK_WINDOW (fixture->window));
  gtk_window_destroy (preferences);
}

/* A first run with nothing configured probes loopback and offers what it
 * finds. "Add" turns each server into a configured back-end. */
static void
test_first_run_discovery (Fixture       *fixture,
                          gconstpointer  data)
{
  GSettings *settings = menugen_application_get_settings (application);
  g_autoptr(FakeServer) comfyui = fake_server_new ("openai-chat", "discovery-comfyui");
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (comfyui), G_URI_FLAGS_NONE, NULL);
  g_autofree char *expected_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  const MenugenDiscoveryTarget targets[] = {
    { MENUGEN_SERVER_COMFYUI, NULL, g_uri_get_port (uri) },
    { 0, NULL, 0 },
  };
  g_autoptr(MenugenBackendConfig) added = NULL;
  g_auto(GStrv) ids = NULL;
  MenugenWindow *window;
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  menugen_config_remove_backend (settings, BACKEND_ID);
  menugen_window_set_discovery_targets (targets);
  window = menugen_window_new (application);
  gtk_window_present (GTK_WINDOW (window));

  /* The action stays disabled until the probe has found the server. */
  do
    {
      g_main_context_iteration (NULL, FALSE);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.add-discovered", NULL);
      g_strfreev (ids);
      ids = g_settings_get_strv (settings, "backends");
    }
  while (g_strv_length (ids) == 0 && g_get_monotonic_time () < deadline);

  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, "comfyui");
  added = menugen_config_load_backend (settings, "comfyui");
  g_assert_cmpstr (added->kind, ==, "comfyui");
  g_assert_cmpstr (added->url, ==, expected_url);
  g_assert_false (gtk_widget_get_visible (get_child (window, "setup_button")));

  menugen_window_set_discovery_targets (no_discovery_targets);
  menugen_config_remove_backend (settings, "comfyui");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
add_test (const char *name,
          const char *scenario,
          void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (name, Fixture, scenario, fixture_set_up, test, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  menugen_test_use_loopback_session ();
  menugen_window_set_discovery_targets (no_discovery_targets);

  application = menugen_application_new ();
  g_application_set_flags (G_APPLICATION (application),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (application), NULL, &error);
  g_assert_no_error (error);
  g_application_hold (G_APPLICATION (application));

  add_test ("/window/empty-state", NULL, test_empty_state);
  add_test ("/window/open-photo", NULL, test_open_photo);
  add_test ("/window/bad-photo-keeps-previous", NULL, test_bad_photo_keeps_previous);
  add_test ("/window/generate", NULL, test_generate);
  add_test ("/window/refusal", "gemini-refusal-image-prohibited-no-content", test_refusal);
  add_test ("/window/retry", "server-error-500", test_retry);
  add_test ("/window/no-backend", NULL, test_no_backend);
  add_test ("/window/cancel", "slow", test_cancel);
  add_test ("/window/drop-file-list", NULL, test_drop_file_list);
  add_test ("/window/drop-texture", NULL, test_drop_texture);
  add_test ("/window/drop-url", NULL, test_drop_url);
  add_test ("/window/drop-missing-url", NULL, test_drop_missing_url);
  add_test ("/window/drop-url-not-image", NULL, test_drop_url_not_image);
  add_test ("/window/drop-plain-text", NULL, test_drop_plain_text);
  add_test ("/window/drop-unreadable", NULL, test_drop_unreadable);
  add_test ("/window/drop-leave-is-quiet", NULL, test_drop_leave_is_quiet);
  add_test ("/window/paste-texture", NULL, test_paste_texture);
  add_test ("/window/paste-plain-text", NULL, test_paste_plain_text);
  add_test ("/window/paste-unreadable-image", NULL, test_paste_unreadable_image);
  add_test ("/window/size-saved", NULL, test_size_saved);
  add_test ("/window/long-backend-name", NULL, test_long_backend_name);
  add_test ("/window/preferences-action", NULL, test_preferences_action);
  add_test ("/window/first-run-discovery", NULL, test_first_run_discovery);

  status = g_test_run ();

  g_application_release (G_APPLICATION (application));
  g_clear_object (&application);
  return status;
}
