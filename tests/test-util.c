#include <string.h>
#include <glib/gstdio.h>

#include "core/menugen-http.h"
#include "test-util.h"

static void
put_u16 (GByteArray *out,
         guint16     value)
{
  guint8 bytes[2] = { value >> 8, value & 0xff };

  g_byte_array_append (out, bytes, 2);
}

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  guint8 bytes[4] = { value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff };

  g_byte_array_append (out, bytes, 4);
}

static void
put_entry (GByteArray *out,
           guint16     tag,
           guint16     type,
           guint32     count,
           guint32     value)
{
  put_u16 (out, tag);
  put_u16 (out, type);
  put_u32 (out, count);
  put_u32 (out, value);
}

/* A big-endian TIFF block: IFD0 with Make, Orientation and an optional GPS
 * pointer, a GPS IFD with GPSVersionID and GPSLatitudeRef, then the Make
 * string. Offsets count from the TIFF header. */
static GByteArray *
build_exif (int      orientation,
            gboolean with_gps)
{
  GByteArray *tiff = g_byte_array_new ();
  guint16 entries = with_gps ? 3 : 2;
  guint32 ifd0_end = 8 + 2 + entries * 12 + 4;
  guint32 gps_offset = ifd0_end;
  guint32 make_offset = with_gps ? gps_offset + 2 + 2 * 12 + 4 : ifd0_end;

  g_byte_array_append (tiff, (const guint8 *) "MM\0\x2a", 4);
  put_u32 (tiff, 8);

  put_u16 (tiff, entries);
  put_entry (tiff, 0x010f, 2, 8, make_offset);
  put_entry (tiff, 0x0112, 3, 1, (guint32) orientation << 16);
  if (with_gps)
    put_entry (tiff, 0x8825, 4, 1, gps_offset);
  put_u32 (tiff, 0);

  if (with_gps)
    {
      put_u16 (tiff, 2);
      put_entry (tiff, 0x0000, 1, 4, 0x02020000);
      put_entry (tiff, 0x0001, 2, 2, 0x4e000000);
      put_u32 (tiff, 0);
    }

  g_byte_array_append (tiff, (const guint8 *) "TestCam\0", 8);

  return tiff;
}

/* Stored pixels: red in the top-left quadrant, blue elsewhere. */
static GdkPixbuf *
make_marked_pixbuf (int width,
                    int height)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + (gsize) y * stride + x * 3;
        gboolean marked = x < width / 2 && y < height / 2;

        p[0] = marked ? 230 : 20;
        p[1] = 20;
        p[2] = marked ? 20 : 230;
      }

  return pixbuf;
}

GBytes *
menugen_test_make_jpeg (int      width,
                        int      height,
                        int      orientation,
                        gboolean with_gps)
{
  g_autoptr(GdkPixbuf) pixbuf = make_marked_pixbuf (width, height);
  g_autoptr(GError) error = NULL;
  g_autofree char *jpeg = NULL;
  gsize jpeg_length = 0;
  GByteArray *out;

  if (!gdk_pixbuf_save_to_buffer (pixbuf, &jpeg, &jpeg_length, "jpeg", &error, "quality", "90", NULL))
    g_error ("could not encode a test JPEG: %s", error->message);

  out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) jpeg, 2);

  if (orientation > 0)
    {
      g_autoptr(GByteArray) tiff = build_exif (orientation, with_gps);

      g_byte_array_append (out, (const guint8 *) "\xff\xe1", 2);
      put_u16 (out, 2 + 6 + tiff->len);
      g_byte_array_append (out, (const guint8 *) "Exif\0\0", 6);
      g_byte_array_append (out, tiff->data, tiff->len);
    }

  g_byte_array_append (out, (const guint8 *) jpeg + 2, jpeg_length - 2);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
menugen_test_make_exif (int      orientation,
                        gboolean with_gps)
{
  return g_byte_array_free_to_bytes (build_exif (orientation, with_gps));
}

GBytes *
menugen_test_jpeg_insert_segment (GBytes       *jpeg,
                                  guint8        marker,
                                  const void   *payload,
                                  gsize         length)
{
  gsize jpeg_length = 0;
  const guint8 *data = g_bytes_get_data (jpeg, &jpeg_length);
  GByteArray *out = g_byte_array_new ();
  guint8 code[2] = { 0xff, marker };

  g_assert_cmpuint (length + 2, <=, G_MAXUINT16);
  g_assert_cmpuint (jpeg_length, >=, 2);

  g_byte_array_append (out, data, 2);
  g_byte_array_append (out, code, 2);
  put_u16 (out, length + 2);
  g_byte_array_append (out, payload, length);
  g_byte_array_append (out, data + 2, jpeg_length - 2);

  return g_byte_array_free_to_bytes (out);
}

/* The CRC-32 that PNG chunks end with (ISO 3309, reflected 0xEDB88320). */
static guint32
png_crc (const guint8 *data,
         gsize         length,
         guint32       crc)
{
  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }

  return crc;
}

