/* Tests the main window with each kind of back-end. A real menu photo is
 * loaded and win.generate runs against that kind's strict fake. The window
 * must then show the fake's image and keep a history folder, or show the
 * back-end's refusal with the photo still loaded. */

#include "config.h"

#include <string.h>
#include <gtk/gtk.h>

#include "core/menugen-config.h"
#include "core/menugen-history.h"
#include "core/menugen-secrets.h"
#include "fake-server.h"
#include "test-util.h"
#include "ui/menugen-application.h"
#include "ui/menugen-window.h"

#define BACKEND_ID "test-window-backends"
#define FAKE_KEY "test-key-not-real"
#define WAIT_TIMEOUT_S 60
#define POLL_INTERVAL_MS 10

/* Width and height of the JPEG used when the real menu photos are absent. */
#define FALLBACK_PHOTO_WIDTH 1200
#define FALLBACK_PHOTO_HEIGHT 1600

static MenugenApplication *application;

/**
 * KindCase:
 * @name: the test path's middle part
 * @kind: the back-end kind stored in the settings
 * @fake_kind: kind of the fake that draws the image
 * @scenario: the drawing fake's scenario
 * @vision_scenario: describe-then-draw only: the vision chat fake's scenario
 * @with_key: whether the back-end gets the fake key for this session
 * @workflow: ComfyUI only: the built-in workflow
 * @photo_index: which of the real menu photos to load
 */
typedef struct {
  const char *name;
  const char *kind;
  const char *fake_kind;
  const char *scenario;
  const char *vision_scenario;
  gboolean with_key;
  const char *workflow;
  guint photo_index;
} KindCase;

/* A refusal per kind, with the sentence the error banner must show.
 * "{server}" in it stands for the host and port of the fake that refuses. */
typedef struct {
  KindCase kind_case;
  const char *message;
} RefusalCase;

typedef struct {
  const KindCase *kind_case;
  FakeServer *fake;
  FakeServer *vision;
  MenugenWindow *window;
  char *scratch;
  char *photo_path;
  GHashTable *history_before;
} Fixture;

typedef gboolean (*Predicate) (gpointer data);

typedef struct {
  Predicate predicate;
  gpointer data;
  gboolean done;
} Poll;

/* What the progress area showed while a job ran: the smallest and largest
 * fraction strictly between 0 and 1, and the first line with a step. */
typedef struct {
  MenugenWindow *window;
  gboolean revealed;
  double min_fraction;
  double max_fraction;
  char *step_line;
} ProgressSeen;

static const KindCase success_cases[] = {
  { "gemini", "gemini", "gemini", "illustrated", NULL, TRUE, NULL, 0 },
  { "openai", "openai-images", "openai-images", "illustrated", NULL, TRUE, NULL, 1 },
  { "sd-server", "openai-images", "openai-images", "sdcpp-illustrated", NULL, FALSE, NULL, 2 },
  { "openrouter", "openai-chat", "openai-chat", "illustrated", NULL, TRUE, NULL, 3 },
  { "comfyui", "comfyui", "comfyui", "illustrated", NULL, FALSE, "qwen-image-edit", 4 },
  { "describe-then-draw", "describe-then-draw", "openai-images", "sdcpp-illustrated", "vision-describe", FALSE, NULL, 5 },
};

