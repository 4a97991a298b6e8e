/*
 * store_partners.c: the part of store.h for contract publishing's partners (issue 13): the
 * partners, their API keys' hashes and their products.
 *
 * A key never reaches the database or a log: each function that takes one derives what is
 * stored (partner_key_digest: the BLAKE2b hash and the 8-character prefix) first, and its
 * error messages name the partner's slug or the prefix, never the key.
 */
#include <sodium.h>
#include <string.h>

#include "partner.h"
#include "store_impl.h"
#include "util.h"

/* Reads a partner from the current row of s (PARTNER_COLUMNS order). */
static void read_partner(struct db_stmt *s, struct arena *a, struct partner *p)
{
    p->id = db_column_int64(s, 0);
    p->slug = store_column_text(s, 1, a);
    p->name = store_column_text(s, 2, a);
    p->content = store_column_text(s, 3, a);
    p->key_prefix = store_column_text(s, 4, a);
    p->created_at = db_column_int64(s, 5);
    p->key_created_at = db_column_int64(s, 6);
}

/* read_partner (a store_row_reader). */
static void partner_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_partner(s, a, item);
}

/* A slug from column 0 (a store_row_reader into an array of const char *). */
static void slug_row(struct db_stmt *s, struct arena *a, void *item)
{
    *(const char **)item = store_column_text(s, 0, a);
}

/* Adds the rows (partner_id, ids[i]) by statement id (a product's publications or sections).
 * STORE_OK, STORE_NOT_FOUND for an id that does not exist (the foreign key), or STORE_ERROR. */
static int add_product_rows(struct db_conn *c, enum statement id, int64_t partner_id,
                            const int64_t *ids, size_t n, const char *what)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    int rc = STORE_OK;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        db_bind_int64(s, 1, partner_id);
        db_bind_int64(s, 2, ids[i]);
        rc = store_step_write(c, s, 0, what);
        db_reset(s);
    }
    return rc;
}

int store_partner_add(struct store *st, const struct partner *p, const char *key,
                      const int64_t *publication_ids, size_t npublications,
                      const int64_t *section_ids, size_t nsections, int64_t *id)
{
    char hash[PARTNER_KEY_HASH_LEN + 1], prefix[PARTNER_KEY_SHOWN_LEN + 1];
    if (!p || !store_present(p->slug) || !store_present(p->name) || !p->content ||
        (strcmp(p->content, "full") && strcmp(p->content, "preview")) || npublications == 0 ||
        partner_key_digest(key, hash, prefix) < 0) {
        store_report(NULL, 0,
                     "adding a partner: a slug, a name, full or preview, a publication and a "
                     "valid key are required");
        return STORE_ERROR;
    }
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t new_id = 0;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PARTNER_INSERT, NULL, 0)))
        goto out;
    db_bind_text(s, 1, p->slug);
    db_bind_text(s, 2, p->name);
    db_bind_text(s, 3, p->content);
    db_bind_text(s, 4, hash);
    db_bind_text(s, 5, prefix);
    db_bind_int64(s, 6, util_now());
    rc = store_step_insert(c, s, &new_id, "adding a partner");
    db_reset(s);
    if (rc == STORE_NOT_FOUND) /* an INSERT … VALUES always inserts: anything else is a bug */
        rc = STORE_ERROR;
    if (rc == STORE_OK)
        rc = add_product_rows(c, STMT_PARTNER_PUBLICATION_ADD, new_id, publication_ids,
                              npublications, "adding a partner's publication");
    if (rc == STORE_OK)
        rc = add_product_rows(c, STMT_PARTNER_SECTION_ADD, new_id, section_ids, nsections,
                              "adding a partner's section");
out:
    sodium_memzero(hash, sizeof hash);
    rc = store_finish(st, rc);
    if (rc == STORE_OK && id)
        *id = new_id;
    return rc;
}

/* The partner found by statement id with the text param ?1 (a slug or a key's hash), into
 * *out. what names it in a report (never the hash's key). */
static int partner_by(struct store *st, struct arena *a, enum statement id, const char *param,
                      const char *what, struct partner *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_text(s, 1, param);
    rc = store_step_one(c, s, "%s", what);
    if (rc == STORE_OK)
        read_partner(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_partner_by_slug(struct store *st, struct arena *a, const char *slug, struct partner *out)
{
    return partner_by(st, a, STMT_PARTNER_BY_SLUG, slug ? slug : "", "reading a partner", out);
}

int store_partner_by_key(struct store *st, struct arena *a, const char *key, struct partner *out)
{
    char hash[PARTNER_KEY_HASH_LEN + 1], prefix[PARTNER_KEY_SHOWN_LEN + 1];
    if (partner_key_digest(key, hash, prefix) < 0)
        return STORE_NOT_FOUND;
    /* The lookup compares hashes in an index: its timing tells an attacker only about hashes
     * of keys it already holds, never about the hash of a key it does not. */
    return partner_by(st, a, STMT_PARTNER_BY_KEY_HASH, hash, "finding a partner by its key", out);
}

int store_partners(struct store *st, struct arena *a, struct partner **out, size_t *n)
{
    return store_list_all(st, STMT_PARTNERS, a, sizeof **out, partner_row, "listing partners",
                          (void **)out, n);
}

/* The slugs statement id lists for partner partner_id, into *out and *n (from a). */
static int product_slugs(struct db_conn *c, enum statement id, struct arena *a, int64_t partner_id,
                         const char ***out, size_t *n, const char *what)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    int rc = store_read_rows(c, s, a, sizeof **out, slug_row, what, (void **)out, n);
    db_reset(s);
    return rc;
}

int store_partner_product(struct store *st, struct arena *a, int64_t partner_id,
                          struct partner_product *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    int rc = product_slugs(c, STMT_PARTNER_PUBLICATIONS, a, partner_id, &out->publications,
                           &out->npublications, "reading a partner's publications");
    if (rc == STORE_OK)
        rc = product_slugs(c, STMT_PARTNER_SECTIONS, a, partner_id, &out->sections, &out->nsections,
                           "reading a partner's sections");
    return rc;
}

int store_partner_set_key(struct store *st, const char *slug, const char *key)
{
    char hash[PARTNER_KEY_HASH_LEN + 1], prefix[PARTNER_KEY_SHOWN_LEN + 1];
    if (partner_key_digest(key, hash, prefix) < 0) {
        store_report(NULL, 0, "rotating a partner's key: not a valid key");
        return STORE_ERROR;
    }
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PARTNER_SET_KEY, NULL, 0)))
        goto out;
    db_bind_text(s, 1, slug ? slug : "");
    db_bind_text(s, 2, hash);
    db_bind_text(s, 3, prefix);
    db_bind_int64(s, 4, util_now());
    rc = store_step_write(c, s, 1, "rotating a partner's key");
out:
    db_reset(s);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int store_partner_remove(struct store *st, const char *slug)
{
    return store_write_texts(st, STMT_PARTNER_DELETE, 1, slug ? slug : "", NULL, 1,
                             "removing a partner");
}

int store_partner_sees(struct store *st, int64_t partner_id, int64_t article_id)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PARTNER_SEES, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, article_id);
    rc = store_step_one(c, s, "whether partner %lld sees article %lld", (long long)partner_id,
                        (long long)article_id);
out:
    db_reset(s);
    return rc;
}
