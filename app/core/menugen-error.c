#include "menugen-error.h"

G_DEFINE_QUARK (menugen-error-quark, menugen_error)

/**
 * menugen_error_is_retryable:
 * @error: a #GError
 *
 * Tells whether trying the same job again later can succeed. Refusals,
 * exhausted quotas and bad keys give the same result every time, so the
 * window offers another back-end instead of a retry for those.
 *
 * Returns: %TRUE when a retry makes sense
 */
gboolean
menugen_error_is_retryable (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain != MENUGEN_ERROR)
    return TRUE;

  switch ((MenugenError) error->code)
    {
    case MENUGEN_ERROR_REFUSED:
    case MENUGEN_ERROR_QUOTA_EXHAUSTED:
    case MENUGEN_ERROR_INVALID_KEY:
    case MENUGEN_ERROR_MISSING_KEY:
    case MENUGEN_ERROR_NOT_VERIFIED:
    case MENUGEN_ERROR_UNSUPPORTED_FORMAT:
    case MENUGEN_ERROR_MISSING_LOADER:
    case MENUGEN_ERROR_CORRUPT_IMAGE:
    case MENUGEN_ERROR_NO_BACKEND:
    case MENUGEN_ERROR_INSECURE:
    case MENUGEN_ERROR_LOCAL_ONLY:
    case MENUGEN_ERROR_CAPABILITY:
      return FALSE;

    default:
      return TRUE;
    }
}
