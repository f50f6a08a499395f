#include "config.h"

#include <math.h>

#include "ui/menugen-viewer.h"

/* Below a zoom of 1/2 the viewer draws a copy shrunk by 2^level with an
 * area filter. GTK 4.8 has no filter argument for texture nodes
 * (gtk_snapshot_append_scaled_texture is 4.10), and its GL renderer samples
 * without mipmaps, so a 4K menu would shimmer at small zooms. */
#define MAX_MIP_LEVEL 4

struct _MenugenViewer
{
  GtkWidget parent_instance;

  GdkPaintable *paintable;
  GdkPaintable *compare_paintable;
  gboolean show_compare;

  double zoom;
  gboolean fit;

  GtkAdjustment *hadjustment;
  GtkAdjustment *vadjustment;
  GtkScrollablePolicy hscroll_policy;
  GtkScrollablePolicy vscroll_policy;

  double pointer_x;
  double pointer_y;
  gboolean has_pointer;

  double drag_start_h;
  double drag_start_v;
  double gesture_start_zoom;

  GdkTexture *mip_texture;
  GdkPaintable *mip_source;
  int mip_level;
  int mip_pending_level;
  GCancellable *mip_cancellable;
};

static void scrollable_init (GtkScrollableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MenugenViewer, menugen_viewer, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, scrollable_init))

enum {
  PROP_0,
  PROP_PAINTABLE,
  PROP_COMPARE_PAINTABLE,
  PROP_SHOW_COMPARE,
  PROP_ZOOM,
  PROP_FIT,
  N_PROPS,

  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  GBytes *pixels;
  int width;
  int height;
  gsize stride;
  int level;
  GdkPaintable *source;
} MipData;

static void
mip_data_free (MipData *data)
{
  g_bytes_unref (data->pixels);
  g_object_unref (data->source);
  g_free (data);
}

static void
scrollable_init (GtkScrollableInterface *iface)
{
}

GdkPaintable *
menugen_viewer_get_shown_paintable (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), NULL);

  if (self->show_compare && self->compare_paintable != NULL)
    return self->compare_paintable;

  return self->paintable;
}

/* Gives the shown image's size in pixels. A paintable without an intrinsic
 * size is laid out as if it were as large as the widget. */
static gboolean
get_image_size (MenugenViewer *self,
                double        *width,
                double        *height)
{
  GdkPaintable *shown = menugen_viewer_get_shown_paintable (self);

  if (shown == NULL)
    return FALSE;

  *width = gdk_paintable_get_intrinsic_width (shown);
  *height = gdk_paintable_get_intrinsic_height (shown);
  if (*width <= 0 || *height <= 0)
    {
      *width = MAX (1, gtk_widget_get_width (GTK_WIDGET (self)));
      *height = MAX (1, gtk_widget_get_height (GTK_WIDGET (self)));
    }

  return TRUE;
}

static double
clamp_zoom (double zoom)
{
  return CLAMP (zoom, MENUGEN_VIEWER_MIN_ZOOM, MENUGEN_VIEWER_MAX_ZOOM);
}

static double
compute_fit_zoom (MenugenViewer *self,
                  int            width,
                  int            height)
{
  double image_width, image_height;

  if (!get_image_size (self, &image_width, &image_height) || width <= 0 || height <= 0)
    return 1.0;

  return clamp_zoom (MIN (width / image_width, height / image_height));
}

static void
configure_adjustment (GtkAdjustment *adjustment,
                      double         content,
                      double         page)
{
  double upper = MAX (content, page);
  double value = CLAMP (gtk_adjustment_get_value (adjustment), 0, upper - page);

  gtk_adjustment_configure (adjustment, value, 0, upper, page * 0.1, page * 0.9, page);
}

