#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "core/menugen-error.h"
#include "core/menugen-photo.h"
#include "test-util.h"

#define XMP_WITH_GPS \
  "http://ns.adobe.com/xap/1.0/\0" \
  "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">" \
  "<rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"10,30.0N\"" \
  " exif:GPSLongitude=\"109,13.0E\"/></rdf:RDF></x:xmpmeta>"

typedef enum {
  TOP_LEFT,
  TOP_RIGHT,
  BOTTOM_LEFT,
  BOTTOM_RIGHT,
} Quadrant;

typedef struct {
  GAsyncResult *result;
  gboolean done;
} AsyncWait;

static void
async_ready_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static MenugenPhotoLimits
default_limits (void)
{
  MenugenPhotoLimits limits;

  menugen_photo_limits_init_default (&limits);
  return limits;
}

static MenugenPhoto *
prepare (GBytes  *source,
         GError **error)
{
  MenugenPhotoLimits limits = default_limits ();

  return menugen_photo_prepare (source, &limits, NULL, error);
}

static MenugenPhoto *
load_path (const char               *path,
           const MenugenPhotoLimits *limits,
           GCancellable             *cancellable,
           GError                  **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  AsyncWait wait = { 0 };
  MenugenPhoto *photo;

  menugen_photo_load_async (file, limits, cancellable, async_ready_cb, &wait);
  g_assert_true (menugen_test_wait_for (&wait.done, 60));

  photo = menugen_photo_load_finish (wait.result, error);
  g_object_unref (wait.result);
  return photo;
}

static char *
write_scratch_file (const char *dir,
                    const char *name,
                    GBytes     *bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  return path;
}

static gboolean
bytes_contain (const guint8 *data,
               gsize         length,
               const char   *needle)
{
  gsize needle_length = strlen (needle);

  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (data + i, needle, needle_length) == 0)
      return TRUE;

  return FALSE;
}

static int
long_edge (MenugenPhoto *photo)
{
  return MAX (menugen_photo_get_width (photo), menugen_photo_get_height (photo));
}

static void
assert_pixel_red (GdkPixbuf *pixbuf,
                  int        x,
                  int        y)
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf) + (gsize) y * gdk_pixbuf_get_rowstride (pixbuf)
                    + (gsize) x * gdk_pixbuf_get_n_channels (pixbuf);

  g_assert_cmpuint (p[0], >, 150);
  g_assert_cmpuint (p[2], <, 100);
}

static void
assert_pixel_blue (GdkPixbuf *pixbuf,
                   int        x,
                   int        y)
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf) + (gsize) y * gdk_pixbuf_get_rowstride (pixbuf)
                    + (gsize) x * gdk_pixbuf_get_n_channels (pixbuf);

  g_assert_cmpuint (p[0], <, 100);
  g_assert_cmpuint (p[2], >, 150);
}

/* Samples the middle of each quadrant: only @red is the marked one. */
static void
assert_red_quadrant (GdkPixbuf *pixbuf,
                     Quadrant   red)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);

  for (Quadrant quadrant = TOP_LEFT; quadrant <= BOTTOM_RIGHT; quadrant++)
    {
      int x = (quadrant == TOP_RIGHT || quadrant == BOTTOM_RIGHT) ? width * 3 / 4 : width / 4;
      int y = (quadrant == BOTTOM_LEFT || quadrant == BOTTOM_RIGHT) ? height * 3 / 4 : height / 4;

      if (quadrant == red)
        assert_pixel_red (pixbuf, x, y);
      else
        assert_pixel_blue (pixbuf, x, y);
    }
}

/* Walks the JPEG segments up to the first scan, where metadata lives, and
 * checks that only decoding segments are present. */
static void
assert_jpeg_without_metadata (GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  gsize offset = 2;

  g_assert_cmpuint (length, >, 4);
  g_assert_cmphex (data[0], ==, 0xff);
  g_assert_cmphex (data[1], ==, 0xd8);

  while (offset + 4 <= length)
    {
      guint8 marker = data[offset + 1];

      g_assert_cmphex (data[offset], ==, 0xff);
      if (marker == 0xda)
        break;

      g_assert_true (marker < 0xe1 || marker > 0xef);
      g_assert_cmphex (marker, !=, 0xfe);
      offset += 2 + (data[offset + 2] << 8 | data[offset + 3]);
    }

  g_assert_false (bytes_contain (data, offset, "GPS"));
  g_assert_false (bytes_contain (data, length, "Exif"));
  g_assert_false (bytes_contain (data, length, "TestCam"));
  g_assert_false (bytes_contain (data, length, "http://ns.adobe.com"));
}

static void
assert_png_without_metadata (GBytes *bytes)
{
  /* sBIT (significant bits) is the one ancillary chunk gdk-pixbuf writes. */
  static const char *allowed[] = { "IHDR", "PLTE", "tRNS", "sBIT", "IDAT", "IEND", NULL };
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  gsize offset = 8;

  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (data, 8, "\x89PNG\r\n\x1a\n", 8);

  while (offset + 12 <= length)
    {
      guint32 chunk_length = (guint32) data[offset] << 24 | data[offset + 1] << 16
                             | data[offset + 2] << 8 | data[offset + 3];
      g_autofree char *type = g_strndup ((const char *) data + offset + 4, 4);

      g_test_message ("PNG chunk %s", type);
      g_assert_true (g_strv_contains (allowed, type));
      offset += 12 + (gsize) chunk_length;
    }

  g_assert_cmpuint (offset, ==, length);
  g_assert_false (bytes_contain (data, length, "TestCam"));
  g_assert_false (bytes_contain (data, length, "Exif"));
}

static void
assert_without_metadata (MenugenPhoto *photo)
{
  if (g_str_equal (menugen_photo_get_mime_type (photo), "image/png"))
    assert_png_without_metadata (menugen_photo_get_bytes (photo));
  else
    assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));
}

static GdkPixbuf *
pixbuf_from_bytes (GBytes *bytes)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf = gdk_pixbuf_new_from_stream (stream, NULL, &error);

  g_assert_no_error (error);
  return pixbuf;
}

/* Gray noise over a gradient: detail that JPEG cannot compress away, so
 * the encoded size stays large. */
static GdkPixbuf *
make_noise_pixbuf (int width,
                   int height)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint32 state = 12345;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + (gsize) y * stride + (gsize) x * 3;
        int base = (x * 255 / width + y * 255 / height) / 2;

        state = state * 1103515245u + 12345u;
        p[0] = CLAMP (base + (int) ((state >> 16) & 0x7f) - 64, 0, 255);
        p[1] = CLAMP (base + (int) ((state >> 8) & 0x7f) - 64, 0, 255);
        p[2] = CLAMP (base + (int) (state & 0x7f) - 64, 0, 255);
      }

  return pixbuf;
}

static GBytes *
save_pixbuf (GdkPixbuf  *pixbuf,
             const char *type,
             const char *quality)
{
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize length = 0;

  if (quality != NULL)
    gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, type, &error, "quality", quality, NULL);
  else
    gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, type, &error, NULL);

  g_assert_no_error (error);
  return g_bytes_new_take (buffer, length);
}

static GBytes *
cut_bytes (GBytes *bytes,
           gsize   length)
{
  return g_bytes_new_from_bytes (bytes, 0, length);
}

/* The stored top-left corner ends up where EXIF orientation N puts it. */
static const Quadrant orientation_target[9] = {
  [1] = TOP_LEFT,
  [2] = TOP_RIGHT,
  [3] = BOTTOM_RIGHT,
  [4] = BOTTOM_LEFT,
  [5] = TOP_LEFT,
  [6] = TOP_RIGHT,
  [7] = BOTTOM_RIGHT,
  [8] = BOTTOM_LEFT,
};

