#include "config.h"

#include <gtk/gtk.h>

#include "test-util.h"
#include "ui/menugen-viewer.h"

#define EPSILON 1e-6

typedef struct {
  GtkWindow *window;
  GtkScrolledWindow *scrolled;
  MenugenViewer *viewer;
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

  menugen_test_wait_for (&poll.done, 10);
  if (!poll.done)
    g_source_remove (id);

  return poll.done;
}

static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, 0xc04020ff);
  return gdk_texture_new_for_pixbuf (pixbuf);
}

static gboolean
is_allocated (gpointer data)
{
  GtkWidget *widget = data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0
         && gtk_widget_get_height (widget) > 0;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->window = GTK_WINDOW (gtk_window_new ());
  fixture->scrolled = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  fixture->viewer = MENUGEN_VIEWER (menugen_viewer_new ());

  gtk_scrolled_window_set_child (fixture->scrolled, GTK_WIDGET (fixture->viewer));
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->scrolled));
  gtk_window_set_default_size (fixture->window, 400, 300);
  gtk_window_present (fixture->window);

  g_assert_true (wait_until (is_allocated, fixture->viewer));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
}

static double
expected_fit (MenugenViewer *viewer,
              double         image_width,
              double         image_height)
{
  double width = gtk_widget_get_width (GTK_WIDGET (viewer));
  double height = gtk_widget_get_height (GTK_WIDGET (viewer));

  return MIN (width / image_width, height / image_height);
}

/* Runs the layout that a frame would run, so that sizes are current. */
static void
settle (Fixture *fixture)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static void
test_fit_zoom (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (800, 400);
  graphene_rect_t area;
  double width = gtk_widget_get_width (GTK_WIDGET (fixture->viewer));
  double height = gtk_widget_get_height (GTK_WIDGET (fixture->viewer));
  double fit;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  fit = expected_fit (fixture->viewer, 800, 400);

  g_assert_true (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), fit, EPSILON);
  g_assert_true (menugen_viewer_get_image_area (fixture->viewer, &area));
  g_assert_cmpfloat_with_epsilon (area.size.width / area.size.height, 2.0, EPSILON);
  g_assert_cmpfloat_with_epsilon (area.origin.x, (width - area.size.width) / 2, EPSILON);
  g_assert_cmpfloat_with_epsilon (area.origin.y, (height - area.size.height) / 2, EPSILON);
}

static GskRenderNode *
find_texture_node (GskRenderNode *node)
{
  if (gsk_render_node_get_node_type (node) == GSK_TEXTURE_NODE)
    return node;

  if (gsk_render_node_get_node_type (node) == GSK_CONTAINER_NODE)
    for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
      {
        GskRenderNode *found = find_texture_node (gsk_container_node_get_child (node, i));

        if (found != NULL)
          return found;
      }

  return NULL;
}

static GskRenderNode *
snapshot_viewer (MenugenViewer *viewer)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  GTK_WIDGET_GET_CLASS (viewer)->snapshot (GTK_WIDGET (viewer), snapshot);
  return gtk_snapshot_free_to_node (snapshot);
}

/* A square result in a wide view is letterboxed, never stretched. The
 * image is small enough that best fit stays above 1/2, where the viewer
 * draws the texture itself rather than a shrunk copy. */
static void
test_letterbox (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (400, 400);
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderNode *texture_node;
  graphene_rect_t area, bounds;
  double width = gtk_widget_get_width (GTK_WIDGET (fixture->viewer));

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);

  g_assert_true (menugen_viewer_get_image_area (fixture->viewer, &area));
  g_assert_cmpfloat (menugen_viewer_get_zoom (fixture->viewer), >, 0.5);
  g_assert_cmpfloat_with_epsilon (area.size.width, area.size.height, EPSILON);
  g_assert_cmpfloat (area.origin.x, >, 0);
  g_assert_cmpfloat_with_epsilon (area.origin.x * 2 + area.size.width, width, EPSILON);

  node = snapshot_viewer (fixture->viewer);
  g_assert_nonnull (node);
  texture_node = find_texture_node (node);
  g_assert_nonnull (texture_node);
  gsk_render_node_get_bounds (texture_node, &bounds);
  g_assert_cmpfloat_with_epsilon (bounds.size.width, bounds.size.height, EPSILON);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x, area.origin.x, EPSILON);
  g_assert_true (gsk_texture_node_get_texture (texture_node) == texture);
}

