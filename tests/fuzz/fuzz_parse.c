/* libFuzzer target: any bytes through the whole parser and the JSON writer. */
#include "charset.h"
#include "message.h"
#include "record.h"
#include "vocab.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vocab *v;
static parse_limits lim;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v) {
		char *err = NULL;
		v = vocab_default(&err);
		if (!v)
			abort();
		parse_limits_default(&lim);
		lim.max_message_bytes = 1 << 20;
		charset_hook_etpan();
	}
	parse_result r = { 0 };
	message_parse((const char *)data, size, v, &lim, &r);
	char *json = result_to_json(&r, v, "fuzz");
	free(json);
	parse_result_free(&r);
	return 0;
}
