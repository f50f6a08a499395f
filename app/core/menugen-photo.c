/* Photo preparation: the photo that leaves the machine is re-encoded from
 * decoded pixels, so no EXIF, XMP, IPTC, comment or text chunk of the
 * source survives, whatever the source carried. */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "menugen-error.h"
#include "menugen-image-info.h"
#include "menugen-photo.h"

#define JPEG_QUALITY "88"
#define JPEG_QUALITY_REDUCED "70"

/* Each shrink step aims a little under the byte budget, because the
 * encoded size does not fall exactly with the pixel count. A step keeps at
 * most this share of the long edge, so the loop ends after a few steps. */
#define SHRINK_MARGIN 0.95
#define SHRINK_MAX_FACTOR 0.9

/* Below this long edge a menu is no longer legible, so preparation fails
 * instead of shrinking further. */
#define MIN_LONG_EDGE 256

/* The loader gets the data in pieces, so a cancellation ends a long decode
 * early. */
#define LOADER_CHUNK_SIZE ((gsize) 1024 * 1024)

struct _MenugenPhoto
{
  GObject parent_instance;

  GBytes *bytes;
  const char *mime_type;
  int width;
  int height;
  GdkPixbuf *pixbuf;
  char *sha256;

  const char *source_mime_type;
  int source_width;
  int source_height;
  gboolean had_location;
  gboolean had_metadata;
};

G_DEFINE_FINAL_TYPE (MenugenPhoto, menugen_photo, G_TYPE_OBJECT)

/* What the format of an input means for Menugen. @package is the Debian
 * package that adds the gdk-pixbuf loader, or NULL where gdk-pixbuf brings
 * the loader: JPEG and PNG are built in, and Debian 12 ships the BMP
 * loader in libgdk-pixbuf-2.0-0 itself. GIF and TIFF are recognised only
 * to name them in the error. */
typedef struct {
  const char *mime_type;
  const char *name;
  const char *package;
  gboolean accepted;
} PhotoFormat;

static const PhotoFormat photo_formats[] = {
  { "image/jpeg", "JPEG", NULL, TRUE },
  { "image/png", "PNG", NULL, TRUE },
  { "image/webp", "WebP", "webp-pixbuf-loader", TRUE },
  { "image/heic", "HEIC", "heif-gdk-pixbuf", TRUE },
  { "image/avif", "AVIF", "libavif-gdk-pixbuf", TRUE },
  { "image/gif", "GIF", NULL, FALSE },
  { "image/bmp", "BMP", NULL, TRUE },
  { "image/tiff", "TIFF", NULL, FALSE },
};

/* Why an encoded image cannot be decoded, found before any pixel is. */
typedef enum {
  PROBLEM_NONE,
  PROBLEM_EMPTY,
  PROBLEM_TOO_MANY_BYTES,
  PROBLEM_UNKNOWN_FORMAT,
  PROBLEM_REJECTED_FORMAT,
  PROBLEM_MISSING_LOADER,
  PROBLEM_TOO_MANY_PIXELS,
  PROBLEM_TRUNCATED,
  PROBLEM_MALFORMED,
} Problem;

typedef struct {
  MenugenImageInfo info;
  const PhotoFormat *format;
} Inspection;

/* The state of one decode, shared with the "size-prepared" handler. */
typedef struct {
  guint64 max_pixels;
  int max_long_edge;        /* 0 decodes at full size */
  int declared_width;
  int declared_height;
  gboolean too_many_pixels;
} DecodeRequest;

typedef struct {
  GBytes *source;
  GFile *file;
  MenugenPhotoLimits limits;
} PrepareData;

static const PhotoFormat *
find_format (const char *mime_type)
{
  if (mime_type == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (photo_formats); i++)
    if (g_str_equal (photo_formats[i].mime_type, mime_type))
      return &photo_formats[i];

  return NULL;
}

static gboolean
has_loader (const char *mime_type)
{
  g_autoptr(GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_auto(GStrv) mime_types = NULL;

      if (gdk_pixbuf_format_is_disabled (l->data))
        continue;

      mime_types = gdk_pixbuf_format_get_mime_types (l->data);
      if (g_strv_contains ((const char * const *) mime_types, mime_type))
        return TRUE;
    }

  return FALSE;
}

static guint64
pixel_count (int width,
             int height)
{
  return (guint64) MAX (width, 0) * (guint64) MAX (height, 0);
}

/* Checks everything that is known without decoding pixels: size in bytes,
 * format, loader, declared pixel count and container structure. */