static void
assert_oriented (MenugenPhoto *photo,
                 int           orientation,
                 int           stored_width,
                 int           stored_height)
{
  gboolean swapped = orientation >= 5;

  g_assert_cmpint (menugen_photo_get_width (photo), ==, swapped ? stored_height : stored_width);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, swapped ? stored_width : stored_height);
  g_assert_cmpint (menugen_photo_get_source_width (photo), ==, swapped ? stored_height : stored_width);
  g_assert_cmpint (menugen_photo_get_source_height (photo), ==, swapped ? stored_width : stored_height);
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), orientation_target[orientation]);
}

static void
test_defaults (void)
{
  MenugenPhotoLimits limits;

  memset (&limits, 0xff, sizeof limits);
  menugen_photo_limits_init_default (&limits);

  g_assert_cmpint (limits.max_long_edge, ==, MENUGEN_PHOTO_DEFAULT_LONG_EDGE);
  g_assert_cmpuint (limits.max_encoded_bytes, ==, MENUGEN_PHOTO_DEFAULT_MAX_BYTES);
  g_assert_cmpuint (limits.max_source_pixels, ==, MENUGEN_PHOTO_DEFAULT_MAX_SOURCE_PIXELS);
  g_assert_false (limits.prefer_png);
}

static void
test_sniff (void)
{
  static const guint8 heic[] = "\0\0\0\x18" "ftypheic" "\0\0\0\0" "mif1heic";
  static const guint8 mif1_heic[] = "\0\0\0\x18" "ftypmif1" "\0\0\0\0" "mif1heic";
  static const guint8 avif[] = "\0\0\0\x1c" "ftypavif" "\0\0\0\0" "avifmif1miaf";
  static const guint8 mif1_avif[] = "\0\0\0\x18" "ftypmif1" "\0\0\0\0" "mif1avif";
  static const guint8 mp4[] = "\0\0\0\x18" "ftypisom" "\0\0\0\0" "isomiso2";
  static const guint8 webp[] = "RIFF\x10\0\0\0WEBPVP8 ";
  static const guint8 wave[] = "RIFF\x10\0\0\0WAVEfmt ";
  static const guint8 bmp[] = "BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0";
  static const guint8 text_bm[] = "BMW drivers' menu of the day";

  g_assert_cmpstr (menugen_photo_sniff_mime_type ((const guint8 *) "\xff\xd8\xff\xe0", 4), ==, "image/jpeg");
  g_assert_cmpstr (menugen_photo_sniff_mime_type ((const guint8 *) "\x89PNG\r\n\x1a\n", 8), ==, "image/png");
  g_assert_cmpstr (menugen_photo_sniff_mime_type (webp, sizeof webp - 1), ==, "image/webp");
  g_assert_null (menugen_photo_sniff_mime_type (wave, sizeof wave - 1));
  g_assert_cmpstr (menugen_photo_sniff_mime_type (heic, sizeof heic - 1), ==, "image/heic");
  g_assert_cmpstr (menugen_photo_sniff_mime_type (mif1_heic, sizeof mif1_heic - 1), ==, "image/heic");
  g_assert_cmpstr (menugen_photo_sniff_mime_type (avif, sizeof avif - 1), ==, "image/avif");
  g_assert_cmpstr (menugen_photo_sniff_mime_type (mif1_avif, sizeof mif1_avif - 1), ==, "image/avif");
  g_assert_null (menugen_photo_sniff_mime_type (mp4, sizeof mp4 - 1));
  g_assert_cmpstr (menugen_photo_sniff_mime_type ((const guint8 *) "GIF89a", 6), ==, "image/gif");
  g_assert_cmpstr (menugen_photo_sniff_mime_type (bmp, sizeof bmp - 1), ==, "image/bmp");
  g_assert_null (menugen_photo_sniff_mime_type (text_bm, sizeof text_bm - 1));
  g_assert_cmpstr (menugen_photo_sniff_mime_type ((const guint8 *) "II*\0", 4), ==, "image/tiff");
  g_assert_cmpstr (menugen_photo_sniff_mime_type ((const guint8 *) "MM\0*", 4), ==, "image/tiff");
  g_assert_null (menugen_photo_sniff_mime_type ((const guint8 *) "Soup of the day", 15));
  g_assert_null (menugen_photo_sniff_mime_type ((const guint8 *) "", 0));
  g_assert_null (menugen_photo_sniff_mime_type ((const guint8 *) "\xff\xd8", 2));
}

static void
test_jpeg_orientation (gconstpointer data)
{
  int orientation = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, orientation, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);

  g_assert_no_error (error);
  g_assert_nonnull (photo);
  assert_oriented (photo, orientation, 320, 240);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/jpeg");
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  assert_without_metadata (photo);
}

static void
test_png_orientation (gconstpointer data)
{
  int orientation = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) source = menugen_test_make_marked_png (320, 240, orientation, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);

  g_assert_no_error (error);
  g_assert_nonnull (photo);
  assert_oriented (photo, orientation, 320, 240);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/png");
  g_assert_true (menugen_photo_get_had_metadata (photo));
  assert_without_metadata (photo);
}

/* The JPEG loader decodes at reduced scale here, and the orientation must
 * still be applied to the smaller pixels. */
static void
test_orientation_downscaled (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (4000, 3000, 6, FALSE);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  limits.max_long_edge = 1000;
  photo = menugen_photo_prepare (source, &limits, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 750);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 1000);
  g_assert_cmpint (menugen_photo_get_source_width (photo), ==, 3000);
  g_assert_cmpint (menugen_photo_get_source_height (photo), ==, 4000);
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_RIGHT);
}

static void
test_gps_removed (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autofree char *description = NULL;
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (source, &length);

  /* The input really carries what must disappear. */
  g_assert_true (bytes_contain (data, length, "TestCam"));
  g_assert_true (bytes_contain (data, length, "Exif"));

  photo = prepare (source, &error);
  g_assert_no_error (error);
  g_assert_true (menugen_photo_get_had_location (photo));
  g_assert_true (menugen_photo_get_had_metadata (photo));
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));

  description = menugen_photo_describe (photo);
  g_assert_true (g_str_has_prefix (description, "320 × 240, "));
  g_assert_true (g_str_has_suffix (description, ", location data removed"));
}

static void
test_gps_removed_png_output (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 6, TRUE);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  limits.prefer_png = TRUE;
  photo = menugen_photo_prepare (source, &limits, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/png");
  g_assert_cmpstr (menugen_photo_get_file_extension (photo), ==, "png");
  g_assert_true (menugen_photo_get_had_location (photo));
  assert_png_without_metadata (menugen_photo_get_bytes (photo));
  assert_oriented (photo, 6, 320, 240);
}

static void
test_gps_in_png_exif (void)
{
  g_autoptr(GBytes) source = menugen_test_make_marked_png (320, 240, 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);

  g_assert_no_error (error);
  g_assert_true (menugen_photo_get_had_location (photo));
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));
}

static void
test_gps_in_xmp (void)
{
  g_autoptr(GBytes) plain = menugen_test_make_jpeg (320, 240, 0, FALSE);
  g_autoptr(GBytes) source = menugen_test_jpeg_insert_segment (plain, 0xe1, XMP_WITH_GPS, sizeof XMP_WITH_GPS - 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);

  g_assert_no_error (error);
  g_assert_true (menugen_photo_get_had_location (photo));
  g_assert_true (menugen_photo_get_had_metadata (photo));
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));
}

