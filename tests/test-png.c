#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "core/menugen-error.h"
#include "core/menugen-png.h"

#define FAKE_KEY "test-key-not-real"
#define INSTRUCTION_UTF8 "Write 宫保鸡丁 and 麻婆豆腐 as printed; keep crème brûlée, jalapeño and Ærø."
#define PHOTO_SHA256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* Finds @needle anywhere in binary data. g_strstr_len() stops at the
 * first NUL byte, so it would miss most of a PNG. */
static const guint8 *
find_bytes (const guint8 *data,
            gsize         size,
            const char   *needle)
{
  gsize needle_size = strlen (needle);

  for (gsize i = 0; i + needle_size <= size; i++)
    if (memcmp (data + i, needle, needle_size) == 0)
      return data + i;

  return NULL;
}

static GdkPixbuf *
make_pattern (int      width,
              int      height,
              gboolean has_alpha)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, has_alpha, 8, width, height);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * rowstride + x * channels;

        p[0] = (x * 37 + y * 11) & 0xff;
        p[1] = (x * 5 + y * 53) & 0xff;
        p[2] = (x * y) & 0xff;
        if (has_alpha)
          p[3] = (x * 29 + y * 3 + 1) & 0xff;
      }

  return pixbuf;
}

static MenugenProvenance
make_provenance (GDateTime *creation_time)
{
  MenugenProvenance provenance = {
    .backend = "gemini",
    .model = "gemini-2.5-flash-image",
    .instruction = INSTRUCTION_UTF8,
    .creation_time = creation_time,
    .photo_sha256 = PHOTO_SHA256,
  };

  return provenance;
}

static GdkPixbuf *
decode (GBytes *png)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (png);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf = gdk_pixbuf_new_from_stream (stream, NULL, &error);

  g_assert_no_error (error);
  return pixbuf;
}

static void
assert_same_pixels (GdkPixbuf *expected,
                    GdkPixbuf *actual)
{
  int width = gdk_pixbuf_get_width (expected);
  int height = gdk_pixbuf_get_height (expected);
  int row_bytes = width * gdk_pixbuf_get_n_channels (expected);

  g_assert_cmpint (gdk_pixbuf_get_width (actual), ==, width);
  g_assert_cmpint (gdk_pixbuf_get_height (actual), ==, height);
  g_assert_cmpint (gdk_pixbuf_get_has_alpha (actual), ==, gdk_pixbuf_get_has_alpha (expected));
  g_assert_cmpint (gdk_pixbuf_get_n_channels (actual), ==, gdk_pixbuf_get_n_channels (expected));

  for (int y = 0; y < height; y++)
    {
      const guint8 *want = gdk_pixbuf_read_pixels (expected) + y * gdk_pixbuf_get_rowstride (expected);
      const guint8 *got = gdk_pixbuf_read_pixels (actual) + y * gdk_pixbuf_get_rowstride (actual);

      g_assert_cmpmem (got, row_bytes, want, row_bytes);
    }
}

/* Lists the chunk types of a PNG file in order, such as "IHDR iTXt IDAT
 * IEND", and the compression flag of each iTXt chunk by keyword. */
static char *
list_chunks (GBytes     *png,
             GHashTable *itxt_compression)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (png, &size);
  g_autoptr(GString) types = g_string_new (NULL);
  gsize offset = 8;

  while (offset + 12 <= size)
    {
      guint32 length = 0;
      const char *type = (const char *) data + offset + 4;
      const char *body = type + 4;

      memcpy (&length, data + offset, sizeof length);
      length = GUINT32_FROM_BE (length);
      g_assert_cmpuint (offset + 12 + length, <=, size);
      if (types->len > 0)
        g_string_append_c (types, ' ');
      g_string_append_len (types, type, 4);

      if (memcmp (type, "iTXt", 4) == 0 && itxt_compression != NULL)
        {
          gsize key_length = strnlen (body, length);

          g_hash_table_insert (itxt_compression, g_strndup (body, key_length),
                               GINT_TO_POINTER (body[key_length + 1]));
        }

      offset += 12 + length;
    }

  return g_string_free (g_steal_pointer (&types), FALSE);
}