static void
configure_adjustments (MenugenViewer *self,
                       int            width,
                       int            height)
{
  double image_width = 0, image_height = 0;

  get_image_size (self, &image_width, &image_height);
  configure_adjustment (self->hadjustment, image_width * self->zoom, width);
  configure_adjustment (self->vadjustment, image_height * self->zoom, height);
}

/* The image's top-left corner in widget coordinates: centred when it is
 * smaller than the widget (letterboxed, never stretched), scrolled when
 * it is larger. */
static void
get_origin (MenugenViewer *self,
            double        *x,
            double        *y)
{
  double image_width = 0, image_height = 0;
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double content_width, content_height;

  get_image_size (self, &image_width, &image_height);
  content_width = image_width * self->zoom;
  content_height = image_height * self->zoom;

  *x = content_width < width ? (width - content_width) / 2 : -gtk_adjustment_get_value (self->hadjustment);
  *y = content_height < height ? (height - content_height) / 2 : -gtk_adjustment_get_value (self->vadjustment);
}

static void
update_cursor (MenugenViewer *self)
{
  double upper_h = gtk_adjustment_get_upper (self->hadjustment);
  double upper_v = gtk_adjustment_get_upper (self->vadjustment);
  gboolean pannable = upper_h > gtk_adjustment_get_page_size (self->hadjustment) + 0.5
                      || upper_v > gtk_adjustment_get_page_size (self->vadjustment) + 0.5;

  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), pannable ? "grab" : NULL);
}

static void
set_zoom_value (MenugenViewer *self,
                double         zoom,
                gboolean       fit)
{
  zoom = clamp_zoom (zoom);

  if (self->zoom != zoom)
    {
      self->zoom = zoom;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
    }

  if (self->fit != fit)
    {
      self->fit = fit;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
    }
}

static void
clear_mip (MenugenViewer *self)
{
  g_cancellable_cancel (self->mip_cancellable);
  g_clear_object (&self->mip_cancellable);
  g_clear_object (&self->mip_texture);
  g_clear_object (&self->mip_source);
  self->mip_level = 0;
  self->mip_pending_level = 0;
}

/* The shrink level whose copy is still at least as large as the drawn
 * image, so that the renderer never shrinks by more than half. */
static int
wanted_mip_level (double zoom)
{
  int level = 0;

  while (level < MAX_MIP_LEVEL && zoom <= 1.0 / (2 << level))
    level++;

  return level;
}

static void
shrink_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  MipData *data = task_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) shrunk = NULL;
  g_autoptr(GBytes) pixels = NULL;
  int width = MAX (1, data->width >> data->level);
  int height = MAX (1, data->height >> data->level);

  /* The pixels are premultiplied BGRA. Averaging them as if they were
   * RGBA gives the right premultiplied average, so gdk-pixbuf's area
   * filter works on them unchanged. */
  pixbuf = gdk_pixbuf_new_from_bytes (data->pixels, GDK_COLORSPACE_RGB, TRUE, 8,
                                      data->width, data->height, data->stride);
  shrunk = gdk_pixbuf_scale_simple (pixbuf, width, height, GDK_INTERP_BILINEAR);
  if (shrunk == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                               "could not allocate a %d×%d copy", width, height);
      return;
    }

  pixels = gdk_pixbuf_read_pixel_bytes (shrunk);
  g_task_return_pointer (task,
                         gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, pixels,
                                                 gdk_pixbuf_get_rowstride (shrunk)),
                         g_object_unref);
}

static void
shrink_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  MenugenViewer *self = MENUGEN_VIEWER (source);
  MipData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->mip_pending_level = 0;
  if (texture == NULL)
    {
      g_warning ("Could not shrink the shown image for drawing: %s", error->message);
      return;
    }

  if (data->source != menugen_viewer_get_shown_paintable (self))
    return;

  g_set_object (&self->mip_texture, texture);
  g_set_object (&self->mip_source, data->source);
  self->mip_level = data->level;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