static void
test_describe (void)
{
  g_autoptr(GBytes) with_exif = menugen_test_make_jpeg (320, 240, 1, FALSE);
  g_autoptr(GBytes) plain = menugen_test_make_jpeg (320, 240, 0, FALSE);
  g_autoptr(GBytes) commented = menugen_test_jpeg_insert_segment (plain, 0xfe, "Kitchen", 7);
  g_autoptr(GBytes) large = menugen_test_make_jpeg (2400, 1800, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) metadata_photo = prepare (with_exif, &error);
  g_autoptr(MenugenPhoto) plain_photo = prepare (plain, &error);
  g_autoptr(MenugenPhoto) commented_photo = prepare (commented, &error);
  g_autoptr(MenugenPhoto) large_photo = prepare (large, &error);
  g_autofree char *metadata_text = menugen_photo_describe (metadata_photo);
  g_autofree char *plain_text = menugen_photo_describe (plain_photo);
  g_autofree char *commented_text = menugen_photo_describe (commented_photo);
  g_autofree char *large_text = menugen_photo_describe (large_photo);
  g_autofree char *size = g_format_size (g_bytes_get_size (menugen_photo_get_bytes (plain_photo)));
  g_autofree char *expected_plain = g_strdup_printf ("320 × 240, %s", size);

  g_assert_no_error (error);
  g_assert_false (menugen_photo_get_had_location (metadata_photo));
  g_assert_true (menugen_photo_get_had_metadata (metadata_photo));
  g_assert_true (g_str_has_suffix (metadata_text, ", metadata removed"));
  g_assert_false (menugen_photo_get_had_metadata (plain_photo));
  g_assert_cmpstr (plain_text, ==, expected_plain);
  g_assert_true (menugen_photo_get_had_metadata (commented_photo));
  g_assert_true (g_str_has_suffix (commented_text, ", metadata removed"));
  g_assert_true (g_str_has_prefix (large_text, "2048 × 1536 (reduced from 2400 × 1800), "));
}

static void
assert_prepare_fails (GBytes     *source,
                      int         code,
                      const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);

  g_assert_error (error, MENUGEN_ERROR, code);
  g_assert_null (photo);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_corrupt_jpeg (void)
{
  g_autoptr(GBytes) good = menugen_test_make_jpeg (320, 240, 0, FALSE);
  gsize length = g_bytes_get_size (good);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (good, NULL), length);
  g_autoptr(GBytes) corrupt = NULL;
  guint32 state = 7;

  /* Keep SOI and the first marker byte, which make it a JPEG, and EOI.
   * Everything between them is scrambled. */
  for (gsize i = 3; i < length - 2; i++)
    {
      state = state * 1103515245u + 12345u;
      data[i] = state >> 16;
    }
  corrupt = g_bytes_new (data, length);

  assert_prepare_fails (corrupt, MENUGEN_ERROR_CORRUPT_IMAGE, "JPEG");
}

static void
test_truncated_jpeg (void)
{
  g_autoptr(GBytes) good = menugen_test_make_jpeg (640, 480, 1, FALSE);
  g_autoptr(GBytes) half = cut_bytes (good, g_bytes_get_size (good) / 2);

  assert_prepare_fails (half, MENUGEN_ERROR_CORRUPT_IMAGE, "incomplete");
}

static void
test_truncated_png (void)
{
  g_autoptr(GBytes) good = menugen_test_make_marked_png (640, 480, 0, FALSE);
  g_autoptr(GBytes) half = cut_bytes (good, g_bytes_get_size (good) / 2);

  assert_prepare_fails (half, MENUGEN_ERROR_CORRUPT_IMAGE, "incomplete");
}

static void
test_empty (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

  assert_prepare_fails (empty, MENUGEN_ERROR_UNSUPPORTED_FORMAT, "JPEG, PNG, WebP, HEIC or BMP");
}

static void
test_text_named_jpg (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GBytes) text = g_bytes_new_static ("Soup of the day: 4.50\n", 22);
  g_autofree char *path = write_scratch_file (dir, "menu.jpg", text);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = load_path (path, &limits, NULL, &error);

  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT);
  g_assert_null (photo);
  g_assert_nonnull (strstr (error->message, "JPEG, PNG, WebP, HEIC or BMP"));
  menugen_test_remove_tree (dir);
}

/* GIF and TIFF stay rejected, and the message lists what works instead. */
static void
test_gif_rejected (void)
{
  g_autoptr(GBytes) gif = g_bytes_new_static ("GIF89a\x01\0\x01\0\0\0\0;", 14);
  g_autoptr(GBytes) tiff = g_bytes_new_static ("II*\0\x08\0\0\0\0\0\0\0", 12);

  assert_prepare_fails (gif, MENUGEN_ERROR_UNSUPPORTED_FORMAT, "The file is a GIF image");
  assert_prepare_fails (gif, MENUGEN_ERROR_UNSUPPORTED_FORMAT, "Choose a JPEG, PNG, WebP, HEIC or BMP photo.");
  assert_prepare_fails (tiff, MENUGEN_ERROR_UNSUPPORTED_FORMAT, "The file is a TIFF image");
  assert_prepare_fails (tiff, MENUGEN_ERROR_UNSUPPORTED_FORMAT, "Choose a JPEG, PNG, WebP, HEIC or BMP photo.");
}

static void
store_le16 (guint8  *p,
          guint16  value)
{
  p[0] = value & 0xff;
  p[1] = value >> 8;
}

static void
store_le32 (guint8  *p,
          guint32  value)
{
  store_le16 (p, value & 0xffff);
  store_le16 (p + 2, value >> 16);
}

/* Writes @pixbuf as an uncompressed 24-bit BMP with a 40-byte
 * BITMAPINFOHEADER, rows bottom-up as most programs write them, or
 * top-down (a negative height) with @top_down. */
static GBytes *
make_bmp (GdkPixbuf *pixbuf,
          gboolean   top_down)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  gsize row = ((gsize) width * 3 + 3) / 4 * 4;
  gsize offset = 14 + 40;
  gsize size = offset + row * height;
  guint8 *data = g_malloc0 (size);

  data[0] = 'B';
  data[1] = 'M';
  store_le32 (data + 2, size);
  store_le32 (data + 10, offset);
  store_le32 (data + 14, 40);
  store_le32 (data + 18, width);
  store_le32 (data + 22, top_down ? (guint32) -height : (guint32) height);
  store_le16 (data + 26, 1);
  store_le16 (data + 28, 24);
  store_le32 (data + 34, row * height);
  store_le32 (data + 38, 2835);   /* 72 dpi in pixels per metre */
  store_le32 (data + 42, 2835);

  for (int y = 0; y < height; y++)
    {
      const guint8 *source = pixels + (gsize) y * rowstride;
      guint8 *target = data + offset + row * (top_down ? y : height - 1 - y);

      for (int x = 0; x < width; x++)
        {
          target[x * 3] = source[x * channels + 2];
          target[x * 3 + 1] = source[x * channels + 1];
          target[x * 3 + 2] = source[x * channels];
        }
    }

  return g_bytes_new_take (data, size);
}

/* A menu screenshot: the marked JPEG's red and blue quadrants, with rows
 * of dark "words" in a band across the middle and along the edges, clear
 * of the points that assert_red_quadrant samples. */
static GdkPixbuf *
make_screenshot_pixbuf (int width,
                        int height)
{
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (width, height, 0, FALSE);
  GdkPixbuf *pixbuf = pixbuf_from_bytes (jpeg);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1100);

  for (int line = 0; line * 16 < height; line++)
    {
      int top = line * 16;
      gboolean in_band = ABS (top - height / 2) < height / 8 || top < height / 8 || top > height * 7 / 8;

      if (!in_band)
        continue;

      for (int x = 8; x + 8 < width; x += 6)
        {
          if (g_rand_int_range (rand, 0, 5) == 0)
            continue;

          for (int y = top + 3; y < MIN (top + 12, height); y++)
            for (int dx = 0; dx < 4; dx++)
              memset (pixels + (gsize) y * rowstride + (gsize) (x + dx) * channels,
                      g_rand_int_range (rand, 0, 60), channels);
        }
    }

  return pixbuf;
}

/* A 5 MB screenshot saved as BMP is re-encoded as a JPEG within the byte
 * budget, reduced to a back-end's long edge, and described. */
