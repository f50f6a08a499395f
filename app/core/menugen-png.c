#include "config.h"

#include <setjmp.h>
#include <string.h>
#include <glib/gi18n.h>
#include <png.h>

#include "core/menugen-error.h"
#include "core/menugen-png.h"

/* Bounds for reading untrusted PNG files. The limits are far above any
 * menu image and keep a crafted file from asking for gigabytes. */
#define READ_MAX_DIMENSION 65535
#define READ_MAX_CHUNK_BYTES (8 * 1024 * 1024)

/* libpng reports errors by calling error_cb, which records the message
 * and longjmps back to the setjmp of the function that started the call. */
typedef struct {
  GByteArray *output;
  const guint8 *input;
  gsize input_size;
  gsize input_offset;
  char message[256];
} PngState;

static void
error_cb (png_structp     png,
          png_const_charp message)
{
  PngState *state = png_get_error_ptr (png);

  g_strlcpy (state->message, message, sizeof state->message);
  png_longjmp (png, 1);
}

static void
warning_cb (png_structp     png,
            png_const_charp message)
{
  g_debug ("libpng warning: %s", message);
}

static void
write_cb (png_structp png,
          png_bytep   data,
          size_t      length)
{
  PngState *state = png_get_io_ptr (png);

  g_byte_array_append (state->output, data, length);
}

static void
flush_cb (png_structp png)
{
}

static void
read_cb (png_structp png,
         png_bytep   data,
         size_t      length)
{
  PngState *state = png_get_io_ptr (png);

  if (length > state->input_size - state->input_offset)
    png_error (png, "the data ends in the middle of a chunk");

  memcpy (data, state->input + state->input_offset, length);
  state->input_offset += length;
}

static void
destroy_write_struct (png_structp png,
                      png_infop   info)
{
  png_destroy_write_struct (&png, &info);
}

static void
destroy_read_struct (png_structp png,
                     png_infop   info)
{
  png_destroy_read_struct (&png, &info, NULL);
}

/* Formats @time as RFC 1123 in GMT. g_date_time_format() would translate
 * the day and month names, which the RFC fixes in English. */
static char *
format_rfc1123 (GDateTime *time)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d GMT",
                          days[g_date_time_get_day_of_week (utc) - 1],
                          g_date_time_get_day_of_month (utc),
                          months[g_date_time_get_month (utc) - 1],
                          g_date_time_get_year (utc),
                          g_date_time_get_hour (utc),
                          g_date_time_get_minute (utc),
                          g_date_time_get_second (utc));
}

static void
add_text (GPtrArray  *values,
          GArray     *texts,
          const char *key,
          char       *value,
          gboolean    compress)
{
  png_text text = { 0 };

  g_ptr_array_add (values, value);

  text.compression = compress ? PNG_ITXT_COMPRESSION_zTXt : PNG_ITXT_COMPRESSION_NONE;
  text.key = (png_charp) key;
  text.text = value;
  text.itxt_length = strlen (value);
  g_array_append_val (texts, text);
}

/* Builds one iTXt entry per provenance field that is set, and nothing
 * else. @values owns the strings that the entries point to. */
static gboolean
build_texts (const MenugenProvenance *provenance,
             GPtrArray               *values,
             GArray                  *texts,
             GError                 **error)
{
  add_text (values, texts, MENUGEN_PNG_KEY_SOFTWARE, g_strdup ("Menugen " PACKAGE_VERSION), FALSE);

  if (provenance->backend != NULL && provenance->model != NULL && *provenance->model != '\0')
    add_text (values, texts, MENUGEN_PNG_KEY_SOURCE,
              g_strdup_printf ("%s %s", provenance->backend, provenance->model), FALSE);
  else if (provenance->backend != NULL)
    add_text (values, texts, MENUGEN_PNG_KEY_SOURCE, g_strdup (provenance->backend), FALSE);

  if (provenance->creation_time != NULL)
    add_text (values, texts, MENUGEN_PNG_KEY_CREATION_TIME,
              format_rfc1123 (provenance->creation_time), FALSE);

  if (provenance->instruction != NULL)
    add_text (values, texts, MENUGEN_PNG_KEY_DESCRIPTION, g_strdup (provenance->instruction), TRUE);

  if (provenance->photo_sha256 != NULL)
    add_text (values, texts, MENUGEN_PNG_KEY_PHOTO_SHA256, g_strdup (provenance->photo_sha256), FALSE);

  for (guint i = 0; i < values->len; i++)
    if (!g_utf8_validate (g_ptr_array_index (values, i), -1, NULL))
      {
        g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                     _("The PNG text “%s” is not valid UTF-8, so the image was not "
                       "written. Report this as a bug."),
                     g_array_index (texts, png_text, i).key);
        return FALSE;
      }

  return TRUE;
}