static Problem
inspect (GBytes     *bytes,
         guint64     max_pixels,
         Inspection *inspection)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  *inspection = (Inspection) { 0 };
  if (length == 0)
    return PROBLEM_EMPTY;
  if (length > MENUGEN_PHOTO_MAX_SOURCE_BYTES)
    return PROBLEM_TOO_MANY_BYTES;

  inspection->info.mime_type = menugen_image_sniff (data, length);
  inspection->format = find_format (inspection->info.mime_type);
  if (inspection->format == NULL)
    return PROBLEM_UNKNOWN_FORMAT;
  if (!inspection->format->accepted)
    return PROBLEM_REJECTED_FORMAT;
  if (!has_loader (inspection->format->mime_type))
    return PROBLEM_MISSING_LOADER;

  menugen_image_info_read (data, length, &inspection->info);
  if (pixel_count (inspection->info.width, inspection->info.height) > max_pixels)
    return PROBLEM_TOO_MANY_PIXELS;
  if (inspection->info.malformed)
    return PROBLEM_MALFORMED;
  if (!inspection->info.complete)
    return PROBLEM_TRUNCATED;

  return PROBLEM_NONE;
}

static void
set_too_many_pixels_error (GError  **error,
                           int       width,
                           int       height,
                           guint64   max_pixels)
{
  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
               /* Translators: the photo's pixel size, then a number of megapixels */
               _("The photo has %d × %d pixels, more than the %.0f megapixels Menugen accepts. Choose a smaller photo or crop it."),
               width, height, max_pixels / 1e6);
}

static void
set_photo_error (Problem              problem,
                 const Inspection    *inspection,
                 GBytes              *bytes,
                 guint64              max_pixels,
                 GError             **error)
{
  g_autofree char *size = g_format_size (g_bytes_get_size (bytes));
  g_autofree char *max_size = g_format_size (MENUGEN_PHOTO_MAX_SOURCE_BYTES);
  const PhotoFormat *format = inspection->format;

  switch (problem)
    {
    case PROBLEM_EMPTY:
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                           _("The photo file is empty (0 bytes). Choose a JPEG, PNG, WebP, HEIC or BMP photo."));
      break;
    case PROBLEM_TOO_MANY_BYTES:
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                   _("The photo file is %s, more than the %s Menugen reads. Choose a smaller photo."),
                   size, max_size);
      break;
    case PROBLEM_UNKNOWN_FORMAT:
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                           _("The file is not an image format Menugen reads. Choose a JPEG, PNG, WebP, HEIC or BMP photo."));
      break;
    case PROBLEM_REJECTED_FORMAT:
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT,
                   /* Translators: %s is an image format such as GIF or TIFF */
                   _("The file is a %s image, which Menugen does not read. Choose a JPEG, PNG, WebP, HEIC or BMP photo."),
                   format->name);
      break;
    case PROBLEM_MISSING_LOADER:
      if (format->package == NULL)
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_LOADER,
                     /* Translators: %s is an image format such as BMP */
                     _("Reading %s photos needs a gdk-pixbuf image decoder that is not installed. Convert the photo to JPEG or PNG."),
                     format->name);
      else
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_LOADER,
                     /* Translators: an image format such as HEIC, then a package name */
                     _("Reading %s photos needs the image decoder from the package “%s”, which is not installed. Install it, or convert the photo to JPEG."),
                     format->name, format->package);
      break;
    case PROBLEM_TOO_MANY_PIXELS:
      set_too_many_pixels_error (error, inspection->info.width, inspection->info.height, max_pixels);
      break;
    case PROBLEM_TRUNCATED:
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   /* Translators: %s is an image format such as JPEG */
                   _("The %s photo is incomplete: the file ends before the image does. Copy the photo again or choose another one."),
                   format->name);
      break;
    case PROBLEM_MALFORMED:
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   /* Translators: %s is an image format such as JPEG */
                   _("The %s photo is damaged and cannot be decoded. Choose another photo."),
                   format->name);
      break;
    case PROBLEM_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
set_result_error (Problem           problem,
                  const Inspection *inspection,
                  guint64           max_pixels,
                  GError          **error)
{
  const char *reason;

  switch (problem)
    {
    case PROBLEM_TOO_MANY_PIXELS:
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                   /* Translators: the image's pixel size, then a number of megapixels */
                   _("The model returned an image of %d × %d pixels, larger than the %.0f megapixels Menugen accepts. Try again or choose another model."),
                   inspection->info.width, inspection->info.height, max_pixels / 1e6);
      return;
    case PROBLEM_EMPTY:
      reason = _("it is empty");
      break;
    case PROBLEM_TOO_MANY_BYTES:
      reason = _("it is too large");
      break;
    case PROBLEM_UNKNOWN_FORMAT:
    case PROBLEM_REJECTED_FORMAT:
      reason = _("its format is not JPEG, PNG, WebP, HEIC, AVIF or BMP");
      break;
    case PROBLEM_MISSING_LOADER:
      reason = _("no decoder for its format is installed");
      break;
    case PROBLEM_TRUNCATED:
      reason = _("it is incomplete");
      break;
    case PROBLEM_MALFORMED:
      reason = _("it is damaged");
      break;
    case PROBLEM_NONE:
    default:
      g_assert_not_reached ();
    }

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
               /* Translators: %s is a reason such as “it is incomplete” */
               _("The image the model returned could not be decoded (%s). Try generating it again."),
               reason);
}