request_mip (MenugenViewer *self,
             GdkTexture    *texture,
             int            level)
{
  g_autoptr(GTask) task = NULL;
  MipData *data;
  guchar *pixels;

  if (self->mip_pending_level == level)
    return;

  g_cancellable_cancel (self->mip_cancellable);
  g_clear_object (&self->mip_cancellable);
  self->mip_cancellable = g_cancellable_new ();
  self->mip_pending_level = level;

  data = g_new0 (MipData, 1);
  data->width = gdk_texture_get_width (texture);
  data->height = gdk_texture_get_height (texture);
  data->stride = (gsize) data->width * 4;
  data->level = level;
  data->source = g_object_ref (GDK_PAINTABLE (texture));

  /* Downloading is a copy in memory, so only the filtering runs in the thread. */
  pixels = g_malloc (data->stride * data->height);
  gdk_texture_download (texture, pixels, data->stride);
  data->pixels = g_bytes_new_take (pixels, data->stride * data->height);

  task = g_task_new (self, self->mip_cancellable, shrink_done_cb, NULL);
  g_task_set_source_tag (task, request_mip);
  g_task_set_task_data (task, data, (GDestroyNotify) mip_data_free);
  g_task_run_in_thread (task, shrink_thread);
}

/* Picks the texture to draw: the shown paintable itself, or its shrunk
 * copy when one of the right level is ready. */
static GdkPaintable *
choose_drawn (MenugenViewer *self,
              GdkPaintable  *shown)
{
  int level = wanted_mip_level (self->zoom);

  if (level == 0 || !GDK_IS_TEXTURE (shown))
    return shown;

  if (self->mip_source == shown && self->mip_level == level && self->mip_texture != NULL)
    return GDK_PAINTABLE (self->mip_texture);

  request_mip (self, GDK_TEXTURE (shown), level);
  return shown;
}

static void
invalidate_contents_cb (GdkPaintable  *paintable,
                        MenugenViewer *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
invalidate_size_cb (GdkPaintable  *paintable,
                    MenugenViewer *self)
{
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
watch_paintable (MenugenViewer  *self,
                 GdkPaintable  **slot,
                 GdkPaintable   *paintable)
{
  if (*slot != NULL)
    {
      g_signal_handlers_disconnect_by_func (*slot, invalidate_contents_cb, self);
      g_signal_handlers_disconnect_by_func (*slot, invalidate_size_cb, self);
    }

  g_set_object (slot, paintable);

  if (paintable != NULL)
    {
      g_signal_connect (paintable, "invalidate-contents", G_CALLBACK (invalidate_contents_cb), self);
      g_signal_connect (paintable, "invalidate-size", G_CALLBACK (invalidate_size_cb), self);
    }
}

static void
adjustment_value_changed_cb (GtkAdjustment *adjustment,
                             MenugenViewer *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (MenugenViewer  *self,
                GtkAdjustment **slot,
                GtkAdjustment  *adjustment,
                GParamSpec     *pspec)
{
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);

  if (*slot == adjustment)
    return;

  if (*slot != NULL)
    {
      g_signal_handlers_disconnect_by_func (*slot, adjustment_value_changed_cb, self);
      g_object_unref (*slot);
    }

  *slot = g_object_ref_sink (adjustment);
  g_signal_connect (adjustment, "value-changed", G_CALLBACK (adjustment_value_changed_cb), self);

  if (self->hadjustment != NULL && self->vadjustment != NULL)
    configure_adjustments (self, gtk_widget_get_width (GTK_WIDGET (self)),
                           gtk_widget_get_height (GTK_WIDGET (self)));
  if (pspec != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
toggle_fit_at (MenugenViewer *self,
               double         x,
               double         y)
{
  if (self->fit)
    menugen_viewer_zoom_at (self, 1.0, x, y);
  else
    menugen_viewer_zoom_to_fit (self);
}

static void
click_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  MenugenViewer   *self)
{
  if (n_press == 2 && menugen_viewer_get_shown_paintable (self) != NULL)
    toggle_fit_at (self, x, y);
}

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               MenugenViewer  *self)
{
  self->drag_start_h = gtk_adjustment_get_value (self->hadjustment);
  self->drag_start_v = gtk_adjustment_get_value (self->vadjustment);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          offset_x,
                double          offset_y,
                MenugenViewer  *self)
{
  gtk_adjustment_set_value (self->hadjustment, self->drag_start_h - offset_x);
  gtk_adjustment_set_value (self->vadjustment, self->drag_start_v - offset_y);
}

static void
drag_end_cb (GtkGestureDrag *gesture,
             double          offset_x,
             double          offset_y,
             MenugenViewer  *self)
{
  update_cursor (self);
}

/* Ctrl+scroll zooms at the pointer. A plain scroll is left to the
 * scrolled window. */
static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           MenugenViewer            *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double x = self->pointer_x;
  double y = self->pointer_y;

  if ((state & GDK_CONTROL_MASK) == 0 || menugen_viewer_get_shown_paintable (self) == NULL)
    return FALSE;

  if (!self->has_pointer)
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }

  menugen_viewer_zoom_at (self, self->zoom * pow (MENUGEN_VIEWER_ZOOM_STEP, -dy), x, y);
  return TRUE;
}

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           MenugenViewer            *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->has_pointer = TRUE;
}