static GBytes *
encode_pattern (int       width,
                int       height,
                gboolean  has_alpha,
                GdkPixbuf **pixbuf_out)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (width, height, has_alpha);
  g_autoptr(GDateTime) time = g_date_time_new_now_utc ();
  MenugenProvenance provenance = make_provenance (time);
  g_autoptr(GError) error = NULL;
  GBytes *png = menugen_png_encode (pixbuf, &provenance, &error);

  g_assert_no_error (error);
  g_assert_nonnull (png);
  if (pixbuf_out != NULL)
    *pixbuf_out = g_steal_pointer (&pixbuf);
  return png;
}

static void
test_round_trip_keys (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (9, 7, FALSE);
  g_autoptr(GTimeZone) zone = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) time = g_date_time_new (zone, 2024, 3, 2, 22, 5, 9);
  MenugenProvenance provenance = make_provenance (time);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = menugen_png_encode (pixbuf, &provenance, &error);
  g_autoptr(GHashTable) text = NULL;

  g_assert_no_error (error);
  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_hash_table_size (text), ==, 5);
  g_assert_cmpstr (g_hash_table_lookup (text, "Software"), ==, "Menugen " PACKAGE_VERSION);
  g_assert_cmpstr (g_hash_table_lookup (text, "Source"), ==, "gemini gemini-2.5-flash-image");
  g_assert_cmpstr (g_hash_table_lookup (text, "Creation Time"), ==, "Sat, 02 Mar 2024 14:05:09 GMT");
  g_assert_cmpstr (g_hash_table_lookup (text, "Description"), ==, INSTRUCTION_UTF8);
  g_assert_cmpstr (g_hash_table_lookup (text, "Source Photo SHA-256"), ==, PHOTO_SHA256);
}

static void
test_creation_time_english (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (2, 2, FALSE);
  g_autoptr(GDateTime) time = g_date_time_new_utc (2023, 12, 31, 23, 59, 58);
  MenugenProvenance provenance = { .creation_time = time };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GHashTable) text = NULL;

  /* A translated day name would break RFC 1123 readers. */
  g_setenv ("LANGUAGE", "de_DE", TRUE);
  png = menugen_png_encode (pixbuf, &provenance, &error);
  g_unsetenv ("LANGUAGE");
  g_assert_no_error (error);

  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "Creation Time"), ==, "Sun, 31 Dec 2023 23:59:58 GMT");
}

static void
test_pixels_rgb (void)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GBytes) png = encode_pattern (37, 23, FALSE, &pixbuf);
  g_autoptr(GdkPixbuf) decoded = decode (png);

  g_assert_cmpint (gdk_pixbuf_get_rowstride (pixbuf), >, 37 * 3);
  assert_same_pixels (pixbuf, decoded);
}

static void
test_pixels_rgba (void)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GBytes) png = encode_pattern (31, 17, TRUE, &pixbuf);
  g_autoptr(GdkPixbuf) decoded = decode (png);

  assert_same_pixels (pixbuf, decoded);
}

static void
test_pixels_subpixbuf (void)
{
  g_autoptr(GdkPixbuf) whole = make_pattern (40, 30, TRUE);
  g_autoptr(GdkPixbuf) part = gdk_pixbuf_new_subpixbuf (whole, 5, 3, 20, 10);
  MenugenProvenance provenance = { .backend = "comfyui" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = menugen_png_encode (part, &provenance, &error);
  g_autoptr(GdkPixbuf) decoded = NULL;

  g_assert_no_error (error);
  decoded = decode (png);
  assert_same_pixels (part, decoded);
}

static void
test_writer_adds_nothing_else (void)
{
  g_autoptr(GBytes) png = encode_pattern (4, 4, FALSE, NULL);
  g_autoptr(GHashTable) compression = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *chunks = list_chunks (png, compression);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (png, &size);

  g_assert_cmpstr (chunks, ==, "IHDR iTXt iTXt iTXt iTXt iTXt IDAT IEND");
  g_assert_nonnull (find_bytes (data, size, "Source Photo SHA-256"));
  g_assert_null (find_bytes (data, size, FAKE_KEY));
  g_assert_null (find_bytes (data, size, "key"));
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (compression, "Description")), ==, 1);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (compression, "Software")), ==, 0);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (compression, "Source")), ==, 0);
}

static void
test_unset_fields_skipped (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (3, 3, FALSE);
  MenugenProvenance provenance = { .backend = "comfyui", .model = "" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = menugen_png_encode (pixbuf, &provenance, &error);
  g_autoptr(GHashTable) text = NULL;

  g_assert_no_error (error);
  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (text), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (text, "Source"), ==, "comfyui");
  g_assert_true (g_hash_table_contains (text, "Software"));
}

