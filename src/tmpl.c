/*
 * tmpl.c: Mustache templates compiled to node trees and rendered against jansson values. See
 * tmpl.h.
 *
 * tmpl_set_add parses a template once into a tree of nodes (literal text, variables, sections,
 * inverted sections, partials, line starts); comments and delimiter changes leave nothing
 * behind, and the spec's standalone-line rule (a section, inverted, close, comment, partial or
 * delimiter tag alone on its line takes the whole line with it) is applied while parsing, so
 * rendering is a plain walk of the tree. A compiled set is never written again by rendering:
 * all render state (context stack, partial indentation, depth) lives on the caller's stack or
 * in a buffer local to one tmpl_render call, which is what makes concurrent rendering of one
 * set safe without any lock.
 *
 * Standalone partial indentation. The spec defines it as "indent every line of the partial's
 * template text, then render" (so a multi-line value interpolated inside is not re-indented,
 * and a nested standalone partial gets both indentations). Rather than re-parse an indented
 * copy, the parser puts a NODE_INDENT wherever a template line starts and survives standalone
 * stripping; rendering writes the indentation of the standalone partials being rendered at
 * each one (nothing at the top level). This gives exactly the re-parse result: a line that is
 * removed as standalone has no NODE_INDENT, and one that is kept always has one, even when the
 * line starts with a tag.
 *
 * Truthiness follows the spec's data exactly: false, null, a missing name and an empty list
 * are falsey; everything else, the empty string and 0 included, is truthy (as in the spec's
 * reference implementation).
 */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "html.h"
#include "util.h"

/* How deep sections (and inverted sections) may nest in one compiled, and how deep sections
 * and partials together may nest while rendering. It bounds the C stack a render uses, so a
 * recursive partial over deep data cannot overflow a worker thread's stack; anything deeper
 * renders as nothing. It does not bound total work: see the two caps below. */
#define MAX_DEPTH 100

/* What one tmpl_render may do in total. MAX_DEPTH bounds depth, not fan-out: a partial that
 * includes itself twice ({{> main}}{{> main}}) would make 2^100 calls inside the depth bound,
 * and a section over a long list repeats its body per item. So a render counts its expansions
 * (each partial rendered, each section or inverted section body rendered, once per list item)
 * and its output bytes, and fails as a whole when either passes its cap. The default theme's
 * largest page, a list of as many cards as the store hands out (MAX_LIST_LIMIT, 1000), makes
 * about 3,000 expansions and under 1 MB; the caps are more than 30 times that, so a real theme
 * never meets them, while a runaway template stops within milliseconds instead of pinning a
 * worker thread. */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MAX_EXPANSIONS 100000
#define MAX_OUTPUT_BYTES (32 * 1024 * 1024)
#else
/* The fuzzing build (`make fuzz`) has the same caps, smaller: at the real ones an input can
 * spend seconds copying 32 MiB under AddressSanitizer, and fuzz_tmpl ran 60 inputs a second;
 * at these it runs about 2,000. */
#define MAX_EXPANSIONS 1000
#define MAX_OUTPUT_BYTES (64 * 1024)
#endif

#define TEMPLATE_EXTENSION ".mustache"

enum node_kind {
    NODE_TEXT,     /* literal text; a newline only as its last byte */
    NODE_INDENT,   /* a template line starts here: write the active partial indentation */
    NODE_ESCAPED,  /* {{name}} */
    NODE_RAW,      /* {{{name}}} and {{&name}}: raw only for trusted HTML (or in spec mode) */
    NODE_SECTION,  /* {{#name}}...{{/name}} */
    NODE_INVERTED, /* {{^name}}...{{/name}} */
    NODE_PARTIAL,  /* {{>name}} */
};

struct node;

/* A growable array of nodes: a template's top level or a section's body. */
struct node_list {
    struct node *items;
    size_t count, cap;
};