/* Fits width × height into a long edge, keeping the aspect ratio. */
static void
fit_long_edge (int  width,
               int  height,
               int  long_edge,
               int *fitted_width,
               int *fitted_height)
{
  double scale = (double) long_edge / MAX (width, height);

  if (scale >= 1.0)
    {
      *fitted_width = width;
      *fitted_height = height;
      return;
    }

  *fitted_width = MAX (1, (int) round (width * scale));
  *fitted_height = MAX (1, (int) round (height * scale));
}

/* Rejects an absurd pixel count before the loader allocates the pixels,
 * and requests a reduced size, which the JPEG loader decodes directly
 * through libjpeg's DCT scaling. Orientation is applied after decoding, and
 * rotation keeps the long edge, so the size is fitted as stored. */
static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  DecodeRequest *request = user_data;
  int fitted_width, fitted_height;

  request->declared_width = width;
  request->declared_height = height;

  if (pixel_count (width, height) > request->max_pixels)
    {
      /* A zero size makes the loader stop, the convention that
       * gdk_pixbuf_get_file_info also relies on. */
      request->too_many_pixels = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }

  if (request->max_long_edge <= 0)
    return;

  fit_long_edge (width, height, request->max_long_edge, &fitted_width, &fitted_height);
  if (fitted_width != width || fitted_height != height)
    gdk_pixbuf_loader_set_size (loader, fitted_width, fitted_height);
}

static gboolean
feed_loader (GdkPixbufLoader  *loader,
             GBytes           *bytes,
             GCancellable     *cancellable,
             GError          **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  for (gsize offset = 0; offset < length; offset += LOADER_CHUNK_SIZE)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (!gdk_pixbuf_loader_write (loader, data + offset, MIN (LOADER_CHUNK_SIZE, length - offset), error))
        return FALSE;
    }

  return TRUE;
}

/* Decodes @bytes with the loader for @mime_type. On failure, @error
 * contains the loader's own message (or G_IO_ERROR_CANCELLED) for the
 * caller to wrap in a sentence, and request->too_many_pixels is set when
 * the pixel cap stopped the decode.
 *
 * NOTE: gdk-pixbuf 2.42's incremental JPEG loader renders every scan of a
 * progressive JPEG. A progressive 12-megapixel photo took about 0.5 s to
 * decode that way, against 0.18 s through gdk_pixbuf_new_from_file, whose
 * non-incremental path gdk-pixbuf offers only for files. */
static GdkPixbuf *
decode_pixels (GBytes         *bytes,
               const char     *mime_type,
               DecodeRequest  *request,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) close_error = NULL;
  gboolean fed;
  gboolean closed;
  GdkPixbuf *pixbuf;

  loader = gdk_pixbuf_loader_new_with_mime_type (mime_type, error);
  if (loader == NULL)
    return NULL;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb), request);

  fed = feed_loader (loader, bytes, cancellable, error);
  closed = gdk_pixbuf_loader_close (loader, fed ? &close_error : NULL);
  if (!fed)
    return NULL;

  if (!closed)
    {
      g_propagate_error (error, g_steal_pointer (&close_error));
      return NULL;
    }

  if (request->too_many_pixels)
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY, "too many pixels");
      return NULL;
    }

  /* A scaling loader makes a new pixbuf on every call, so this is the only
   * one. */
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_CORRUPT_IMAGE, "no image");
      return NULL;
    }

  return g_object_ref (pixbuf);
}

/* The JPEG loader sets the "orientation" option from EXIF itself. The PNG
 * and WebP loaders ignore EXIF, so the tag read from the container is
 * applied for them. HEIF decoders apply the irot and imir boxes, and the
 * HEIF standard says the EXIF tag must then be ignored. */
