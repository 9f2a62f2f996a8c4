/*
 * kv_parse: the C twin of guest_sdk_rust/examples/kv_parse.rs, with the same
 * output on the same input and the same params.
 *
 * Parses `key=value` pairs separated by whitespace from a string field and
 * stores each value as a string under a target object, e.g.
 * `user=alice status=200 msg="disk full"` gives
 * `{"kv": {"user": "alice", "status": "200", "msg": "disk full"}}`.
 *
 * A value may be double-quoted to contain whitespace (`\"` and `\\` inside
 * the quotes stand for `"` and `\`). Tokens without `=`, empty keys and keys
 * containing `.` are skipped; a repeated key keeps its last value (at its
 * first position). The target field is set (replaced) with one object
 * holding all pairs, in one host call; nothing is written when there are no
 * pairs. With an empty `target_field` each pair is put at the top level.
 *
 * Params (checked at load; unknown ones are refused):
 * - `field` (string, default "message"): the field to parse.
 * - `target_field` (string, default "kv"): where to put the pairs.
 * - `ignore_missing` (boolean, default false): keep documents without
 *   `field` instead of failing with `field [x] not present`.
 */
#include "../ingesthost.h"

static const char *field, *target;
static uint32_t field_len, target_len;
static int ignore_missing;

static int configure(void) {
    static const char *const names[] = {"field", "target_field", "ignore_missing"};
    int status;
    if ((status = ih_accept_params(names, 3))) return status;
    if ((status = ih_param_str("field", "message", &field, &field_len))) return status;
    if ((status = ih_param_str("target_field", "kv", &target, &target_len))) return status;
    return ih_param_bool("ignore_missing", 0, &ignore_missing);
}

/* Rust's u8::is_ascii_whitespace: space, \t, \n, \x0c, \r (not \x0b). */
static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\x0c' || c == '\r'; }

typedef struct {
    const char *key, *value;
    uint32_t key_len, value_len;
} pair;

/* The pairs of text[0..n) into *out (allocated; the document's bump arena
 * releases it); returns their number, or -1 when memory runs out. */
static int parse_pairs(const char *b, uint32_t n, pair **out) {
    uint32_t cap = 8, count = 0, i = 0;
    pair *pairs = malloc(cap * sizeof(pair));
    if (!pairs) return -1;
    while (i < n) {
        while (i < n && is_ws(b[i])) i++;
        uint32_t key_start = i;
        while (i < n && b[i] != '=' && !is_ws(b[i])) i++;
        if (i >= n || b[i] != '=') continue; /* a token without '=' */
        const char *key = b + key_start;
        uint32_t key_len = i - key_start;
        const char *value;
        uint32_t value_len;
        i++;
        if (i < n && b[i] == '"') {
            i++;
            uint32_t seg = i, start = i;
            ih_buf owned = IH_BUF_INIT;
            int has_owned = 0;
            while (i < n && b[i] != '"') {
                if (b[i] == '\\' && i + 1 < n && (b[i + 1] == '"' || b[i + 1] == '\\')) {
                    has_owned = 1;
                    ih_buf_put(&owned, b + seg, i - seg);
                    ih_buf_putc(&owned, b[i + 1]);
                    i += 2;
                    seg = i;
                } else {
                    i++;
                }
            }
            if (has_owned) {
                ih_buf_put(&owned, b + seg, i - seg);
                if (owned.oom) return -1;
                value = owned.data;
                value_len = owned.len;
            } else {
                value = b + start;
                value_len = i - start;
            }
            if (i < n) i++; /* past the closing quote, if any */
        } else {
            uint32_t start = i;
            while (i < n && !is_ws(b[i])) i++;
            value = b + start;
            value_len = i - start;
        }
        if (key_len == 0) continue;
        int dotted = 0;
        for (uint32_t k = 0; k < key_len; k++) dotted |= key[k] == '.';
        if (dotted) continue;
        uint32_t at = 0;
        while (at < count && !ih_eq(pairs[at].key, pairs[at].key_len, key, key_len)) at++;
        if (at == count) {
            if (count == cap) {
                cap *= 2;
                pairs = realloc(pairs, cap * sizeof(pair));
                if (!pairs) return -1;
            }
            pairs[count].key = key;
            pairs[count].key_len = key_len;
            count++;
        }
        pairs[at].value = value;
        pairs[at].value_len = value_len;
    }
    *out = pairs;
    return (int)count;
}

static int kv_parse(void) {
    ih_buf text = IH_BUF_INIT;
    const char *type;
    int status = ih_get_str(field, field_len, &text, &type);
    if (status == IH_NOT_FOUND) {
        if (ignore_missing) return IH_KEEP;
        return ih_fail_name(IH_INTERNAL_FAILURE, "field [", field, field_len, "] not present");
    }
    if (status == IH_NOT_A_STRING) return ih_fail_name(IH_INTERNAL_FAILURE, "field [", field, field_len, "] is not a string");
    if (status != IH_OK) return ih_fail_call("get_field", field, field_len, status);

    pair *pairs;
    int count = parse_pairs(text.data, text.len, &pairs);
    if (count < 0) return ih_fails(IH_INTERNAL_FAILURE, "out of memory");
    if (target_len == 0) {
        for (int p = 0; p < count; p++) {
            status = ih_put_str(pairs[p].key, pairs[p].key_len, pairs[p].value, pairs[p].value_len);
            if (status != IH_OK) return ih_fail_call("put_field", pairs[p].key, pairs[p].key_len, status);
        }
    } else if (count > 0) {
        ih_buf object = IH_BUF_INIT;
        ih_buf_reserve(&object, text.len + 8 * (uint32_t)count);
        for (int p = 0; p < count; p++) {
            ih_buf_putc(&object, p ? ',' : '{');
            ih_buf_put_json_string(&object, pairs[p].key, pairs[p].key_len);
            ih_buf_putc(&object, ':');
            ih_buf_put_json_string(&object, pairs[p].value, pairs[p].value_len);
        }
        ih_buf_putc(&object, '}');
        if (object.oom) return ih_fails(IH_INTERNAL_FAILURE, "out of memory");
        status = ih_put_field(target, target_len, object.data, object.len);
        if (status != IH_OK) return ih_fail_call("put_field", target, target_len, status);
    }
    return IH_KEEP;
}

INGESTHOST_PROCESSOR(kv_parse, configure)