static void
test_bmp_screenshot (void)
{
  g_autoptr(GdkPixbuf) screenshot = make_screenshot_pixbuf (1600, 1100);
  g_autoptr(GBytes) bmp = make_bmp (screenshot, FALSE);
  MenugenPhotoLimits limits = default_limits ();
  MenugenPhotoLimits small_limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(MenugenPhoto) reduced = NULL;
  g_autofree char *description = NULL;
  g_autofree char *reduced_description = NULL;
  g_autofree char *reduced_prefix = NULL;
  g_autofree char *size = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (g_bytes_get_size (bmp), >, 5000000);
  g_assert_cmpstr (menugen_photo_sniff_mime_type (g_bytes_get_data (bmp, NULL), g_bytes_get_size (bmp)), ==, "image/bmp");

  photo = menugen_photo_prepare (bmp, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/bmp");
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 1600);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 1100);
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (photo)), <=, limits.max_encoded_bytes);
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (photo)), <, g_bytes_get_size (bmp) / 4);
  g_assert_true (menugen_photo_fits (photo, &limits));
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_LEFT);
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));

  description = menugen_photo_describe (photo);
  size = g_format_size (g_bytes_get_size (menugen_photo_get_bytes (photo)));
  expected = g_strdup_printf ("1600 × 1100, %s", size);
  g_assert_cmpstr (description, ==, expected);

  small_limits.max_long_edge = 1024;
  small_limits.max_encoded_bytes = 200 * 1024;
  reduced = menugen_photo_prepare (bmp, &small_limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (menugen_photo_get_width (reduced), <=, 1024);
  g_assert_cmpint (menugen_photo_get_height (reduced), <, menugen_photo_get_width (reduced));
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (reduced)), <=, small_limits.max_encoded_bytes);
  assert_red_quadrant (menugen_photo_get_pixbuf (reduced), TOP_LEFT);

  reduced_description = menugen_photo_describe (reduced);
  reduced_prefix = g_strdup_printf ("%d × %d (reduced from 1600 × 1100), ",
                                    menugen_photo_get_width (reduced), menugen_photo_get_height (reduced));
  g_test_message ("%s; %s", description, reduced_description);
  g_assert_true (g_str_has_prefix (reduced_description, reduced_prefix));
}

/* Rows stored top-down, marked by a negative height, keep the picture
 * upright. */
static void
test_bmp_top_down (void)
{
  g_autoptr(GdkPixbuf) marked = make_screenshot_pixbuf (320, 240);
  g_autoptr(GBytes) bmp = make_bmp (marked, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (bmp, &error);

  g_assert_no_error (error);
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 320);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 240);
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_LEFT);
}

/* A BMP cut short in the pixels or in the headers is incomplete, one with
 * an impossible bit depth is damaged, and a huge declared size fails
 * before any pixel is allocated. */
static void
test_bmp_broken (void)
{
  g_autoptr(GdkPixbuf) marked = make_screenshot_pixbuf (320, 240);
  g_autoptr(GBytes) bmp = make_bmp (marked, FALSE);
  g_autoptr(GBytes) half = cut_bytes (bmp, g_bytes_get_size (bmp) / 2);
  g_autoptr(GBytes) last_byte_missing = cut_bytes (bmp, g_bytes_get_size (bmp) - 1);
  g_autoptr(GBytes) headers_cut = cut_bytes (bmp, 30);
  gsize length = g_bytes_get_size (bmp);
  g_autofree guint8 *bad_depth = g_memdup2 (g_bytes_get_data (bmp, NULL), length);
  g_autofree guint8 *huge = g_memdup2 (g_bytes_get_data (bmp, NULL), 54);
  g_autoptr(GBytes) bad_depth_bytes = NULL;
  g_autoptr(GBytes) huge_bytes = NULL;
  gint64 start;

  assert_prepare_fails (half, MENUGEN_ERROR_CORRUPT_IMAGE, "The BMP photo is incomplete");
  assert_prepare_fails (last_byte_missing, MENUGEN_ERROR_CORRUPT_IMAGE, "The BMP photo is incomplete");
  assert_prepare_fails (headers_cut, MENUGEN_ERROR_CORRUPT_IMAGE, "The BMP photo is incomplete");

  store_le16 (bad_depth + 28, 7);
  bad_depth_bytes = g_bytes_new (bad_depth, length);
  assert_prepare_fails (bad_depth_bytes, MENUGEN_ERROR_CORRUPT_IMAGE, "The BMP photo is damaged");

  store_le32 (huge + 18, 60000);
  store_le32 (huge + 22, 60000);
  huge_bytes = g_bytes_new (huge, 54);
  start = g_get_monotonic_time ();
  assert_prepare_fails (huge_bytes, MENUGEN_ERROR_TOO_LARGE, "60000 × 60000");
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

/* A PNG whose IHDR chunk has the wrong length, and one whose IHDR CRC is
 * wrong, which only the decoder notices. */
static void
test_bogus_png_header (void)
{
  g_autoptr(GBytes) good = menugen_test_make_marked_png (64, 48, 0, FALSE);
  gsize length = g_bytes_get_size (good);
  g_autofree guint8 *bad_length = g_memdup2 (g_bytes_get_data (good, NULL), length);
  g_autofree guint8 *bad_crc = g_memdup2 (g_bytes_get_data (good, NULL), length);
  g_autoptr(GBytes) bad_length_bytes = NULL;
  g_autoptr(GBytes) bad_crc_bytes = NULL;

  bad_length[11] = 99;
  bad_length_bytes = g_bytes_new (bad_length, length);
  assert_prepare_fails (bad_length_bytes, MENUGEN_ERROR_CORRUPT_IMAGE, "PNG");

  bad_crc[29] ^= 0xff;
  bad_crc_bytes = g_bytes_new (bad_crc, length);
  assert_prepare_fails (bad_crc_bytes, MENUGEN_ERROR_CORRUPT_IMAGE, "PNG");
}

/* Signature, IHDR and IEND: a valid container without pixel data. */
static GBytes *
make_png_header (guint32 width,
                 guint32 height)
{
  g_autoptr(GBytes) tiny = menugen_test_make_png (1, 1);
  const guint8 *tiny_data = g_bytes_get_data (tiny, NULL);
  GByteArray *out = g_byte_array_new ();
  guint8 size[8] = {
    width >> 24, width >> 16, width >> 8, width,
    height >> 24, height >> 16, height >> 8, height,
  };

  /* Copy IHDR from a real PNG and put the size in. The CRC no longer
   * matches, which only a decoder would notice. */
  g_byte_array_append (out, tiny_data, 8 + 8);
  g_byte_array_append (out, size, 8);
  g_byte_array_append (out, tiny_data + 24, 5 + 4);
  g_byte_array_append (out, (const guint8 *) "\0\0\0\0IEND\xae\x42\x60\x82", 12);

  return g_byte_array_free_to_bytes (out);
}

static GBytes *
make_jpeg_header (guint16 width,
                  guint16 height)
{
  const guint8 sof[] = {
    0xff, 0xd8,
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    0xff, 0xd9,
  };

  return g_bytes_new (sof, sizeof sof);
}

static void
test_huge_dimensions (void)
{
  g_autoptr(GBytes) png = make_png_header (60000, 60000);
  g_autoptr(GBytes) jpeg = make_jpeg_header (60000, 60000);
  gint64 start = g_get_monotonic_time ();

  assert_prepare_fails (png, MENUGEN_ERROR_TOO_LARGE, "60000 × 60000");
  assert_prepare_fails (jpeg, MENUGEN_ERROR_TOO_LARGE, "60000 × 60000");

  /* Allocating 3.6 gigapixels would take far longer, or fail. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

/* A real 4000 × 3000 JPEG over a lowered pixel cap: the cap applies to the
 * declared size, before any pixel is decoded. */
static void
test_pixel_cap (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (4000, 3000, 0, FALSE);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  limits.max_source_pixels = 4000 * 3000 - 1;
  photo = menugen_photo_prepare (source, &limits, NULL, &error);

  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (photo);
  g_assert_nonnull (strstr (error->message, "4000 × 3000"));
}

/* A sparse file maps without using memory, so the byte cap can be tested
 * without holding 200 MB. */
static void
test_source_too_many_bytes (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "huge.jpg", NULL);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(MenugenPhoto) from_bytes = NULL;
  g_autoptr(MenugenPhoto) from_file = NULL;
  FILE *file = fopen (path, "w");

  g_assert_nonnull (file);
  g_assert_cmpint (fwrite ("\xff\xd8\xff", 1, 3, file), ==, 3);
  g_assert_cmpint (ftruncate (fileno (file), MENUGEN_PHOTO_MAX_SOURCE_BYTES + 1), ==, 0);
  fclose (file);

  mapped = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  bytes = g_mapped_file_get_bytes (mapped);
  from_bytes = menugen_photo_prepare (bytes, &limits, NULL, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (from_bytes);
  g_clear_error (&error);

  from_file = load_path (path, &limits, NULL, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (from_file);
  g_assert_nonnull (strstr (error->message, "huge.jpg"));

  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&mapped, g_mapped_file_unref);
  menugen_test_remove_tree (dir);
}

static gboolean
run_heif_enc (const char *dir,
              GBytes     *jpeg,
              gboolean    avif,
              GBytes    **output)
{
  g_autofree char *heif_enc = g_find_program_in_path ("heif-enc");
  g_autofree char *input = NULL;
  g_autofree char *output_path = g_build_filename (dir, avif ? "out.avif" : "out.heic", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  int status = 0;

  if (heif_enc == NULL)
    return FALSE;

  input = write_scratch_file (dir, "in.jpg", jpeg);
  if (avif)
    {
      const char *argv[] = { heif_enc, "--avif", "-q", "80", "-o", output_path, input, NULL };

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, &error);
    }
  else
    {
      const char *argv[] = { heif_enc, "-q", "80", "-o", output_path, input, NULL };

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, &error);
    }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    return FALSE;

  g_file_get_contents (output_path, &contents, &length, &error);
  g_assert_no_error (error);
  *output = g_bytes_new_take (g_steal_pointer (&contents), length);
  return TRUE;
}

static gboolean
has_loader_for (const char *mime_type)
{
  g_autoptr(GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_auto(GStrv) mime_types = gdk_pixbuf_format_get_mime_types (l->data);

      if (g_strv_contains ((const char * const *) mime_types, mime_type))
        return TRUE;
    }

  return FALSE;
}

static void
test_heic (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (256, 192, 1, TRUE);
  g_autoptr(GBytes) heic = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (!run_heif_enc (dir, jpeg, FALSE, &heic))
    {
      menugen_test_remove_tree (dir);
      g_test_skip ("heif-enc (libheif-examples) is not installed or cannot encode HEIC");
      return;
    }

  g_assert_cmpstr (menugen_photo_sniff_mime_type (g_bytes_get_data (heic, NULL), g_bytes_get_size (heic)),
                   ==, "image/heic");
  photo = prepare (heic, &error);

  if (!has_loader_for ("image/heic"))
    {
      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_LOADER);
      g_assert_nonnull (strstr (error->message, "heif-gdk-pixbuf"));
      menugen_test_remove_tree (dir);
      return;
    }

  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/heic");
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 256);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 192);
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_LEFT);
  g_assert_true (menugen_photo_get_had_location (photo));
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));
  menugen_test_remove_tree (dir);
}