static const RefusalCase refusal_cases[] = {
  { { "gemini", "gemini", "gemini", "gemini-refusal-image-prohibited-no-content", NULL, TRUE, NULL, 0 },
    "Gemini declined to draw this menu (IMAGE_PROHIBITED_CONTENT). Try another photo or another back-end." },
  { { "openai", "openai-images", "openai-images", "openai-error-moderation-blocked", NULL, TRUE, NULL, 1 },
    "{server} refused to draw this menu for safety reasons (sexual). "
    "Try another photo or another back-end, because the same request will be refused again." },
  { { "openrouter", "openai-chat", "openai-chat", "openrouter-error-403-guardrail", NULL, TRUE, NULL, 3 },
    "{server} blocked the request (Request blocked: prompt injection patterns detected: ignore all previous instructions). "
    "Change the instruction or the photo, or choose another back-end." },
  { { "comfyui", "comfyui", "comfyui", "hip-error", NULL, FALSE, "qwen-image-edit", 4 },
    "ComfyUI failed while running TextEncodeQwenImageEditPlus (node 433:111): HIP error: invalid device function. "
    "Check that the ROCm and PyTorch build that runs ComfyUI supports this GPU, or choose a remote back-end in Preferences." },
  { { "describe-then-draw", "describe-then-draw", "openai-images", "sdcpp-illustrated", "llamacpp-error-no-mmproj", FALSE, NULL, 5 },
    "The vision model on {server} cannot read images (image input is not supported - hint: if this is unexpected, "
    "you may need to provide the mmproj). Start llama-server with --mmproj and the model’s projector file, or use a model with vision." },
};

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
    id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, &poll);

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

static char *
get_history_root (void)
{
  g_autoptr(MenugenHistory) history = menugen_history_new_default ();

  return g_file_get_path (menugen_history_get_root (history));
}

/* Lists the folder names in the history root, which may not exist yet. */
static GHashTable *
list_history_folders (void)
{
  g_autofree char *root = get_history_root ();
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_hash_table_add (names, g_strdup (name));

  return names;
}

/* Returns the path of a real menu photo, or of a generated JPEG written to
 * @scratch when MENUGEN_MENUS_DIR has no photos. */
static char *
choose_photo (const char *scratch,
              guint       index)
{
  g_autoptr(GPtrArray) photos = menugen_test_list_menu_photos ();
  g_autoptr(GBytes) jpeg = NULL;
  g_autoptr(GError) error = NULL;
  char *path;

  if (photos->len > 0)
    return g_strdup (g_ptr_array_index (photos, index % photos->len));

  jpeg = menugen_test_make_jpeg (FALLBACK_PHOTO_WIDTH, FALLBACK_PHOTO_HEIGHT, 1, TRUE);
  path = g_build_filename (scratch, "menu.jpg", NULL);
  g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error);
  g_assert_no_error (error);
  return path;
}

static MenugenBackendConfig *
build_config (Fixture *fixture)
{
  const KindCase *kind_case = fixture->kind_case;
  MenugenBackendConfig *config = menugen_backend_config_new (kind_case->kind);

  g_free (config->id);
  config->id = g_strdup (BACKEND_ID);
  g_free (config->name);
  config->name = g_strdup_printf ("Fake %s", kind_case->name);
  g_free (config->url);
  config->url = g_strdup (fake_server_get_url (fixture->fake));
  g_free (config->workflow);
  config->workflow = g_strdup (kind_case->workflow);

  if (fixture->vision != NULL)
    {
      g_free (config->vision_url);
      config->vision_url = g_strdup (fake_server_get_url (fixture->vision));
    }

  return config;
}