static void
leave_cb (GtkEventControllerMotion *controller,
          MenugenViewer            *self)
{
  self->has_pointer = FALSE;
}

static void
zoom_begin_cb (GtkGesture       *gesture,
               GdkEventSequence *sequence,
               MenugenViewer    *self)
{
  self->gesture_start_zoom = self->zoom;
}

static void
zoom_scale_changed_cb (GtkGestureZoom *gesture,
                       double          scale,
                       MenugenViewer  *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    return;

  menugen_viewer_zoom_at (self, self->gesture_start_zoom * scale, x, y);
}

static void
zoom_action_cb (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MenugenViewer *self = MENUGEN_VIEWER (widget);

  if (g_str_equal (action_name, "viewer.zoom-in"))
    menugen_viewer_zoom_in (self);
  else if (g_str_equal (action_name, "viewer.zoom-out"))
    menugen_viewer_zoom_out (self);
  else if (g_str_equal (action_name, "viewer.zoom-fit"))
    menugen_viewer_zoom_to_fit (self);
  else
    menugen_viewer_set_zoom (self, 1.0);
}

static void
menugen_viewer_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  MenugenViewer *self = MENUGEN_VIEWER (widget);
  double width = 0, height = 0;
  double zoom = self->fit ? 1.0 : self->zoom;

  *minimum = 0;
  *natural = 0;
  if (get_image_size (self, &width, &height))
    *natural = ceil ((orientation == GTK_ORIENTATION_HORIZONTAL ? width : height) * zoom);
}

static void
menugen_viewer_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  MenugenViewer *self = MENUGEN_VIEWER (widget);

  if (self->fit)
    set_zoom_value (self, compute_fit_zoom (self, width, height), TRUE);

  configure_adjustments (self, width, height);
  update_cursor (self);
}

static void
menugen_viewer_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  MenugenViewer *self = MENUGEN_VIEWER (widget);
  GdkPaintable *shown = menugen_viewer_get_shown_paintable (self);
  graphene_rect_t area;
  GdkPaintable *drawn;

  if (shown == NULL || !menugen_viewer_get_image_area (self, &area))
    return;

  drawn = choose_drawn (self, shown);
  if (GDK_IS_TEXTURE (drawn))
    {
      gtk_snapshot_append_texture (snapshot, GDK_TEXTURE (drawn), &area);
      return;
    }

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &area.origin);
  gdk_paintable_snapshot (drawn, snapshot, area.size.width, area.size.height);
  gtk_snapshot_restore (snapshot);
}

