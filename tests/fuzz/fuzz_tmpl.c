/*
 * fuzz_tmpl.c: the Mustache engine (src/tmpl.c): compiling a template, then rendering it with
 * partials against a small fixed context. Themes are written by people outside the C code, and
 * a theme's mistakes (or a hostile theme) must not crash or hang a worker. Input: one mode byte
 * (bit 0: TMPL_RAW_TRIPLE, the spec's mode), then four NUL-separated templates named main, a, b
 * and c, so that main can include the others and itself ({{> a}}, {{> main}}).
 *
 * Checks: compiling fails cleanly or succeeds; rendering returns 0 or -1, leaves out as it was
 * on -1 and stays within the output cap; and escaping holds: in the site's mode, when no
 * template has a '<' of its own, no '<' from the context's values reaches the output (the
 * context's only trusted-HTML value has none).
 */
#include "buf.h"
#include "fuzz.h"
#include "html.h"
#include "tmpl.h"

static json_t *context; /* built once; lives until exit */

/* Once at start: the context every input is rendered with. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    context = json_pack("{s:s, s:b, s:b, s:i, s:f, s:n, s:s, s:[s, i, {s:s}, [], b], "
                        "s:{s:s, s:{s:s}}, s:[{s:s}, {s:s}, {s:b}], s:[]}",
                        "name", "<b>Bold</b> & \"quoted\"", "yes", 1, "no", 0, "count", 42, "ratio",
                        0.5, "nothing", "empty", "", "list", "<i>", 7, "name", "inner", 1, "object",
                        "name", "<obj>", "deeper", "name", "<deep>", "items", "title", "<one>",
                        "title", "two", "flag", 1, "none");
    if (!context)
        abort();
    json_object_set_new(context, "trusted", html_trusted("&amp; trusted, no angle brackets"));
    return 0;
}

/* One input: a mode byte and four templates (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"main", "a", "b", "c"};
    unsigned flags = fuzz_take_byte(&data, &size) & 1 ? TMPL_RAW_TRIPLE : 0;
    struct fuzz_fields f;
    fuzz_fields_split(&f, data, size, 4);

    struct tmpl_set *set = tmpl_set_new(flags);
    int sources_have_angle = 0;
    for (size_t i = 0; i < 4; i++) {
        char err[256] = "";
        sources_have_angle |= memchr(f.field[i], '<', f.len[i]) != NULL;
        int rc = tmpl_set_add(set, names[i], f.field[i], f.len[i], err, sizeof err);
        FUZZ_CHECK(rc == 0 || rc == -1);
        FUZZ_CHECK(rc == 0 ? tmpl_set_has(set, names[i]) : err[0] != '\0');
    }

    for (size_t i = 0; i < 2; i++) {
        struct buf out = BUF_INIT;
        buf_puts(&out, "#");
        int rc = tmpl_render(set, names[i], context, &out);
        FUZZ_CHECK(rc == 0 || rc == -1);
        if (rc < 0) {
            FUZZ_CHECK(out.len == 1 && strcmp(out.data, "#") == 0);
        } else {
            FUZZ_CHECK(tmpl_set_has(set, names[i]));
            FUZZ_CHECK(out.len - 1 <= 32 * 1024 * 1024); /* tmpl.c's MAX_OUTPUT_BYTES */
            if (!flags && !sources_have_angle)
                FUZZ_CHECK(memchr(out.data, '<', out.len) == NULL);
        }
        buf_free(&out);
    }
    tmpl_set_free(set);
    fuzz_fields_free(&f);
    return 0;
}
