#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MENUGEN_DISH_NAMES_ORIGINAL,    /* names exactly as printed */
  MENUGEN_DISH_NAMES_TRANSLATED,  /* names translated into the chosen language */
  MENUGEN_DISH_NAMES_BOTH,        /* printed name with a translation below it */
} MenugenDishNames;

/**
 * MenugenInstructionOptions:
 * @dish_names: which language the dish names are written in
 * @language: the target language name in English, such as "English" or
 *   "Simplified Chinese"; used unless @dish_names is ORIGINAL
 * @style: a style id from menugen_instruction_get_styles()
 * @aspect_ratio: "W:H", usually menugen_aspect_ratio_nearest() of the photo
 */
typedef struct {
  MenugenDishNames dish_names;
  const char *language;
  const char *style;
  const char *aspect_ratio;
} MenugenInstructionOptions;

char               *menugen_instruction_load_default_template (void);
char               *menugen_instruction_compose        (const char                      *template_text,
                                                        const MenugenInstructionOptions *options,
                                                        GError                         **error);
const char * const *menugen_instruction_get_styles     (void);
const char         *menugen_instruction_get_style_label (const char *style);
const char         *menugen_aspect_ratio_nearest       (int width,
                                                        int height);
char               *menugen_instruction_language_for_locale (void);
gboolean            menugen_dish_names_from_string     (const char       *text,
                                                        MenugenDishNames *out);

G_END_DECLS
