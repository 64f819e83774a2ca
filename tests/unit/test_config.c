/* config + vocab + ytree: options, errors as file:line, secrets, vocabulary additions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "fields.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/defectd-config-XXXXXX";

static char *write_file(const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static bool has_error(const strlist *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->v[i], needle))
			return true;
	return false;
}

static void test_defaults(void **state)
{
	strlist errs = STRLIST_INIT;
	config *c = config_load(NULL, &errs);
	assert_non_null(c);
	assert_int_equal(c->limits.max_message_bytes, 25u << 20);
	assert_int_equal(c->limits.max_parts, 100);
	assert_int_equal(c->parser_timeout, 30);
	assert_string_equal(c->log_level, "info");
	config_free(c);
}

static void test_values_and_units(void **state)
{
	char *p = write_file("ok.yaml",
			     "limits:\n  max_message_bytes: 2M\n  max_table_rows: 50\nparser:\n  timeout: 2m\n"
			     "mailboxes:\n  - name: list\n    url: imaps://imap.example.jp/INBOX\n    username: u\n"
			     "    poll_interval: 30s\n  - url: maildir:/var/mail/x\n",
			     0600);
	strlist errs = STRLIST_INIT;
	config *c = config_load(p, &errs);
	assert_non_null(c);
	assert_int_equal(c->limits.max_message_bytes, 2u << 20);
	assert_int_equal(c->limits.max_table_rows, 50);
	assert_int_equal(c->parser_timeout, 120);
	assert_int_equal(c->nmailboxes, 2);
	assert_string_equal(c->mailboxes[0].name, "list");
	assert_int_equal(c->mailboxes[0].poll_interval, 30);
	assert_string_equal(c->mailboxes[0].processed_keyword, "$Imported");
	assert_string_equal(c->mailboxes[1].name, "maildir:/var/mail/x");
	config_free(c);
	free(p);
}

static void test_required_fields(void **state)
{
	strlist errs = STRLIST_INIT;
	config *c = config_load(NULL, &errs);
	assert_non_null(c);
	assert_int_equal(c->required_fields.n, 6);
	assert_string_equal(c->required_fields.v[0], "dealer_code");
	assert_string_equal(c->required_fields.v[5], "symptom");
	config_free(c);

	/* a field the same file adds to the vocabulary may be required */
	char *p = write_file("req.yaml", "tracking:\n  required_fields: [serial_no, machine_id]\n"
			     "vocabulary:\n  fields:\n    machine_id: {labels: [機器ID], class: code}\n", 0600);
	c = config_load(p, &errs);
	assert_non_null(c);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c->required_fields.n, 2);
	assert_string_equal(c->required_fields.v[1], "machine_id");
	config_free(c);
	free(p);

	p = write_file("none.yaml", "tracking:\n  required_fields: []\n", 0600);
	c = config_load(p, &errs);
	assert_non_null(c);
	assert_int_equal(c->required_fields.n, 0);
	config_free(c);
	free(p);

	p = write_file("badreq.yaml", "tracking:\n  required_fields:\n    - serial_no\n    - colour\n"
			     "    - serial_no\n", 0600);
	assert_null(config_load(p, &errs));
	assert_int_equal(errs.n, 2);
	assert_non_null(strstr(errs.v[0], "badreq.yaml:5: tracking.required_fields: 'serial_no' is listed twice"));
	assert_non_null(strstr(errs.v[1], "badreq.yaml:3: tracking.required_fields: 'colour' is not a field"));
	sl_free(&errs);
	free(p);

	p = write_file("scalar.yaml", "tracking:\n  required_fields: serial_no\n", 0600);
	assert_null(config_load(p, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "scalar.yaml:2: tracking.required_fields: expected a list"));
	sl_free(&errs);
	free(p);
}

static void test_every_error_with_line(void **state)
{
	char *p = write_file("bad.yaml",
			     "limits:\n"
			     "  max_parts: lots\n"		/* 2 */
			     "  max_depth: 0\n"		/* 3 */
			     "  bogus: 1\n"			/* 4 */
			     "nonsense:\n  a: 1\n"		/* 5 */
			     "mailboxes:\n"
			     "  - name: a\n"		/* 8 */
			     "    url: imap://host/INBOX\n"
			     "    username: u\n"
			     "    password: hunter2\n"	/* 11 */
			     "log:\n  level: loud\n",	/* 13 */
			     0600);
	strlist errs = STRLIST_INIT;
	config *c = config_load(p, &errs);
	assert_null(c);
	char *want[] = { ":2: limits.max_parts", ":3: limits.max_depth: 0 is outside", ":4: unknown option 'limits.bogus'",
			 ":5: unknown section 'nonsense'", ":11: password: secrets do not belong",
			 "imap:// sends the password in clear", ":13: log.level" };
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		if (!has_error(&errs, want[i]))
			fail_msg("missing error '%s' (got %zu errors, first: %s)", want[i], errs.n, errs.n ? errs.v[0] : "");
	for (size_t i = 0; i < errs.n; i++)
		assert_int_equal(strncmp(errs.v[i], p, strlen(p)), 0);
	sl_free(&errs);
	free(p);
}