static GdkPixbuf *
apply_orientation (GdkPixbuf              *pixbuf,
                   const MenugenImageInfo *info,
                   int                    *orientation)
{
  const char *option;
  gboolean exif_ignored_by_loader = g_str_equal (info->mime_type, "image/png")
                                    || g_str_equal (info->mime_type, "image/webp");

  if (exif_ignored_by_loader && info->orientation > 1
      && gdk_pixbuf_get_option (pixbuf, "orientation") == NULL)
    {
      char value[2] = { (char) ('0' + info->orientation), '\0' };

      gdk_pixbuf_set_option (pixbuf, "orientation", value);
    }

  option = gdk_pixbuf_get_option (pixbuf, "orientation");
  *orientation = option != NULL ? atoi (option) : 1;

  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

/* JPEG has no alpha channel, and menus are read on paper, so transparent
 * areas become white. */
static GdkPixbuf *
flatten_on_white (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  GdkPixbuf *flat;

  if (!gdk_pixbuf_get_has_alpha (pixbuf))
    return g_object_ref (pixbuf);

  flat = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  gdk_pixbuf_fill (flat, 0xffffffff);
  gdk_pixbuf_composite (pixbuf, flat, 0, 0, width, height, 0, 0, 1, 1, GDK_INTERP_NEAREST, 255);

  return flat;
}

static GdkPixbuf *
scale_to_long_edge (GdkPixbuf *pixbuf,
                    int        long_edge)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int fitted_width, fitted_height;

  fit_long_edge (width, height, long_edge, &fitted_width, &fitted_height);
  if (fitted_width == width && fitted_height == height)
    return g_object_ref (pixbuf);

  return gdk_pixbuf_scale_simple (pixbuf, fitted_width, fitted_height, GDK_INTERP_BILINEAR);
}

/* Encodes without any option that writes metadata, because gdk-pixbuf adds
 * text chunks, ICC profiles or EXIF only when they are passed as options.
 *
 * NOTE: the ICC profile goes too, so a photo in a wide-gamut space such as
 * Display P3 is sent as if it were sRGB, with slightly duller colours. */
static GBytes *
encode (GdkPixbuf   *pixbuf,
        gboolean     png,
        const char  *quality,
        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *buffer = NULL;
  gsize length = 0;
  gboolean saved;

  if (png)
    saved = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &local_error, NULL);
  else
    saved = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "jpeg", &local_error,
                                       "quality", quality, NULL);

  if (!saved)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   /* Translators: %s is the encoder's own error message */
                   _("The photo could not be encoded for sending (%s). Try another photo."),
                   local_error->message);
      return NULL;
    }

  return g_bytes_new_take (buffer, length);
}

/* Encodes at quality 88, then 70, then shrinks the pixels in steps until
 * the bytes fit limits->max_encoded_bytes. Each step scales from @pixbuf
 * itself, so blur does not add up. */
static GBytes *
encode_within_limits (GdkPixbuf                *pixbuf,
                      const MenugenPhotoLimits *limits,
                      GCancellable             *cancellable,
                      GError                  **error)
{
  g_autoptr(GdkPixbuf) current = g_object_ref (pixbuf);
  const char *quality = JPEG_QUALITY;
  int long_edge = MAX (gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf));

  for (;;)
    {
      g_autoptr(GBytes) encoded = NULL;
      gsize size;
      double factor;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      encoded = encode (current, limits->prefer_png, quality, error);
      if (encoded == NULL)
        return NULL;

      size = g_bytes_get_size (encoded);
      if (size <= limits->max_encoded_bytes)
        return g_steal_pointer (&encoded);

      if (!limits->prefer_png && g_str_equal (quality, JPEG_QUALITY))
        {
          quality = JPEG_QUALITY_REDUCED;
          continue;
        }

      if (long_edge <= MIN_LONG_EDGE)
        {
          g_autofree char *size_text = g_format_size (size);
          g_autofree char *limit_text = g_format_size (limits->max_encoded_bytes);

          g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
                       /* Translators: two file sizes such as “1.2 MB” */
                       _("The photo is still %s when reduced to a legible size, more than the %s the back-end accepts. Crop the photo or choose a back-end with a larger limit."),
                       size_text, limit_text);
          return NULL;
        }

      factor = MIN (SHRINK_MAX_FACTOR, sqrt ((double) limits->max_encoded_bytes / size) * SHRINK_MARGIN);
      long_edge = MAX (MIN_LONG_EDGE, (int) (long_edge * factor));
      g_clear_object (&current);
      current = scale_to_long_edge (pixbuf, long_edge);
    }
}

