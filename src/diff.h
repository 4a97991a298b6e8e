/*
 * diff.h: a word-level difference between two texts, as HTML. Generic: it knows nothing of
 * articles. A text is split into tokens (a run of letters and digits, any byte of a multi-byte
 * UTF-8 character counting as a letter except those of Unicode's General Punctuation block; a
 * run of whitespace; or one other character) and the shortest edit script between the two token
 * sequences is found with Myers' O(ND) algorithm, after the common prefix and suffix are set
 * aside.
 *
 * Bounds: the search stops at DIFF_MAX_EDITS token edits, so time is O((N + M) * DIFF_MAX_EDITS)
 * and memory O(DIFF_MAX_EDITS²) (its trace: about 16 MB at most) whatever the texts' lengths.
 * When two texts differ by more than that, the difference is computed between their paragraphs
 * instead (blocks separated by a blank line, each compared whole), under the same bound, and a
 * changed paragraph is shown deleted and inserted whole; beyond that too, the whole old text is
 * shown deleted and the new one inserted.
 */
#ifndef BROADSHEET_DIFF_H
#define BROADSHEET_DIFF_H

#include <stddef.h>

#include "buf.h"

#define DIFF_MAX_EDITS 2000

/* What a difference came to. */
struct diff_stats {
    size_t inserted, deleted; /* tokens (or paragraphs, when coarse) */
    int coarse;               /* 1: by paragraph; 2: the whole text replaced */
};

/* Appends to out the difference from old_text[0..old_len) to new_text[0..new_len) as HTML:
 * every token HTML-escaped (html_text), runs of deleted tokens in <del>…</del> and of inserted
 * ones in <ins>…</ins> (a replacement: the deletion first). Whitespace is kept as it is, for a
 * container with white-space: pre-wrap. Fills *stats when not NULL. Never fails (out of memory
 * aborts). */
void diff_html(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
               struct buf *out, struct diff_stats *stats);

#endif
