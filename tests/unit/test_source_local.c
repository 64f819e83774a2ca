/* test_source_local — source.c dispatch, the Maildir and mbox sources, and the checks
 * source_open makes on IMAP settings (no server needed: open does not connect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source.h"
#include "util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BIG ((size_t)1 << 20)

static char tmpl[] = "/tmp/test_source_XXXXXX";
static char *root;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
}

static char *path_in(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	root = mkdtemp(xstrdup(tmpl));
	return root ? 0 : -1;
}

static int teardown(void **state)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	xfree(&root);
	return 0;
}

static source *open_url(const char *url)
{
	mailbox_conf mb = { .url = (char *)url };
	char *err = NULL;
	source *s = source_open(&mb, &err);
	if (!s)
		fail_msg("source_open(%s): %s", url, err ? err : "?");
	assert_null(err);
	return s;
}

static source_item *scan_ok(source *s, size_t max, size_t *n)
{
	source_state st = { 0, 0 };
	source_item *items = NULL;
	uint64_t uv = 0;
	char *err = NULL;
	source_rc rc = source_scan(s, &st, max, &items, n, &uv, &err);
	if (rc != SRC_OK)
		fail_msg("scan: %d %s", rc, err ? err : "?");
	assert_int_equal(uv, 1);
	return items;
}

static char *fetch_ok(source *s, const source_item *it, size_t *len)
{
	char *bytes = NULL, *err = NULL;
	source_rc rc = source_fetch(s, it, 1, BIG, &bytes, len, &err);
	if (rc != SRC_OK)
		fail_msg("fetch %s: %d %s", it->key, rc, err ? err : "?");
	return bytes;
}

/* ---- Maildir ---- */

static const char *const md_text[] = {
	"Subject: one\r\n\r\nfirst\r\n",
	"Subject: two\n\nsecond message\n",
	"Subject: three\n\nthird\n",
};

static char *make_maildir(void)
{
	char *md = path_in("Maildir");
	const char *dirs[] = { "", "/new", "/cur", "/tmp" };
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		char *p = xasprintf("%s%s", md, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
		free(p);
	}
	char *p;
	/* delivery order = name order: cur/ with flags, new/ without, then cur/ again */
	p = xasprintf("%s/cur/1700000001.M1P10.host,S=24:2,S", md);
	write_file(p, md_text[0]);
	free(p);
	p = xasprintf("%s/new/1700000002.M2P10.host,S=31", md);
	write_file(p, md_text[1]);
	free(p);
	p = xasprintf("%s/cur/1700000003.M3P10.host:2,RS", md);
	write_file(p, md_text[2]);
	free(p);
	/* not messages: a dotfile, a file still in tmp/, a directory */
	p = xasprintf("%s/new/.hidden", md);
	write_file(p, "x");
	free(p);
	p = xasprintf("%s/tmp/1700000000.M0P10.host", md);
	write_file(p, "x");
	free(p);
	p = xasprintf("%s/cur/subdir", md);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	return md;
}