GBytes *
menugen_test_png_insert_chunk (GBytes     *png,
                               const char *type,
                               const void *payload,
                               gsize       length)
{
  gsize png_length = 0;
  const guint8 *data = g_bytes_get_data (png, &png_length);
  gsize after_ihdr = 8 + 12 + 13;
  GByteArray *out = g_byte_array_new ();
  guint32 crc;

  g_assert_cmpuint (png_length, >, after_ihdr);
  g_assert_cmpuint (strlen (type), ==, 4);

  crc = png_crc ((const guint8 *) type, 4, 0xffffffff);
  crc = png_crc (payload, length, crc) ^ 0xffffffff;

  g_byte_array_append (out, data, after_ihdr);
  put_u32 (out, length);
  g_byte_array_append (out, (const guint8 *) type, 4);
  g_byte_array_append (out, payload, length);
  put_u32 (out, crc);
  g_byte_array_append (out, data + after_ihdr, png_length - after_ihdr);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
menugen_test_make_marked_png (int      width,
                              int      height,
                              int      orientation,
                              gboolean with_gps)
{
  g_autoptr(GdkPixbuf) pixbuf = make_marked_pixbuf (width, height);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GBytes) exif = NULL;
  char *buffer = NULL;
  gsize length = 0;

  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &error, NULL))
    g_error ("could not encode a test PNG: %s", error->message);

  png = g_bytes_new_take (buffer, length);
  if (orientation == 0)
    return g_steal_pointer (&png);

  exif = menugen_test_make_exif (orientation, with_gps);
  return menugen_test_png_insert_chunk (png, "eXIf", g_bytes_get_data (exif, NULL), g_bytes_get_size (exif));
}

GBytes *
menugen_test_make_png (int width,
                       int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *png = NULL;
  gsize length = 0;

  gdk_pixbuf_fill (pixbuf, 0x3080c0ff);
  if (!gdk_pixbuf_save_to_buffer (pixbuf, &png, &length, "png", &error, NULL))
    g_error ("could not encode a test PNG: %s", error->message);

  return g_bytes_new_take (png, length);
}

/* g_ptr_array_sort passes pointers to the elements. */
static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
menugen_test_list_menu_photos (void)
{
  const char *dir_path = g_getenv ("MENUGEN_MENUS_DIR");
  GPtrArray *photos = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (dir_path == NULL || (dir = g_dir_open (dir_path, 0, NULL)) == NULL)
    return photos;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".png")
        || g_str_has_suffix (name, ".jpeg") || g_str_has_suffix (name, ".webp"))
      g_ptr_array_add (photos, g_build_filename (dir_path, name, NULL));

  g_ptr_array_sort (photos, compare_paths);
  return photos;
}

char *
menugen_test_make_scratch_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("menugen-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
menugen_test_remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        menugen_test_remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }

  g_rmdir (path);
}

void
menugen_test_use_loopback_session (void)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);

  menugen_http_set_session (session);
}

void
menugen_test_assert_image_size (GBytes *image,
                                int     width,
                                int     height)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  gdk_pixbuf_loader_write_bytes (loader, image, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_nonnull (pixbuf);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, width);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, height);
}

JsonNode *
menugen_test_parse_last_body (FakeServer *fake)
{
  GBytes *body = fake_server_get_last_body (fake);
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_nonnull (body);
  root = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return root;
}

void
menugen_test_assert_no_violations (FakeServer *fake)
{
  GPtrArray *violations = fake_server_get_violations (fake);

  for (guint i = 0; i < violations->len; i++)
    g_test_message ("violation: %s", (const char *) g_ptr_array_index (violations, i));
  g_assert_cmpuint (violations->len, ==, 0);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
menugen_test_wait_for (gboolean *done,
                       guint     timeout_s)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, timeout_cb, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (id);

  return *done;
}

void
menugen_test_outcome_clear (MenugenTestOutcome *outcome)
{
  g_clear_pointer (&outcome->result, menugen_result_free);
  g_clear_error (&outcome->error);
  g_clear_pointer (&outcome->stages, g_array_unref);
  g_clear_pointer (&outcome->upload_detail, g_free);
}

static void
progress_cb (MenugenBackend *backend,
             int             stage,
             double          fraction,
             const char     *detail,
             gpointer        user_data)
{
  MenugenTestOutcome *outcome = user_data;

  g_array_append_val (outcome->stages, stage);
  if (stage == MENUGEN_STAGE_UPLOADING)
    {
      g_free (outcome->upload_detail);
      outcome->upload_detail = g_strdup (detail);
    }
}

static void
generate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  MenugenTestOutcome *outcome = user_data;

  outcome->result = menugen_backend_generate_finish (MENUGEN_BACKEND (source), result, &outcome->error);
  outcome->done = TRUE;
}

void
menugen_test_run_backend (MenugenBackend       *backend,
                          const MenugenRequest *request,
                          GCancellable         *cancellable,
                          guint                 timeout_s,
                          MenugenTestOutcome   *outcome)
{
  gulong handler;

  outcome->stages = g_array_new (FALSE, FALSE, sizeof (int));
  handler = g_signal_connect (backend, "progress", G_CALLBACK (progress_cb), outcome);
  menugen_backend_generate_async (backend, request, cancellable, generate_cb, outcome);
  g_assert_true (menugen_test_wait_for (&outcome->done, timeout_s));
  g_signal_handler_disconnect (backend, handler);

  if (outcome->error != NULL)
    g_test_message ("error: %s", outcome->error->message);
}
