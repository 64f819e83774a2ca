/*
 * ctl — defectctl, the operator's commands: status, quarantine list|show|reparse|assign,
 * reparse of stored mail after a parser change, mailbox resume, and a plain defect list.
 */
#ifndef DEFECTD_CTL_H
#define DEFECTD_CTL_H

/* argv[0] is the command word ("status", "quarantine", …); `config_path` may be NULL */
int ctl_main(const char *config_path, int argc, char **argv);
void ctl_usage(void);

#endif