static void
test_heic_named_jpg (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (256, 192, 0, FALSE);
  g_autoptr(GBytes) heic = NULL;
  g_autofree char *path = NULL;
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (!run_heif_enc (dir, jpeg, FALSE, &heic))
    {
      menugen_test_remove_tree (dir);
      g_test_skip ("heif-enc (libheif-examples) is not installed or cannot encode HEIC");
      return;
    }

  path = write_scratch_file (dir, "IMG_0001.jpg", heic);
  photo = load_path (path, &limits, NULL, &error);

  if (!has_loader_for ("image/heic"))
    {
      g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_LOADER);
      menugen_test_remove_tree (dir);
      return;
    }

  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/heic");
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  g_assert_false (menugen_photo_get_had_location (photo));
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_LEFT);
  menugen_test_remove_tree (dir);
}

/* libheif logs a warning for a cut file, so the container check must
 * reject it before the loader receives it. */
static void
test_heic_truncated (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (256, 192, 0, FALSE);
  g_autoptr(GBytes) heic = NULL;
  g_autoptr(GBytes) half = NULL;

  if (!run_heif_enc (dir, jpeg, FALSE, &heic) || !has_loader_for ("image/heic"))
    {
      menugen_test_remove_tree (dir);
      g_test_skip ("heif-enc or the HEIC loader is not installed");
      return;
    }

  half = cut_bytes (heic, g_bytes_get_size (heic) / 2);
  assert_prepare_fails (half, MENUGEN_ERROR_CORRUPT_IMAGE, "incomplete");
  menugen_test_remove_tree (dir);
}

static void
test_avif (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autoptr(GBytes) jpeg = menugen_test_make_jpeg (256, 192, 0, FALSE);
  g_autoptr(GBytes) avif = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (!run_heif_enc (dir, jpeg, TRUE, &avif) || !has_loader_for ("image/avif"))
    {
      menugen_test_remove_tree (dir);
      g_test_skip ("heif-enc with an AV1 encoder or the AVIF loader is not installed");
      return;
    }

  photo = prepare (avif, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/avif");
  assert_red_quadrant (menugen_photo_get_pixbuf (photo), TOP_LEFT);
  menugen_test_remove_tree (dir);
}

/* Runs in a child process whose gdk-pixbuf reads an empty loader cache, so
 * only the built-in JPEG and PNG loaders exist. */
static void
test_missing_loader (void)
{
  static const guint8 heic[] = "\0\0\0\x18" "ftypheic" "\0\0\0\0" "mif1heic";
  static const guint8 avif[] = "\0\0\0\x18" "ftypavif" "\0\0\0\0" "avifmif1";
  static const guint8 webp[] = "RIFF\x10\0\0\0WEBPVP8 \x04\0\0\0\0\0\0\0";
  g_autofree char *cache = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  fd = g_file_open_tmp ("menugen-loaders-XXXXXX.cache", &cache, &error);
  g_assert_no_error (error);
  close (fd);
  g_setenv ("GDK_PIXBUF_MODULE_FILE", cache, TRUE);

  {
    g_autoptr(GBytes) heic_bytes = g_bytes_new_static (heic, sizeof heic - 1);
    g_autoptr(GBytes) avif_bytes = g_bytes_new_static (avif, sizeof avif - 1);
    g_autoptr(GBytes) webp_bytes = g_bytes_new_static (webp, sizeof webp - 1);

    assert_prepare_fails (heic_bytes, MENUGEN_ERROR_MISSING_LOADER, "heif-gdk-pixbuf");
    assert_prepare_fails (avif_bytes, MENUGEN_ERROR_MISSING_LOADER, "libavif-gdk-pixbuf");
    assert_prepare_fails (webp_bytes, MENUGEN_ERROR_MISSING_LOADER, "webp-pixbuf-loader");
  }

  /* Debian's BMP loader is a module too, from gdk-pixbuf's own package. */
  {
    g_autoptr(GdkPixbuf) marked = make_screenshot_pixbuf (32, 24);
    g_autoptr(GBytes) bmp = make_bmp (marked, FALSE);
    g_autoptr(MenugenPhoto) photo = prepare (bmp, &error);

    g_assert_null (photo);
    g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_MISSING_LOADER);
    g_assert_nonnull (strstr (error->message, "Reading BMP photos needs a gdk-pixbuf image decoder"));
    g_assert_null (strstr (error->message, "(null)"));
    g_clear_error (&error);
  }

  g_unlink (cache);
}