static void
test_zoom_steps (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (2000, 1500);
  double fit;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  fit = menugen_viewer_get_zoom (fixture->viewer);
  g_assert_cmpfloat (fit * MENUGEN_VIEWER_ZOOM_STEP, <, 1.0);

  menugen_viewer_zoom_in (fixture->viewer);
  g_assert_false (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), fit * MENUGEN_VIEWER_ZOOM_STEP, EPSILON);

  menugen_viewer_zoom_out (fixture->viewer);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), fit, EPSILON);

  menugen_viewer_set_zoom (fixture->viewer, 0.9);
  menugen_viewer_zoom_in (fixture->viewer);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0, EPSILON);
  menugen_viewer_zoom_in (fixture->viewer);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), MENUGEN_VIEWER_ZOOM_STEP, EPSILON);
  menugen_viewer_zoom_out (fixture->viewer);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0, EPSILON);
  menugen_viewer_zoom_out (fixture->viewer);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0 / MENUGEN_VIEWER_ZOOM_STEP, EPSILON);

  menugen_viewer_set_zoom (fixture->viewer, 1000.0);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), MENUGEN_VIEWER_MAX_ZOOM, EPSILON);
  menugen_viewer_set_zoom (fixture->viewer, 0.0);
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), MENUGEN_VIEWER_MIN_ZOOM, EPSILON);
}

static void
test_original_size (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (1200, 900);
  GtkAdjustment *hadjustment = gtk_scrolled_window_get_hadjustment (fixture->scrolled);
  GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (fixture->scrolled);
  double fit;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  fit = menugen_viewer_get_zoom (fixture->viewer);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->viewer), "viewer.zoom-original", NULL));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0, EPSILON);
  g_assert_false (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_upper (hadjustment), 1200, EPSILON);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_upper (vadjustment), 900, EPSILON);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->viewer), "viewer.zoom-fit", NULL));
  g_assert_true (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), fit, EPSILON);
}

static void
test_zoom_at_point (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (1000, 1000);
  GtkAdjustment *hadjustment = gtk_scrolled_window_get_hadjustment (fixture->scrolled);
  GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (fixture->scrolled);
  graphene_rect_t area;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  menugen_viewer_set_zoom (fixture->viewer, 1.0);
  gtk_adjustment_set_value (hadjustment, 100);
  gtk_adjustment_set_value (vadjustment, 100);

  /* Widget point (50, 60) shows image pixel (150, 160). */
  menugen_viewer_zoom_at (fixture->viewer, 2.0, 50, 60);

  g_assert_true (menugen_viewer_get_image_area (fixture->viewer, &area));
  g_assert_cmpfloat_with_epsilon ((50 - area.origin.x) / 2.0, 150, EPSILON);
  g_assert_cmpfloat_with_epsilon ((60 - area.origin.y) / 2.0, 160, EPSILON);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (hadjustment), 250, EPSILON);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (vadjustment), 260, EPSILON);
}

static GtkEventController *
find_controller (GtkWidget *widget,
                 GType      type)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;
    }

  return NULL;
}

static void
test_double_click (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (1600, 1200);
  GtkEventController *click = find_controller (GTK_WIDGET (fixture->viewer), GTK_TYPE_GESTURE_CLICK);
  double fit;

  g_assert_nonnull (click);
  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  fit = menugen_viewer_get_zoom (fixture->viewer);

  g_signal_emit_by_name (click, "pressed", 1, 100.0, 100.0);
  g_assert_true (menugen_viewer_get_fit (fixture->viewer));

  g_signal_emit_by_name (click, "pressed", 2, 100.0, 100.0);
  g_assert_false (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0, EPSILON);

  g_signal_emit_by_name (click, "pressed", 2, 100.0, 100.0);
  g_assert_true (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), fit, EPSILON);
}

