/*
 * classify — subject prefixes and tags, the kind rules, noise (auto-replies and
 * bounces) and MD-YYYY-NNNNN references.  SPEC.md §2 and §4 "defect_ref".
 */
#include "classify.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* reply / forward prefixes as match keys (lower-cased, NFKC: 転送：→ 転送:) */
static const char *const reply_prefixes[] = { "re:", "返信:", "re：", "aw:", "答复:" };
static const char *const forward_prefixes[] = { "fwd:", "fw:", "転送:", "tr:", "wg:" };

static size_t prefix_len(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(list[i]);
		if (strncmp(s, list[i], k) == 0)
			return k;
	}
	return 0;
}

/* "re[2]:" / "re(2):" counted replies */
static size_t counted_reply(const char *s)
{
	if (strncmp(s, "re", 2) || (s[2] != '[' && s[2] != '('))
		return 0;
	size_t i = 3;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i > 3 && (s[i] == ']' || s[i] == ')') && s[i + 1] == ':')
		return i + 2;
	return 0;
}

/* length of an [MD-YYYY-NNNNN] tag (or any [..] tag) at s, 0 when none */
static size_t tag_len(const char *s)
{
	if (*s != '[')
		return 0;
	const char *e = strchr(s, ']');
	if (!e || e - s > 40)
		return 0;
	return (size_t)(e - s) + 1;
}

char *classify_subject(const char *subject, bool *reply, bool *forward)
{
	*reply = *forward = false;
	if (!subject)
		return xstrdup("");
	char *key = text_match_key(subject, strlen(subject));
	const char *p = key;
	bool first = true;
	for (;;) {
		size_t k;
		if ((k = prefix_len(p, reply_prefixes, ARRAY_LEN(reply_prefixes))) ||
		    (k = counted_reply(p))) {
			if (first)
				*reply = true;
		} else if ((k = prefix_len(p, forward_prefixes, ARRAY_LEN(forward_prefixes)))) {
			if (first)
				*forward = true;
		} else if ((k = tag_len(p))) {
			/* a tag before the prefixes does not decide reply/forward */
			p += k;
			continue;
		} else {
			break;
		}
		first = false;
		p += k;
	}
	/* remove [MD-…] tags anywhere in the rest */
	strbuf b = STRBUF_INIT;
	sb_adds(&b, "");
	for (const char *q = p; *q;) {
		size_t k = *q == '[' ? tag_len(q) : 0;
		char *ref = k ? classify_find_ref(q, k) : NULL;
		if (ref) {
			free(ref);
			q += k;
			continue;
		}
		sb_addc(&b, *q++);
	}
	free(key);
	return sb_steal(&b);
}

record_kind classify_by_fields(const record *rec, const vocab *v)
{
	static const char *const receipt[] = { "received_date", "analysis_result" };
	static const char *const repair[] = { "repair_date", "repair_action", "replaced_part", "technician" };
	static const char *const shipment[] = { "tracking_no", "shipped_date", "carrier" };
	struct {
		const char *const *keys;
		size_t n;
		record_kind kind;
	} rules[] = {
		{ receipt, ARRAY_LEN(receipt), KIND_PART_RECEIPT },
		{ repair, ARRAY_LEN(repair), KIND_REPAIR_REPORT },
		{ shipment, ARRAY_LEN(shipment), KIND_SHIPMENT_NOTICE },
	};
	if (!rec->nfields)
		return KIND_NONE;
	for (size_t r = 0; r < ARRAY_LEN(rules); r++)
		for (size_t i = 0; i < rules[r].n; i++) {
			int idx = vocab_field_index(v, rules[r].keys[i]);
			if (idx >= 0 && record_has(rec, idx))
				return rules[r].kind;
		}
	return KIND_DEFECT_REPORT;
}

static bool digit_at(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

char *classify_find_ref(const char *s, size_t n)
{
	char *norm = NULL;
	const char *t = s;
	size_t tn = n;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			norm = text_nfkc_dashes(s, n);
			t = norm;
			tn = strlen(norm);
			break;
		}
	char *found = NULL;
	for (size_t i = 0; i + 13 <= tn && !found; i++) {
		if (!((t[i] == 'M' || t[i] == 'm') && (t[i + 1] == 'D' || t[i + 1] == 'd') && t[i + 2] == '-'))
			continue;
		if (i > 0 && ((t[i - 1] >= 'A' && t[i - 1] <= 'Z') || (t[i - 1] >= 'a' && t[i - 1] <= 'z')))
			continue;
		bool ok = true;
		for (size_t k = 3; k < 7; k++)
			ok &= digit_at(t, tn, i + k);
		ok &= t[i + 7] == '-';
		for (size_t k = 8; k < 13; k++)
			ok &= digit_at(t, tn, i + k);
		if (ok && digit_at(t, tn, i + 13))
			ok = false;
		if (ok) {
			found = xmalloc(14); /* "MD-YYYY-NNNNN" */
			memcpy(found, "MD-", 3);
			memcpy(found + 3, t + i + 3, 4);
			found[7] = '-';
			memcpy(found + 8, t + i + 8, 5);
			found[13] = '\0';
		}
	}
	free(norm);
	return found;
}

const char *classify_noise(const noise_facts *f, const vocab *v)
{
	if (f->multipart_report)
		return "bounce";
	if (f->from) {
		const char *at = strchr(f->from, '@');
		size_t local = at ? (size_t)(at - f->from) : strlen(f->from);
		if ((local == 13 && ascii_casecmp_prefix(f->from, "mailer-daemon")) ||
		    (local == 10 && ascii_casecmp_prefix(f->from, "postmaster")))
			return "bounce";
	}
	if (f->auto_submitted) {
		char *val = ascii_lower_dup(f->auto_submitted);
		size_t k = strspn(val, " \t");
		bool no = strncmp(val + k, "no", 2) == 0 && (val[k + 2] == '\0' || strchr(" \t;(", val[k + 2]));
		free(val);
		if (!no)
			return "auto-reply";
	}
	if (f->x_autoreply || f->x_autorespond)
		return "auto-reply";
	if (f->precedence) {
		char *val = ascii_lower_dup(f->precedence);
		bool ar = strstr(val, "auto_reply") != NULL;
		free(val);
		if (ar)
			return "auto-reply";
	}
	if (f->subject_key && vocab_autoreply_subject(v, f->subject_key))
		return "auto-reply";
	return NULL;
}
