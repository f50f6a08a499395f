#pragma once

#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>

#include "backends/menugen-backend.h"
#include "fake-server.h"

G_BEGIN_DECLS

/* A JPEG whose stored pixels are red in the top-left quadrant and blue
 * elsewhere, with an EXIF block that has the given orientation (1-8, or 0
 * for no EXIF at all), a camera make and, when @with_gps, a GPS block. */
GBytes     *menugen_test_make_jpeg          (int      width,
                                             int      height,
                                             int      orientation,
                                             gboolean with_gps);
GBytes     *menugen_test_make_png           (int width,
                                             int height);

/* The big-endian EXIF TIFF block that menugen_test_make_jpeg embeds,
 * without the "Exif\0\0" prefix of a JPEG APP1 segment. */
GBytes     *menugen_test_make_exif          (int      orientation,
                                             gboolean with_gps);

/* A PNG with the same red top-left quadrant as menugen_test_make_jpeg and,
 * when @orientation is 1-8, an eXIf chunk with that orientation. */
GBytes     *menugen_test_make_marked_png    (int      width,
                                             int      height,
                                             int      orientation,
                                             gboolean with_gps);

/* Copies @jpeg with one more segment right after the SOI marker. */
GBytes     *menugen_test_jpeg_insert_segment (GBytes     *jpeg,
                                              guint8      marker,
                                              const void *payload,
                                              gsize       length);

/* Copies @png with one more chunk (CRC included) right after IHDR. */
GBytes     *menugen_test_png_insert_chunk   (GBytes     *png,
                                             const char *type,
                                             const void *payload,
                                             gsize       length);

/* Photos of real menus, when the shared menus folder is present. */
GPtrArray  *menugen_test_list_menu_photos   (void);

/* A fresh folder under the test's temporary folder, removed by the caller. */
char       *menugen_test_make_scratch_dir   (void);
void        menugen_test_remove_tree        (const char *path);

/* Gives libsoup a session without proxy resolver, as tests must not
 * depend on the machine's proxy settings. */
void        menugen_test_use_loopback_session (void);

/* Decodes @image and fails the test unless it is @width × @height pixels. */
void        menugen_test_assert_image_size  (GBytes *image,
                                             int     width,
                                             int     height);

/* Parses the JSON request body that @fake accepted last, and fails the
 * test unless it is an object. */
JsonNode   *menugen_test_parse_last_body    (FakeServer *fake);

/* Fails the test when @fake recorded a violation of its service's
 * protocol, after writing each violation to the test log. */
void        menugen_test_assert_no_violations (FakeServer *fake);

/* Runs the default main context until *done is TRUE or @timeout_s passes. */
gboolean    menugen_test_wait_for           (gboolean *done,
                                             guint     timeout_s);

/* What one generate call of a back-end returned, and the stages it
 * reported on the way. */
typedef struct {
  gboolean done;
  MenugenResult *result;
  GError *error;
  GArray *stages;          /* the MenugenStage values in order */
  char *upload_detail;     /* the detail of the last UPLOADING stage */
} MenugenTestOutcome;

void        menugen_test_outcome_clear      (MenugenTestOutcome *outcome);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MenugenTestOutcome, menugen_test_outcome_clear)

/* Runs one generate call of @backend on the default main context and
 * fails the test unless it ends within @timeout_s. */
void        menugen_test_run_backend        (MenugenBackend       *backend,
                                             const MenugenRequest *request,
                                             GCancellable         *cancellable,
                                             guint                 timeout_s,
                                             MenugenTestOutcome   *outcome);

G_END_DECLS