static void test_maildir_scan_fetch(void **state)
{
	char *md = make_maildir();
	char *url = xasprintf("maildir:%s", md);
	source *s = open_url(url);
	size_t n = 0, len = 0;

	assert_string_equal(source_name(s), url);
	source_item *items = scan_ok(s, 100, &n);
	assert_int_equal(n, 3);
	assert_string_equal(items[0].key, "1700000001.M1P10.host,S=24");
	assert_string_equal(items[1].key, "1700000002.M2P10.host,S=31");
	assert_string_equal(items[2].key, "1700000003.M3P10.host");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(items[i].uid, 0);
		assert_int_equal(items[i].size, strlen(md_text[i]));
		char *bytes = fetch_ok(s, &items[i], &len);
		assert_int_equal(len, strlen(md_text[i]));
		assert_memory_equal(bytes, md_text[i], len);
		free(bytes);
	}

	/* a MUA moves new/ → cur/ with flags after the scan: still found */
	char *from = xasprintf("%s/new/1700000002.M2P10.host,S=31", md);
	char *to = xasprintf("%s/cur/1700000002.M2P10.host,S=31:2,S", md);
	assert_int_equal(rename(from, to), 0);
	char *bytes = fetch_ok(s, &items[1], &len);
	assert_memory_equal(bytes, md_text[1], len);
	free(bytes);

	/* the file goes away: SRC_GONE */
	assert_int_equal(unlink(to), 0);
	char *err = NULL;
	bytes = NULL;
	assert_int_equal(source_fetch(s, &items[1], 1, BIG, &bytes, &len, &err), SRC_GONE);
	assert_non_null(err);
	assert_null(bytes);
	free(err);

	/* size limit */
	err = NULL;
	assert_int_equal(source_fetch(s, &items[0], 1, 10, &bytes, &len, &err), SRC_TOO_BIG);
	assert_non_null(strstr(err, "limit"));
	free(err);

	/* a key that would leave the Maildir */
	source_item evil = { .key = (char *)"../../etc/passwd" };
	err = NULL;
	assert_int_equal(source_fetch(s, &evil, 1, BIG, &bytes, &len, &err), SRC_FATAL);
	free(err);

	/* nothing is modified: mark_done and quarantine succeed and touch no file */
	err = NULL;
	assert_int_equal(source_mark_done(s, &items[0], 1, &err), SRC_OK);
	assert_null(err);
	char *kept = xasprintf("%s/cur/1700000001.M1P10.host,S=24:2,S", md);
	assert_int_equal(access(kept, F_OK), 0);
	free(kept);

	source_items_free(items, n);
	source_disconnect(s);
	source_close(s);
	free(from);
	free(to);
	free(url);
	free(md);
}

static void test_maildir_max_moves_on(void **state)
{
	char *md = make_maildir();
	char *url = xasprintf("maildir:%s", md);
	source *s = open_url(url);
	size_t n = 0;
	char *err = NULL;

	source_item *items = scan_ok(s, 2, &n);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].key, "1700000001.M1P10.host,S=24");
	/* done and quarantined keys are skipped by later scans of this source */
	assert_int_equal(source_mark_done(s, &items[0], 1, &err), SRC_OK);
	assert_int_equal(source_quarantine(s, &items[1], 1, &err), SRC_OK);
	source_items_free(items, n);
	items = scan_ok(s, 2, &n);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].key, "1700000003.M3P10.host");
	source_items_free(items, n);

	/* max 0: nothing */
	items = scan_ok(s, 0, &n);
	assert_int_equal(n, 0);
	source_items_free(items, n);
	source_close(s);
	free(url);
	free(md);
}

static void test_maildir_errors(void **state)
{
	char *url = xasprintf("maildir:%s/nonexistent", root);
	source *s = open_url(url);
	source_state st = { 0, 0 };
	source_item *items = NULL;
	size_t n = 7;
	uint64_t uv;
	char *err = NULL;

	assert_int_equal(source_scan(s, &st, 10, &items, &n, &uv, &err), SRC_FATAL);
	assert_non_null(strstr(err, "nonexistent"));
	assert_null(items);
	assert_int_equal(n, 0);
	free(err);

	/* a stored UIDVALIDITY that is not a local source's */
	st.uidvalidity = 99;
	err = NULL;
	assert_int_equal(source_scan(s, &st, 10, &items, &n, &uv, &err), SRC_UIDVALIDITY);
	free(err);
	source_close(s);
	free(url);
}

/* ---- mbox ---- */

static const char mbox_text[] =
	"From alice@example.com Mon Jan  1 00:00:00 2024\n"
	"Subject: one\n"
	"\n"
	"first body\n"
	">From the start, escaped\n"
	">>From twice escaped\n"
	"From inside a paragraph is not a separator\n"
	"\n"
	"From bob@example.com Tue Jan  2 00:00:00 2024\n"
	"Subject: two\n"
	"\n"
	"second body\n"
	"\n"
	"From carol@example.com Wed Jan  3 00:00:00 2024\n"
	"Subject: three\r\n"
	"\r\n"
	"third body, CRLF\r\n"
	"\r\n";

