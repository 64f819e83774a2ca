-- Messages seen on the server but not processed in the last poll (a full batch leaves the
-- rest for the next one); the status command adds the pending mailbox_items.  Written by the
-- poll loop, read by `defectctl status`.
ALTER TABLE defectd.mailboxes ADD COLUMN IF NOT EXISTS backlog integer NOT NULL DEFAULT 0;