static void
test_long_description_compressed (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (2, 2, FALSE);
  g_autoptr(GString) instruction = g_string_new (NULL);
  MenugenProvenance provenance = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GHashTable) text = NULL;

  for (int i = 0; i < 2000; i++)
    g_string_append (instruction, "Include every dish. 每道菜都要画出来。\n");
  provenance.instruction = instruction->str;

  png = menugen_png_encode (pixbuf, &provenance, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (png), <, instruction->len / 10);

  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "Description"), ==, instruction->str);
}

static void
test_invalid_utf8_rejected (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (2, 2, FALSE);
  MenugenProvenance provenance = { .instruction = "caf\xe9" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = menugen_png_encode (pixbuf, &provenance, &error);

  g_assert_null (png);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Description"));
}

static void
test_read_latin1_text (void)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pattern (2, 2, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *buffer = NULL;
  gsize length = 0;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GHashTable) text = NULL;
  g_autofree char *chunks = NULL;

  /* gdk-pixbuf stores text that fits Latin-1 as a tEXt chunk. */
  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &error,
                             "tEXt::Comment", "café crème", NULL);
  g_assert_no_error (error);
  png = g_bytes_new_take (g_steal_pointer (&buffer), length);

  chunks = list_chunks (png, NULL);
  g_assert_nonnull (strstr (chunks, "tEXt"));

  text = menugen_png_read_text (png, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (text, "Comment"), ==, "café crème");
}

static void
assert_read_fails (GBytes *png)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) text = menugen_png_read_text (png, &error);

  g_assert_null (text);
  g_assert_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE);
}

static void
test_invalid_input (void)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) jpeg_start = g_bytes_new_static ("\xff\xd8\xff\xe0\0\x10JFIF\0", 11);
  g_autoptr(GBytes) text = g_bytes_new_static ("not a png at all", 16);
  g_autoptr(GBytes) signature_only = g_bytes_new_static ("\x89PNG\r\n\x1a\n", 8);

  assert_read_fails (empty);
  assert_read_fails (jpeg_start);
  assert_read_fails (text);
  assert_read_fails (signature_only);
}

static void
test_truncated_input (void)
{
  g_autoptr(GBytes) png = encode_pattern (64, 64, TRUE, NULL);

  for (gsize cut = 9; cut < g_bytes_get_size (png); cut += 13)
    {
      g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (png, 0, cut);

      g_test_message ("cut at %" G_GSIZE_FORMAT, cut);
      assert_read_fails (truncated);
    }
}

static void
test_corrupt_image_data (void)
{
  g_autoptr(GBytes) png = encode_pattern (16, 16, FALSE, NULL);
  gsize size = g_bytes_get_size (png);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (png, NULL), size);
  guint8 *idat = (guint8 *) find_bytes (data, size, "IDAT");
  g_autoptr(GBytes) corrupt = NULL;

  /* Flips bits inside the compressed pixels, so the chunk's CRC fails. */
  g_assert_nonnull (idat);
  idat[6] ^= 0x55;
  corrupt = g_bytes_new (data, size);
  assert_read_fails (corrupt);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/png/round-trip-keys", test_round_trip_keys);
  g_test_add_func ("/png/creation-time-english", test_creation_time_english);
  g_test_add_func ("/png/pixels-rgb", test_pixels_rgb);
  g_test_add_func ("/png/pixels-rgba", test_pixels_rgba);
  g_test_add_func ("/png/pixels-subpixbuf", test_pixels_subpixbuf);
  g_test_add_func ("/png/writer-adds-nothing-else", test_writer_adds_nothing_else);
  g_test_add_func ("/png/unset-fields-skipped", test_unset_fields_skipped);
  g_test_add_func ("/png/long-description-compressed", test_long_description_compressed);
  g_test_add_func ("/png/invalid-utf8-rejected", test_invalid_utf8_rejected);
  g_test_add_func ("/png/read-latin1-text", test_read_latin1_text);
  g_test_add_func ("/png/invalid-input", test_invalid_input);
  g_test_add_func ("/png/truncated-input", test_truncated_input);
  g_test_add_func ("/png/corrupt-image-data", test_corrupt_image_data);

  return g_test_run ();
}
