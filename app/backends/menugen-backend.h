#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "core/menugen-config.h"
#include "core/menugen-photo.h"

G_BEGIN_DECLS

/**
 * MenugenStage:
 *
 * The stages a job passes through, reported through the back-end's
 * "progress" signal and shown with the elapsed time.
 */
typedef enum {
  MENUGEN_STAGE_PREPARING,    /* decoding and re-encoding the photo */
  MENUGEN_STAGE_DESCRIBING,   /* describe-then-draw: the vision model reads the photo */
  MENUGEN_STAGE_UPLOADING,    /* sending the request body */
  MENUGEN_STAGE_QUEUED,       /* ComfyUI: waiting in the server's queue */
  MENUGEN_STAGE_WAITING,      /* request sent, waiting for the model */
  MENUGEN_STAGE_RUNNING,      /* the server reports step progress */
  MENUGEN_STAGE_DOWNLOADING,  /* receiving the image */
  MENUGEN_STAGE_DECODING,     /* decoding the image */
  MENUGEN_STAGE_SAVING,       /* writing the history folder */
} MenugenStage;

/**
 * MenugenRequest:
 * @photo: the prepared photo bytes, exactly what is sent
 * @photo_mime_type: "image/jpeg" or "image/png"
 * @photo_width: width of @photo in pixels
 * @photo_height: height of @photo in pixels
 * @instruction: the composed instruction
 * @aspect_ratio: "W:H" asked for in the image configuration, or NULL
 * @seed: seed for local samplers
 */
typedef struct {
  GBytes *photo;
  char *photo_mime_type;
  int photo_width;
  int photo_height;
  char *instruction;
  char *aspect_ratio;
  guint64 seed;
} MenugenRequest;

/**
 * MenugenResult:
 * @image: the image bytes as the service sent them
 * @mime_type: the image's type, sniffed from its bytes
 * @notes: text the model returned beside the image, or NULL
 * @model: the model that drew it, as the service reported it when it did
 * @intermediate: describe-then-draw: the instruction the vision model wrote
 */
typedef struct {
  GBytes *image;
  char *mime_type;
  char *notes;
  char *model;
  char *intermediate;
} MenugenResult;

MenugenRequest *menugen_request_new  (void);
void            menugen_request_free (MenugenRequest *request);
MenugenResult  *menugen_result_new   (void);
void            menugen_result_free  (MenugenResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MenugenRequest, menugen_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MenugenResult, menugen_result_free)

#define MENUGEN_TYPE_BACKEND (menugen_backend_get_type ())
G_DECLARE_INTERFACE (MenugenBackend, menugen_backend, MENUGEN, BACKEND, GObject)

struct _MenugenBackendInterface
{
  GTypeInterface parent_iface;

  void           (*generate_async)   (MenugenBackend       *self,
                                      const MenugenRequest *request,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
  MenugenResult *(*generate_finish)  (MenugenBackend       *self,
                                      GAsyncResult         *result,
                                      GError              **error);
  void           (*get_photo_limits) (MenugenBackend       *self,
                                      MenugenPhotoLimits   *limits);
  const MenugenBackendConfig *(*get_config) (MenugenBackend *self);
};

MenugenBackend             *menugen_backend_new              (const MenugenBackendConfig *config,
                                                              GError                    **error);
void                        menugen_backend_generate_async   (MenugenBackend       *self,
                                                              const MenugenRequest *request,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
MenugenResult              *menugen_backend_generate_finish  (MenugenBackend       *self,
                                                              GAsyncResult         *result,
                                                              GError              **error);
void                        menugen_backend_get_photo_limits (MenugenBackend     *self,
                                                              MenugenPhotoLimits *limits);
const MenugenBackendConfig *menugen_backend_get_config       (MenugenBackend *self);
void                        menugen_backend_emit_progress    (MenugenBackend *self,
                                                              MenugenStage    stage,
                                                              double          fraction,
                                                              const char     *detail);
void                        menugen_backend_watch_message    (MenugenBackend *self,
                                                              SoupMessage    *message,
                                                              gsize           upload_bytes);
gboolean                    menugen_backend_check_config     (const MenugenBackendConfig *config,
                                                              GError                    **error);

G_END_DECLS