static gboolean
can_save_webp (void)
{
  g_autoptr(GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    if (g_str_equal (gdk_pixbuf_format_get_name (l->data), "webp") && gdk_pixbuf_format_is_writable (l->data))
      return TRUE;

  return FALSE;
}

static void
put_u32_le (GByteArray *out,
            guint32     value)
{
  guint8 bytes[4] = { value, value >> 8, value >> 16, value >> 24 };

  g_byte_array_append (out, bytes, 4);
}

/* Wraps a simple lossy WebP in the extended format with an EXIF chunk. */
static GBytes *
add_webp_exif (GBytes *simple,
               int     width,
               int     height,
               GBytes *exif)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (simple, &length);
  gsize exif_length = g_bytes_get_size (exif);
  GByteArray *out = g_byte_array_new ();
  guint8 vp8x[10] = {
    0x08, 0, 0, 0,
    (width - 1) & 0xff, ((width - 1) >> 8) & 0xff, ((width - 1) >> 16) & 0xff,
    (height - 1) & 0xff, ((height - 1) >> 8) & 0xff, ((height - 1) >> 16) & 0xff,
  };

  g_byte_array_append (out, (const guint8 *) "RIFF", 4);
  put_u32_le (out, 4 + 18 + (length - 12) + 8 + exif_length + (exif_length & 1));
  g_byte_array_append (out, (const guint8 *) "WEBPVP8X", 8);
  put_u32_le (out, sizeof vp8x);
  g_byte_array_append (out, vp8x, sizeof vp8x);
  g_byte_array_append (out, data + 12, length - 12);
  g_byte_array_append (out, (const guint8 *) "EXIF", 4);
  put_u32_le (out, exif_length);
  g_byte_array_append (out, g_bytes_get_data (exif, NULL), exif_length);
  if (exif_length & 1)
    g_byte_array_append (out, (const guint8 *) "", 1);

  return g_byte_array_free_to_bytes (out);
}

static GBytes *
make_marked_webp (int width,
                  int height)
{
  g_autoptr(GBytes) png = menugen_test_make_marked_png (width, height, 0, FALSE);
  g_autoptr(GdkPixbuf) pixbuf = pixbuf_from_bytes (png);

  return save_pixbuf (pixbuf, "webp", "90");
}

static void
test_webp (void)
{
  g_autoptr(GBytes) webp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (!can_save_webp ())
    {
      g_test_skip ("no gdk-pixbuf loader can write WebP (webp-pixbuf-loader)");
      return;
    }

  webp = make_marked_webp (320, 240);
  photo = prepare (webp, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_source_mime_type (photo), ==, "image/webp");
  g_assert_cmpstr (menugen_photo_get_mime_type (photo), ==, "image/jpeg");
  assert_oriented (photo, 1, 320, 240);
  g_assert_false (menugen_photo_get_had_metadata (photo));
}

static void
test_webp_exif (void)
{
  g_autoptr(GBytes) simple = NULL;
  g_autoptr(GBytes) exif = menugen_test_make_exif (6, TRUE);
  g_autoptr(GBytes) webp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (!can_save_webp ())
    {
      g_test_skip ("no gdk-pixbuf loader can write WebP (webp-pixbuf-loader)");
      return;
    }

  simple = make_marked_webp (320, 240);
  webp = add_webp_exif (simple, 320, 240, exif);
  photo = prepare (webp, &error);

  g_assert_no_error (error);
  assert_oriented (photo, 6, 320, 240);
  g_assert_true (menugen_photo_get_had_location (photo));
  assert_jpeg_without_metadata (menugen_photo_get_bytes (photo));
}

static void
test_webp_truncated (void)
{
  g_autoptr(GBytes) webp = NULL;
  g_autoptr(GBytes) half = NULL;

  if (!can_save_webp ())
    {
      g_test_skip ("no gdk-pixbuf loader can write WebP (webp-pixbuf-loader)");
      return;
    }

  webp = make_marked_webp (320, 240);
  half = cut_bytes (webp, g_bytes_get_size (webp) / 2);
  assert_prepare_fails (half, MENUGEN_ERROR_CORRUPT_IMAGE, "incomplete");
}

/* A full-resolution camera photo saved at quality 100 is far over the
 * 4 MiB request limit of some back-ends. */
static void
test_large_photo (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_noise_pixbuf (8000, 6000);
  g_autoptr(GBytes) source = save_pixbuf (pixbuf, "jpeg", "100");
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autofree char *description = NULL;

  g_clear_object (&pixbuf);
  g_test_message ("source: %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (source));
  g_assert_cmpuint (g_bytes_get_size (source), >, MENUGEN_PHOTO_DEFAULT_MAX_BYTES);

  photo = prepare (source, &error);
  g_assert_no_error (error);
  g_assert_cmpint (menugen_photo_get_width (photo), ==, 2048);
  g_assert_cmpint (menugen_photo_get_height (photo), ==, 1536);
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (photo)), <=, MENUGEN_PHOTO_DEFAULT_MAX_BYTES);
  g_assert_cmpint (menugen_photo_get_source_width (photo), ==, 8000);
  g_assert_cmpint (menugen_photo_get_source_height (photo), ==, 6000);

  description = menugen_photo_describe (photo);
  g_assert_nonnull (strstr (description, "reduced from 8000 × 6000"));
}

static void
test_byte_budget (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_noise_pixbuf (1600, 1200);
  g_autoptr(GBytes) source = save_pixbuf (pixbuf, "jpeg", "95");
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(MenugenPhoto) png_photo = NULL;
  g_autoptr(MenugenPhoto) impossible = NULL;

  limits.max_encoded_bytes = 80 * 1000;
  photo = menugen_photo_prepare (source, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (photo)), <=, limits.max_encoded_bytes);
  g_assert_cmpint (long_edge (photo), <, 1600);
  g_assert_cmpint (long_edge (photo), >=, 256);

  limits.prefer_png = TRUE;
  limits.max_encoded_bytes = 400 * 1000;
  png_photo = menugen_photo_prepare (source, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (menugen_photo_get_mime_type (png_photo), ==, "image/png");
  g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (png_photo)), <=, limits.max_encoded_bytes);

  limits.prefer_png = FALSE;
  limits.max_encoded_bytes = 500;
  impossible = menugen_photo_prepare (source, &limits, NULL, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (impossible);
}

/* Left half transparent, right half opaque blue. */
static GBytes *
make_half_transparent_png (void)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 64, 64);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++)
      {
        guint8 *p = pixels + y * stride + x * 4;

        p[0] = 0;
        p[1] = 0;
        p[2] = x < 32 ? 0 : 230;
        p[3] = x < 32 ? 0 : 255;
      }

  return save_pixbuf (pixbuf, "png", NULL);
}

static void
test_alpha (void)
{
  g_autoptr(GBytes) source = make_half_transparent_png ();
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) jpeg = menugen_photo_prepare (source, &limits, NULL, &error);
  g_autoptr(MenugenPhoto) png = NULL;
  GdkPixbuf *pixbuf;
  const guint8 *left;

  g_assert_no_error (error);
  pixbuf = menugen_photo_get_pixbuf (jpeg);
  left = gdk_pixbuf_read_pixels (pixbuf) + 32 * gdk_pixbuf_get_rowstride (pixbuf) + 8 * 3;
  g_assert_false (gdk_pixbuf_get_has_alpha (pixbuf));
  g_assert_cmpuint (left[0], >, 240);
  g_assert_cmpuint (left[1], >, 240);
  g_assert_cmpuint (left[2], >, 240);

  limits.prefer_png = TRUE;
  png = menugen_photo_prepare (source, &limits, NULL, &error);
  g_assert_no_error (error);
  pixbuf = menugen_photo_get_pixbuf (png);
  left = gdk_pixbuf_read_pixels (pixbuf) + 32 * gdk_pixbuf_get_rowstride (pixbuf) + 8 * 4;
  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
  g_assert_cmpuint (left[3], ==, 0);
}

