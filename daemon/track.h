/*
 * track — SPEC.md §6 inside one open transaction: correlating a record with a defect
 * (defect_ref, then the thread, then serial_no, then report_no of an open defect), opening
 * defects with the next MD-YYYY-NNNNN, applying a record (field history, personal data apart,
 * repairs, part events), and recomputing a defect's current values and its three tracks.
 *
 * The tracks are a function of the stored history (field_values, personal_data, repairs,
 * part_events), recomputed after every change: re-parsing or assigning a record is "remove
 * or add rows, then recompute", and a late or out-of-order record cannot move a status back.
 * "Latest" means the latest message to arrive (messages.id), then the record order.
 *
 * Speed: the statements of a step go to the server as one pipeline (db_pipeline).  Applying
 * a record keeps the current flags of field_values/personal_data right as it inserts (the
 * new value is current unless a later one exists), and leaves its defect "dirty": the
 * defect's columns and tracks are recomputed once, when something is about to read them
 * (correlation by serial_no/report_no, a part event's note) or at the end of the message
 * (track_queue_flush, which the caller sends together with its last statements and COMMIT).
 * The result is the one a recompute after every record gives.
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
	/* statements track_apply queued and did not send yet: the next look-up sends them
	 * first (one round trip), the caller sends the rest with its last statements */
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
	/*
	 * Ingestion: the message row is written by statements the caller queued in q, so that
	 * they go in the first look-up's round trip; message is 0 until then.  After that round
	 * trip track calls message_stored, which sets message (and mailbox) and returns 0, or 1
	 * when the message was stored before (nothing is applied: track_apply returns 1), or -1.
	 * own_message_id (its Message-ID, may be NULL) keeps the thread look-up off the message
	 * itself meanwhile.
	 */
	int (*message_stored)(struct track_msg *m, char **err);
	void *ctx;
	const char *own_message_id;

	/* out */
	size_t reused;			/* how many of reuse[] were taken */
	int64_t *dirty;			/* defects applied to and not recomputed yet */
	size_t ndirty, dirty_cap;
	int64_t *touched;		/* defects changed, each once */
	size_t ntouched, touched_cap;
	strlist refs;			/* their MD numbers, same order */
	unsigned opened, applied, uncorrelated;
} track_msg;

/*
 * Correlate and apply one record of m->message: a records row, field_values, personal_data,
 * repairs / part_events; the defect's recompute is left pending (track_queue_flush must
 * follow before the transaction commits).  A record that matches nothing opens a
 * defect (defect_report) or becomes an uncorrelated quarantine entry (other kinds; its
 * personal fields are kept with no defect until it is assigned).  forced_defect != 0 skips
 * correlation and applies the record to that defect (hand assignment, outcome "assigned").
 * 0 or -1 with *err (the transaction is then unusable); 1 when message_stored said the
 * message was stored before.
 */
int track_apply(track_msg *m, const track_rec *r, int64_t forced_defect, char **err) WUR;

/* Queue the pending recomputes of m (the defects applied to since the last flush) on b, to be
 * run before the statements the caller adds after them; forgets them. */
void track_queue_flush(track_msg *m, db_batch *b);

/* Queue the full recompute of a defect: the current flags of its field_values and
 * personal_data (after rows were removed), its current values, data/repair/part tracks and
 * closed flag, all from its history.  tc NULL = default. */
void track_queue_recompute(db_batch *b, int64_t defect, const track_conf *tc);

/* track_queue_recompute, run at once.  0 or -1 with *err. */
int track_recompute(PGconn *c, int64_t defect, const track_conf *tc, char **err) WUR;

/* Remember a defect as touched (once); ref may be NULL (looked up). */
int track_touch(track_msg *m, int64_t defect, const char *ref, char **err) WUR;

void track_msg_free(track_msg *m);

#endif
