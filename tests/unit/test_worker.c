/* worker: a child that crashes or hangs costs one message; answers stay in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "worker.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *fake_parse(const char *bytes, size_t len, const worker_opts *o)
{
	if (len >= 5 && memcmp(bytes, "CRASH", 5) == 0)
		raise(SIGSEGV);
	if (len >= 4 && memcmp(bytes, "HANG", 4) == 0)
		for (;;)
			pause();
	if (len >= 4 && memcmp(bytes, "EXIT", 4) == 0)
		_exit(3);
	return xasprintf("{\"records\":[],\"echo\":\"%.*s\"}", (int)len, bytes);
}

typedef struct answers {
	strlist json;
	strlist tags;
} answers;

static void collect(void *ctx, void *tag, const char *json, size_t len)
{
	answers *a = ctx;
	sl_push(&a->json, xstrndup(json, len));
	sl_push(&a->tags, xstrdup((const char *)tag));
}

static worker *start(unsigned timeout, size_t window)
{
	worker_opts o = { 0 };
	o.timeout_seconds = timeout;
	o.window = window;
	o.parse_fn = fake_parse;
	char *err = NULL;
	worker *w = worker_new(&o, &err);
	assert_non_null(w);
	return w;
}

static void run(worker *w, const char *const *msgs, size_t n, answers *a)
{
	char *err = NULL;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(worker_submit(w, msgs[i], strlen(msgs[i]), (void *)msgs[i], collect, a, &err), 0);
	assert_int_equal(worker_drain(w, collect, a, &err), 0);
}

static void test_in_order(void **state)
{
	const char *msgs[] = { "a", "b", "c", "d", "e", "f", "g" };
	worker *w = start(5, 3);
	answers a = { STRLIST_INIT, STRLIST_INIT };
	run(w, msgs, 7, &a);
	assert_int_equal(a.json.n, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(a.tags.v[i], msgs[i]);
		char *want = xasprintf("\"echo\":\"%s\"", msgs[i]);
		assert_non_null(strstr(a.json.v[i], want));
		free(want);
	}
	assert_int_equal(worker_restarts(w), 0);
	assert_int_equal(worker_failures(w), 0);
	sl_free(&a.json);
	sl_free(&a.tags);
	worker_free(w);
}

static void test_crash_costs_one(void **state)
{
	const char *msgs[] = { "one", "two", "CRASH", "four", "EXIT", "six" };
	worker *w = start(5, 4);
	answers a = { STRLIST_INIT, STRLIST_INIT };
	run(w, msgs, 6, &a);
	assert_int_equal(a.json.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(a.tags.v[i], msgs[i]);
	assert_non_null(strstr(a.json.v[0], "\"echo\":\"one\""));
	assert_non_null(strstr(a.json.v[1], "\"echo\":\"two\""));
	assert_non_null(strstr(a.json.v[2], "\"error\":\"the parser died"));
	assert_non_null(strstr(a.json.v[3], "\"echo\":\"four\""));
	assert_non_null(strstr(a.json.v[4], "\"error\":\"the parser died"));
	assert_non_null(strstr(a.json.v[5], "\"echo\":\"six\""));
	assert_int_equal(worker_failures(w), 2);
	assert_true(worker_restarts(w) >= 2);
	sl_free(&a.json);
	sl_free(&a.tags);
	worker_free(w);
}

/* many messages in flight, answers written in batches: a crash loses the unwritten
 * answers of its batch, yet only the message at fault gets the error */
static void test_crash_in_batch(void **state)
{
	enum { N = 200 };
	char *msgs[N];
	for (size_t i = 0; i < N; i++)
		msgs[i] = i == 77 || i == 78 || i == 150 ? xasprintf("CRASH %zu", i) : xasprintf("m%zu", i);
	worker *w = start(5, 64);
	answers a = { STRLIST_INIT, STRLIST_INIT };
	run(w, (const char *const *)msgs, N, &a);
	assert_int_equal(a.json.n, N);
	for (size_t i = 0; i < N; i++) {
		assert_string_equal(a.tags.v[i], msgs[i]);
		if (i == 77 || i == 78 || i == 150) {
			assert_non_null(strstr(a.json.v[i], "\"error\":\"the parser died"));
		} else {
			char *want = xasprintf("\"echo\":\"%s\"", msgs[i]);
			assert_non_null(strstr(a.json.v[i], want));
			free(want);
		}
	}
	assert_int_equal(worker_failures(w), 3);
	assert_true(worker_restarts(w) >= 3);
	for (size_t i = 0; i < N; i++)
		free(msgs[i]);
	sl_free(&a.json);
	sl_free(&a.tags);
	worker_free(w);
}

static void test_hang_times_out(void **state)
{
	const char *msgs[] = { "x", "HANG", "y" };
	worker *w = start(1, 2);
	answers a = { STRLIST_INIT, STRLIST_INIT };
	run(w, msgs, 3, &a);
	assert_int_equal(a.json.n, 3);
	assert_non_null(strstr(a.json.v[0], "\"echo\":\"x\""));
	assert_non_null(strstr(a.json.v[1], "timed out"));
	assert_non_null(strstr(a.json.v[2], "\"echo\":\"y\""));
	assert_int_equal(worker_failures(w), 1);
	sl_free(&a.json);
	sl_free(&a.tags);
	worker_free(w);
}

static void test_sync_parse(void **state)
{
	worker *w = start(5, 1);
	char *err = NULL;
	char *json = worker_parse(w, "hello", 5, &err);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"echo\":\"hello\""));
	free(json);
	worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_crash_costs_one),
		cmocka_unit_test(test_crash_in_batch),
		cmocka_unit_test(test_hang_times_out),
		cmocka_unit_test(test_sync_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
