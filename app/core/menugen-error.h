#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MENUGEN_ERROR (menugen_error_quark ())

/**
 * MenugenError:
 *
 * Failures of a menu job that the user must be able to tell apart. Every
 * error in this domain carries a translated sentence that names the failing
 * value and the next step, ready to show as it is.
 */
typedef enum {
  MENUGEN_ERROR_NO_BACKEND,          /* no back-end configured or the name is unknown */
  MENUGEN_ERROR_UNSUPPORTED_FORMAT,  /* the bytes are not an image format we read */
  MENUGEN_ERROR_MISSING_LOADER,      /* a known format without an installed decoder (HEIC) */
  MENUGEN_ERROR_CORRUPT_IMAGE,       /* the image could not be decoded */
  MENUGEN_ERROR_TOO_LARGE,           /* absurd pixel count, photo or response over a limit */
  MENUGEN_ERROR_MISSING_KEY,         /* the back-end needs a key and none is set */
  MENUGEN_ERROR_INVALID_KEY,         /* the service rejected the key */
  MENUGEN_ERROR_NOT_VERIFIED,        /* the organisation must be verified for this model */
  MENUGEN_ERROR_QUOTA_EXHAUSTED,     /* no quota left, or none at all: do not retry */
  MENUGEN_ERROR_RATE_LIMITED,        /* transient rate limit: retry after a delay */
  MENUGEN_ERROR_REFUSED,             /* the model declined to draw, for safety */
  MENUGEN_ERROR_TEXT_ONLY,           /* the model answered in text instead of drawing */
  MENUGEN_ERROR_NO_IMAGE,            /* the reply ended without an image for another reason */
  MENUGEN_ERROR_UNREACHABLE,         /* the server could not be reached */
  MENUGEN_ERROR_TIMED_OUT,           /* a connect or read timeout expired */
  MENUGEN_ERROR_MALFORMED,           /* the response could not be understood */
  MENUGEN_ERROR_REJECTED,            /* the service rejected the request (other 4xx) */
  MENUGEN_ERROR_SERVER,              /* the service failed (5xx) */
  MENUGEN_ERROR_UNAVAILABLE,         /* the service is overloaded: retry later */
  MENUGEN_ERROR_WORKFLOW_REJECTED,   /* ComfyUI refused the workflow (node_errors) */
  MENUGEN_ERROR_EXECUTION_FAILED,    /* ComfyUI failed while running the workflow */
  MENUGEN_ERROR_INSECURE,            /* a key would travel over plain http to another host */
  MENUGEN_ERROR_LOCAL_ONLY,          /* "local only" is on and the host is not local */
  MENUGEN_ERROR_CAPABILITY,          /* the model or server cannot take image input */
  MENUGEN_ERROR_FAILED,              /* anything else, with its own sentence */
} MenugenError;

GQuark menugen_error_quark (void);

gboolean menugen_error_is_retryable (const GError *error);

G_END_DECLS