static GdkPixbuf *
decode_prepared (GBytes      *bytes,
                 const char **mime_type,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  Inspection inspection;
  DecodeRequest request = { .max_pixels = MENUGEN_PHOTO_DEFAULT_MAX_SOURCE_PIXELS };
  Problem problem = inspect (bytes, request.max_pixels, &inspection);
  GdkPixbuf *pixbuf;

  if (problem == PROBLEM_NONE && !g_str_equal (inspection.info.mime_type, "image/jpeg")
      && !g_str_equal (inspection.info.mime_type, "image/png"))
    problem = PROBLEM_REJECTED_FORMAT;

  if (problem != PROBLEM_NONE)
    {
      set_photo_error (problem, &inspection, bytes, request.max_pixels, error);
      return NULL;
    }

  pixbuf = decode_pixels (bytes, inspection.info.mime_type, &request, NULL, &local_error);
  if (pixbuf == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   /* Translators: %s is the decoder's own error message */
                   _("The prepared photo could not be decoded (%s). Open the original photo again."),
                   local_error->message);
      return NULL;
    }

  *mime_type = inspection.info.mime_type;
  return pixbuf;
}

static MenugenPhoto *
photo_new_from_encoded (GBytes  *bytes,
                        GError **error)
{
  g_autoptr(MenugenPhoto) self = g_object_new (MENUGEN_TYPE_PHOTO, NULL);

  self->pixbuf = decode_prepared (bytes, &self->mime_type, error);
  if (self->pixbuf == NULL)
    return NULL;

  self->bytes = g_bytes_ref (bytes);
  self->width = gdk_pixbuf_get_width (self->pixbuf);
  self->height = gdk_pixbuf_get_height (self->pixbuf);
  self->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);

  self->source_mime_type = self->mime_type;
  self->source_width = self->width;
  self->source_height = self->height;

  return g_steal_pointer (&self);
}

static GdkPixbuf *
decode_photo (GBytes                   *source,
              const MenugenPhotoLimits *limits,
              Inspection               *inspection,
              int                      *source_width,
              int                      *source_height,
              GCancellable             *cancellable,
              GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbuf) decoded = NULL;
  DecodeRequest request = {
    .max_pixels = limits->max_source_pixels,
    .max_long_edge = limits->max_long_edge,
  };
  GdkPixbuf *oriented;
  int orientation;
  Problem problem = inspect (source, limits->max_source_pixels, inspection);

  if (problem != PROBLEM_NONE)
    {
      set_photo_error (problem, inspection, source, limits->max_source_pixels, error);
      return NULL;
    }

  decoded = decode_pixels (source, inspection->info.mime_type, &request, cancellable, &local_error);
  if (decoded == NULL && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (decoded == NULL && request.too_many_pixels)
    {
      set_too_many_pixels_error (error, request.declared_width, request.declared_height,
                                 limits->max_source_pixels);
      return NULL;
    }

  if (decoded == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   /* Translators: an image format such as JPEG, then the decoder's own message */
                   _("The %s photo could not be decoded (%s). Choose another photo."),
                   inspection->format->name, local_error->message);
      return NULL;
    }

  oriented = apply_orientation (decoded, &inspection->info, &orientation);
  *source_width = orientation >= 5 ? request.declared_height : request.declared_width;
  *source_height = orientation >= 5 ? request.declared_width : request.declared_height;

  return oriented;
}

static void
prepare_data_free (PrepareData *data)
{
  g_clear_pointer (&data->source, g_bytes_unref);
  g_clear_object (&data->file);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PrepareData, prepare_data_free)

static PrepareData *
prepare_data_new (GBytes                   *source,
                  GFile                    *file,
                  const MenugenPhotoLimits *limits)
{
  PrepareData *data = g_new0 (PrepareData, 1);

  data->source = source != NULL ? g_bytes_ref (source) : NULL;
  data->file = file != NULL ? g_object_ref (file) : NULL;
  data->limits = *limits;

  return data;
}

/* Every file error names the file by its parse name, which is absolute
 * however the path was typed, so the window and the command line show the
 * same path. */
static void
set_file_error (GFile   *file,
                GError  *cause,
                GError **error)
{
  g_autofree char *name = g_file_get_parse_name (file);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (cause));
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 _("The photo “%s” does not exist. Check that the file is still there and open it again."),
                 name);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 _("Menugen may not read the photo “%s” (permission denied). Check the file’s permissions or copy it elsewhere."),
                 name);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 _("“%s” is a folder, not a photo. Choose a photo file."),
                 name);
  else
    g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                 /* Translators: a file name, then the system's error message */
                 _("The photo “%s” could not be read (%s). Check the file and open it again."),
                 name, cause->message);
}

