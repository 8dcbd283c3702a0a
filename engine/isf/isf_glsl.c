/* ISF's GLSL dialect to strata's core profile: a prelude declares ISF's uniforms and
 * macros, then the file follows under "#line 1" with its old names rewritten token by
 * token. Comments and line breaks are kept, so compile errors carry the file's lines. */
#include "isf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct isf_rename {
    const char *from, *to_frag, *to_vert;
} isf_rename;

static const isf_rename renames[] = {
    {"gl_FragColor", "isf_FragColor", "gl_FragColor"},
    {"texture2D", "texture", "texture"},
    {"texture2DRect", "texture", "texture"},
    {"texture2DProj", "textureProj", "textureProj"},
    {"texture2DRectProj", "textureProj", "textureProj"},
    {"texture2DLod", "textureLod", "textureLod"},
    {"sampler2DRect", "sampler2D", "sampler2D"},
    {"varying", "in", "out"},
    {"attribute", "in", "in"},
    {"vv_FragNormCoord", "isf_FragNormCoord", "isf_FragNormCoord"},
};

static const char *glsl_type(strata_isf_type t)
{
    switch (t) {
    case STRATA_ISF_FLOAT:
        return "float";
    case STRATA_ISF_BOOL:
    case STRATA_ISF_EVENT:
        return "bool";
    case STRATA_ISF_LONG:
        return "int";
    case STRATA_ISF_COLOR:
        return "vec4";
    case STRATA_ISF_POINT2D:
        return "vec2";
    default:
        return "sampler2D";
    }
}

/* The per-image names ISF's reference host declares and some shaders use directly: the
 * whole texture (strata's images are never sub-rectangles), never flipped. */
static void image_macros(strata_buf *b, const char *name)
{
    char tmp[400];
    int n = snprintf(tmp, sizeof tmp,
                     "#define _%s_imgRect vec4(0.0, 0.0, IMG_SIZE(%s))\n"
                     "#define _%s_imgSize IMG_SIZE(%s)\n"
                     "#define _%s_flip false\n",
                     name, name, name, name, name);
    strata_buf_append(b, tmp, (size_t)n);
}

static void prelude(strata_buf *b, const strata_isf_desc *d, bool vs, int version)
{
    char tmp[256];
    int n = snprintf(tmp, sizeof tmp, "#version %d core\n", version);
    strata_buf_append(b, tmp, (size_t)n);
    static const char common[] =
        "uniform float TIME;\n"
        "uniform float TIMEDELTA;\n"
        "uniform int FRAMEINDEX;\n"
        "uniform vec2 RENDERSIZE;\n"
        "uniform int PASSINDEX;\n"
        "uniform vec4 DATE;\n"
        "#define IMG_NORM_PIXEL(i, c) texture(i, c)\n"
        "#define IMG_PIXEL(i, c) texture(i, (c) / vec2(textureSize(i, 0)))\n"
        "#define IMG_THIS_NORM_PIXEL(i) texture(i, isf_FragNormCoord)\n"
        "#define IMG_THIS_PIXEL(i) texture(i, isf_FragNormCoord)\n"
        "#define IMG_SIZE(i) vec2(textureSize(i, 0))\n";
    strata_buf_append(b, common, sizeof common - 1);
    for (int i = 0; i < d->ninputs; i++) {
        n = snprintf(tmp, sizeof tmp, "uniform %s %s;\n", glsl_type(d->inputs[i].type),
                     d->inputs[i].name);
        strata_buf_append(b, tmp, (size_t)n);
        if (d->inputs[i].ncomp == 0 && d->inputs[i].type != STRATA_ISF_EVENT)
            image_macros(b, d->inputs[i].name);
    }
    for (int p = 0; p < d->npasses; p++) {
        bool dup = !d->passes[p].target[0];
        for (int q = 0; q < p && !dup; q++)
            dup = !strcmp(d->passes[q].target, d->passes[p].target);
        if (dup)
            continue;
        n = snprintf(tmp, sizeof tmp, "uniform sampler2D %s;\n", d->passes[p].target);
        strata_buf_append(b, tmp, (size_t)n);
        image_macros(b, d->passes[p].target);
    }
    for (int i = 0; i < d->nimports; i++) {
        n = snprintf(tmp, sizeof tmp, "uniform sampler2D %s;\n", d->imports[i].name);
        strata_buf_append(b, tmp, (size_t)n);
        image_macros(b, d->imports[i].name);
    }
    if (vs) {
        static const char v[] =
            "out vec2 isf_FragNormCoord;\n"
            "void isf_vertShaderInit()\n"
            "{\n"
            "    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));\n"
            "    isf_FragNormCoord = p;\n"
            "    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n"
            "}\n";
        strata_buf_append(b, v, sizeof v - 1);
    } else {
        static const char f[] = "in vec2 isf_FragNormCoord;\n"
                                "out vec4 isf_FragColor;\n";
        strata_buf_append(b, f, sizeof f - 1);
    }
}

/* Copy text, renaming identifiers outside comments; a #version line becomes a comment
 * (the prelude has one). */
static void rewrite(strata_buf *b, const char *t, size_t len, bool vs)
{
    size_t i = 0;
    bool line_start = true;
    while (i < len) {
        char c = t[i];
        if (c == '/' && i + 1 < len && t[i + 1] == '/') {
            size_t e = i;
            while (e < len && t[e] != '\n')
                e++;
            strata_buf_append(b, t + i, e - i);
            i = e;
            continue;
        }
        if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            size_t e = i + 2;
            while (e + 1 < len && !(t[e] == '*' && t[e + 1] == '/'))
                e++;
            e = e + 1 < len ? e + 2 : len;
            strata_buf_append(b, t + i, e - i);
            i = e;
            line_start = false;
            continue;
        }
        if (line_start && c == '#') {
            size_t k = i + 1;
            while (k < len && (t[k] == ' ' || t[k] == '\t'))
                k++;
            if (len - k >= 7 && !strncmp(t + k, "version", 7))
                strata_buf_append(b, "//", 2);
        }
        if (isalpha((unsigned char)c) || c == '_') {
            size_t e = i;
            while (e < len && (isalnum((unsigned char)t[e]) || t[e] == '_'))
                e++;
            const char *to = NULL;
            for (size_t k = 0; k < sizeof renames / sizeof renames[0] && !to; k++)
                if (strlen(renames[k].from) == e - i && !strncmp(renames[k].from, t + i, e - i))
                    to = vs ? renames[k].to_vert : renames[k].to_frag;
            if (to)
                strata_buf_append(b, to, strlen(to));
            else
                strata_buf_append(b, t + i, e - i);
            i = e;
            line_start = false;
            continue;
        }
        if (c == '\n')
            line_start = true;
        else if (c != ' ' && c != '\t' && c != '\r')
            line_start = false;
        strata_buf_append(b, &c, 1);
        i++;
    }
    strata_buf_append(b, "\n", 1);
}

char *strata_isf_glsl(const strata_isf_desc *d, const char *text, size_t len, bool vs,
                      int glsl_version)
{
    strata_buf b = {0};
    prelude(&b, d, vs, glsl_version);
    if (vs && !text) {
        static const char main_vs[] = "void main() { isf_vertShaderInit(); }\n";
        strata_buf_append(&b, main_vs, sizeof main_vs - 1);
    } else {
        strata_buf_append(&b, "#line 1\n", 8);
        rewrite(&b, text, len, vs);
    }
    strata_buf_append(&b, "", 1); /* the NUL */
    if (b.failed) {
        strata_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}