static const char *const mbox_msgs[] = {
	"Subject: one\n"
	"\n"
	"first body\n"
	"From the start, escaped\n"
	">From twice escaped\n"
	"From inside a paragraph is not a separator\n",
	"Subject: two\n"
	"\n"
	"second body\n",
	"Subject: three\r\n"
	"\r\n"
	"third body, CRLF\r\n",
};

static void test_mbox_scan_fetch(void **state)
{
	char *p = path_in("mbox");
	write_file(p, mbox_text);
	char *url = xasprintf("mbox:%s", p);
	source *s = open_url(url);
	size_t n = 0, len = 0;

	source_item *items = scan_ok(s, 100, &n);
	assert_int_equal(n, 3);
	size_t off2 = (size_t)(strstr(mbox_text, "From bob") - mbox_text);
	size_t off3 = (size_t)(strstr(mbox_text, "From carol") - mbox_text);
	char *k1 = xasprintf("0/%zu", off2), *k2 = xasprintf("%zu/%zu", off2, off3 - off2),
	     *k3 = xasprintf("%zu/%zu", off3, strlen(mbox_text) - off3);
	assert_string_equal(items[0].key, k1);
	assert_string_equal(items[1].key, k2);
	assert_string_equal(items[2].key, k3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(items[i].uid, 0);
		assert_int_equal(items[i].size, strlen(mbox_msgs[i]));
		char *bytes = fetch_ok(s, &items[i], &len);
		assert_int_equal(len, strlen(mbox_msgs[i]));
		assert_memory_equal(bytes, mbox_msgs[i], len);
		free(bytes);
	}

	/* limits: exact size passes, one less is too big */
	char *bytes = NULL, *err = NULL;
	assert_int_equal(source_fetch(s, &items[1], 1, strlen(mbox_msgs[1]), &bytes, &len, &err), SRC_OK);
	free(bytes);
	assert_int_equal(source_fetch(s, &items[1], 1, strlen(mbox_msgs[1]) - 1, &bytes, &len, &err), SRC_TOO_BIG);
	assert_null(bytes);
	free(err);

	/* appending keeps the keys; a half-written last message is not listed yet */
	FILE *f = fopen(p, "ab");
	fputs("From dave@example.com Thu Jan  4 00:00:00 2024\nSubject: four\n\nunfinish", f);
	fclose(f);
	source_items_free(items, n);
	items = scan_ok(s, 100, &n);
	assert_int_equal(n, 3);
	assert_string_equal(items[2].key, k3);
	f = fopen(p, "ab");
	fputs("ed\n\n", f);
	fclose(f);
	source_items_free(items, n);
	items = scan_ok(s, 100, &n);
	assert_int_equal(n, 4);
	assert_string_equal(items[2].key, k3);
	assert_int_equal(items[3].size, strlen("Subject: four\n\nunfinished\n"));

	/* done keys are skipped; max is honoured */
	err = NULL;
	assert_int_equal(source_mark_done(s, &items[0], 1, &err), SRC_OK);
	source_items_free(items, n);
	items = scan_ok(s, 2, &n);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].key, k2);

	/* the file is rewritten: the old keys are gone */
	write_file(p, mbox_text + off2);
	err = NULL;
	assert_int_equal(source_fetch(s, &items[0], 1, BIG, &bytes, &len, &err), SRC_GONE);
	free(err);
	source_item bad = { .key = (char *)"x/y" };
	err = NULL;
	assert_int_equal(source_fetch(s, &bad, 1, BIG, &bytes, &len, &err), SRC_FATAL);
	free(err);

	source_items_free(items, n);
	source_close(s);
	free(k1);
	free(k2);
	free(k3);
	free(url);
	free(p);
}