static void
test_menu_photos (void)
{
  g_autoptr(GPtrArray) paths = menugen_test_list_menu_photos ();

  if (paths->len == 0)
    {
      g_test_skip ("the shared menus folder (MENUGEN_MENUS_DIR) is absent");
      return;
    }

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *contents = NULL;
      g_autofree char *description = NULL;
      g_autofree char *name = g_path_get_basename (path);
      g_autoptr(GBytes) source = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MenugenPhoto) photo = NULL;
      gsize length = 0;

      g_file_get_contents (path, &contents, &length, &error);
      g_assert_no_error (error);
      source = g_bytes_new_take (g_steal_pointer (&contents), length);

      photo = prepare (source, &error);
      g_assert_no_error (error);
      g_assert_cmpint (long_edge (photo), <=, MENUGEN_PHOTO_DEFAULT_LONG_EDGE);
      g_assert_cmpuint (g_bytes_get_size (menugen_photo_get_bytes (photo)), <=, MENUGEN_PHOTO_DEFAULT_MAX_BYTES);
      assert_without_metadata (photo);

      description = menugen_photo_describe (photo);
      g_assert_cmpstr (description, !=, "");
      g_test_message ("%s: %s", name, description);

      /* The one photo of the set whose EXIF contains GPS coordinates. */
      if (g_str_equal (name, "vi-drinks-price-edits-phone-large.jpg"))
        g_assert_true (menugen_photo_get_had_location (photo));
    }
}

static void
test_cancelled (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 1, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *path = write_scratch_file (dir, "menu.jpg", source);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  g_autoptr(MenugenPhoto) loaded = NULL;
  AsyncWait wait = { 0 };

  g_cancellable_cancel (cancellable);

  menugen_photo_prepare_async (source, &limits, cancellable, async_ready_cb, &wait);
  g_assert_true (menugen_test_wait_for (&wait.done, 30));
  photo = menugen_photo_prepare_finish (wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (photo);
  g_clear_error (&error);

  loaded = load_path (path, &limits, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (loaded);
  menugen_test_remove_tree (dir);
}

static void
test_prepare_async (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 8, TRUE);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;
  AsyncWait wait = { 0 };

  menugen_photo_prepare_async (source, &limits, NULL, async_ready_cb, &wait);
  g_assert_true (menugen_test_wait_for (&wait.done, 30));
  photo = menugen_photo_prepare_finish (wait.result, &error);
  g_clear_object (&wait.result);

  g_assert_no_error (error);
  assert_oriented (photo, 8, 320, 240);
  g_assert_true (menugen_photo_get_had_location (photo));
}

static void
test_load_file (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 3, FALSE);
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *path = write_scratch_file (dir, "menu.jpeg", source);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = load_path (path, &limits, NULL, &error);

  g_assert_no_error (error);
  assert_oriented (photo, 3, 320, 240);
  menugen_test_remove_tree (dir);
}

static void
test_load_missing_file (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "no-such-menu.jpg", NULL);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = load_path (path, &limits, NULL, &error);

  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_null (photo);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);

  photo = load_path (dir, &limits, NULL, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "folder"));
  menugen_test_remove_tree (dir);
}

static GError *
load_relative_file (const char *dir,
                    const char *relative_path)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg_and_cwd (relative_path, dir);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(MenugenPhoto) photo = NULL;
  GError *error = NULL;
  AsyncWait wait = { 0 };

  menugen_photo_load_async (file, &limits, NULL, async_ready_cb, &wait);
  g_assert_true (menugen_test_wait_for (&wait.done, 60));
  photo = menugen_photo_load_finish (wait.result, &error);
  g_object_unref (wait.result);

  g_assert_null (photo);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return error;
}

/* A path typed relative to the current folder shows as the absolute parse
 * name in every file error, the same path that the window shows. */
static void
test_file_errors_name_parse_name (void)
{
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *missing = g_strdup_printf ("“%s/no-such-menu.jpg”", dir);
  g_autofree char *folder = g_strdup_printf ("“%s/photos”", dir);
  g_autofree char *folder_path = g_build_filename (dir, "photos", NULL);
  g_autofree char *huge = g_strdup_printf ("“%s/huge.jpg”", dir);
  g_autofree char *huge_path = g_build_filename (dir, "huge.jpg", NULL);
  g_autoptr(GError) missing_error = NULL;
  g_autoptr(GError) folder_error = NULL;
  g_autoptr(GError) huge_error = NULL;
  int fd;

  g_assert_cmpint (g_mkdir (folder_path, 0700), ==, 0);
  /* A sparse file, so the size check rejects it without 200 MiB on disk. */
  fd = g_open (huge_path, O_WRONLY | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, MENUGEN_PHOTO_MAX_SOURCE_BYTES + 1), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);

  missing_error = load_relative_file (dir, "no-such-menu.jpg");
  folder_error = load_relative_file (dir, "./photos");
  huge_error = load_relative_file (dir, "photos/../huge.jpg");

  g_assert_error (missing_error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (missing_error->message, missing));
  g_assert_error (folder_error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (folder_error->message, folder));
  g_assert_error (huge_error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (huge_error->message, huge));
  menugen_test_remove_tree (dir);
}

static void
test_load_unreadable_file (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (64, 48, 0, FALSE);
  g_autofree char *dir = menugen_test_make_scratch_dir ();
  g_autofree char *path = write_scratch_file (dir, "locked.jpg", source);
  MenugenPhotoLimits limits = default_limits ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = NULL;

  if (geteuid () == 0)
    {
      menugen_test_remove_tree (dir);
      g_test_skip ("root reads files whatever their permissions");
      return;
    }

  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  photo = load_path (path, &limits, NULL, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "permission denied"));
  menugen_test_remove_tree (dir);
}

static void
test_new_prepared (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 6, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);
  g_autoptr(MenugenPhoto) again = NULL;
  g_autoptr(MenugenPhoto) from_garbage = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("not a photo", 11);

  g_assert_no_error (error);
  again = menugen_photo_new_prepared (menugen_photo_get_bytes (photo), &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (menugen_photo_get_bytes (again), menugen_photo_get_bytes (photo)));
  g_assert_cmpstr (menugen_photo_get_sha256 (again), ==, menugen_photo_get_sha256 (photo));
  g_assert_cmpint (menugen_photo_get_width (again), ==, 240);
  g_assert_cmpint (menugen_photo_get_height (again), ==, 320);
  g_assert_cmpstr (menugen_photo_get_mime_type (again), ==, "image/jpeg");
  assert_red_quadrant (menugen_photo_get_pixbuf (again), TOP_RIGHT);

  from_garbage = menugen_photo_new_prepared (garbage, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_UNSUPPORTED_FORMAT);
  g_assert_null (from_garbage);
}

static void
test_sha256 (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (64, 48, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, menugen_photo_get_bytes (photo));
  g_assert_cmpstr (menugen_photo_get_sha256 (photo), ==, expected);
  g_assert_cmpuint (strlen (menugen_photo_get_sha256 (photo)), ==, 64);
}

static void
test_pixbuf_matches_bytes (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (320, 240, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = prepare (source, &error);
  g_autoptr(GdkPixbuf) decoded = NULL;
  GdkPixbuf *pixbuf;

  g_assert_no_error (error);
  pixbuf = menugen_photo_get_pixbuf (photo);
  decoded = pixbuf_from_bytes (menugen_photo_get_bytes (photo));
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, gdk_pixbuf_get_width (decoded));
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, gdk_pixbuf_get_height (decoded));
  g_assert_cmpint (gdk_pixbuf_get_rowstride (pixbuf), ==, gdk_pixbuf_get_rowstride (decoded));
  g_assert_cmpmem (gdk_pixbuf_read_pixels (pixbuf), gdk_pixbuf_get_byte_length (pixbuf),
                   gdk_pixbuf_read_pixels (decoded), gdk_pixbuf_get_byte_length (decoded));
}