static void
start_fakes (Fixture *fixture)
{
  const KindCase *kind_case = fixture->kind_case;

  fixture->fake = fake_server_new (kind_case->fake_kind, kind_case->scenario);
  if (!kind_case->with_key)
    fake_server_set_key (fixture->fake, NULL);

  if (kind_case->vision_scenario != NULL)
    {
      fixture->vision = fake_server_new ("openai-chat", kind_case->vision_scenario);

      /* Local vision servers take no key, so the fake expects none. */
      fake_server_set_key (fixture->vision, NULL);
    }
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(MenugenBackendConfig) config = NULL;

  fixture->kind_case = data;
  start_fakes (fixture);

  config = build_config (fixture);
  menugen_config_save_backend (menugen_application_get_settings (application), config);
  if (fixture->kind_case->with_key)
    menugen_secrets_set_session_key (BACKEND_ID, FAKE_KEY);

  fixture->scratch = menugen_test_make_scratch_dir ();
  fixture->photo_path = choose_photo (fixture->scratch, fixture->kind_case->photo_index);
  fixture->history_before = list_history_folders ();
  g_test_message ("%s back-end with scenario %s, photo %s", fixture->kind_case->kind,
                  fixture->kind_case->scenario, fixture->photo_path);

  fixture->window = menugen_window_new (application);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
assert_no_violations (FakeServer *fake)
{
  GPtrArray *violations;

  if (fake == NULL)
    return;

  violations = fake_server_get_violations (fake);
  for (guint i = 0; i < violations->len; i++)
    g_test_message ("fake %s: %s", fake_server_get_kind (fake), (const char *) g_ptr_array_index (violations, i));

  g_assert_cmpuint (violations->len, ==, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  menugen_config_remove_backend (menugen_application_get_settings (application), BACKEND_ID);
  menugen_secrets_set_session_key (BACKEND_ID, NULL);

  assert_no_violations (fixture->fake);
  assert_no_violations (fixture->vision);

  g_clear_pointer (&fixture->fake, fake_server_free);
  g_clear_pointer (&fixture->vision, fake_server_free);
  g_clear_pointer (&fixture->history_before, g_hash_table_unref);
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
  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
}

static void
start_generate (Fixture *fixture)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.generate", NULL));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_BUSY);
}

/* Returns the one history folder that the job added. */
static char *
find_new_history_folder (Fixture *fixture)
{
  g_autoptr(GHashTable) after = list_history_folders ();
  g_autofree char *root = get_history_root ();
  g_autofree char *found = NULL;
  GHashTableIter iter;
  const char *name;
  guint added = 0;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    if (!g_hash_table_contains (fixture->history_before, name))
      {
        added++;
        g_free (found);
        found = g_build_filename (root, name, NULL);
      }

  g_assert_cmpuint (added, ==, 1);
  return g_steal_pointer (&found);
}

static void
assert_history_folder (Fixture *fixture,
                       int      width,
                       int      height)
{
  g_autofree char *folder = find_new_history_folder (fixture);
  g_autofree char *result = g_build_filename (folder, MENUGEN_HISTORY_RESULT_FILE, NULL);
  g_autofree char *record = g_build_filename (folder, MENUGEN_HISTORY_RECORD_FILE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;
  int result_width = 0;
  int result_height = 0;

  g_assert_true (g_file_test (result, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (gdk_pixbuf_get_file_info (result, &result_width, &result_height));
  g_assert_cmpint (result_width, ==, width);
  g_assert_cmpint (result_height, ==, height);

  g_assert_true (g_file_get_contents (record, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (strstr (text, FAKE_KEY));
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "backend-kind"), ==, fixture->kind_case->kind);
  g_assert_cmpint (json_object_get_int_member (object, "result-width"), ==, width);
  g_assert_cmpint (json_object_get_int_member (object, "result-height"), ==, height);
}

/* Checks the finished job: the viewer shows an image of exactly the size
 * the fake drew, and a new history folder contains it. */
static void
assert_result (Fixture *fixture)
{
  MenugenViewer *viewer = menugen_window_get_viewer (fixture->window);
  GdkPaintable *paintable;
  int width = 0;
  int height = 0;

  g_assert_null (menugen_window_get_error_message (fixture->window));
  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_RESULT);
  g_assert_cmpstr (get_page (fixture->window), ==, "result");
  g_assert_false (gtk_revealer_get_reveal_child (get_child (fixture->window, "progress_revealer")));

  g_assert_true (fake_server_get_image_size (fixture->fake, &width, &height));
  paintable = menugen_viewer_get_paintable (viewer);
  g_assert_nonnull (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, width);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, height);
  g_assert_nonnull (menugen_viewer_get_compare_paintable (viewer));

  assert_history_folder (fixture, width, height);
}

static void
test_generate (Fixture       *fixture,
               gconstpointer  data)
{
  load_photo (fixture);
  start_generate (fixture);
  g_assert_true (wait_until (is_idle, fixture->window));

  assert_result (fixture);
}

/* Records the progress area on every poll, and ends the wait when the
 * job is over. */
static gboolean
watch_progress (gpointer data)
{
  ProgressSeen *seen = data;
  const char *stage = gtk_label_get_text (get_child (seen->window, "stage_label"));
  double fraction = gtk_progress_bar_get_fraction (get_child (seen->window, "progress_bar"));

  if (!is_idle (seen->window))
    {
      seen->revealed |= gtk_revealer_get_reveal_child (get_child (seen->window, "progress_revealer"));
      if (fraction > 0 && fraction < 1)
        {
          seen->min_fraction = MIN (seen->min_fraction, fraction);
          seen->max_fraction = MAX (seen->max_fraction, fraction);
        }
      if (strstr (stage, "Step ") != NULL && seen->step_line == NULL)
        seen->step_line = g_strdup (stage);
    }

  return is_idle (seen->window);
}

static void
test_comfyui_progress (Fixture       *fixture,
                       gconstpointer  data)
{
  ProgressSeen seen = { fixture->window, FALSE, 1, 0, NULL };
  g_autofree char *step_line = NULL;

  load_photo (fixture);
  start_generate (fixture);
  g_assert_true (wait_until (watch_progress, &seen));
  step_line = g_steal_pointer (&seen.step_line);
  g_test_message ("progress: fractions %.2f to %.2f, line \"%s\"", seen.min_fraction, seen.max_fraction,
                  step_line != NULL ? step_line : "");

  /* A bar that moved through several fractions shows real steps, not a
   * pulse or a single jump. */
  g_assert_true (seen.revealed);
  g_assert_cmpfloat (seen.min_fraction, >, 0);
  g_assert_cmpfloat (seen.max_fraction, <, 1);
  g_assert_cmpfloat (seen.max_fraction, >, seen.min_fraction);
  g_assert_nonnull (step_line);
  g_assert_nonnull (strstr (step_line, " of 20"));
  assert_result (fixture);
}

static void
test_describe_notes (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkLabel *notes = get_child (fixture->window, "notes_label");

  load_photo (fixture);
  start_generate (fixture);
  g_assert_true (wait_until (is_idle, fixture->window));
  assert_result (fixture);

  g_assert_true (gtk_widget_get_visible (get_child (fixture->window, "notes_expander")));
  g_assert_nonnull (strstr (gtk_label_get_text (notes), "Drawing instruction written by the vision model"));
  g_assert_nonnull (strstr (gtk_label_get_text (notes), "Trattoria Da Marco"));
  g_assert_cmpuint (fake_server_get_request_count (fixture->vision), ==, 1);
}

/* Fills in "{server}" with the host and port of the fake that refuses.
 * That is the vision fake when there is one, because it is called first. */
static char *
expand_message (Fixture    *fixture,
                const char *message)
{
  FakeServer *fake = fixture->vision != NULL ? fixture->vision : fixture->fake;
  g_autoptr(GUri) uri = g_uri_parse (fake_server_get_url (fake), G_URI_FLAGS_NONE, NULL);
  g_autofree char *server = g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  g_auto(GStrv) pieces = g_strsplit (message, "{server}", -1);

  return g_strjoinv (server, pieces);
}

static void
test_refusal (Fixture       *fixture,
              gconstpointer  data)
{
  const RefusalCase *refusal = data;
  g_autofree char *expected = expand_message (fixture, refusal->message);
  g_autoptr(GHashTable) history_after = NULL;
  MenugenPhoto *photo;
  const char *message;

  load_photo (fixture);
  photo = menugen_window_get_photo (fixture->window);
  start_generate (fixture);
  g_assert_true (wait_until (is_idle, fixture->window));

  message = menugen_window_get_error_message (fixture->window);
  g_test_message ("banner: %s", message != NULL ? message : "(none)");
  g_assert_cmpstr (message, ==, expected);
  g_assert_true (gtk_revealer_get_reveal_child (get_child (fixture->window, "error_revealer")));
  g_assert_cmpstr (gtk_label_get_text (get_child (fixture->window, "error_label")), ==, expected);

  g_assert_cmpint (menugen_window_get_state (fixture->window), ==, MENUGEN_WINDOW_STATE_PHOTO);
  g_assert_cmpstr (get_page (fixture->window), ==, "photo");
  g_assert_true (menugen_window_get_photo (fixture->window) == photo);
  g_assert_true (gtk_widget_is_sensitive (get_child (fixture->window, "generate_button")));

  history_after = list_history_folders ();
  g_assert_cmpuint (g_hash_table_size (history_after), ==, g_hash_table_size (fixture->history_before));
}

static const KindCase comfyui_slow_case =
  { "comfyui", "comfyui", "comfyui", "slow", NULL, FALSE, "qwen-image-edit", 4 };

static gboolean
fake_saw_path (FakeServer *fake,
               const char *suffix)
{
  GPtrArray *paths = fake_server_get_paths (fake);

  for (guint i = 0; i < paths->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (paths, i), suffix))
      return TRUE;

  return FALSE;
}

static gboolean
shows_step (gpointer data)
{
  return strstr (gtk_label_get_text (get_child (data, "stage_label")), " of 20") != NULL;
}

static gboolean
application_is_idle (gpointer data)
{
  return !g_application_get_is_busy (data);
}

/* Closing the window (or quitting) while ComfyUI runs the prompt keeps
 * the application alive until the job has interrupted the prompt on the
 * server, so that the GPU stops drawing. */
static void
test_close_stops_server_job (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(MenugenWindow) closed = g_object_ref (fixture->window);

  load_photo (fixture);
  start_generate (fixture);
  g_assert_true (wait_until (shows_step, fixture->window));
  g_assert_false (g_application_get_is_busy (G_APPLICATION (application)));

  gtk_window_close (GTK_WINDOW (closed));
  g_assert_true (g_application_get_is_busy (G_APPLICATION (application)));

  g_assert_true (wait_until (application_is_idle, application));
  g_assert_true (fake_saw_path (fixture->fake, "/interrupt"));

  /* The tear-down destroys a window of its own. */
  fixture->window = menugen_window_new (application);
}

static void
add_test (const char      *kind_name,
          const char      *test_name,
          gconstpointer    data,
          void           (*test) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/window-backends/%s/%s", kind_name, test_name);

  g_test_add (path, Fixture, data, fixture_set_up, test, fixture_tear_down);
}

static void
add_tests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (success_cases); i++)
    {
      const KindCase *kind_case = &success_cases[i];

      if (g_str_equal (kind_case->kind, "comfyui"))
        add_test (kind_case->name, "generate", kind_case, test_comfyui_progress);
      else if (g_str_equal (kind_case->kind, "describe-then-draw"))
        add_test (kind_case->name, "generate", kind_case, test_describe_notes);
      else
        add_test (kind_case->name, "generate", kind_case, test_generate);
    }

  add_test ("comfyui", "close-stops-server-job", &comfyui_slow_case, test_close_stops_server_job);

  /* The fixture reads the KindCase at the start of each RefusalCase. */
  for (guint i = 0; i < G_N_ELEMENTS (refusal_cases); i++)
    add_test (refusal_cases[i].kind_case.name, "refusal", &refusal_cases[i], test_refusal);
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

  add_tests ();
  status = g_test_run ();

  g_application_release (G_APPLICATION (application));
  g_clear_object (&application);
  return status;
}