static void
menugen_viewer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MenugenViewer *self = MENUGEN_VIEWER (object);

  switch (prop_id)
    {
    case PROP_PAINTABLE:
      g_value_set_object (value, self->paintable);
      break;
    case PROP_COMPARE_PAINTABLE:
      g_value_set_object (value, self->compare_paintable);
      break;
    case PROP_SHOW_COMPARE:
      g_value_set_boolean (value, self->show_compare);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_FIT:
      g_value_set_boolean (value, self->fit);
      break;
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_scroll_policy (MenugenViewer       *self,
                   GtkScrollablePolicy *slot,
                   GtkScrollablePolicy  policy,
                   GParamSpec          *pspec)
{
  if (*slot == policy)
    return;

  *slot = policy;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
menugen_viewer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MenugenViewer *self = MENUGEN_VIEWER (object);

  switch (prop_id)
    {
    case PROP_PAINTABLE:
      menugen_viewer_set_paintable (self, g_value_get_object (value));
      break;
    case PROP_COMPARE_PAINTABLE:
      menugen_viewer_set_compare_paintable (self, g_value_get_object (value));
      break;
    case PROP_SHOW_COMPARE:
      menugen_viewer_set_show_compare (self, g_value_get_boolean (value));
      break;
    case PROP_ZOOM:
      menugen_viewer_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_FIT:
      menugen_viewer_set_fit (self, g_value_get_boolean (value));
      break;
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value), pspec);
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value), pspec);
      break;
    case PROP_HSCROLL_POLICY:
      set_scroll_policy (self, &self->hscroll_policy, g_value_get_enum (value), pspec);
      break;
    case PROP_VSCROLL_POLICY:
      set_scroll_policy (self, &self->vscroll_policy, g_value_get_enum (value), pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
menugen_viewer_dispose (GObject *object)
{
  MenugenViewer *self = MENUGEN_VIEWER (object);

  clear_mip (self);
  watch_paintable (self, &self->paintable, NULL);
  watch_paintable (self, &self->compare_paintable, NULL);
  if (self->hadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->hadjustment, adjustment_value_changed_cb, self);
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->vadjustment, adjustment_value_changed_cb, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);

  G_OBJECT_CLASS (menugen_viewer_parent_class)->dispose (object);
}

static void
install_properties (GObjectClass *object_class)
{
  properties[PROP_PAINTABLE] =
    g_param_spec_object ("paintable", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPARE_PAINTABLE] =
    g_param_spec_object ("compare-paintable", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_COMPARE] =
    g_param_spec_boolean ("show-compare", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, MENUGEN_VIEWER_MIN_ZOOM, MENUGEN_VIEWER_MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");
}

static void
install_zoom_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "viewer.zoom-in", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-out", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-fit", NULL, zoom_action_cb);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-original", NULL, zoom_action_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "viewer.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "viewer.zoom-original", NULL);
}

