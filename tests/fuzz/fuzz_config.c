/*
 * fuzz_config.c: the settings parsers (src/config.c): config_set, which every source of
 * configuration goes through (flags, BROADSHEET_* variables, the file), and the config file's
 * `name = value` lines (config_load_text, the parser config_load_file uses). Input: three
 * NUL-separated fields: a directive name, a value, and a config file's text.
 *
 * Checks: config_known and config_set agree on which names exist; a refused setting always
 * says why, in a NUL-terminated message that fits its buffer; a setting that is accepted is
 * accepted as a line of a config file too; a file that is refused names its line; every setting
 * is freed (LeakSanitizer).
 */
#include "config.h"
#include "fuzz.h"

/* One input: a name, a value and a config file's text (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_fields f;
    fuzz_fields_split(&f, data, size, 3);
    const char *name = f.field[0], *value = f.field[1];
    struct config c;
    config_init(&c);

    char err[256];
    memset(err, 'x', sizeof err);
    int known = config_known(name);
    FUZZ_CHECK(known == 0 || known == 1);
    int rc = config_set(&c, name, value, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (!known)
        FUZZ_CHECK(rc == -1);
    if (rc < 0)
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');

    /* The same setting as a config file line; a name or value with '=', '#', a line break or
     * blanks around it reads differently there, so only plain ones are compared. */
    if (rc == 0 && !strpbrk(name, "=#\n\r \t\v\f") && !strpbrk(value, "\n\r\v\f") &&
        value[0] != ' ' && value[0] != '\t' &&
        (!*value || (value[strlen(value) - 1] != ' ' && value[strlen(value) - 1] != '\t'))) {
        size_t line_len = strlen(name) + strlen(value) + 4;
        char *line = malloc(line_len);
        if (!line)
            abort();
        snprintf(line, line_len, "%s = %s", name, value);
        struct config from_file;
        config_init(&from_file);
        FUZZ_CHECK(config_load_text(&from_file, "line", line, strlen(line), err, sizeof err) == 0);
        free(line);
        config_free(&from_file);
    }

    memset(err, 'x', sizeof err);
    rc = config_load_text(&c, "fuzz.conf", f.field[2], f.len[2], err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && strncmp(err, "fuzz.conf:", 10) == 0);
    config_free(&c);
    fuzz_fields_free(&f);
    return 0;
}