static void test_yaml_syntax_and_aliases(void **state)
{
	char *p = write_file("syntax.yaml", "limits:\n  max_parts: [1, 2\n", 0600);
	strlist errs = STRLIST_INIT;
	assert_null(config_load(p, &errs));
	assert_true(errs.n >= 1);
	assert_non_null(strstr(errs.v[0], p));
	sl_free(&errs);
	free(p);
	p = write_file("alias.yaml", "a: &x {b: 1}\nc: *x\n", 0600);
	assert_null(config_load(p, &errs));
	assert_true(has_error(&errs, "not allowed"));
	sl_free(&errs);
	free(p);
	p = write_file("dup.yaml", "log:\n  level: info\nlog:\n  level: debug\n", 0600);
	assert_null(config_load(p, &errs));
	assert_true(has_error(&errs, ":3: duplicate key 'log'"));
	sl_free(&errs);
	free(p);
}

static void test_vocabulary_is_configuration(void **state)
{
	char *p = write_file("vocab.yaml",
			     "vocabulary:\n  fields:\n    serial_no: {labels: [機器番号]}\n"
			     "    room_no: {class: code, labels: [部屋番号]}\n"
			     "  enums:\n    defect_type:\n      codes:\n        NO_CHARGE: [充電が始まらない]\n",
			     0600);
	strlist errs = STRLIST_INIT;
	config *c = config_load(p, &errs);
	assert_non_null(c);
	int serial = vocab_field_index(c->v, "serial_no");
	assert_int_equal(fields_label(c->v, "機器番号", strlen("機器番号"), false), serial);
	assert_int_equal(fields_label(c->v, "部屋番号", strlen("部屋番号"), false), vocab_field_index(c->v, "room_no"));
	assert_string_equal(vocab_enum_lookup(c->v, "defect_type", "充電が始まらない"), "NO_CHARGE");
	/* built-in labels still work */
	assert_int_equal(fields_label(c->v, "製造番号", strlen("製造番号"), false), serial);
	config_free(c);
	/* without the file the label is unknown */
	c = config_load(NULL, &errs);
	assert_int_equal(fields_label(c->v, "機器番号", strlen("機器番号"), false), -1);
	config_free(c);
	free(p);
	p = write_file("vocab-bad.yaml", "vocabulary:\n  fields:\n    new_field: {labels: [x]}\n    serial_no: {class: colour}\n", 0600);
	assert_null(config_load(p, &errs));
	assert_true(has_error(&errs, ":3: field new_field: a new field needs a class"));
	sl_free(&errs);
	free(p);
}

static void test_secrets(void **state)
{
	char *err = NULL;
	char *open_file = write_file("loose.pw", "secret\n", 0644);
	assert_null(config_secret(open_file, NULL, &err));
	assert_non_null(strstr(err, "chmod 600"));
	free(err);
	char *tight = write_file("tight.pw", "s3cret\n", 0600);
	char *s = config_secret(tight, NULL, &err);
	assert_non_null(s);
	assert_string_equal(s, "s3cret");
	free(s);
	setenv("DEFECTD_TEST_SECRET", "from-env", 1);
	s = config_secret(NULL, "DEFECTD_TEST_SECRET", &err);
	assert_string_equal(s, "from-env");
	free(s);
	assert_null(config_secret(NULL, "DEFECTD_TEST_UNSET_VAR", &err));
	assert_non_null(strstr(err, "not set"));
	free(err);
	free(open_file);
	free(tight);
}

/* the options that weaken transport security are named, with the mailbox, whatever the url */
static void test_security_warnings(void **state)
{
	static const struct {
		const char *url;
		bool plaintext, skip_verify;
		const char *want[2];	/* substrings of the lines, in order; NULL = no line */
	} cases[] = {
		{ "imaps://h/INBOX", false, false, { NULL, NULL } },
		{ "imap://h/INBOX", true, false, { "mailbox m: allow_plaintext: true — the IMAP password travels in clear", NULL } },
		{ "imaps://h/INBOX", false, true, { "mailbox m: insecure_skip_verify: true — the server's certificate is not checked", NULL } },
		{ "imaps://h/INBOX", true, true, { "allow_plaintext: true — would let", "insecure_skip_verify: true — the server's" } },
		{ "maildir:/x", false, true, { "insecure_skip_verify: true — would not check", NULL } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mailbox_conf mb = { .name = (char *)"m", .url = (char *)cases[i].url,
				    .allow_plaintext = cases[i].plaintext, .insecure_skip_verify = cases[i].skip_verify };
		strlist w = STRLIST_INIT;
		config_mailbox_warnings(&mb, &w);
		size_t want = (cases[i].want[0] != NULL) + (cases[i].want[1] != NULL);
		assert_int_equal(w.n, want);
		for (size_t j = 0; j < want; j++)
			assert_non_null(strstr(w.v[j], cases[i].want[j]));
		sl_free(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_values_and_units),
		cmocka_unit_test(test_every_error_with_line),
		cmocka_unit_test(test_yaml_syntax_and_aliases),
		cmocka_unit_test(test_vocabulary_is_configuration),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_security_warnings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
