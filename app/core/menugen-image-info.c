/* Reads what an encoded image declares (format, size, orientation,
 * metadata, completeness) from its container, without decoding pixels.
 * Every read is bounds-checked because the input is untrusted. */

#include "config.h"

#include <string.h>

#include "menugen-image-info.h"

#define FOURCC(a, b, c, d) (((guint32) (a) << 24) | ((guint32) (b) << 16) | ((guint32) (c) << 8) | (guint32) (d))

#define TIFF_TAG_ORIENTATION 0x0112
#define TIFF_TAG_GPS_IFD     0x8825

#define JPEG_SOF0 0xc0
#define JPEG_DHT  0xc4
#define JPEG_JPG  0xc8
#define JPEG_DAC  0xcc
#define JPEG_SOF15 0xcf
#define JPEG_RST0 0xd0
#define JPEG_RST7 0xd7
#define JPEG_EOI  0xd9
#define JPEG_SOS  0xda
#define JPEG_APP0 0xe0
#define JPEG_APP1 0xe1
#define JPEG_APP2 0xe2
#define JPEG_APP14 0xee
#define JPEG_APP15 0xef
#define JPEG_COM  0xfe

#define XMP_NAMESPACE "http://ns.adobe.com/xap/1.0/"
#define XMP_EXTENSION_NAMESPACE "http://ns.adobe.com/xmp/extension/"

/* The HEIF metadata items read per file. A photo rarely has more than two. */
#define MAX_METADATA_ITEMS 8

typedef enum {
  BOX_OK,
  BOX_END,
  BOX_TRUNCATED,
  BOX_MALFORMED,
} BoxStatus;

typedef struct {
  guint32 type;
  const guint8 *payload;
  gsize payload_length;
} Box;

typedef struct {
  guint32 item_id;
  gboolean is_exif;   /* otherwise an XMP packet */
  guint64 offset;     /* in the file; length 0 while unknown */
  guint64 length;
} MetadataItem;

typedef struct {
  MetadataItem items[MAX_METADATA_ITEMS];
  guint n_items;
  guint64 max_area;
} HeifMeta;

static guint16
read_u16 (const guint8 *p,
          gboolean      big_endian)
{
  return big_endian ? (guint16) (p[0] << 8 | p[1]) : (guint16) (p[1] << 8 | p[0]);
}

static guint32
read_u32 (const guint8 *p,
          gboolean      big_endian)
{
  if (big_endian)
    return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];

  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

