#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MENUGEN_TYPE_VIEWER (menugen_viewer_get_type ())
G_DECLARE_FINAL_TYPE (MenugenViewer, menugen_viewer, MENUGEN, VIEWER, GtkWidget)

/* Zoom factors: 1.0 shows one image pixel per logical pixel. */
#define MENUGEN_VIEWER_ZOOM_STEP 1.25
#define MENUGEN_VIEWER_MIN_ZOOM 0.02
#define MENUGEN_VIEWER_MAX_ZOOM 16.0

GtkWidget    *menugen_viewer_new                    (void);

void          menugen_viewer_set_paintable          (MenugenViewer *self,
                                                     GdkPaintable  *paintable);
GdkPaintable *menugen_viewer_get_paintable          (MenugenViewer *self);
void          menugen_viewer_set_compare_paintable  (MenugenViewer *self,
                                                     GdkPaintable  *paintable);
GdkPaintable *menugen_viewer_get_compare_paintable  (MenugenViewer *self);
void          menugen_viewer_set_show_compare       (MenugenViewer *self,
                                                     gboolean       show_compare);
gboolean      menugen_viewer_get_show_compare       (MenugenViewer *self);
GdkPaintable *menugen_viewer_get_shown_paintable    (MenugenViewer *self);

double        menugen_viewer_get_zoom               (MenugenViewer *self);
void          menugen_viewer_set_zoom               (MenugenViewer *self,
                                                     double         zoom);
void          menugen_viewer_zoom_at                (MenugenViewer *self,
                                                     double         zoom,
                                                     double         x,
                                                     double         y);
void          menugen_viewer_zoom_in                (MenugenViewer *self);
void          menugen_viewer_zoom_out               (MenugenViewer *self);
void          menugen_viewer_zoom_to_fit            (MenugenViewer *self);
gboolean      menugen_viewer_get_fit                (MenugenViewer *self);
void          menugen_viewer_set_fit                (MenugenViewer *self,
                                                     gboolean       fit);

gboolean      menugen_viewer_get_image_area         (MenugenViewer   *self,
                                                     graphene_rect_t *area);
void          menugen_viewer_get_view_centre        (MenugenViewer *self,
                                                     double        *x,
                                                     double        *y);

G_END_DECLS
