/* `--list-params --json` with each parameter's MIDI bindings. */
#include "midi/midi.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

bool strata_midi_list_params_json(FILE *out, const strata_midi_map *const *maps,
                                  const char *const *from, int nmaps)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return false;
    strata_control_list_params(mem, true);
    fclose(mem);
    json_error_t err;
    json_t *arr = json_loadb(text, len, 0, &err);
    free(text);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return false;
    }
    size_t i;
    json_t *p;
    json_array_foreach(arr, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        json_t *list = json_array();
        for (int k = 0; name && k < nmaps; k++)
            for (int b = 0; b < maps[k]->n; b++) {
                const strata_midi_binding *mb = &maps[k]->b[b];
                if (mb->action != STRATA_MIDI_ACT_PARAM || strcmp(mb->param, name))
                    continue;
                char one[256];
                strata_midi_binding_format(mb, one, sizeof one);
                json_t *o = json_loads(one, 0, &err);
                if (!o)
                    continue;
                json_object_del(o, "param");
                json_object_set_new(o, "from", json_string(from[k]));
                json_array_append_new(list, o);
            }
        json_object_set_new(p, "midi", list);
    }
    char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(arr);
    if (!s)
        return false;
    fputs(s, out);
    fputc('\n', out);
    free(s);
    return true;
}