static void
set_file_too_large_error (GFile   *file,
                          guint64  size,
                          GError **error)
{
  g_autofree char *name = g_file_get_parse_name (file);
  g_autofree char *size_text = g_format_size (size);
  g_autofree char *limit_text = g_format_size (MENUGEN_PHOTO_MAX_SOURCE_BYTES);

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE,
               /* Translators: a file name, then two file sizes */
               _("The photo “%s” is %s, more than the %s Menugen reads. Choose a smaller photo."),
               name, size_text, limit_text);
}

/* Checks the size first, so a huge file is never read into memory. */
static GBytes *
load_file_bytes (GFile         *file,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (info == NULL)
    {
      set_file_error (file, local_error, error);
      return NULL;
    }

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_autoptr(GError) directory = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "");

      set_file_error (file, directory, error);
      return NULL;
    }

  if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE)
      && (guint64) g_file_info_get_size (info) > MENUGEN_PHOTO_MAX_SOURCE_BYTES)
    {
      set_file_too_large_error (file, g_file_info_get_size (info), error);
      return NULL;
    }

  bytes = g_file_load_bytes (file, cancellable, NULL, &local_error);
  if (bytes == NULL)
    {
      set_file_error (file, local_error, error);
      return NULL;
    }

  return g_steal_pointer (&bytes);
}

static void
prepare_thread_cb (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  PrepareData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) source = NULL;
  MenugenPhoto *photo;

  if (data->file != NULL)
    source = load_file_bytes (data->file, cancellable, &error);
  else
    source = g_bytes_ref (data->source);

  if (source == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  photo = menugen_photo_prepare (source, &data->limits, cancellable, &error);
  if (photo == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, photo, g_object_unref);
}

static void
menugen_photo_finalize (GObject *object)
{
  MenugenPhoto *self = (MenugenPhoto *) object;

  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_object (&self->pixbuf);
  g_clear_pointer (&self->sha256, g_free);

  G_OBJECT_CLASS (menugen_photo_parent_class)->finalize (object);
}

static void
menugen_photo_class_init (MenugenPhotoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = menugen_photo_finalize;
}

static void
menugen_photo_init (MenugenPhoto *self)
{
}

/**
 * menugen_photo_limits_init_default:
 * @limits: (out caller-allocates): the limits to fill
 *
 * Fills @limits with the defaults: a 2048-pixel long edge, 4 MiB of
 * encoded bytes, 120 megapixels of source and JPEG output.
 */
void
menugen_photo_limits_init_default (MenugenPhotoLimits *limits)
{
  g_return_if_fail (limits != NULL);

  *limits = (MenugenPhotoLimits) {
    .max_long_edge = MENUGEN_PHOTO_DEFAULT_LONG_EDGE,
    .max_encoded_bytes = MENUGEN_PHOTO_DEFAULT_MAX_BYTES,
    .max_source_pixels = MENUGEN_PHOTO_DEFAULT_MAX_SOURCE_PIXELS,
    .prefer_png = FALSE,
  };
}

/**
 * menugen_photo_prepare:
 * @source: the photo as read from disk, in any accepted format
 * @limits: what the back-end accepts
 * @cancellable: (nullable): checked between the steps and during decoding
 * @error: a MENUGEN_ERROR with a sentence for the user, or
 *   G_IO_ERROR_CANCELLED
 *
 * Decodes @source (at reduced scale where the loader supports it), applies
 * its EXIF orientation, scales the long edge to limits->max_long_edge and
 * re-encodes it as JPEG (alpha flattened on white) or, with
 * limits->prefer_png, as PNG (alpha kept), lowering the JPEG quality and
 * then the size until the bytes fit limits->max_encoded_bytes. Blocking:
 * call it from a worker thread.
 *
 * Returns: (transfer full): the prepared photo, or %NULL
 */