static void
test_fits (void)
{
  g_autoptr(GBytes) source = menugen_test_make_jpeg (1200, 900, 0, FALSE);
  MenugenPhotoLimits limits = default_limits ();
  MenugenPhotoLimits other;
  g_autoptr(GError) error = NULL;
  g_autoptr(MenugenPhoto) photo = menugen_photo_prepare (source, &limits, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (menugen_photo_fits (photo, &limits));

  other = limits;
  other.max_long_edge = 1000;
  g_assert_false (menugen_photo_fits (photo, &other));

  other = limits;
  other.max_encoded_bytes = g_bytes_get_size (menugen_photo_get_bytes (photo)) - 1;
  g_assert_false (menugen_photo_fits (photo, &other));

  other = limits;
  other.prefer_png = TRUE;
  g_assert_false (menugen_photo_fits (photo, &other));

  g_assert_cmpstr (menugen_photo_get_file_extension (photo), ==, "jpg");
}

static void
test_decode_result (void)
{
  g_autoptr(GBytes) png = menugen_test_make_png (64, 48);
  g_autoptr(GBytes) rotated = menugen_test_make_jpeg (64, 48, 6, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = menugen_image_decode (png, MENUGEN_RESULT_MAX_PIXELS, &error);
  g_autoptr(GdkPixbuf) rotated_pixbuf = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 64);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 48);

  rotated_pixbuf = menugen_image_decode (rotated, MENUGEN_RESULT_MAX_PIXELS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (rotated_pixbuf), ==, 48);
  g_assert_cmpint (gdk_pixbuf_get_height (rotated_pixbuf), ==, 64);
  assert_red_quadrant (rotated_pixbuf, TOP_RIGHT);
}

static void
test_decode_result_size_cap (void)
{
  g_autoptr(GBytes) header = make_png_header (60000, 60000);
  g_autoptr(GBytes) png = menugen_test_make_png (640, 480);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) from_header = NULL;
  g_autoptr(GdkPixbuf) from_png = NULL;
  gint64 start = g_get_monotonic_time ();

  from_header = menugen_image_decode (header, MENUGEN_RESULT_MAX_PIXELS, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (from_header);
  g_assert_nonnull (strstr (error->message, "60000 × 60000"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_clear_error (&error);

  from_png = menugen_image_decode (png, 640 * 480 - 1, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_assert_null (from_png);
}

/* Menugen has no output size setting, so the message names the pixel size
 * and the limit, and suggests what the user can do. */
static void
test_decode_result_too_large_message (void)
{
  g_autoptr(GBytes) header = make_png_header (9000, 8000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = menugen_image_decode (header, MENUGEN_RESULT_MAX_PIXELS, &error);

  g_assert_null (pixbuf);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "9000 × 8000 pixels"));
  g_assert_nonnull (strstr (error->message, "67 megapixels"));
  g_assert_nonnull (strstr (error->message, "Try again or choose another model."));
  g_assert_null (strstr (error->message, "output size"));
}

static void
test_decode_result_corrupt (void)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("{\"error\": \"busy\"}", 17);
  g_autoptr(GBytes) png = menugen_test_make_png (64, 48);
  g_autoptr(GBytes) half = cut_bytes (png, g_bytes_get_size (png) / 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) from_text = menugen_image_decode (text, MENUGEN_RESULT_MAX_PIXELS, &error);
  g_autoptr(GdkPixbuf) from_half = NULL;

  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE);
  g_assert_null (from_text);
  g_assert_nonnull (strstr (error->message, "The image the model returned could not be decoded"));
  g_clear_error (&error);

  from_half = menugen_image_decode (half, MENUGEN_RESULT_MAX_PIXELS, &error);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE);
  g_assert_null (from_half);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/photo/defaults", test_defaults);
  g_test_add_func ("/photo/sniff", test_sniff);

  for (int orientation = 1; orientation <= 8; orientation++)
    {
      g_autofree char *jpeg_path = g_strdup_printf ("/photo/jpeg-orientation/%d", orientation);
      g_autofree char *png_path = g_strdup_printf ("/photo/png-orientation/%d", orientation);

      g_test_add_data_func (jpeg_path, GINT_TO_POINTER (orientation), test_jpeg_orientation);
      g_test_add_data_func (png_path, GINT_TO_POINTER (orientation), test_png_orientation);
    }

  g_test_add_func ("/photo/orientation-downscaled", test_orientation_downscaled);
  g_test_add_func ("/photo/gps-removed", test_gps_removed);
  g_test_add_func ("/photo/gps-removed-png-output", test_gps_removed_png_output);
  g_test_add_func ("/photo/gps-in-png-exif", test_gps_in_png_exif);
  g_test_add_func ("/photo/gps-in-xmp", test_gps_in_xmp);
  g_test_add_func ("/photo/describe", test_describe);
  g_test_add_func ("/photo/corrupt-jpeg", test_corrupt_jpeg);
  g_test_add_func ("/photo/truncated-jpeg", test_truncated_jpeg);
  g_test_add_func ("/photo/truncated-png", test_truncated_png);
  g_test_add_func ("/photo/empty", test_empty);
  g_test_add_func ("/photo/text-named-jpg", test_text_named_jpg);
  g_test_add_func ("/photo/gif-rejected", test_gif_rejected);
  g_test_add_func ("/photo/bmp-screenshot", test_bmp_screenshot);
  g_test_add_func ("/photo/bmp-top-down", test_bmp_top_down);
  g_test_add_func ("/photo/bmp-broken", test_bmp_broken);
  g_test_add_func ("/photo/bogus-png-header", test_bogus_png_header);
  g_test_add_func ("/photo/huge-dimensions", test_huge_dimensions);
  g_test_add_func ("/photo/pixel-cap", test_pixel_cap);
  g_test_add_func ("/photo/source-too-many-bytes", test_source_too_many_bytes);
  g_test_add_func ("/photo/heic", test_heic);
  g_test_add_func ("/photo/heic-named-jpg", test_heic_named_jpg);
  g_test_add_func ("/photo/heic-truncated", test_heic_truncated);
  g_test_add_func ("/photo/avif", test_avif);
  g_test_add_func ("/photo/missing-loader", test_missing_loader);
  g_test_add_func ("/photo/webp", test_webp);
  g_test_add_func ("/photo/webp-exif", test_webp_exif);
  g_test_add_func ("/photo/webp-truncated", test_webp_truncated);
  g_test_add_func ("/photo/large-photo", test_large_photo);
  g_test_add_func ("/photo/byte-budget", test_byte_budget);
  g_test_add_func ("/photo/alpha", test_alpha);
  g_test_add_func ("/photo/menu-photos", test_menu_photos);
  g_test_add_func ("/photo/cancelled", test_cancelled);
  g_test_add_func ("/photo/prepare-async", test_prepare_async);
  g_test_add_func ("/photo/load-file", test_load_file);
  g_test_add_func ("/photo/load-missing-file", test_load_missing_file);
  g_test_add_func ("/photo/load-unreadable-file", test_load_unreadable_file);
  g_test_add_func ("/photo/file-errors-name-parse-name", test_file_errors_name_parse_name);
  g_test_add_func ("/photo/new-prepared", test_new_prepared);
  g_test_add_func ("/photo/sha256", test_sha256);
  g_test_add_func ("/photo/pixbuf-matches-bytes", test_pixbuf_matches_bytes);
  g_test_add_func ("/photo/fits", test_fits);
  g_test_add_func ("/photo/decode-result", test_decode_result);
  g_test_add_func ("/photo/decode-result-size-cap", test_decode_result_size_cap);
  g_test_add_func ("/photo/decode-result-too-large-message", test_decode_result_too_large_message);
  g_test_add_func ("/photo/decode-result-corrupt", test_decode_result_corrupt);

  return g_test_run ();
}