struct node {
    enum node_kind kind;
    const char *text; /* NODE_TEXT: points into the owning template's source copy */
    size_t text_len;
    char **path; /* variables and sections: the name split at dots; empty for "." */
    size_t path_len;
    char *partial; /* NODE_PARTIAL: the partial's name, looked up at render time */
    char *indent;  /* NODE_PARTIAL when standalone: the whitespace before the tag */
    size_t indent_len;
    int standalone;            /* NODE_PARTIAL: the tag was alone on its line, so it indents */
    struct node_list children; /* sections and inverted sections */
};

struct compiled_template {
    char *name;
    char *source; /* private copy of the source; text nodes point into it */
    struct node_list nodes;
};

struct tmpl_set {
    unsigned flags;
    struct compiled_template **templates; /* sorted by name, for binary search at render time */
    size_t count, cap;
};

/* ---- node trees -------------------------------------------------------------------------- */

/* Appends node (copied; the list now owns what it points to) to list. */
static void node_list_push(struct node_list *list, const struct node *node)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->count++] = *node;
}

/* Frees a dotted-name path as made by parse_path. */
static void path_free(char **path, size_t path_len)
{
    for (size_t i = 0; i < path_len; i++)
        free(path[i]);
    free(path);
}

static void node_list_free(struct node_list *list);

/* Frees what node owns (not node itself, which lives in a list's array). */
static void node_free(struct node *node)
{
    path_free(node->path, node->path_len);
    free(node->partial);
    free(node->indent);
    node_list_free(&node->children);
}