MenugenPhoto *
menugen_photo_prepare (GBytes                   *source,
                       const MenugenPhotoLimits *limits,
                       GCancellable             *cancellable,
                       GError                  **error)
{
  g_autoptr(GdkPixbuf) decoded = NULL;
  g_autoptr(GdkPixbuf) flat = NULL;
  g_autoptr(GBytes) encoded = NULL;
  MenugenPhoto *self;
  Inspection inspection;
  int source_width = 0;
  int source_height = 0;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (limits != NULL, NULL);
  g_return_val_if_fail (limits->max_long_edge > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  decoded = decode_photo (source, limits, &inspection, &source_width, &source_height, cancellable, error);
  if (decoded == NULL)
    return NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  flat = limits->prefer_png ? g_object_ref (decoded) : flatten_on_white (decoded);
  encoded = encode_within_limits (flat, limits, cancellable, error);
  if (encoded == NULL)
    return NULL;

  self = photo_new_from_encoded (encoded, error);
  if (self == NULL)
    return NULL;

  self->source_mime_type = inspection.format->mime_type;
  self->source_width = source_width;
  self->source_height = source_height;
  self->had_location = inspection.info.has_location;
  self->had_metadata = inspection.info.has_metadata || inspection.info.has_location;

  return self;
}

/**
 * menugen_photo_prepare_async:
 * @source: the photo as read from disk
 * @limits: what the back-end accepts; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the photo is prepared or preparation failed
 * @user_data: data for @callback
 *
 * Runs menugen_photo_prepare() in a worker thread.
 */
void
menugen_photo_prepare_async (GBytes                   *source,
                             const MenugenPhotoLimits *limits,
                             GCancellable             *cancellable,
                             GAsyncReadyCallback       callback,
                             gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (source != NULL);
  g_return_if_fail (limits != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_photo_prepare_async);
  g_task_set_task_data (task, prepare_data_new (source, NULL, limits), (GDestroyNotify) prepare_data_free);
  g_task_run_in_thread (task, prepare_thread_cb);
}

MenugenPhoto *
menugen_photo_prepare_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_photo_prepare_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * menugen_photo_load_async:
 * @file: the photo file
 * @limits: what the back-end accepts; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the photo is prepared or loading failed
 * @user_data: data for @callback
 *
 * Reads @file and prepares it, both in a worker thread. A missing or
 * unreadable file, or one larger than MENUGEN_PHOTO_MAX_SOURCE_BYTES, fails
 * with a sentence that names it by g_file_get_parse_name().
 */
void
menugen_photo_load_async (GFile                    *file,
                          const MenugenPhotoLimits *limits,
                          GCancellable             *cancellable,
                          GAsyncReadyCallback       callback,
                          gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (limits != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, menugen_photo_load_async);
  g_task_set_task_data (task, prepare_data_new (NULL, file, limits), (GDestroyNotify) prepare_data_free);
  g_task_run_in_thread (task, prepare_thread_cb);
}

MenugenPhoto *
menugen_photo_load_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == menugen_photo_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * menugen_photo_new_prepared:
 * @bytes: a JPEG or PNG that menugen_photo_prepare() made earlier
 * @error: a MENUGEN_ERROR when @bytes cannot be decoded
 *
 * Wraps a prepared photo, such as one kept in the history, without
 * re-encoding it. The source fields then describe @bytes itself, and
 * nothing is known about the metadata of the original. Blocking.
 *
 * Returns: (transfer full): the photo, or %NULL
 */
MenugenPhoto *
menugen_photo_new_prepared (GBytes  *bytes,
                            GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return photo_new_from_encoded (bytes, error);
}

GBytes *
menugen_photo_get_bytes (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return self->bytes;
}

const char *
menugen_photo_get_mime_type (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return self->mime_type;
}

/**
 * menugen_photo_get_file_extension:
 * @self: a #MenugenPhoto
 *
 * Returns: "png" for a PNG, otherwise "jpg"
 */
const char *
menugen_photo_get_file_extension (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return g_str_equal (self->mime_type, "image/png") ? "png" : "jpg";
}

int
menugen_photo_get_width (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), 0);

  return self->width;
}

int
menugen_photo_get_height (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), 0);

  return self->height;
}

/**
 * menugen_photo_get_pixbuf:
 * @self: a #MenugenPhoto
 *
 * Returns: (transfer none): the pixels decoded from the prepared bytes,
 *   exactly what a back-end receives
 */
GdkPixbuf *
menugen_photo_get_pixbuf (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return self->pixbuf;
}

/**
 * menugen_photo_get_sha256:
 * @self: a #MenugenPhoto
 *
 * Returns: the SHA-256 of the prepared bytes, in lower-case hex
 */
const char *
menugen_photo_get_sha256 (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return self->sha256;
}

const char *
menugen_photo_get_source_mime_type (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  return self->source_mime_type;
}

/**
 * menugen_photo_get_source_width:
 * @self: a #MenugenPhoto
 *
 * Returns: the width of the source as displayed, after its orientation
 */
int
menugen_photo_get_source_width (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), 0);

  return self->source_width;
}

int
menugen_photo_get_source_height (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), 0);

  return self->source_height;
}

/**
 * menugen_photo_get_had_location:
 * @self: a #MenugenPhoto
 *
 * Returns: whether the source carried a location (an EXIF GPS IFD or GPS
 *   properties in XMP), which the prepared bytes do not
 */
gboolean
menugen_photo_get_had_location (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), FALSE);

  return self->had_location;
}

/**
 * menugen_photo_get_had_metadata:
 * @self: a #MenugenPhoto
 *
 * Returns: whether the source carried EXIF, XMP, IPTC, comments or text
 *   chunks, which the prepared bytes do not
 */