static guint32
read_u24_le (const guint8 *p)
{
  return (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

/* Reads a big-endian integer of 0, 4 or 8 bytes, as ISO-BMFF sizes it. */
static gboolean
read_sized (const guint8 *p,
            guint         size,
            guint64      *value)
{
  switch (size)
    {
    case 0:
      *value = 0;
      return TRUE;
    case 4:
      *value = read_u32 (p, TRUE);
      return TRUE;
    case 8:
      *value = (guint64) read_u32 (p, TRUE) << 32 | read_u32 (p + 4, TRUE);
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
contains (const guint8 *data,
          gsize         length,
          const char   *needle)
{
  gsize needle_length = strlen (needle);

  for (gsize i = 0; i + needle_length <= length; i++)
    {
      const guint8 *hit = memchr (data + i, needle[0], length - i - needle_length + 1);

      if (hit == NULL)
        return FALSE;

      i = hit - data;
      if (memcmp (hit, needle, needle_length) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
has_prefix (const guint8 *data,
            gsize         length,
            const char   *prefix,
            gsize         prefix_length)
{
  return length >= prefix_length && memcmp (data, prefix, prefix_length) == 0;
}

/* Reads the orientation tag and the GPS IFD pointer from IFD0 of an EXIF
 * TIFF block. */
static void
read_tiff (const guint8     *tiff,
           gsize             length,
           MenugenImageInfo *info)
{
  gboolean big_endian;
  guint32 ifd;
  guint16 n_entries;

  info->has_metadata = TRUE;

  if (has_prefix (tiff, length, "MM\0\x2a", 4))
    big_endian = TRUE;
  else if (has_prefix (tiff, length, "II\x2a\0", 4))
    big_endian = FALSE;
  else
    return;

  if (length < 8)
    return;

  ifd = read_u32 (tiff + 4, big_endian);
  if (ifd > length - 2)
    return;

  n_entries = read_u16 (tiff + ifd, big_endian);
  for (guint i = 0; i < n_entries; i++)
    {
      gsize entry = ifd + 2 + (gsize) i * 12;
      guint16 tag;

      if (entry + 12 > length)
        break;

      tag = read_u16 (tiff + entry, big_endian);
      if (tag == TIFF_TAG_ORIENTATION && info->orientation == 0)
        {
          guint16 value = read_u16 (tiff + entry + 8, big_endian);

          if (value >= 1 && value <= 8)
            info->orientation = value;
        }
      else if (tag == TIFF_TAG_GPS_IFD)
        {
          guint32 gps = read_u32 (tiff + entry + 8, big_endian);

          if (gps <= length - 2 && read_u16 (tiff + gps, big_endian) > 0)
            info->has_location = TRUE;
        }
    }
}

static void
read_xmp (const guint8     *xmp,
          gsize             length,
          MenugenImageInfo *info)
{
  info->has_metadata = TRUE;

  if (contains (xmp, length, "GPSLatitude") || contains (xmp, length, "GPSLongitude"))
    info->has_location = TRUE;
}

/* JPEG */

static void
read_jpeg_app1 (const guint8     *payload,
                gsize             length,
                MenugenImageInfo *info)
{
  if (has_prefix (payload, length, "Exif\0\0", 6))
    read_tiff (payload + 6, length - 6, info);
  else if (has_prefix (payload, length, XMP_NAMESPACE, sizeof XMP_NAMESPACE))
    read_xmp (payload + sizeof XMP_NAMESPACE, length - sizeof XMP_NAMESPACE, info);
  else if (has_prefix (payload, length, XMP_EXTENSION_NAMESPACE, sizeof XMP_EXTENSION_NAMESPACE))
    read_xmp (payload + sizeof XMP_EXTENSION_NAMESPACE, length - sizeof XMP_EXTENSION_NAMESPACE, info);
  else
    info->has_metadata = TRUE;
}

static gboolean
is_jpeg_sof (guint8 marker)
{
  return marker >= JPEG_SOF0 && marker <= JPEG_SOF15
         && marker != JPEG_DHT && marker != JPEG_JPG && marker != JPEG_DAC;
}

static void
read_jpeg_segment (guint8            marker,
                   const guint8     *payload,
                   gsize             length,
                   MenugenImageInfo *info)
{
  if (marker == JPEG_APP1)
    {
      read_jpeg_app1 (payload, length, info);
    }
  else if (is_jpeg_sof (marker))
    {
      if (info->width == 0 && length >= 5)
        {
          info->height = read_u16 (payload + 1, TRUE);
          info->width = read_u16 (payload + 3, TRUE);
        }
    }
  else if (marker == JPEG_COM)
    {
      info->has_metadata = TRUE;
    }
  else if (marker >= JPEG_APP0 && marker <= JPEG_APP15)
    {
      /* JFIF (APP0), ICC profiles (APP2) and the Adobe colour transform
       * (APP14) steer decoding. The other application segments carry IPTC,
       * camera makers' notes and the like. */
      if (marker != JPEG_APP0 && marker != JPEG_APP2 && marker != JPEG_APP14)
        info->has_metadata = TRUE;
    }
}

/* Returns the offset of the marker code after the next 0xFF fill bytes,
 * skipping stray bytes the way libjpeg does, or @length when none is left. */
static gsize
find_jpeg_marker (const guint8 *data,
                  gsize         length,
                  gsize         offset)
{
  const guint8 *ff = offset < length ? memchr (data + offset, 0xff, length - offset) : NULL;

  if (ff == NULL)
    return length;

  offset = ff - data;
  while (offset < length && data[offset] == 0xff)
    offset++;

  return offset;
}

/* Returns the offset of the 0xFF that starts the first marker after the
 * entropy-coded data of a scan, or @length when the data ends first.
 * Stuffed zero bytes and restart markers belong to the scan. */
static gsize
skip_entropy_coded_data (const guint8 *data,
                         gsize         length,
                         gsize         offset)
{
  while (offset < length)
    {
      const guint8 *ff = memchr (data + offset, 0xff, length - offset);
      gsize code;

      if (ff == NULL)
        return length;

      code = find_jpeg_marker (data, length, ff - data);
      if (code >= length)
        return length;

      if (data[code] != 0x00 && (data[code] < JPEG_RST0 || data[code] > JPEG_RST7))
        return code - 1;

      offset = code + 1;
    }

  return length;
}

static void
read_jpeg (const guint8     *data,
           gsize             length,
           MenugenImageInfo *info)
{
  gsize offset = 2;

  while (offset < length)
    {
      guint8 marker;
      gsize segment_length;

      offset = find_jpeg_marker (data, length, offset);
      if (offset >= length)
        return;

      marker = data[offset++];
      if (marker == JPEG_EOI)
        {
          info->complete = TRUE;
          info->malformed = info->width == 0 || info->height == 0;
          return;
        }

      if (marker == 0x01 || (marker >= JPEG_RST0 && marker <= JPEG_RST7))
        continue;

      if (offset + 2 > length)
        return;

      segment_length = read_u16 (data + offset, TRUE);
      if (segment_length < 2)
        {
          info->malformed = TRUE;
          return;
        }

      if (segment_length > length - offset)
        return;

      read_jpeg_segment (marker, data + offset + 2, segment_length - 2, info);
      offset += segment_length;

      if (marker == JPEG_SOS)
        offset = skip_entropy_coded_data (data, length, offset);
    }
}

/* PNG */

static void
read_png_text (const guint8     *type,
               const guint8     *payload,
               gsize             length,
               MenugenImageInfo *info)
{
  static const char xmp_keyword[] = "XML:com.adobe.xmp";
  gsize header = sizeof xmp_keyword + 2;

  info->has_metadata = TRUE;

  /* An iTXt chunk is keyword, NUL, compression flag, method, language tag,
   * NUL, translated keyword, NUL, text. Compressed XMP is not inflated. */
  if (memcmp (type, "iTXt", 4) != 0
      || !has_prefix (payload, length, xmp_keyword, sizeof xmp_keyword)
      || length < header || payload[sizeof xmp_keyword] != 0)
    return;

  for (int nul = 0; nul < 2 && header < length; header++)
    if (payload[header] == 0)
      nul++;

  read_xmp (payload + header, length - header, info);
}

static void
read_png_chunk (const guint8     *type,
                const guint8     *payload,
                gsize             length,
                MenugenImageInfo *info)
{
  if (memcmp (type, "eXIf", 4) == 0)
    read_tiff (payload, length, info);
  else if (memcmp (type, "tEXt", 4) == 0 || memcmp (type, "zTXt", 4) == 0
           || memcmp (type, "iTXt", 4) == 0)
    read_png_text (type, payload, length, info);
  else if (memcmp (type, "tIME", 4) == 0)
    info->has_metadata = TRUE;
}

static gboolean
read_png_header (const guint8     *data,
                 gsize             length,
                 MenugenImageInfo *info)
{
  guint32 width, height;

  if (length < 8 + 8 + 13 || read_u32 (data + 8, TRUE) != 13 || memcmp (data + 12, "IHDR", 4) != 0)
    return FALSE;

  width = read_u32 (data + 16, TRUE);
  height = read_u32 (data + 20, TRUE);
  if (width == 0 || height == 0 || width > G_MAXINT32 || height > G_MAXINT32)
    return FALSE;

  info->width = width;
  info->height = height;
  return TRUE;
}

static void
read_png (const guint8     *data,
          gsize             length,
          MenugenImageInfo *info)
{
  gsize offset = 8;

  if (!read_png_header (data, length, info))
    {
      info->malformed = TRUE;
      return;
    }

  while (offset + 8 <= length)
    {
      guint32 chunk_length = read_u32 (data + offset, TRUE);
      const guint8 *type = data + offset + 4;

      if (chunk_length > G_MAXINT32)
        {
          info->malformed = TRUE;
          return;
        }

      if ((gsize) chunk_length + 12 > length - offset)
        return;

      read_png_chunk (type, data + offset + 8, chunk_length, info);
      if (memcmp (type, "IEND", 4) == 0)
        {
          info->complete = TRUE;
          return;
        }

      offset += 12 + (gsize) chunk_length;
    }
}

/* WebP */

static void
read_webp_size (guint32           fourcc,
                const guint8     *payload,
                gsize             length,
                MenugenImageInfo *info)
{
  if (info->width != 0)
    return;

  if (fourcc == FOURCC ('V', 'P', '8', 'X') && length >= 10)
    {
      info->width = read_u24_le (payload + 4) + 1;
      info->height = read_u24_le (payload + 7) + 1;
    }
  else if (fourcc == FOURCC ('V', 'P', '8', ' ') && length >= 10
           && memcmp (payload + 3, "\x9d\x01\x2a", 3) == 0)
    {
      info->width = read_u16 (payload + 6, FALSE) & 0x3fff;
      info->height = read_u16 (payload + 8, FALSE) & 0x3fff;
    }
  else if (fourcc == FOURCC ('V', 'P', '8', 'L') && length >= 5 && payload[0] == 0x2f)
    {
      guint32 bits = read_u32 (payload + 1, FALSE);

      info->width = (bits & 0x3fff) + 1;
      info->height = ((bits >> 14) & 0x3fff) + 1;
    }
}

/* Returns TRUE for a chunk that contains image data. */
static gboolean
read_webp_chunk (guint32           fourcc,
                 const guint8     *payload,
                 gsize             length,
                 MenugenImageInfo *info)
{
  read_webp_size (fourcc, payload, length, info);

  switch (fourcc)
    {
    case FOURCC ('E', 'X', 'I', 'F'):
      if (has_prefix (payload, length, "Exif\0\0", 6))
        read_tiff (payload + 6, length - 6, info);
      else
        read_tiff (payload, length, info);
      return FALSE;
    case FOURCC ('X', 'M', 'P', ' '):
      read_xmp (payload, length, info);
      return FALSE;
    case FOURCC ('V', 'P', '8', ' '):
    case FOURCC ('V', 'P', '8', 'L'):
    case FOURCC ('A', 'N', 'M', 'F'):
      return TRUE;
    default:
      return FALSE;
    }
}

static void
read_webp (const guint8     *data,
           gsize             length,
           MenugenImageInfo *info)
{
  guint64 end = (guint64) read_u32 (data + 4, FALSE) + 8;
  gsize limit = MIN (end, length);
  gsize offset = 12;
  gboolean has_image = FALSE;

  while (offset + 8 <= limit)
    {
      guint32 fourcc = read_u32 (data + offset, TRUE);
      guint32 chunk_length = read_u32 (data + offset + 4, FALSE);

      if (chunk_length > limit - offset - 8)
        break;

      if (read_webp_chunk (fourcc, data + offset + 8, chunk_length, info))
        has_image = TRUE;

      offset += 8 + (gsize) chunk_length + (chunk_length & 1);
    }

  if (end > length)
    return;

  info->complete = offset >= end;
  info->malformed = !has_image || info->width == 0 || info->height == 0;
}

/* HEIF (ISO/IEC 23008-12 on the ISO-BMFF box structure of ISO/IEC 14496-12) */

static BoxStatus
read_box (const guint8 *data,
          gsize         length,
          gsize        *offset,
          Box          *box)
{
  gsize header = 8;
  guint64 size;

  if (*offset == length)
    return BOX_END;
  if (length - *offset < 8)
    return BOX_TRUNCATED;

  size = read_u32 (data + *offset, TRUE);
  box->type = read_u32 (data + *offset + 4, TRUE);

  if (size == 1)
    {
      if (length - *offset < 16)
        return BOX_TRUNCATED;
      read_sized (data + *offset + 8, 8, &size);
      header = 16;
    }
  else if (size == 0)
    {
      size = length - *offset;
    }

  if (size < header)
    return BOX_MALFORMED;
  if (size > length - *offset)
    return BOX_TRUNCATED;

  box->payload = data + *offset + header;
  box->payload_length = size - header;
  *offset += size;
  return BOX_OK;
}

static void
add_metadata_item (HeifMeta *meta,
                   guint32   item_id,
                   gboolean  is_exif)
{
  if (meta->n_items == MAX_METADATA_ITEMS)
    return;

  meta->items[meta->n_items++] = (MetadataItem) { .item_id = item_id, .is_exif = is_exif };
}

/* Reads one item information entry (version 2 or 3) and keeps Exif items
 * and XMP packets (MIME items of type application/rdf+xml). */
static void
read_infe (const Box *box,
           HeifMeta  *meta)
{
  const guint8 *p = box->payload;
  gsize length = box->payload_length;
  guint version;
  guint32 item_id, item_type;
  gsize offset;
  const guint8 *name_end;

  if (box->type != FOURCC ('i', 'n', 'f', 'e') || length < 4 || p[0] < 2)
    return;

  version = p[0];
  offset = version == 2 ? 6 : 8;
  if (length < offset + 6)
    return;

  item_id = version == 2 ? read_u16 (p + 4, TRUE) : read_u32 (p + 4, TRUE);
  item_type = read_u32 (p + offset + 2, TRUE);
  offset += 6;

  if (item_type == FOURCC ('E', 'x', 'i', 'f'))
    {
      add_metadata_item (meta, item_id, TRUE);
      return;
    }

  name_end = memchr (p + offset, 0, length - offset);
  if (item_type != FOURCC ('m', 'i', 'm', 'e') || name_end == NULL)
    return;

  offset = name_end - p + 1;
  if (has_prefix (p + offset, length - offset, "application/rdf+xml", sizeof "application/rdf+xml"))
    add_metadata_item (meta, item_id, FALSE);
}

static void
read_iinf (const Box *iinf,
           HeifMeta  *meta)
{
  gsize offset;
  Box entry;

  if (iinf->payload_length < 6)
    return;

  offset = iinf->payload[0] == 0 ? 6 : 8;
  if (offset > iinf->payload_length)
    return;

  while (read_box (iinf->payload, iinf->payload_length, &offset, &entry) == BOX_OK)
    read_infe (&entry, meta);
}

static MetadataItem *
find_metadata_item (HeifMeta *meta,
                    guint32   item_id)
{
  for (guint i = 0; i < meta->n_items; i++)
    if (meta->items[i].item_id == item_id)
      return &meta->items[i];

  return NULL;
}

/* Reads one item location. Only items stored in the file itself
 * (construction method 0) with a single extent are located. The others
 * count as metadata without being read. */
static gboolean
read_iloc_item (const guint8 *p,
                gsize         length,
                gsize        *offset,
                guint         version,
                const guint   sizes[4],
                HeifMeta     *meta)
{
  gsize id_size = version < 2 ? 2 : 4;
  gsize extent_size = (version >= 1 ? sizes[3] : 0) + sizes[0] + sizes[1];
  gsize fixed = id_size + (version >= 1 ? 2 : 0) + 2 + sizes[2] + 2;
  guint32 item_id;
  guint method = 0;
  guint16 n_extents;
  guint64 base, extent_offset, extent_length;
  const guint8 *item;
  const guint8 *extent;
  MetadataItem *wanted;

  if (length - *offset < fixed)
    return FALSE;

  item = p + *offset;
  item_id = id_size == 2 ? read_u16 (item, TRUE) : read_u32 (item, TRUE);
  if (version >= 1)
    method = read_u16 (item + id_size, TRUE) & 0xf;

  read_sized (item + fixed - 2 - sizes[2], sizes[2], &base);
  n_extents = read_u16 (item + fixed - 2, TRUE);
  if ((length - *offset - fixed) / MAX (extent_size, 1) < n_extents)
    return FALSE;

  *offset += fixed + (gsize) n_extents * extent_size;

  wanted = find_metadata_item (meta, item_id);
  if (wanted == NULL || method != 0 || n_extents != 1)
    return TRUE;

  extent = item + fixed + (version >= 1 ? sizes[3] : 0);
  read_sized (extent, sizes[0], &extent_offset);
  read_sized (extent + sizes[0], sizes[1], &extent_length);
  if (base > G_MAXUINT64 - extent_offset)
    return TRUE;

  wanted->offset = base + extent_offset;
  wanted->length = extent_length;
  return TRUE;
}

static void
read_iloc (const Box *iloc,
           HeifMeta  *meta)
{
  const guint8 *p = iloc->payload;
  gsize length = iloc->payload_length;
  guint version;
  guint sizes[4];
  guint32 n_items;
  gsize offset;

  if (length < 8 || p[0] > 2)
    return;

  version = p[0];
  sizes[0] = p[4] >> 4;     /* offset_size */
  sizes[1] = p[4] & 0xf;    /* length_size */
  sizes[2] = p[5] >> 4;     /* base_offset_size */
  sizes[3] = version >= 1 ? p[5] & 0xf : 0;   /* index_size */
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i] != 0 && sizes[i] != 4 && sizes[i] != 8)
      return;

  if (version < 2)
    {
      n_items = read_u16 (p + 6, TRUE);
      offset = 8;
    }
  else
    {
      if (length < 10)
        return;
      n_items = read_u32 (p + 6, TRUE);
      offset = 10;
    }

  for (guint32 i = 0; i < n_items; i++)
    if (!read_iloc_item (p, length, &offset, version, sizes, meta))
      return;
}

/* Keeps the largest image spatial extent: the primary image (or the grid
 * that tiles it) is the largest image in a HEIF file, so the pixel check
 * never underestimates. */
static void
read_ipco (const Box        *ipco,
           HeifMeta         *meta,
           MenugenImageInfo *info)
{
  gsize offset = 0;
  Box property;

  while (read_box (ipco->payload, ipco->payload_length, &offset, &property) == BOX_OK)
    {
      guint32 width, height;

      if (property.type != FOURCC ('i', 's', 'p', 'e') || property.payload_length < 12)
        continue;

      width = read_u32 (property.payload + 4, TRUE);
      height = read_u32 (property.payload + 8, TRUE);
      if ((guint64) width * height <= meta->max_area || width > G_MAXINT32 || height > G_MAXINT32)
        continue;

      meta->max_area = (guint64) width * height;
      info->width = width;
      info->height = height;
    }
}

static void
read_iprp (const Box        *iprp,
           HeifMeta         *meta,
           MenugenImageInfo *info)
{
  gsize offset = 0;
  Box child;

  while (read_box (iprp->payload, iprp->payload_length, &offset, &child) == BOX_OK)
    if (child.type == FOURCC ('i', 'p', 'c', 'o'))
      read_ipco (&child, meta, info);
}

static void
read_metadata_items (const guint8     *data,
                     gsize             length,
                     const HeifMeta   *meta,
                     MenugenImageInfo *info)
{
  for (guint i = 0; i < meta->n_items; i++)
    {
      const MetadataItem *item = &meta->items[i];
      const guint8 *payload;
      guint32 tiff_offset;

      info->has_metadata = TRUE;
      if (item->length == 0 || item->offset > length || item->length > length - item->offset)
        continue;

      payload = data + item->offset;

      if (!item->is_exif)
        {
          read_xmp (payload, item->length, info);
          continue;
        }

      /* An Exif item starts with the offset of the TIFF header after it. */
      if (item->length < 4)
        continue;

      tiff_offset = read_u32 (payload, TRUE);
      if (tiff_offset <= item->length - 4)
        read_tiff (payload + 4 + tiff_offset, item->length - 4 - tiff_offset, info);
    }
}

static void
read_meta (const guint8     *data,
           gsize             length,
           const Box        *meta_box,
           MenugenImageInfo *info)
{
  HeifMeta meta = { 0 };
  Box iinf = { 0 }, iloc = { 0 }, child;
  gsize offset = 4;

  if (meta_box->payload_length < 4)
    return;

  while (read_box (meta_box->payload, meta_box->payload_length, &offset, &child) == BOX_OK)
    {
      if (child.type == FOURCC ('i', 'i', 'n', 'f'))
        iinf = child;
      else if (child.type == FOURCC ('i', 'l', 'o', 'c'))
        iloc = child;
      else if (child.type == FOURCC ('i', 'p', 'r', 'p'))
        read_iprp (&child, &meta, info);
    }

  /* iloc may precede iinf, so the items are known before they are located. */
  if (iinf.payload != NULL)
    read_iinf (&iinf, &meta);
  if (iloc.payload != NULL)
    read_iloc (&iloc, &meta);

  read_metadata_items (data, length, &meta, info);
}

static void
read_heif (const guint8     *data,
           gsize             length,
           MenugenImageInfo *info)
{
  gsize offset = 0;
  gboolean has_meta = FALSE;
  BoxStatus status;
  Box box;

  while ((status = read_box (data, length, &offset, &box)) == BOX_OK)
    {
      if (box.type == FOURCC ('m', 'e', 't', 'a') && !has_meta)
        {
          has_meta = TRUE;
          read_meta (data, length, &box, info);
        }
    }

  if (status == BOX_MALFORMED)
    {
      info->malformed = TRUE;
      return;
    }

  if (status == BOX_END)
    {
      info->complete = TRUE;
      info->malformed = !has_meta || info->width == 0 || info->height == 0;
    }
}

/* BMP: a file header, then a BITMAPCOREHEADER (12 bytes) or a
 * BITMAPINFOHEADER (40 bytes) or one of its longer successors, which start
 * with the same fields */

#define BMP_FILE_HEADER_SIZE 14
#define BMP_CORE_HEADER_SIZE 12
#define BMP_INFO_HEADER_SIZE 40

#define BMP_RGB       0
#define BMP_RLE8      1
#define BMP_RLE4      2
#define BMP_BITFIELDS 3

typedef struct {
  guint32 pixel_offset;
  guint32 header_size;
  gint64 width;
  gint64 height;      /* negative for rows stored top-down */
  guint planes;
  guint bits_per_pixel;
  guint32 compression;
  guint32 image_size;
} BmpHeader;

/* Returns FALSE when @data ends inside the headers. */
static gboolean
read_bmp_header (const guint8 *data,
                 gsize         length,
                 BmpHeader    *header)
{
  const guint8 *dib = data + BMP_FILE_HEADER_SIZE;

  header->pixel_offset = read_u32 (data + 10, FALSE);
  header->header_size = read_u32 (dib, FALSE);

  if (header->header_size == BMP_CORE_HEADER_SIZE)
    {
      if (length < BMP_FILE_HEADER_SIZE + BMP_CORE_HEADER_SIZE)
        return FALSE;

      header->width = read_u16 (dib + 4, FALSE);
      header->height = read_u16 (dib + 6, FALSE);
      header->planes = read_u16 (dib + 8, FALSE);
      header->bits_per_pixel = read_u16 (dib + 10, FALSE);
      header->compression = BMP_RGB;
      header->image_size = 0;
      return TRUE;
    }

  if (length < BMP_FILE_HEADER_SIZE + BMP_INFO_HEADER_SIZE)
    return FALSE;

  header->width = (gint32) read_u32 (dib + 4, FALSE);
  header->height = (gint32) read_u32 (dib + 8, FALSE);
  header->planes = read_u16 (dib + 12, FALSE);
  header->bits_per_pixel = read_u16 (dib + 14, FALSE);
  header->compression = read_u32 (dib + 16, FALSE);
  header->image_size = read_u32 (dib + 20, FALSE);
  return TRUE;
}

/* The combinations of compression and bit depth that BITMAPINFOHEADER
 * defines for uncompressed, RLE and bit-field pixels. Other compressions,
 * such as JPEG or PNG inside a BMP, count as malformed. */
static gboolean
is_bmp_encoding_valid (const BmpHeader *header)
{
  switch (header->compression)
    {
    case BMP_RGB:
      return header->bits_per_pixel == 1 || header->bits_per_pixel == 4 || header->bits_per_pixel == 8
             || header->bits_per_pixel == 16 || header->bits_per_pixel == 24 || header->bits_per_pixel == 32;
    case BMP_RLE8:
      return header->bits_per_pixel == 8;
    case BMP_RLE4:
      return header->bits_per_pixel == 4;
    case BMP_BITFIELDS:
      return header->bits_per_pixel == 16 || header->bits_per_pixel == 32;
    default:
      return FALSE;
    }
}

/* Returns the offset where the pixel array ends. Uncompressed rows are
 * padded to 4 bytes. Compressed data is as long as the header's image
 * size, which the format requires for RLE. */
static guint64
bmp_pixel_end (const BmpHeader *header)
{
  guint64 row;

  if (header->compression == BMP_RLE8 || header->compression == BMP_RLE4)
    return (guint64) header->pixel_offset + header->image_size;

  row = ((guint64) header->width * header->bits_per_pixel + 31) / 32 * 4;
  return (guint64) header->pixel_offset + row * (guint64) ABS (header->height);
}

static void
read_bmp (const guint8     *data,
          gsize             length,
          MenugenImageInfo *info)
{
  BmpHeader header = { 0 };
  gint64 height;

  if (!read_bmp_header (data, length, &header))
    return;

  height = ABS (header.height);
  if (header.width <= 0 || height == 0 || header.width > G_MAXINT32 || height > G_MAXINT32)
    {
      info->malformed = TRUE;
      return;
    }

  info->width = header.width;
  info->height = height;

  if (header.planes != 1 || !is_bmp_encoding_valid (&header)
      || header.pixel_offset < BMP_FILE_HEADER_SIZE + header.header_size
      || ((header.compression == BMP_RLE8 || header.compression == BMP_RLE4) && header.image_size == 0))
    {
      info->malformed = TRUE;
      return;
    }

  info->complete = bmp_pixel_end (&header) <= length;
}

/* Sniffing */

static gboolean
is_heic_brand (guint32 brand)
{
  switch (brand)
    {
    case FOURCC ('h', 'e', 'i', 'c'):
    case FOURCC ('h', 'e', 'i', 'x'):
    case FOURCC ('h', 'e', 'v', 'c'):
    case FOURCC ('h', 'e', 'v', 'x'):
    case FOURCC ('h', 'e', 'i', 'm'):
    case FOURCC ('h', 'e', 'i', 's'):
    case FOURCC ('m', 'i', 'f', '1'):
    case FOURCC ('m', 's', 'f', '1'):
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_avif_brand (guint32 brand)
{
  return brand == FOURCC ('a', 'v', 'i', 'f') || brand == FOURCC ('a', 'v', 'i', 's');
}

/* The major brand decides. When it is the generic mif1 or msf1, or a brand
 * this parser does not know, an AVIF compatible brand makes the file AVIF. */
static const char *
sniff_ftyp (const guint8 *data,
            gsize         length)
{
  gsize end = MIN (read_u32 (data, TRUE), length);
  guint32 major = read_u32 (data + 8, TRUE);
  gboolean heic = is_heic_brand (major);

  if (is_avif_brand (major))
    return "image/avif";

  if (major != FOURCC ('m', 'i', 'f', '1') && major != FOURCC ('m', 's', 'f', '1') && heic)
    return "image/heic";

  for (gsize offset = 16; offset + 4 <= end; offset += 4)
    {
      guint32 brand = read_u32 (data + offset, TRUE);

      if (is_avif_brand (brand))
        return "image/avif";
      heic = heic || is_heic_brand (brand);
    }

  return heic ? "image/heic" : NULL;
}

/* A BMP file header is followed by a DIB header of one of these sizes. */
static gboolean
is_bmp (const guint8 *data,
        gsize         length)
{
  static const guint32 dib_sizes[] = { 12, 40, 52, 56, 64, 108, 124 };
  guint32 dib_size;

  if (!has_prefix (data, length, "BM", 2) || length < 18)
    return FALSE;

  dib_size = read_u32 (data + 14, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (dib_sizes); i++)
    if (dib_size == dib_sizes[i])
      return TRUE;

  return FALSE;
}

/**
 * menugen_image_sniff:
 * @data: the start of the file
 * @length: bytes available at @data
 *
 * Tells the image format from its magic bytes, never from a file name.
 *
 * Returns: a MIME type (image/jpeg, image/png, image/webp, image/heic,
 *   image/avif, image/gif, image/bmp or image/tiff), or %NULL
 */
const char *
menugen_image_sniff (const guint8 *data,
                     gsize         length)
{
  if (data == NULL)
    return NULL;

  if (has_prefix (data, length, "\xff\xd8\xff", 3))
    return "image/jpeg";
  if (has_prefix (data, length, "\x89PNG\r\n\x1a\n", 8))
    return "image/png";
  if (length >= 12 && has_prefix (data, length, "RIFF", 4) && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";
  if (length >= 16 && memcmp (data + 4, "ftyp", 4) == 0)
    return sniff_ftyp (data, length);
  if (has_prefix (data, length, "GIF87a", 6) || has_prefix (data, length, "GIF89a", 6))
    return "image/gif";
  if (is_bmp (data, length))
    return "image/bmp";
  if (has_prefix (data, length, "II\x2a\0", 4) || has_prefix (data, length, "MM\0\x2a", 4))
    return "image/tiff";

  return NULL;
}

/**
 * menugen_image_info_read:
 * @data: the whole encoded image
 * @length: its size in bytes
 * @info: (out caller-allocates): what the container declares
 *
 * Sniffs the format and, for JPEG, PNG, WebP, HEIC, AVIF and BMP, walks
 * the container structure. A container that ends early leaves
 * @info->complete unset without setting @info->malformed.
 */
void
menugen_image_info_read (const guint8     *data,
                         gsize             length,
                         MenugenImageInfo *info)
{
  g_return_if_fail (info != NULL);

  *info = (MenugenImageInfo) { .mime_type = menugen_image_sniff (data, length) };
  if (info->mime_type == NULL)
    return;

  if (g_str_equal (info->mime_type, "image/jpeg"))
    read_jpeg (data, length, info);
  else if (g_str_equal (info->mime_type, "image/png"))
    read_png (data, length, info);
  else if (g_str_equal (info->mime_type, "image/webp"))
    read_webp (data, length, info);
  else if (g_str_equal (info->mime_type, "image/heic") || g_str_equal (info->mime_type, "image/avif"))
    read_heif (data, length, info);
  else if (g_str_equal (info->mime_type, "image/bmp"))
    read_bmp (data, length, info);
}