/* Frees every node of list and the array; the list is empty afterwards. */
static void node_list_free(struct node_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        node_free(&list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

/* Frees a compiled template and everything it owns. NULL is fine. */
static void template_free(struct compiled_template *compiled)
{
    if (!compiled)
        return;
    free(compiled->name);
    free(compiled->source);
    node_list_free(&compiled->nodes);
    free(compiled);
}

/* ---- parsing ----------------------------------------------------------------------------- */

/* A section being parsed: its body so far and what its close tag must say. */
struct frame {
    struct node_list body;
    enum node_kind kind; /* NODE_SECTION or NODE_INVERTED (unused for the top level) */
    char *name;          /* the name as written, which {{/name}} must repeat */
    char **path;
    size_t path_len;
    size_t tag_pos; /* where the opening tag starts, for "unclosed section" errors */
};

struct parser {
    const char *label; /* what error messages call the template (its name or file) */
    const char *src;   /* the template's source copy */
    size_t len;
    const char *open, *close; /* current delimiters; point into src or at string literals */
    size_t open_len, close_len;
    struct frame frames[MAX_DEPTH + 1]; /* frames[0] is the top level */
    size_t depth;                       /* open sections: frames[1..depth] */
    char *err;
    size_t errlen;
};

/* Space or tab: the whitespace the standalone-line rule and delimiter tags allow. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Whitespace that may pad a tag's name ({{ name }}). */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The 1-based line of src that offset pos is on. */
static size_t line_of(const char *src, size_t pos)
{
    size_t line = 1;
    for (size_t i = 0; i < pos; i++)
        line += src[i] == '\n';
    return line;
}

/* Writes "LABEL:LINE: message" into the parser's error buffer, LINE being the line of offset
 * pos. Does nothing when the caller gave no buffer. */
static void report(struct parser *parser, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(struct parser *parser, size_t pos, const char *fmt, ...)
{
    if (!parser->err || !parser->errlen)
        return;
    int n =
        snprintf(parser->err, parser->errlen, "%s:%zu: ", parser->label, line_of(parser->src, pos));
    if (n < 0 || (size_t)n >= parser->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(parser->err + n, parser->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Splits a variable or section name at its dots into *path (heap strings the caller owns,
 * freed with path_free); "." (the implicit iterator) gives an empty path. Returns -1 for a
 * name with an empty part ("a..b", ".a", "a."), which can only be a typo. */
static int parse_path(const char *name, size_t len, char ***path, size_t *path_len)
{
    *path = NULL;
    *path_len = 0;
    if (len == 1 && name[0] == '.')
        return 0;
    size_t parts = 1;
    for (size_t i = 0; i < len; i++)
        parts += name[i] == '.';
    char **result = xcalloc(parts, sizeof *result);
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '.')
            continue;
        if (i == start) {
            path_free(result, count);
            return -1;
        }
        result[count++] = xstrndup(name + start, i - start);
        start = i + 1;
    }
    *path = result;
    *path_len = count;
    return 0;
}

/* 1 if offset pos of the source starts a template line. */
static int starts_line(const struct parser *parser, size_t pos)
{
    return pos == 0 || parser->src[pos - 1] == '\n';
}

/* Adds the literal text src[start..end) to list, one NODE_TEXT per line, with a NODE_INDENT
 * at every line start. line_kept says whether the line that end is on survives (a tag that is
 * not standalone follows); if end starts that line, it gets its NODE_INDENT here too. */
static void add_text(struct parser *parser, struct node_list *list, size_t start, size_t end,
                     int line_kept)
{
    static const struct node indent = {.kind = NODE_INDENT};
    size_t pos = start;
    while (pos < end) {
        if (starts_line(parser, pos))
            node_list_push(list, &indent);
        const char *newline = memchr(parser->src + pos, '\n', end - pos);
        size_t line_end = newline ? (size_t)(newline - parser->src) + 1 : end;
        struct node text = {
            .kind = NODE_TEXT, .text = parser->src + pos, .text_len = line_end - pos};
        node_list_push(list, &text);
        pos = line_end;
    }
    /* The spec's "indent every line" never indents after the template's final newline. */
    if (line_kept && end < parser->len && starts_line(parser, end))
        node_list_push(list, &indent);
}

/* Applies a delimiter-change tag whose content (between the '='s) is src[start..end).
 * Returns -1 (error reported at tag_pos) unless it is two words with no '=' in them. */
static int change_delimiters(struct parser *parser, size_t start, size_t end, size_t tag_pos)
{
    const char *src = parser->src;
    while (start < end && is_space(src[start]))
        start++;
    while (end > start && is_space(src[end - 1]))
        end--;
    size_t open_end = start;
    while (open_end < end && !is_space(src[open_end]))
        open_end++;
    size_t close_start = open_end;
    while (close_start < end && is_space(src[close_start]))
        close_start++;
    int bad = open_end == start || close_start == end;
    for (size_t i = close_start; i < end && !bad; i++)
        bad = is_space(src[i]);
    for (size_t i = start; i < end && !bad; i++)
        bad = src[i] == '=';
    if (bad) {
        report(parser, tag_pos, "bad delimiter change '%.*s' (want two delimiters)",
               (int)(end - start), src + start);
        return -1;
    }
    parser->open = src + start;
    parser->open_len = open_end - start;
    parser->close = src + close_start;
    parser->close_len = end - close_start;
    return 0;
}

/* Frees every frame the parser still holds (after an error, or the top level's moved-out
 * body, which is then empty). */
static void parser_free(struct parser *parser)
{
    for (size_t i = 0; i <= parser->depth; i++) {
        struct frame *frame = &parser->frames[i];
        node_list_free(&frame->body);
        free(frame->name);
        path_free(frame->path, frame->path_len);
    }
}

/* Handles one tag whose name (trimmed) is src[name_start..name_end): adds its node to the
 * current frame, or opens or closes a section. Returns -1 after reporting a syntax error. */
static int handle_tag(struct parser *parser, char sigil, size_t name_start, size_t name_end,
                      size_t tag_pos, int standalone, size_t line_start)
{
    const char *name = parser->src + name_start;
    size_t name_len = name_end - name_start;
    struct node_list *body = &parser->frames[parser->depth].body;
    if (sigil == '!')
        return 0;
    if (name_len == 0) {
        report(parser, tag_pos, "empty tag");
        return -1;
    }

    if (sigil == '/') {
        if (parser->depth == 0) {
            report(parser, tag_pos, "'%.*s' closes no open section", (int)name_len, name);
            return -1;
        }
        struct frame *frame = &parser->frames[parser->depth];
        if (strlen(frame->name) != name_len || memcmp(frame->name, name, name_len) != 0) {
            report(parser, tag_pos, "'%.*s' closes section '%s' opened on line %zu", (int)name_len,
                   name, frame->name, line_of(parser->src, frame->tag_pos));
            return -1;
        }
        struct node section = {.kind = frame->kind,
                               .path = frame->path,
                               .path_len = frame->path_len,
                               .children = frame->body};
        free(frame->name);
        memset(frame, 0, sizeof *frame);
        parser->depth--;
        node_list_push(&parser->frames[parser->depth].body, &section);
        return 0;
    }

    if (sigil == '>') {
        struct node partial = {
            .kind = NODE_PARTIAL, .partial = xstrndup(name, name_len), .standalone = standalone};
        if (standalone && tag_pos > line_start) {
            partial.indent = xstrndup(parser->src + line_start, tag_pos - line_start);
            partial.indent_len = tag_pos - line_start;
        }
        node_list_push(body, &partial);
        return 0;
    }

    char **path;
    size_t path_len;
    if (parse_path(name, name_len, &path, &path_len) < 0) {
        report(parser, tag_pos, "bad name '%.*s'", (int)name_len, name);
        return -1;
    }
    if (sigil == '#' || sigil == '^') {
        if (parser->depth == MAX_DEPTH) {
            path_free(path, path_len);
            report(parser, tag_pos, "sections nested deeper than %d", MAX_DEPTH);
            return -1;
        }
        struct frame *frame = &parser->frames[++parser->depth];
        *frame = (struct frame){.kind = sigil == '#' ? NODE_SECTION : NODE_INVERTED,
                                .name = xstrndup(name, name_len),
                                .path = path,
                                .path_len = path_len,
                                .tag_pos = tag_pos};
        return 0;
    }
    struct node variable = {.kind = sigil == '{' || sigil == '&' ? NODE_RAW : NODE_ESCAPED,
                            .path = path,
                            .path_len = path_len};
    node_list_push(body, &variable);
    return 0;
}

/* Parses the whole source into parser->frames[0].body. Returns 0, or -1 after reporting the
 * first syntax error; either way the caller frees with parser_free. */
static int parse(struct parser *parser)
{
    const char *src = parser->src;
    size_t len = parser->len;
    size_t text_start = 0; /* start of literal text not yet added */
    for (;;) {
        const char *found =
            memmem(src + text_start, len - text_start, parser->open, parser->open_len);
        if (!found) {
            add_text(parser, &parser->frames[parser->depth].body, text_start, len, 0);
            break;
        }
        size_t tag_pos = (size_t)(found - src);
        size_t inner = tag_pos + parser->open_len;
        char sigil = inner < len && strchr("#^/!>={&", src[inner]) ? src[inner] : 0;
        size_t content_start = inner + (sigil != 0);
        /* {{{name}}} ends with '}' before the close delimiter, {{=a b=}} with '='. */
        char tail = sigil == '{' ? '}' : sigil == '=' ? '=' : 0;
        size_t content_end, search = content_start;
        for (;;) {
            found = memmem(src + search, len - search, parser->close, parser->close_len);
            if (!found) {
                report(parser, tag_pos, "unclosed tag '%.*s'", (int)parser->open_len, parser->open);
                return -1;
            }
            size_t at = (size_t)(found - src);
            if (!tail) {
                content_end = at;
                break;
            }
            if (at > content_start && src[at - 1] == tail) {
                content_end = at - 1;
                break;
            }
            search = at + 1;
        }
        size_t tag_end = content_end + (tail != 0) + parser->close_len;

        /* The standalone-line rule: a non-variable tag with only blanks around it on its
         * line takes the line (its leading blanks and line ending) with it. */
        int standalone = 0;
        size_t line_start = tag_pos, next = tag_end;
        if (sigil && sigil != '{' && sigil != '&') {
            while (line_start > 0 && is_blank(src[line_start - 1]))
                line_start--;
            size_t after = tag_end;
            while (after < len && is_blank(src[after]))
                after++;
            size_t ending = 0; /* length of the line ending after the tag, if any */
            if (after < len && src[after] == '\n')
                ending = 1;
            else if (after + 1 < len && src[after] == '\r' && src[after + 1] == '\n')
                ending = 2;
            if (starts_line(parser, line_start) && (after == len || ending)) {
                standalone = 1;
                next = after + ending;
            }
        }
        if (standalone)
            add_text(parser, &parser->frames[parser->depth].body, text_start, line_start, 0);
        else
            add_text(parser, &parser->frames[parser->depth].body, text_start, tag_pos, 1);

        if (sigil == '=') {
            if (change_delimiters(parser, content_start, content_end, tag_pos) < 0)
                return -1;
        } else {
            size_t name_start = content_start, name_end = content_end;
            while (name_start < name_end && is_space(src[name_start]))
                name_start++;
            while (name_end > name_start && is_space(src[name_end - 1]))
                name_end--;
            if (handle_tag(parser, sigil, name_start, name_end, tag_pos, standalone, line_start) <
                0)
                return -1;
        }
        text_start = next;
    }
    if (parser->depth > 0) {
        struct frame *frame = &parser->frames[parser->depth];
        report(parser, frame->tag_pos, "unclosed section '%s'", frame->name);
        return -1;
    }
    return 0;
}

/* Compiles source[0..len) into a new template called name, naming it label in error messages.
 * Returns the template (the caller owns it), or NULL with err set. */
static struct compiled_template *compile(const char *name, const char *label, const char *source,
                                         size_t len, char *err, size_t errlen)
{
    struct compiled_template *compiled = xcalloc(1, sizeof *compiled);
    compiled->source = xstrndup(source, len);
    struct parser *parser = xcalloc(1, sizeof *parser); /* ~7 KB of frames: kept off the stack */
    parser->label = label;
    parser->src = compiled->source;
    parser->len = len;
    parser->open = "{{";
    parser->open_len = 2;
    parser->close = "}}";
    parser->close_len = 2;
    parser->err = err;
    parser->errlen = errlen;

    if (parse(parser) < 0) {
        template_free(compiled);
        compiled = NULL;
        goto out;
    }
    compiled->name = xstrdup(name);
    compiled->nodes = parser->frames[0].body;
    memset(&parser->frames[0].body, 0, sizeof parser->frames[0].body);
out:
    parser_free(parser);
    free(parser);
    return compiled;
}

/* ---- the set ----------------------------------------------------------------------------- */

/* Binary search for name: returns 1 and its index in *index, or 0 and where it would go. */
static int set_find(const struct tmpl_set *set, const char *name, size_t *index)
{
    size_t low = 0, high = set->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(name, set->templates[middle]->name);
        if (order == 0) {
            *index = middle;
            return 1;
        }
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    *index = low;
    return 0;
}

/* The template called name, or NULL. */
static const struct compiled_template *set_get(const struct tmpl_set *set, const char *name)
{
    size_t index;
    return set_find(set, name, &index) ? set->templates[index] : NULL;
}

/* Adds compiled to the set (which owns it from now on), replacing one of the same name. */
static void set_insert(struct tmpl_set *set, struct compiled_template *compiled)
{
    size_t index;
    if (set_find(set, compiled->name, &index)) {
        template_free(set->templates[index]);
        set->templates[index] = compiled;
        return;
    }
    if (set->count == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->templates = xrealloc(set->templates, set->cap * sizeof *set->templates);
    }
    memmove(set->templates + index + 1, set->templates + index,
            (set->count - index) * sizeof *set->templates);
    set->templates[index] = compiled;
    set->count++;
}

struct tmpl_set *tmpl_set_new(unsigned flags)
{
    struct tmpl_set *set = xcalloc(1, sizeof *set);
    set->flags = flags;
    return set;
}

void tmpl_set_free(struct tmpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        template_free(set->templates[i]);
    free(set->templates);
    free(set);
}

int tmpl_set_add(struct tmpl_set *set, const char *name, const char *source, size_t len, char *err,
                 size_t errlen)
{
    struct compiled_template *compiled = compile(name, name, source, len, err, errlen);
    if (!compiled)
        return -1;
    set_insert(set, compiled);
    return 0;
}

int tmpl_set_has(const struct tmpl_set *set, const char *name)
{
    return set_get(set, name) != NULL;
}

/* qsort comparison of two C strings held in an array of char *. */
static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes "format" to err when the caller gave a buffer. */
static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* All or nothing: every file is compiled before any is added, so a theme with one broken
 * file leaves the set as it was (a reload keeps serving the old theme). Files are taken in
 * name order so "the first error" is the same on every machine. */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err, size_t errlen)
{
    const size_t extension_len = strlen(TEMPLATE_EXTENSION);
    char **files = NULL; /* file names ending in .mustache */
    struct compiled_template **compiled = NULL;
    size_t file_count = 0, file_cap = 0, compiled_count = 0;
    char *path = NULL;
    int result = -1;

    DIR *directory = opendir(dir);
    if (!directory) {
        set_error(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        size_t name_len = strlen(entry->d_name);
        if (entry->d_name[0] == '.' || name_len <= extension_len ||
            strcmp(entry->d_name + name_len - extension_len, TEMPLATE_EXTENSION) != 0)
            continue;
        if (file_count == file_cap) {
            file_cap = file_cap ? file_cap * 2 : 16;
            files = xrealloc(files, file_cap * sizeof *files);
        }
        files[file_count++] = xstrdup(entry->d_name);
    }
    closedir(directory);
    if (file_count)
        qsort(files, file_count, sizeof *files, compare_strings);

    compiled = xcalloc(file_count, sizeof *compiled);
    for (size_t i = 0; i < file_count; i++) {
        free(path);
        size_t path_len = strlen(dir) + 1 + strlen(files[i]);
        path = xmalloc(path_len + 1);
        snprintf(path, path_len + 1, "%s/%s", dir, files[i]);
        struct stat info;
        if (stat(path, &info) == 0 && !S_ISREG(info.st_mode))
            continue; /* a directory that happens to be called x.mustache */
        size_t source_len;
        char *source = util_read_file(path, &source_len);
        if (!source) {
            set_error(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        files[i][strlen(files[i]) - extension_len] = '\0';
        compiled[compiled_count] = compile(files[i], path, source, source_len, err, errlen);
        free(source);
        if (!compiled[compiled_count])
            goto out;
        compiled_count++;
    }
    for (size_t i = 0; i < compiled_count; i++)
        set_insert(set, compiled[i]);
    result = (int)compiled_count;
    compiled_count = 0; /* the set owns them now */
out:
    for (size_t i = 0; i < compiled_count; i++)
        template_free(compiled[i]);
    free(compiled);
    for (size_t i = 0; i < file_count; i++)
        free(files[i]);
    free(files);
    free(path);
    return result;
}

/* ---- rendering --------------------------------------------------------------------------- */

/* One level of the context stack; levels live in render functions' frames. */
struct context {
    const json_t *value;
    const struct context *parent; /* NULL at the root */
};

/* Why a render stopped before its end (see MAX_EXPANSIONS). */
enum render_failure { RENDER_RUNNING = 0, RENDER_TOO_MANY_EXPANSIONS, RENDER_TOO_LARGE };

/* State of one tmpl_render call; nothing in it is shared between threads. */
struct render {
    const struct tmpl_set *set;
    struct buf *out;
    size_t out_start;    /* out->len when the render began: its output is out->data[out_start..] */
    struct buf indent;   /* indentation of the enclosing standalone partials, outermost first */
    size_t indent_start; /* the active indentation is indent.data[indent_start..indent.len) */
    int depth;           /* sections and partials being rendered, bounded by MAX_DEPTH */
    size_t expansions;   /* partials and section bodies rendered so far, up to MAX_EXPANSIONS */
    enum render_failure failed; /* RENDER_RUNNING until a cap is passed */
};

/* Counts one expansion (a partial, or one rendering of a section's body) about to be made.
 * Returns 0, or -1 when it would pass MAX_EXPANSIONS or the render has already failed: the
 * render is then marked failed, and every render function returns without writing more. */
static int expand(struct render *render)
{
    if (!render->failed && ++render->expansions > MAX_EXPANSIONS)
        render->failed = RENDER_TOO_MANY_EXPANSIONS;
    return render->failed ? -1 : 0;
}

/* The value node's name resolves to in context, or NULL when it is missing. The first part of
 * a dotted name is looked up from the innermost context outwards; the rest only inside what
 * the first part found (so "a.b" never falls back to an outer "b"). */
static const json_t *lookup(const struct context *context, const struct node *node)
{
    if (node->path_len == 0)
        return context->value;
    const json_t *value = NULL;
    for (; context && !value; context = context->parent)
        if (json_is_object(context->value))
            value = json_object_get(context->value, node->path[0]);
    for (size_t i = 1; i < node->path_len && value; i++)
        value = json_is_object(value) ? json_object_get(value, node->path[i]) : NULL;
    return value;
}

/* 1 for what skips a section and shows an inverted one: missing, null, false, []. */
static int is_falsey(const json_t *value)
{
    return !value || json_is_null(value) || json_is_false(value) ||
           (json_is_array(value) && json_array_size(value) == 0);
}

/* Formats a real in the shortest of %.15g and %.17g that reads back as the same double
 * (1.21 stays "1.21", 0.1 + 0.2 is "0.30000000000000004"). Returns the length. */
static size_t format_real(double value, char *text, size_t size)
{
    int n = snprintf(text, size, "%.15g", value);
    if (strtod(text, NULL) != value)
        n = snprintf(text, size, "%.17g", value);
    return n < 0 ? 0 : (size_t)n;
}

/* Interpolates value. raw is 1 for {{{name}}} / {{&name}}: trusted HTML is written as is; in
 * spec mode so is anything else, otherwise everything else is escaped exactly as {{name}}.
 * {{name}} escapes trusted HTML too, so a wrong tag shows up as visible markup, not a hole.
 * Lists and other objects write nothing. */
static void write_value(struct render *render, const json_t *value, int raw)
{
    if (!value)
        return;
    const char *trusted = html_trusted_get(value);
    if (trusted) {
        if (raw)
            buf_puts(render->out, trusted);
        else
            html_text(render->out, trusted, strlen(trusted));
        return;
    }
    char number[64];
    const char *text;
    size_t len;
    switch (json_typeof(value)) {
    case JSON_STRING:
        text = json_string_value(value);
        len = json_string_length(value);
        break;
    case JSON_INTEGER:
        text = number;
        len = (size_t)snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
                               json_integer_value(value));
        break;
    case JSON_REAL:
        text = number;
        len = format_real(json_real_value(value), number, sizeof number);
        break;
    case JSON_TRUE: text = "true", len = 4; break;
    case JSON_FALSE: text = "false", len = 5; break;
    default: return; /* null, lists, objects */
    }
    if (raw && (render->set->flags & TMPL_RAW_TRIPLE))
        buf_append(render->out, text, len);
    else
        html_text(render->out, text, len);
}

static void render_nodes(struct render *render, const struct node_list *nodes,
                         const struct context *context);

/* Renders a section: its body once per item of a list, once with the value pushed as the
 * context otherwise, not at all when falsey or too deep. */
static void render_section(struct render *render, const struct node *node,
                           const struct context *context)
{
    const json_t *value = lookup(context, node);
    if (is_falsey(value) || render->depth >= MAX_DEPTH)
        return;
    render->depth++;
    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value) && expand(render) == 0; i++) {
            struct context item = {json_array_get(value, i), context};
            render_nodes(render, &node->children, &item);
        }
    } else if (expand(render) == 0) {
        struct context inner = {value, context};
        render_nodes(render, &node->children, &inner);
    }
    render->depth--;
}

/* Renders a partial in the current context: a standalone one adds its indentation to every
 * line of the partial's text; an inline one starts with no indentation, since it does not
 * begin a line of its own. A missing partial renders nothing, as the spec says. */
static void render_partial(struct render *render, const struct node *node,
                           const struct context *context)
{
    const struct compiled_template *partial = set_get(render->set, node->partial);
    if (!partial || render->depth >= MAX_DEPTH || expand(render) < 0)
        return;
    render->depth++;
    size_t saved_len = render->indent.len, saved_start = render->indent_start;
    if (!node->standalone)
        render->indent_start = render->indent.len;
    else if (node->indent_len)
        buf_append(&render->indent, node->indent, node->indent_len);
    render_nodes(render, &partial->nodes, context);
    render->indent.len = saved_len;
    if (render->indent.data)
        render->indent.data[saved_len] = '\0';
    render->indent_start = saved_start;
    render->depth--;
}

/* Renders each node of nodes in context, appending to render->out; stops as soon as the render
 * has failed. */
static void render_nodes(struct render *render, const struct node_list *nodes,
                         const struct context *context)
{
    for (size_t i = 0; i < nodes->count && !render->failed; i++) {
        const struct node *node = &nodes->items[i];
        switch (node->kind) {
        case NODE_TEXT: buf_append(render->out, node->text, node->text_len); break;
        case NODE_INDENT:
            if (render->indent.len > render->indent_start)
                buf_append(render->out, render->indent.data + render->indent_start,
                           render->indent.len - render->indent_start);
            break;
        case NODE_ESCAPED: write_value(render, lookup(context, node), 0); break;
        case NODE_RAW: write_value(render, lookup(context, node), 1); break;
        case NODE_SECTION: render_section(render, node, context); break;
        case NODE_INVERTED:
            if (is_falsey(lookup(context, node)) && render->depth < MAX_DEPTH &&
                expand(render) == 0) {
                render->depth++;
                render_nodes(render, &node->children, context);
                render->depth--;
            }
            break;
        case NODE_PARTIAL: render_partial(render, node, context); break;
        }
        if (render->out->len - render->out_start > MAX_OUTPUT_BYTES)
            render->failed = RENDER_TOO_LARGE;
    }
}

int tmpl_render(const struct tmpl_set *set, const char *name, const json_t *data, struct buf *out)
{
    const struct compiled_template *compiled = set_get(set, name);
    if (!compiled)
        return -1;
    struct render render = {.set = set, .out = out, .out_start = out->len, .indent = BUF_INIT};
    struct context root = {data, NULL};
    render_nodes(&render, &compiled->nodes, &root);
    buf_free(&render.indent);
    if (render.failed) {
        /* Nothing of a failed render is kept: out is as the caller gave it. */
        out->len = render.out_start;
        if (out->data)
            out->data[out->len] = '\0';
        if (render.failed == RENDER_TOO_MANY_EXPANSIONS)
            fprintf(stderr,
                    "broadsheet: template '%s' not rendered: more than %d partial and section "
                    "expansions (does a partial include itself?)\n",
                    name, MAX_EXPANSIONS);
        else
            fprintf(stderr,
                    "broadsheet: template '%s' not rendered: more than %d bytes of output\n", name,
                    MAX_OUTPUT_BYTES);
        return -1;
    }
    return 0;
}
