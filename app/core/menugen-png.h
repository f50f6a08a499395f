#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/**
 * MenugenProvenance:
 * @backend: back-end kind, such as "gemini"
 * @model: model id as configured or as the service reported it
 * @instruction: the full instruction sent with the photo
 * @creation_time: when the image was received
 * @photo_sha256: hex SHA-256 of the prepared photo that was sent
 *
 * What a saved menu records about its origin. Written as iTXt chunks:
 * "Software", "Source", "Creation Time" (RFC 1123, as the PNG
 * specification suggests), "Description" and "Source Photo SHA-256".
 */
typedef struct {
  const char *backend;
  const char *model;
  const char *instruction;
  GDateTime *creation_time;
  const char *photo_sha256;
} MenugenProvenance;

#define MENUGEN_PNG_KEY_SOFTWARE "Software"
#define MENUGEN_PNG_KEY_SOURCE "Source"
#define MENUGEN_PNG_KEY_CREATION_TIME "Creation Time"
#define MENUGEN_PNG_KEY_DESCRIPTION "Description"
#define MENUGEN_PNG_KEY_PHOTO_SHA256 "Source Photo SHA-256"

GBytes     *menugen_png_encode    (GdkPixbuf               *pixbuf,
                                   const MenugenProvenance *provenance,
                                   GError                 **error);
GHashTable *menugen_png_read_text (GBytes                  *png,
                                   GError                 **error);

G_END_DECLS
