#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "backends/menugen-backend.h"
#include "core/menugen-history.h"
#include "core/menugen-instruction.h"
#include "core/menugen-photo.h"

G_BEGIN_DECLS

/* The job sits beside the back-ends because it drives one; app/core stays
 * free of back-end types. The window and the command line both run it. */

#define MENUGEN_TYPE_JOB (menugen_job_get_type ())
G_DECLARE_FINAL_TYPE (MenugenJob, menugen_job, MENUGEN, JOB, GObject)

MenugenJob          *menugen_job_new              (MenugenBackend                  *backend,
                                                   MenugenHistory                  *history,
                                                   const char                      *template_text,
                                                   const MenugenInstructionOptions *options);

void                 menugen_job_run_async        (MenugenJob         *self,
                                                   MenugenPhoto       *photo,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
MenugenHistoryEntry *menugen_job_run_finish       (MenugenJob   *self,
                                                   GAsyncResult *result,
                                                   GError      **error);

MenugenStage         menugen_job_get_stage        (MenugenJob *self);
double               menugen_job_get_fraction     (MenugenJob *self);
char                *menugen_job_describe_stage   (MenugenJob *self);
double               menugen_job_get_elapsed      (MenugenJob *self);
const char          *menugen_job_get_instruction  (MenugenJob *self);
GdkPixbuf           *menugen_job_get_result_pixbuf (MenugenJob *self);
const char          *menugen_job_get_notes        (MenugenJob *self);
const char          *menugen_job_get_size_note    (MenugenJob *self);

G_END_DECLS