static void
menugen_viewer_class_init (MenugenViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = menugen_viewer_dispose;
  object_class->get_property = menugen_viewer_get_property;
  object_class->set_property = menugen_viewer_set_property;

  widget_class->measure = menugen_viewer_measure;
  widget_class->size_allocate = menugen_viewer_size_allocate;
  widget_class->snapshot = menugen_viewer_snapshot;

  install_properties (object_class);
  install_zoom_actions (widget_class);

  gtk_widget_class_set_css_name (widget_class, "menugen-viewer");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
add_controllers (MenugenViewer *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkEventController *motion = gtk_event_controller_motion_new ();

  g_signal_connect (click, "pressed", G_CALLBACK (click_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  g_signal_connect (zoom, "begin", G_CALLBACK (zoom_begin_cb), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (zoom_scale_changed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));

  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  g_signal_connect (motion, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

static void
menugen_viewer_init (MenugenViewer *self)
{
  self->zoom = 1.0;
  self->fit = TRUE;
  set_adjustment (self, &self->hadjustment, NULL, NULL);
  set_adjustment (self, &self->vadjustment, NULL, NULL);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  add_controllers (self);
}

GtkWidget *
menugen_viewer_new (void)
{
  return g_object_new (MENUGEN_TYPE_VIEWER, NULL);
}

/* Re-applies the layout at once, so that the zoom and the adjustments are
 * right before the next frame, for callers that read them back. */
static void
relayout (MenugenViewer *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->fit)
    set_zoom_value (self, compute_fit_zoom (self, width, height), TRUE);

  configure_adjustments (self, width, height);
  update_cursor (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
menugen_viewer_set_paintable (MenugenViewer *self,
                              GdkPaintable  *paintable)
{
  g_return_if_fail (MENUGEN_IS_VIEWER (self));
  g_return_if_fail (paintable == NULL || GDK_IS_PAINTABLE (paintable));

  if (self->paintable == paintable)
    return;

  clear_mip (self);
  watch_paintable (self, &self->paintable, paintable);
  gtk_adjustment_set_value (self->hadjustment, 0);
  gtk_adjustment_set_value (self->vadjustment, 0);
  set_zoom_value (self, self->zoom, TRUE);
  relayout (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAINTABLE]);
}

GdkPaintable *
menugen_viewer_get_paintable (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), NULL);

  return self->paintable;
}

void
menugen_viewer_set_compare_paintable (MenugenViewer *self,
                                      GdkPaintable  *paintable)
{
  g_return_if_fail (MENUGEN_IS_VIEWER (self));
  g_return_if_fail (paintable == NULL || GDK_IS_PAINTABLE (paintable));

  if (self->compare_paintable == paintable)
    return;

  if (self->show_compare)
    clear_mip (self);
  watch_paintable (self, &self->compare_paintable, paintable);
  if (self->show_compare)
    relayout (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPARE_PAINTABLE]);
}

GdkPaintable *
menugen_viewer_get_compare_paintable (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), NULL);

  return self->compare_paintable;
}

/**
 * menugen_viewer_set_show_compare:
 * @self: a #MenugenViewer
 * @show_compare: %TRUE to show the compare paintable instead of the main one
 *
 * Swaps the shown image, keeping the zoom (or best fit) and the point at
 * the centre of the view at the same relative place in the other image.
 */
void
menugen_viewer_set_show_compare (MenugenViewer *self,
                                 gboolean       show_compare)
{
  double centre_x, centre_y;
  double image_width = 0, image_height = 0;
  double page_width, page_height;

  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  show_compare = !!show_compare;
  if (self->show_compare == show_compare)
    return;

  menugen_viewer_get_view_centre (self, &centre_x, &centre_y);
  clear_mip (self);
  self->show_compare = show_compare;
  relayout (self);

  get_image_size (self, &image_width, &image_height);
  page_width = gtk_adjustment_get_page_size (self->hadjustment);
  page_height = gtk_adjustment_get_page_size (self->vadjustment);
  gtk_adjustment_set_value (self->hadjustment, centre_x * image_width * self->zoom - page_width / 2);
  gtk_adjustment_set_value (self->vadjustment, centre_y * image_height * self->zoom - page_height / 2);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_COMPARE]);
}

gboolean
menugen_viewer_get_show_compare (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), FALSE);

  return self->show_compare;
}

double
menugen_viewer_get_zoom (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), 1.0);

  return self->zoom;
}

/**
 * menugen_viewer_zoom_at:
 * @self: a #MenugenViewer
 * @zoom: the new zoom factor, 1.0 for one image pixel per logical pixel
 * @x: horizontal widget coordinate that stays over the same image point
 * @y: vertical widget coordinate that stays over the same image point
 *
 * Sets a fixed zoom and leaves best fit.
 */
