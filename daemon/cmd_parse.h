/* cmd_parse — `defectd parse [-c CONFIG] FILE...` (SPEC.md §5): offline, no database, no network. */
#ifndef DEFECTD_CMD_PARSE_H
#define DEFECTD_CMD_PARSE_H

int cmd_parse(int argc, char **argv);

#endif
