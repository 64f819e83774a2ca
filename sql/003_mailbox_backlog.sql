-- How many messages the last poll found but did not get to (shown by defectctl status).
ALTER TABLE defectd.mailboxes ADD COLUMN IF NOT EXISTS backlog integer NOT NULL DEFAULT 0;