void
menugen_viewer_zoom_at (MenugenViewer *self,
                        double         zoom,
                        double         x,
                        double         y)
{
  double origin_x, origin_y;
  double image_x, image_y;

  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  get_origin (self, &origin_x, &origin_y);
  image_x = (x - origin_x) / self->zoom;
  image_y = (y - origin_y) / self->zoom;

  set_zoom_value (self, zoom, FALSE);
  configure_adjustments (self, gtk_widget_get_width (GTK_WIDGET (self)),
                         gtk_widget_get_height (GTK_WIDGET (self)));
  gtk_adjustment_set_value (self->hadjustment, image_x * self->zoom - x);
  gtk_adjustment_set_value (self->vadjustment, image_y * self->zoom - y);

  update_cursor (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
menugen_viewer_set_zoom (MenugenViewer *self,
                         double         zoom)
{
  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  menugen_viewer_zoom_at (self, zoom,
                          gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                          gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

/* Steps stop at 100 % on the way, so that the natural size is one key
 * press away from any zoom. */
void
menugen_viewer_zoom_in (MenugenViewer *self)
{
  double zoom;

  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  zoom = self->zoom * MENUGEN_VIEWER_ZOOM_STEP;
  if (self->zoom < 1.0 && zoom > 1.0)
    zoom = 1.0;

  menugen_viewer_set_zoom (self, zoom);
}

void
menugen_viewer_zoom_out (MenugenViewer *self)
{
  double zoom;

  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  zoom = self->zoom / MENUGEN_VIEWER_ZOOM_STEP;
  if (self->zoom > 1.0 && zoom < 1.0)
    zoom = 1.0;

  menugen_viewer_set_zoom (self, zoom);
}

void
menugen_viewer_zoom_to_fit (MenugenViewer *self)
{
  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  set_zoom_value (self, self->zoom, TRUE);
  relayout (self);
}

gboolean
menugen_viewer_get_fit (MenugenViewer *self)
{
  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), TRUE);

  return self->fit;
}

void
menugen_viewer_set_fit (MenugenViewer *self,
                        gboolean       fit)
{
  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  if (fit)
    menugen_viewer_zoom_to_fit (self);
  else
    set_zoom_value (self, self->zoom, FALSE);
}

/**
 * menugen_viewer_get_image_area:
 * @self: a #MenugenViewer
 * @area: (out): where the shown image is drawn, in widget coordinates
 *
 * Returns: %FALSE when no image is shown
 */
gboolean
menugen_viewer_get_image_area (MenugenViewer   *self,
                               graphene_rect_t *area)
{
  double image_width, image_height;
  double x, y;

  g_return_val_if_fail (MENUGEN_IS_VIEWER (self), FALSE);

  if (!get_image_size (self, &image_width, &image_height))
    return FALSE;

  get_origin (self, &x, &y);
  graphene_rect_init (area, x, y, image_width * self->zoom, image_height * self->zoom);
  return TRUE;
}

/**
 * menugen_viewer_get_view_centre:
 * @self: a #MenugenViewer
 * @x: (out) (optional): horizontal position, 0 at the image's left edge
 *   and 1 at its right edge
 * @y: (out) (optional): vertical position, 0 at the top and 1 at the bottom
 *
 * Gives the image point at the centre of the view, as a fraction of the
 * image's size.
 */
void
menugen_viewer_get_view_centre (MenugenViewer *self,
                                double        *x,
                                double        *y)
{
  graphene_rect_t area;
  double centre_x = 0.5, centre_y = 0.5;

  g_return_if_fail (MENUGEN_IS_VIEWER (self));

  if (menugen_viewer_get_image_area (self, &area) && area.size.width > 0 && area.size.height > 0)
    {
      centre_x = (gtk_widget_get_width (GTK_WIDGET (self)) / 2.0 - area.origin.x) / area.size.width;
      centre_y = (gtk_widget_get_height (GTK_WIDGET (self)) / 2.0 - area.origin.y) / area.size.height;
    }

  if (x != NULL)
    *x = centre_x;
  if (y != NULL)
    *y = centre_y;
}
