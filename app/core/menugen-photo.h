#pragma once

#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/**
 * MenugenPhotoLimits:
 * @max_long_edge: the prepared photo's long edge in pixels is at most this
 * @max_encoded_bytes: the re-encoded photo is at most this many bytes
 *   (before any base64 encoding by a back-end)
 * @max_source_pixels: photos whose header declares more pixels than this are
 *   rejected before their pixels are decoded
 * @prefer_png: encode as PNG instead of JPEG
 */
typedef struct {
  int max_long_edge;
  gsize max_encoded_bytes;
  guint64 max_source_pixels;
  gboolean prefer_png;
} MenugenPhotoLimits;

#define MENUGEN_PHOTO_DEFAULT_LONG_EDGE 2048
#define MENUGEN_PHOTO_DEFAULT_MAX_BYTES ((gsize) 4 * 1024 * 1024)
#define MENUGEN_PHOTO_DEFAULT_MAX_SOURCE_PIXELS ((guint64) 120 * 1000 * 1000)
#define MENUGEN_PHOTO_MAX_SOURCE_BYTES ((gsize) 200 * 1024 * 1024)

void menugen_photo_limits_init_default (MenugenPhotoLimits *limits);

#define MENUGEN_TYPE_PHOTO (menugen_photo_get_type ())
G_DECLARE_FINAL_TYPE (MenugenPhoto, menugen_photo, MENUGEN, PHOTO, GObject)

/* Preparation: decode, apply EXIF orientation, downscale, re-encode
 * without metadata. The blocking forms are for worker threads only. */
void          menugen_photo_prepare_async     (GBytes                   *source,
                                               const MenugenPhotoLimits *limits,
                                               GCancellable             *cancellable,
                                               GAsyncReadyCallback       callback,
                                               gpointer                  user_data);
MenugenPhoto *menugen_photo_prepare_finish    (GAsyncResult             *result,
                                               GError                  **error);
MenugenPhoto *menugen_photo_prepare           (GBytes                   *source,
                                               const MenugenPhotoLimits *limits,
                                               GCancellable             *cancellable,
                                               GError                  **error);

void          menugen_photo_load_async        (GFile                    *file,
                                               const MenugenPhotoLimits *limits,
                                               GCancellable             *cancellable,
                                               GAsyncReadyCallback       callback,
                                               gpointer                  user_data);
MenugenPhoto *menugen_photo_load_finish       (GAsyncResult             *result,
                                               GError                  **error);

/* Wraps an already prepared photo (from history) without re-encoding it. */
MenugenPhoto *menugen_photo_new_prepared      (GBytes                   *bytes,
                                               GError                  **error);

GBytes       *menugen_photo_get_bytes         (MenugenPhoto *self);
const char   *menugen_photo_get_mime_type     (MenugenPhoto *self);
const char   *menugen_photo_get_file_extension (MenugenPhoto *self);
int           menugen_photo_get_width         (MenugenPhoto *self);
int           menugen_photo_get_height        (MenugenPhoto *self);
GdkPixbuf    *menugen_photo_get_pixbuf        (MenugenPhoto *self);
const char   *menugen_photo_get_sha256        (MenugenPhoto *self);
const char   *menugen_photo_get_source_mime_type (MenugenPhoto *self);
int           menugen_photo_get_source_width  (MenugenPhoto *self);
int           menugen_photo_get_source_height (MenugenPhoto *self);
gboolean      menugen_photo_get_had_location  (MenugenPhoto *self);
gboolean      menugen_photo_get_had_metadata  (MenugenPhoto *self);
gboolean      menugen_photo_fits              (MenugenPhoto             *self,
                                               const MenugenPhotoLimits *limits);
char         *menugen_photo_describe          (MenugenPhoto *self);

const char   *menugen_photo_sniff_mime_type   (const guint8 *data,
                                               gsize         length);

/* Decodes a generated image, rejecting more than @max_pixels before the
 * pixels are decoded. Blocking: worker threads only. */
GdkPixbuf    *menugen_image_decode            (GBytes   *bytes,
                                               guint64   max_pixels,
                                               GError  **error);

#define MENUGEN_RESULT_MAX_PIXELS ((guint64) 8192 * 8192)

G_END_DECLS
