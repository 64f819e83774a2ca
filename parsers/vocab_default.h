/* the built-in vocabulary, config/vocabulary.yaml compiled in (build/gen/vocab_default.c) */
#ifndef DEFECTD_VOCAB_DEFAULT_H
#define DEFECTD_VOCAB_DEFAULT_H
#include <stddef.h>
extern const char vocab_default_yaml[];
extern const size_t vocab_default_yaml_len;
#endif