gboolean
menugen_photo_get_had_metadata (MenugenPhoto *self)
{
  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), FALSE);

  return self->had_metadata;
}

/**
 * menugen_photo_fits:
 * @self: a #MenugenPhoto
 * @limits: another back-end's limits
 *
 * Tells whether @self can be sent as it is under @limits: long edge and
 * byte size within them, and PNG exactly when limits->prefer_png is set.
 *
 * Returns: %TRUE when no new preparation is needed
 */
gboolean
menugen_photo_fits (MenugenPhoto             *self,
                    const MenugenPhotoLimits *limits)
{
  gboolean is_png;

  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), FALSE);
  g_return_val_if_fail (limits != NULL, FALSE);

  is_png = g_str_equal (self->mime_type, "image/png");

  return MAX (self->width, self->height) <= limits->max_long_edge
         && g_bytes_get_size (self->bytes) <= limits->max_encoded_bytes
         && is_png == !!limits->prefer_png;
}

/**
 * menugen_photo_describe:
 * @self: a #MenugenPhoto
 *
 * Describes the prepared photo for the preview, for example
 * "2048 × 1536 (reduced from 4032 × 3024), 640.2 kB, location data removed".
 *
 * Returns: (transfer full): a translated line
 */
char *
menugen_photo_describe (MenugenPhoto *self)
{
  g_autofree char *pixels = NULL;
  g_autofree char *size = NULL;

  g_return_val_if_fail (MENUGEN_IS_PHOTO (self), NULL);

  if (self->source_width != self->width || self->source_height != self->height)
    /* Translators: the prepared photo's pixel size, then the original's */
    pixels = g_strdup_printf (_("%d × %d (reduced from %d × %d)"),
                              self->width, self->height, self->source_width, self->source_height);
  else
    pixels = g_strdup_printf (_("%d × %d"), self->width, self->height);

  size = g_format_size (g_bytes_get_size (self->bytes));

  if (self->had_location)
    /* Translators: a pixel size such as “2048 × 1536”, then a file size */
    return g_strdup_printf (_("%s, %s, location data removed"), pixels, size);

  if (self->had_metadata)
    /* Translators: a pixel size such as “2048 × 1536”, then a file size */
    return g_strdup_printf (_("%s, %s, metadata removed"), pixels, size);

  /* Translators: a pixel size such as “2048 × 1536”, then a file size */
  return g_strdup_printf (_("%s, %s"), pixels, size);
}

/**
 * menugen_photo_sniff_mime_type:
 * @data: the start of a file
 * @length: bytes available at @data
 *
 * Tells the image format from its magic bytes, never from a file name.
 *
 * Returns: (nullable): image/jpeg, image/png, image/webp, image/heic,
 *   image/avif, image/gif, image/bmp, image/tiff, or %NULL
 */
const char *
menugen_photo_sniff_mime_type (const guint8 *data,
                               gsize         length)
{
  return menugen_image_sniff (data, length);
}

/**
 * menugen_image_decode:
 * @bytes: an image that a model returned
 * @max_pixels: images declaring more pixels fail before they are decoded
 * @error: MENUGEN_ERROR_TOO_LARGE or MENUGEN_ERROR_CORRUPT_IMAGE, with a
 *   sentence for the user
 *
 * Decodes a generated image at full size and applies its EXIF
 * orientation. Blocking: call it from a worker thread.
 *
 * Returns: (transfer full): the pixels, or %NULL
 */
GdkPixbuf *
menugen_image_decode (GBytes   *bytes,
                      guint64   max_pixels,
                      GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbuf) decoded = NULL;
  DecodeRequest request = { .max_pixels = max_pixels };
  Inspection inspection;
  Problem problem;
  int orientation;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  problem = inspect (bytes, max_pixels, &inspection);
  if (problem != PROBLEM_NONE)
    {
      set_result_error (problem, &inspection, max_pixels, error);
      return NULL;
    }

  decoded = decode_pixels (bytes, inspection.info.mime_type, &request, NULL, &local_error);
  if (decoded == NULL && request.too_many_pixels)
    {
      inspection.info.width = request.declared_width;
      inspection.info.height = request.declared_height;
      set_result_error (PROBLEM_TOO_MANY_PIXELS, &inspection, max_pixels, error);
      return NULL;
    }

  if (decoded == NULL)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   /* Translators: %s is the decoder's own error message */
                   _("The image the model returned could not be decoded (%s). Try generating it again."),
                   local_error->message);
      return NULL;
    }

  return apply_orientation (decoded, &inspection.info, &orientation);
}