/* Runs every libpng write call. libpng longjmps here on error, so this
 * function owns no g_autoptr or other cleanup, because a longjmp would
 * skip it. Only the row counter changes after setjmp, and it is not read
 * after a longjmp, so no local needs to be volatile. */
static gboolean
write_png (png_structp  png,
           png_infop    info,
           GdkPixbuf   *pixbuf,
           png_textp    texts,
           int          n_texts)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int color_type = gdk_pixbuf_get_has_alpha (pixbuf) ? PNG_COLOR_TYPE_RGB_ALPHA
                                                     : PNG_COLOR_TYPE_RGB;

  if (setjmp (png_jmpbuf (png)) != 0)
    return FALSE;

  png_set_write_fn (png, png_get_error_ptr (png), write_cb, flush_cb);
  png_set_IHDR (png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_text (png, info, texts, n_texts);
  png_write_info (png, info);

  for (int y = 0; y < height; y++)
    png_write_row (png, pixels + (gsize) y * rowstride);

  png_write_end (png, info);
  return TRUE;
}

static gboolean
check_pixbuf (GdkPixbuf  *pixbuf,
              GError    **error)
{
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  gboolean has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);

  if (gdk_pixbuf_get_colorspace (pixbuf) == GDK_COLORSPACE_RGB
      && gdk_pixbuf_get_bits_per_sample (pixbuf) == 8
      && ((channels == 3 && !has_alpha) || (channels == 4 && has_alpha)))
    return TRUE;

  g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
               _("The image has %d channels of %d bits, and only 8-bit RGB or RGBA can "
                 "be saved as PNG. Report this as a bug."),
               channels, gdk_pixbuf_get_bits_per_sample (pixbuf));
  return FALSE;
}

/**
 * menugen_png_encode:
 * @pixbuf: an 8-bit RGB or RGBA image
 * @provenance: what to record about the image's origin
 * @error: return location for a #GError
 *
 * Encodes @pixbuf as PNG with libpng, with one iTXt chunk per provenance
 * field that is set: "Software" always, then "Source", "Creation Time",
 * "Description" (compressed) and "Source Photo SHA-256". No other text is
 * written.
 *
 * Returns: (transfer full): the PNG file, or %NULL with a
 *   %MENUGEN_ERROR_FAILED sentence
 */
GBytes *
menugen_png_encode (GdkPixbuf               *pixbuf,
                    const MenugenProvenance *provenance,
                    GError                 **error)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) texts = g_array_new (FALSE, TRUE, sizeof (png_text));
  g_autoptr(GByteArray) output = g_byte_array_new ();
  PngState state = { .output = output };
  png_structp png;
  png_infop info;
  gboolean written;

  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);
  g_return_val_if_fail (provenance != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_pixbuf (pixbuf, error) || !build_texts (provenance, values, texts, error))
    return NULL;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &state, error_cb, warning_cb);
  info = png != NULL ? png_create_info_struct (png) : NULL;
  if (info == NULL)
    {
      destroy_write_struct (png, NULL);
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                           _("The PNG encoder could not start because memory ran out. "
                             "Close other programs and save again."));
      return NULL;
    }

  written = write_png (png, info, pixbuf, (png_textp) texts->data, texts->len);
  destroy_write_struct (png, info);

  if (!written)
    {
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                   _("Encoding the image as PNG failed (%s). Save again, and report a bug "
                     "if it keeps failing."), state.message);
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&output));
}