static void
test_compare_keeps_view (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GdkTexture) menu = make_texture (2000, 1000);
  g_autoptr(GdkTexture) photo = make_texture (1000, 2000);
  GtkAdjustment *hadjustment = gtk_scrolled_window_get_hadjustment (fixture->scrolled);
  GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (fixture->scrolled);
  double width = gtk_widget_get_width (GTK_WIDGET (fixture->viewer));
  double height = gtk_widget_get_height (GTK_WIDGET (fixture->viewer));
  double x, y;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (menu));
  menugen_viewer_set_compare_paintable (fixture->viewer, GDK_PAINTABLE (photo));
  settle (fixture);
  menugen_viewer_set_zoom (fixture->viewer, 1.0);
  gtk_adjustment_set_value (hadjustment, 0.4 * 2000 - width / 2);
  gtk_adjustment_set_value (vadjustment, 0.6 * 1000 - height / 2);
  menugen_viewer_get_view_centre (fixture->viewer, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, 0.4, EPSILON);
  g_assert_cmpfloat_with_epsilon (y, 0.6, EPSILON);

  menugen_viewer_set_show_compare (fixture->viewer, TRUE);
  g_assert_true (menugen_viewer_get_shown_paintable (fixture->viewer) == GDK_PAINTABLE (photo));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer), 1.0, EPSILON);
  menugen_viewer_get_view_centre (fixture->viewer, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, 0.4, EPSILON);
  g_assert_cmpfloat_with_epsilon (y, 0.6, EPSILON);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_upper (vadjustment), 2000, EPSILON);

  menugen_viewer_set_show_compare (fixture->viewer, FALSE);
  g_assert_true (menugen_viewer_get_shown_paintable (fixture->viewer) == GDK_PAINTABLE (menu));
  menugen_viewer_get_view_centre (fixture->viewer, &x, &y);
  g_assert_cmpfloat_with_epsilon (x, 0.4, EPSILON);
  g_assert_cmpfloat_with_epsilon (y, 0.6, EPSILON);
}

static void
test_compare_keeps_fit (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GdkTexture) menu = make_texture (2000, 1000);
  g_autoptr(GdkTexture) photo = make_texture (1000, 2000);

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (menu));
  menugen_viewer_set_compare_paintable (fixture->viewer, GDK_PAINTABLE (photo));
  settle (fixture);

  menugen_viewer_set_show_compare (fixture->viewer, TRUE);
  g_assert_true (menugen_viewer_get_fit (fixture->viewer));
  g_assert_cmpfloat_with_epsilon (menugen_viewer_get_zoom (fixture->viewer),
                                  expected_fit (fixture->viewer, 1000, 2000), EPSILON);
}

static gboolean
shrunk_copy_drawn (gpointer data)
{
  MenugenViewer *viewer = data;
  g_autoptr(GskRenderNode) node = snapshot_viewer (viewer);
  GskRenderNode *texture_node = node != NULL ? find_texture_node (node) : NULL;

  return texture_node != NULL
         && gdk_texture_get_width (gsk_texture_node_get_texture (texture_node)) == 4096 >> 3;
}

/* At 10 % a 4096-pixel image is drawn from a copy shrunk eight times,
 * so that the renderer never shrinks by more than half. */
static void
test_small_zoom_shrunk_copy (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (4096, 2048);
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderNode *texture_node;
  graphene_rect_t area, bounds;

  menugen_viewer_set_paintable (fixture->viewer, GDK_PAINTABLE (texture));
  settle (fixture);
  menugen_viewer_set_zoom (fixture->viewer, 0.1);

  g_assert_true (wait_until (shrunk_copy_drawn, fixture->viewer));

  node = snapshot_viewer (fixture->viewer);
  texture_node = find_texture_node (node);
  g_assert_cmpint (gdk_texture_get_height (gsk_texture_node_get_texture (texture_node)), ==, 2048 >> 3);
  g_assert_true (menugen_viewer_get_image_area (fixture->viewer, &area));
  gsk_render_node_get_bounds (texture_node, &bounds);
  g_assert_cmpfloat_with_epsilon (bounds.size.width, 409.6, 1e-3);
  g_assert_cmpfloat_with_epsilon (bounds.size.height, 204.8, 1e-3);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/viewer/fit-zoom", Fixture, NULL, fixture_set_up, test_fit_zoom, fixture_tear_down);
  g_test_add ("/viewer/letterbox", Fixture, NULL, fixture_set_up, test_letterbox, fixture_tear_down);
  g_test_add ("/viewer/zoom-steps", Fixture, NULL, fixture_set_up, test_zoom_steps, fixture_tear_down);
  g_test_add ("/viewer/original-size", Fixture, NULL, fixture_set_up, test_original_size, fixture_tear_down);
  g_test_add ("/viewer/zoom-at-point", Fixture, NULL, fixture_set_up, test_zoom_at_point, fixture_tear_down);
  g_test_add ("/viewer/double-click", Fixture, NULL, fixture_set_up, test_double_click, fixture_tear_down);
  g_test_add ("/viewer/compare-keeps-view", Fixture, NULL, fixture_set_up, test_compare_keeps_view, fixture_tear_down);
  g_test_add ("/viewer/compare-keeps-fit", Fixture, NULL, fixture_set_up, test_compare_keeps_fit, fixture_tear_down);
  g_test_add ("/viewer/small-zoom-shrunk-copy", Fixture, NULL, fixture_set_up, test_small_zoom_shrunk_copy, fixture_tear_down);

  return g_test_run ();
}