static void test_mbox_not_mbox(void **state)
{
	char *p = path_in("notmbox");
	write_file(p, "Subject: hello\n\nbody\n");
	char *url = xasprintf("mbox://%s", p);
	source *s = open_url(url);
	source_state st = { 0, 0 };
	source_item *items = NULL;
	size_t n;
	uint64_t uv;
	char *err = NULL;

	assert_int_equal(source_scan(s, &st, 10, &items, &n, &uv, &err), SRC_FATAL);
	assert_non_null(strstr(err, "not an mbox"));
	free(err);
	source_close(s);
	free(url);

	/* an empty mbox is fine: no messages */
	write_file(p, "");
	url = xasprintf("mbox:%s", p);
	s = open_url(url);
	items = scan_ok(s, 10, &n);
	assert_int_equal(n, 0);
	source_items_free(items, n);
	source_close(s);
	free(url);
	free(p);
}

/* ---- source_open ---- */

static void open_fails(const mailbox_conf *mb, const char *want)
{
	char *err = NULL;
	source *s = source_open(mb, &err);
	assert_null(s);
	assert_non_null(err);
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	free(err);
}

static void test_open_checks(void **state)
{
	mailbox_conf mb = { .url = (char *)"pop3://host/", .username = (char *)"u",
			    .password_env = (char *)"TEST_SOURCE_PW" };
	open_fails(&mb, "must start with");

	setenv("TEST_SOURCE_PW", "hunter2", 1);
	mb.url = (char *)"imap://mail.example.com/INBOX";
	open_fails(&mb, "allow_plaintext");
	mb.url = (char *)"imaps://user:hunter2@mail.example.com/INBOX";
	open_fails(&mb, "without a user name");
	mb.url = (char *)"imaps://mail.example.com/a;UID=1";
	open_fails(&mb, "%3B");
	mb.url = (char *)"imaps://mail.example.com/%zz";
	open_fails(&mb, "mailbox name");
	mb.url = (char *)"imaps://mail.example.com:993/INBOX";
	mb.processed_keyword = (char *)"bad keyword";
	open_fails(&mb, "processed_keyword");
	mb.processed_keyword = (char *)"$Imported";
	mb.move_to = (char *)"処理済み";
	open_fails(&mb, "move_to");
	mb.move_to = (char *)"Done \"quoted\"";
	mb.password_env = (char *)"TEST_SOURCE_NOT_SET";
	open_fails(&mb, "TEST_SOURCE_NOT_SET");
	mb.password_env = NULL;
	open_fails(&mb, "password");
	mb.username = NULL;
	mb.password_env = (char *)"TEST_SOURCE_PW";
	open_fails(&mb, "username");

	/* valid: open does not connect; the name carries no credentials */
	mb.username = (char *)"u";
	char *err = NULL;
	source *s = source_open(&mb, &err);
	assert_non_null(s);
	assert_string_equal(source_name(s), "imaps://mail.example.com:993/INBOX");
	source_disconnect(s);
	source_close(s);
	mb.url = (char *)"IMAPS://mail.example.com";
	s = source_open(&mb, &err);
	assert_non_null(s);
	assert_string_equal(source_name(s), "imaps://mail.example.com/INBOX");
	source_close(s);
	mb.url = (char *)"imap://mail.example.com/Lists%2Fdefects";
	mb.allow_plaintext = true;
	s = source_open(&mb, &err);
	assert_non_null(s);
	assert_string_equal(source_name(s), "imap://mail.example.com/Lists%2Fdefects");
	source_close(s);

	mb.url = (char *)"maildir:";
	open_fails(&mb, "path");
	mb.url = (char *)"mbox:";
	open_fails(&mb, "path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maildir_scan_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_max_moves_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox_scan_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox_not_mbox, setup, teardown),
		cmocka_unit_test(test_open_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
