/*
 * track — SPEC.md §6 inside one open transaction: correlating a record with a defect
 * (defect_ref, then the thread, then serial_no, then report_no of an open defect), opening
 * defects with the next MD-YYYY-NNNNN, applying a record (its history in records.fields,
 * personal data apart, repairs, part events), and recomputing a defect's current values and
 * its three tracks.
 *
 * The rules themselves run on the server (sql/008: defectd.apply_record, defectd.recompute,
 * and defectd.ingest_message, which store.c calls for a fetched message); this file calls
 * them for re-parsing and hand assignment, so that every path applies records by the same
 * code.  The tracks are a function of the stored history, recomputed after every record:
 * re-parsing or assigning a record is "remove or add rows, then recompute", and a late or
 * out-of-order record cannot move a status back.  "Latest" means the latest message to
 * arrive (messages.id), then the record order.
 *
 * Never commits or rolls back: the caller (store.c) owns the transaction.  Never writes a
 * personal field anywhere but personal_data.
 */
#ifndef DEFECTD_TRACK_H
#define DEFECTD_TRACK_H

#include "db.h"
#include "util.h"
#include "vocab.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct track_conf {
	const char *const *required_fields;	/* field keys the data track requires */
	size_t nrequired;
} track_conf;

/* SPEC default: dealer_code, product_model, serial_no, occurred_date, defect_type, symptom
 * (static storage) */
const track_conf *track_conf_default(void);
/* the required fields of a configuration (tracking.required_fields): borrows c's list, so it
 * lives as long as c */
track_conf track_conf_from_config(const config *c);

typedef struct track_kv {
	const char *key;	/* field key, "serial_no" */
	const char *value;	/* normalised value */
} track_kv;

/* One record, fields split into non-personal and personal ones.  All borrowed. */
typedef struct track_rec {
	record_kind kind;
	const char *defect_ref;		/* as stated, or NULL */
	int index;			/* position in its message */
	const track_kv *fields;		/* non-personal */
	size_t nfields;
	const track_kv *personal;	/* customer_name, customer_address, customer_phone … */
	size_t npersonal;
} track_rec;

/* The message being applied: set the inputs, zero the rest; track_msg_free after use. */
typedef struct track_msg {
	PGconn *c;
	/* statements the caller queued and did not send yet: track_apply sends them first, with
	 * the record, in one round trip */
	db_batch *q;
	const track_conf *tc;		/* NULL: track_conf_default() */
	int64_t message;		/* messages.id the records come from */
	const char *const *thread;	/* In-Reply-To, then References newest first */
	size_t nthread;
	int64_t mailbox;		/* for quarantine entries; 0 = none */
	const char *source_key;		/* likewise, or NULL */
	/* re-parse only: defects this message opened before, in order — a record that would
	 * open a defect takes the next of these instead, so the defect keeps its number */
	const int64_t *reuse;
	size_t nreuse;
	/* re-parse only: assigned[i] = the defect an uncorrelated record i was given by hand (0 none) */
	const int64_t *assigned;
	size_t nassigned;
	/* out */
	size_t reused;			/* how many of reuse[] were taken */
	strlist refs;			/* MD numbers of the defects changed, each once */
	unsigned opened, applied, uncorrelated;
} track_msg;

/*
 * Correlate and apply one record of m->message by defectd.apply_record (sql/008: a records
 * row, personal_data, repairs / part_events, the defect recomputed), after what m->q holds,
 * in one round trip.  A record that matches nothing opens a defect (defect_report) or
 * becomes an uncorrelated quarantine entry (other kinds; its personal fields are kept with no
 * defect until it is assigned).  forced_defect != 0 skips correlation and applies the record
 * to that defect (hand assignment, outcome "assigned").  0 or -1 with *err (the
 * transaction is then unusable).
 */
int track_apply(track_msg *m, const track_rec *r, int64_t forced_defect, char **err) WUR;

/* Queue the full recompute of a defect: the current flags of its personal_data (after rows
 * were removed), its current values, data/repair/part tracks and closed flag, all from its
 * history.  tc NULL = default. */
void track_queue_recompute(db_batch *b, int64_t defect, const track_conf *tc);

/* track_queue_recompute, run at once.  0 or -1 with *err. */
int track_recompute(PGconn *c, int64_t defect, const track_conf *tc, char **err) WUR;

/* The required fields of tc (NULL = default) as a text[] literal; caller frees. */
char *track_required(const track_conf *tc);

void track_msg_free(track_msg *m);

#endif
