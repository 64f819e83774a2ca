/* test_imap_wire — reading IMAP answers off the wire: FETCH with literals whose text looks
 * like answers, every split point of a stream, quoted bodies, attributes in any order,
 * and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "imap_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX ((size_t)1 << 20)

/* a literal of body, as a server sends it */
static char *fetch_line(unsigned seq, unsigned uid, const char *body, size_t len, size_t *out_len)
{
	char head[128];
	int h = snprintf(head, sizeof head, "* %u FETCH (UID %u BODY[] {%zu}\r\n", seq, uid, len);
	char *s = malloc((size_t)h + len + 4);
	memcpy(s, head, (size_t)h);
	memcpy(s + h, body, len);
	memcpy(s + h + len, ")\r\n", 3);
	*out_len = (size_t)h + len + 3;
	s[*out_len] = '\0';
	return s;
}

static void test_fetch_literal(void **state)
{
	static const char body[] = "Subject: x\r\n\r\nd2 OK done\r\n* 3 FETCH (UID 9 BODY[] {4}\r\n+ more\r\nend {12}\r\n";
	size_t len;
	char *s = fetch_line(1, 7, body, sizeof body - 1, &len);
	wire_resp r;
	wire_next(s, len, MAX, &r);
	assert_int_equal(r.kind, WIRE_FETCH);
	assert_int_equal(r.used, len);
	assert_int_equal(r.uid, 7);
	assert_int_equal(r.body_len, sizeof body - 1);
	assert_memory_equal(r.body, body, sizeof body - 1);
	assert_false(r.body_quoted);
	free(s);
}

/* a stream of answers, cut at every byte: MORE until a whole answer is there, then the same
 * answers as read whole */
static void test_every_split(void **state)
{
	static const char b1[] = "line one\r\nA001 OK LOGIN\r\n";
	static const char b2[] = "\0binary\r\n\xff\xfe ends in {3}\r\n";
	size_t l1, l2;
	char *f1 = fetch_line(1, 10, b1, sizeof b1 - 1, &l1), *f2 = fetch_line(2, 11, b2, sizeof b2 - 1, &l2);
	char stream[1024];
	size_t n = 0;
	const char *pre = "* 2 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen))\r\n";
	memcpy(stream + n, pre, strlen(pre));
	n += strlen(pre);
	memcpy(stream + n, f1, l1);
	n += l1;
	memcpy(stream + n, f2, l2);
	n += l2;
	memcpy(stream + n, "d5 OK Fetch completed.\r\n", 24);
	n += 24;
	for (size_t cut = 0; cut <= n; cut++) {
		/* what arrived so far is read as far as it goes, then the rest */
		size_t off = 0, seen = 0, avail = cut;
		wire_kind kinds[6];
		uint64_t uids[6];
		for (int pass = 0; pass < 2; pass++) {
			for (;;) {
				wire_resp r;
				wire_next(stream + off, avail - off, MAX, &r);
				assert_int_not_equal(r.kind, WIRE_ERROR);
				if (r.kind == WIRE_MORE)
					break;
				assert_true(seen < 6);
				kinds[seen] = r.kind;
				uids[seen] = r.uid;
				if (r.kind == WIRE_FETCH && r.uid == 11) {
					assert_int_equal(r.body_len, sizeof b2 - 1);
					assert_memory_equal(r.body, b2, sizeof b2 - 1);
				}
				seen++;
				off += r.used;
			}
			avail = n;
		}
		assert_int_equal(off, n);
		assert_int_equal(seen, 5);
		assert_int_equal(kinds[0], WIRE_UNTAGGED);
		assert_int_equal(kinds[1], WIRE_FETCH);
		assert_int_equal(uids[1], 0); /* a flag change: no UID, no body */
		assert_int_equal(uids[2], 10);
		assert_int_equal(uids[3], 11);
		assert_int_equal(kinds[4], WIRE_TAGGED);
	}
	free(f1);
	free(f2);
}

static void test_order_and_other_items(void **state)
{
	const char *s = "* 4 FETCH (BODY[] {5}\r\nhello FLAGS (\\Seen $Imported) MODSEQ (12) "
			"BODY[HEADER.FIELDS (FROM TO)] {2}\r\nab INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" UID 33)\r\n";
	wire_resp r;
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_FETCH);
	assert_int_equal(r.uid, 33);
	assert_int_equal(r.body_len, 5);
	assert_memory_equal(r.body, "hello", 5);
}

static void test_quoted_and_nil(void **state)
{
	const char *s = "* 1 FETCH (UID 3 BODY[] \"a \\\"q\\\" \\\\ b\")\r\n";
	wire_resp r;
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_FETCH);
	assert_true(r.body_quoted);
	char out[64];
	size_t n = wire_unquote(r.body, r.body_len, out);
	assert_int_equal(n, strlen("a \"q\" \\ b"));
	assert_memory_equal(out, "a \"q\" \\ b", n);

	s = "* 1 FETCH (UID 3 BODY[] NIL)\r\n";
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_FETCH);
	assert_int_equal(r.uid, 3);
	assert_null(r.body);
}

static void test_untagged_and_tagged(void **state)
{
	wire_resp r;
	const char *s = "* OK [UIDVALIDITY 1795431272] UIDs valid\r\n";
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_UNTAGGED);
	assert_int_equal(r.uidvalidity, 1795431272);
	s = "* OK [UIDNEXT 6] Predicted next UID\r\n";
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_UNTAGGED);
	assert_int_equal(r.uidvalidity, 0);
	s = "d1 NO [TRYCREATE] no such mailbox\r\n";
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_TAGGED);
	assert_int_equal(r.tag_len, 2);
	assert_memory_equal(r.tag, "d1", 2);
	assert_int_equal(r.text_len, strlen("NO [TRYCREATE] no such mailbox"));
	assert_memory_equal(r.text, "NO", 2);
	s = "d1 OK";
	wire_next(s, strlen(s), MAX, &r);
	assert_int_equal(r.kind, WIRE_MORE);
}

static void test_refused(void **state)
{
	wire_resp r;
	const char *bad[] = {
		"+ go ahead\r\n",					/* we never send a literal */
		"* 1 FETCH (UID 3 BODY[] {99999999999999999999}\r\n",	/* number too large */
		"* 1 FETCH (UID 3 BODY[] {2000000}\r\n",		/* over the limit */
		"* 1 FETCH (UID x BODY[] NIL)\r\n",			/* UID not a number */
		"* 1 FETCH (UID 3 BODY[] NIL) trailing\r\n",		/* after the list */
		"* 1 FETCH (UID 3 BODY[] \"open)\r\n",			/* unterminated quoted */
		"* 1 FETCH UID 3\r\n",					/* no list */
		"* 1 FETCH (UID 3 BODY[] ((((((((((((((((((a))))))))))))))))))\r\n", /* too deep */
		"justoneword\r\n",					/* neither tagged nor untagged */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		wire_next(bad[i], strlen(bad[i]), MAX, &r);
		if (r.kind != WIRE_ERROR)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(r.error);
	}
	/* a line that never ends is refused once it is longer than any IMAP line */
	size_t n = 70 * 1024;
	char *junk = malloc(n);
	memset(junk, 'a', n);
	wire_next(junk, n, MAX, &r);
	assert_int_equal(r.kind, WIRE_ERROR);
	free(junk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_literal),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_order_and_other_items),
		cmocka_unit_test(test_quoted_and_nil),
		cmocka_unit_test(test_untagged_and_tagged),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
