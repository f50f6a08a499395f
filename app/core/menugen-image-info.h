#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MenugenImageInfo:
 * @mime_type: the format sniffed from the magic bytes, or %NULL when unknown
 * @width: the pixel width that the container declares, before any
 *   orientation is applied, or 0 when it declares none
 * @height: the declared pixel height, or 0
 * @orientation: the EXIF orientation tag (1-8), or 0 when there is none
 * @complete: the container ends where its structure says it should
 *   (JPEG EOI marker, PNG IEND chunk, RIFF size, ISO-BMFF box sizes, end
 *   of the BMP pixel array)
 * @malformed: the structure is broken, not merely cut short
 * @has_metadata: EXIF, XMP, IPTC, comments or text chunks are present
 * @has_location: an EXIF GPS IFD with entries, or GPS properties in XMP
 *
 * What the container of an encoded image declares, read without decoding
 * any pixels. The parser reads JPEG, PNG, WebP, HEIF (HEIC and AVIF) and
 * BMP. For GIF and TIFF it only sniffs the format.
 */
typedef struct {
  const char *mime_type;
  int width;
  int height;
  int orientation;
  gboolean complete;
  gboolean malformed;
  gboolean has_metadata;
  gboolean has_location;
} MenugenImageInfo;

const char *menugen_image_sniff     (const guint8     *data,
                                     gsize             length);
void        menugen_image_info_read (const guint8     *data,
                                     gsize             length,
                                     MenugenImageInfo *info);

G_END_DECLS