/* Runs every libpng read call, decoding the rows into one scratch row
 * because text chunks after the image data are only seen once the image
 * data has been read. @row is volatile because it changes after setjmp
 * and must be freed after a longjmp. */
static gboolean
read_png (png_structp png,
          png_infop   info)
{
  png_bytep volatile row = NULL;
  int passes;
  png_uint_32 height;

  if (setjmp (png_jmpbuf (png)) != 0)
    {
      g_free (row);
      return FALSE;
    }

  png_set_read_fn (png, png_get_error_ptr (png), read_cb);
  png_set_user_limits (png, READ_MAX_DIMENSION, READ_MAX_DIMENSION);
  png_set_chunk_malloc_max (png, READ_MAX_CHUNK_BYTES);
  png_read_info (png, info);

  passes = png_set_interlace_handling (png);
  png_read_update_info (png, info);
  height = png_get_image_height (png, info);
  row = g_malloc (png_get_rowbytes (png, info));

  for (int pass = 0; pass < passes; pass++)
    for (png_uint_32 y = 0; y < height; y++)
      png_read_row (png, row, NULL);

  png_read_end (png, info);
  g_free (row);
  return TRUE;
}

/* tEXt and zTXt chunks are Latin-1 by the PNG specification, iTXt text is
 * UTF-8, and keywords are always Latin-1. */
static void
collect_text (GHashTable *table,
              png_textp   text)
{
  char *key = g_convert (text->key, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  char *value;

  if (text->compression == PNG_ITXT_COMPRESSION_NONE
      || text->compression == PNG_ITXT_COMPRESSION_zTXt)
    value = g_utf8_make_valid (text->text != NULL ? text->text : "", text->itxt_length);
  else
    value = g_convert (text->text != NULL ? text->text : "", text->text_length,
                       "UTF-8", "ISO-8859-1", NULL, NULL, NULL);

  if (key == NULL || value == NULL)
    {
      g_free (key);
      g_free (value);
      return;
    }

  g_hash_table_replace (table, key, value);
}

/**
 * menugen_png_read_text:
 * @png: the bytes of a PNG file
 * @error: return location for a #GError
 *
 * Reads the tEXt, zTXt and iTXt chunks of @png with libpng. When a
 * keyword appears twice, the later chunk wins.
 *
 * Returns: (transfer full): a table of keyword to text, both UTF-8, or
 *   %NULL with a %MENUGEN_ERROR_CORRUPT_IMAGE sentence
 */
GHashTable *
menugen_png_read_text (GBytes  *png,
                       GError **error)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  PngState state = { 0 };
  png_structp reader;
  png_infop info;
  png_textp texts = NULL;
  int n_texts = 0;

  g_return_val_if_fail (png != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  state.input = g_bytes_get_data (png, &state.input_size);
  if (state.input_size < 8 || png_sig_cmp (state.input, 0, 8) != 0)
    {
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                           _("The file is not a PNG image because it lacks the PNG signature. "
                             "Choose a PNG file."));
      return NULL;
    }

  reader = png_create_read_struct (PNG_LIBPNG_VER_STRING, &state, error_cb, warning_cb);
  info = reader != NULL ? png_create_info_struct (reader) : NULL;
  if (info == NULL)
    {
      destroy_read_struct (reader, NULL);
      g_set_error_literal (error, MENUGEN_ERROR, MENUGEN_ERROR_FAILED,
                           _("The PNG decoder could not start because memory ran out. "
                             "Close other programs and try again."));
      return NULL;
    }

  if (!read_png (reader, info))
    {
      destroy_read_struct (reader, info);
      g_set_error (error, MENUGEN_ERROR, MENUGEN_ERROR_CORRUPT_IMAGE,
                   _("The PNG image could not be read (%s). The file is damaged, so "
                     "save the menu again."), state.message);
      return NULL;
    }

  png_get_text (reader, info, &texts, &n_texts);
  for (int i = 0; i < n_texts; i++)
    collect_text (table, &texts[i]);

  destroy_read_struct (reader, info);
  return g_steal_pointer (&table);
}
